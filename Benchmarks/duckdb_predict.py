#!/usr/bin/env python3
"""Peer for the predictive-value benchmark: DuckDB builds the same per-person pattern (a bit per
micro done strictly before the person's first purchase, or at all if they never bought) and counts
persons and converters per pattern, in-process, 2 threads: one warm-up run, then the median of three.
The 2×2 table of each micro is then a sum over patterns, as in Stepwise.

    duckdb_predict.py EVENTS.csv   → one JSON line: {"median_ms": ..., "flags_median_ms": ..., "persons": ..., "tables": {micro: [a, b, c, d]}}

`median_ms` evaluates the definitions on the raw events; `flags_median_ms` aggregates a per-event
bitmask column prepared beforehand. Persons are integer keys (user id × 2 + 1, else visitor id × 2).
"""
import json, statistics, sys, time
import duckdb

MACRO = "name = 'purchase'"
# The 15 micros of the benchmark, as in Benchmarks/rates-plan.yml.
MICROS = [
    ("product_view", "name = 'product_view'"),
    ("add_to_cart", "name = 'add_to_cart'"),
    ("begin_checkout", "name = 'begin_checkout'"),
    ("size_guide_view", "name = 'size_guide_view'"),
    ("newsletter_signup", "name = 'newsletter_signup'"),
    ("scroll_75", "name = 'scroll_75'"),
    ("order_review", "name = 'order_review'"),
    ("product_page", "name = 'pageview' AND path LIKE '/product/%'"),
    ("sale_page", "name = 'pageview' AND path = '/sale'"),
    ("category_page", "name = 'pageview' AND path LIKE '/category/%'"),
    ("blog_page", "name = 'pageview' AND path LIKE '/blog/%'"),
    ("about_page", "name = 'pageview' AND path = '/about'"),
    ("home_page", "name = 'pageview' AND path = '/'"),
    ("account_page", "name = 'pageview' AND path = '/account'"),
    ("exposure_bold", "name = '$exposure' AND json_extract_string(props, '$.variant') = 'bold_cta'"),
]


def query():
    # "Did M before the first G" is "the first M is earlier than the first G": one GROUP BY person
    # with a conditional min per micro, no window, no join (the fastest form we found).
    firsts = ", ".join(f"min(ts) FILTER (WHERE {cond}) AS m{i}" for i, (_, cond) in enumerate(MICROS))
    bits = " + ".join(f"(CASE WHEN m{i} IS NOT NULL AND (g IS NULL OR m{i} < g) THEN {1 << i} ELSE 0 END)" for i in range(len(MICROS)))
    return f"""
        WITH firsts AS (SELECT person, min(ts) FILTER (WHERE {MACRO}) AS g, {firsts} FROM events GROUP BY person)
        SELECT {bits} AS pattern, count(*) AS persons, count(*) FILTER (WHERE g IS NOT NULL) AS converters
        FROM firsts GROUP BY pattern"""


def flags_query():
    # The same aggregation over a per-event bitmask column computed beforehand (not timed): the
    # strictest peer, as if DuckDB held the definitions already evaluated.
    firsts = ", ".join(f"min(ts) FILTER (WHERE flags & {1 << i} <> 0) AS m{i}" for i in range(len(MICROS)))
    bits = " + ".join(f"(CASE WHEN m{i} IS NOT NULL AND (g IS NULL OR m{i} < g) THEN {1 << i} ELSE 0 END)" for i in range(len(MICROS)))
    return f"""
        WITH firsts AS (SELECT person, min(ts) FILTER (WHERE flags & {1 << len(MICROS)} <> 0) AS g, {firsts} FROM flagged GROUP BY person)
        SELECT {bits} AS pattern, count(*) AS persons, count(*) FILTER (WHERE g IS NOT NULL) AS converters
        FROM firsts GROUP BY pattern"""


def timed(con, sql):
    times, rows = [], None
    for _ in range(4):
        started = time.time()
        rows = con.execute(sql).fetchall()
        times.append((time.time() - started) * 1000)
    return round(statistics.median(times[1:]), 1), rows


def tables(rows):
    result = {}
    for i, (name, _) in enumerate(MICROS):
        result[name] = [sum(c for p, n, c in rows if p >> i & 1), sum(n - c for p, n, c in rows if p >> i & 1),
                        sum(c for p, n, c in rows if not p >> i & 1), sum(n - c for p, n, c in rows if not p >> i & 1)]
    return result


def main():
    con = duckdb.connect(config={"threads": 2})
    con.execute("SET enable_progress_bar = false")
    con.execute(f"""CREATE TABLE events AS SELECT * FROM read_csv('{sys.argv[1]}', header = true,
        columns = {{'person': 'BIGINT', 'ts': 'BIGINT', 'name': 'VARCHAR', 'path': 'VARCHAR', 'props': 'VARCHAR'}})""")
    mask = " + ".join(f"(CASE WHEN {cond} THEN {1 << i} ELSE 0 END)" for i, (_, cond) in enumerate(MICROS))
    con.execute(f"CREATE TABLE flagged AS SELECT person, ts, {mask} + (CASE WHEN {MACRO} THEN {1 << len(MICROS)} ELSE 0 END) AS flags FROM events")
    raw_ms, rows = timed(con, query())
    flags_ms, flag_rows = timed(con, flags_query())
    assert sorted(rows) == sorted(flag_rows)
    print(json.dumps({"median_ms": raw_ms, "flags_median_ms": flags_ms, "persons": sum(n for _, n, _ in rows), "tables": tables(rows)},
                     sort_keys=True))


main()
