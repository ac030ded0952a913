#!/usr/bin/env python3
"""Seeded events for the funnel peer check and benchmark: one site, about 10 events a visitor over
30 days, a 4-step shop funnel (product_view ~30 % of visitors, add_to_cart ~8 %, begin_checkout
~4 %, purchase ~2 %, some steps days later so the 7-day window matters) and other events between.

Timestamps are whole seconds and strictly increase per visitor: no two events of a visitor share a
second, so ClickHouse's windowFunnel (which depends on row order at ties) counts like the others.

    funnel_events.py N OUT_PREFIX [--seed 42]   → OUT_PREFIX.ndjson (Stepwise) and OUT_PREFIX.csv (peers)
"""
import argparse
import random

T0 = 1785542400  # 2026-08-01T00:00:00Z: far enough back that no event lands in the future
DAYS = 30
# product_view carries a plan prop with five values: the benchmark's breakdown.
PLANS = ["free", "starter", "team", "business", "enterprise"]
OTHER = ["pageview", "pageview", "pageview", "scroll_75", "search", "newsletter_signup", "video_progress"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    written = 0
    visitor = 0
    with open(args.out + ".ndjson", "w") as ndjson, open(args.out + ".csv", "w") as csv:
        csv.write("visitor,ts,name\n")
        while written < args.n:
            visitor += 1
            key = f"v{visitor}"
            t = T0 + int(rng.random() * DAYS * 86400)
            events = []
            funnel = 0
            r = rng.random()
            if r < 0.30:
                funnel = 1
                if rng.random() < 0.27:
                    funnel = 2
                    if rng.random() < 0.5:
                        funnel = 3
                        if rng.random() < 0.5:
                            funnel = 4
            steps = ["product_view", "add_to_cart", "begin_checkout", "purchase"][:funnel]
            others = max(1, int(rng.expovariate(1 / 9)))
            for _ in range(others):
                events.append(rng.choice(OTHER))
            # Steps go in order among the other events; a re-entry sometimes repeats product_view.
            position = rng.randint(0, len(events))
            for step in steps:
                events.insert(position, step)
                position += 1 + (rng.random() < 0.3)
                if step == "product_view" and rng.random() < 0.2:
                    events.insert(position, "product_view")
                    position += 1
            plan = rng.choice(PLANS)
            for name in events:
                if written >= args.n:
                    break
                # Mostly seconds to minutes apart; now and then days later (window edges).
                t += 1 + int(rng.expovariate(1 / 120)) if rng.random() < 0.93 else int(rng.random() * 9 * 86400) + 1
                props = f',"props":{{"plan":"{plan}"}}' if name == "product_view" else ""
                ndjson.write(f'{{"site":"funnel.example","event":"{name}","visitor":"{key}","timestamp":{t * 1000}{props}}}\n')
                csv.write(f"{key},{t},{name}\n")
                written += 1
    print(f"wrote {written} events of {visitor} visitors to {args.out}.ndjson and {args.out}.csv")


main()
