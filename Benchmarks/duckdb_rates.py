#!/usr/bin/env python3
"""Peer for the rates benchmark: DuckDB computes the counts of Benchmarks/rates-plan.yml with SQL
on the same events (exported from the Stepwise SQLite file), in-process, 2 threads: one warm-up
run, then the median of three (the DISTINCT aggregates take seconds at 10M events).

    duckdb_rates.py EVENTS.csv   → one JSON line: {"median_ms": ..., "counts": {name: [completions, persons, sessions]}, ...}
"""
import json, statistics, sys, time
import duckdb

# (name, SQL condition, count rule); the same 20 rules as rates-plan.yml.
DEFINITIONS = [
    ("product_view", "name = 'product_view'", "once_per_session"),
    ("add_to_cart", "name = 'add_to_cart'", "once_per_session"),
    ("begin_checkout", "name = 'begin_checkout'", "once_per_session"),
    ("purchase", "name = 'purchase'", "every"),
    ("size_guide_view", "name = 'size_guide_view'", "once_per_person"),
    ("newsletter_signup", "name = 'newsletter_signup'", "once_per_person"),
    ("scroll_75", "name = 'scroll_75'", "once_per_person"),
    ("order_review", "name = 'order_review'", "every"),
    ("product_page", "name = 'pageview' AND path LIKE '/product/%'", "once_per_session"),
    ("sale_page", "name = 'pageview' AND path = '/sale'", "once_per_session"),
    ("category_page", "name = 'pageview' AND path LIKE '/category/%'", "every"),
    ("blog_page", "name = 'pageview' AND path LIKE '/blog/%'", "once_per_person"),
    ("about_page", "name = 'pageview' AND path = '/about'", "every"),
    ("home_page", "name = 'pageview' AND path = '/'", "once_per_session"),
    ("account_page", "name = 'pageview' AND path = '/account'", "once_per_person"),
    ("purchase_multi", "name = 'purchase' AND TRY_CAST(json_extract(props, '$.items') AS DOUBLE) >= 2", "every"),
    ("exposure_bold", "name = '$exposure' AND json_extract_string(props, '$.variant') = 'bold_cta'", "once_per_person"),
    ("exposure_control", "name = '$exposure' AND json_extract_string(props, '$.variant') = 'control'", "once_per_person"),
    ("any_visit", "name = 'pageview'", "once_per_session"),
    ("shoes_category", "name = 'pageview' AND path = '/category/shoes'", "once_per_session"),
]
AUDIENCES = [("add_to_cart", "name = 'product_view'"), ("begin_checkout", "name = 'pageview' AND path LIKE '/product/%'")]


def query():
    flags = ",\n".join(f"({cond}) AS d{i}" for i, (_, cond, _) in enumerate(DEFINITIONS))
    flags += "".join(f",\n({cond}) AS a{i}" for i, (_, cond) in enumerate(AUDIENCES))
    aggregates = ["count(DISTINCT person) AS persons", "count(DISTINCT (person, session)) AS sessions"]
    for i, (_, _, rule) in enumerate(DEFINITIONS):
        completions = {"every": f"count(*) FILTER (WHERE d{i})",
                       "once_per_session": f"count(DISTINCT (person, session)) FILTER (WHERE d{i})",
                       "once_per_person": f"count(DISTINCT person) FILTER (WHERE d{i})"}[rule]
        aggregates += [f"{completions} AS c{i}", f"count(DISTINCT person) FILTER (WHERE d{i}) AS p{i}",
                       f"count(DISTINCT (person, session)) FILTER (WHERE d{i}) AS s{i}"]
    index = {name: i for i, (name, _, _) in enumerate(DEFINITIONS)}
    per_person = ", ".join(f"bool_or(d{index[name]}) AS done{k}, bool_or(a{k}) AS in{k}" for k, (name, _) in enumerate(AUDIENCES))
    audience = ", ".join(f"count(*) FILTER (WHERE done{k} AND in{k}) AS an{k}, count(*) FILTER (WHERE in{k}) AS ad{k}"
                         for k in range(len(AUDIENCES)))
    return f"""
        WITH ordered AS (
            SELECT *, lag(ts) OVER (PARTITION BY person ORDER BY ts) AS previous FROM events),
        sessions AS (
            SELECT *, sum(CASE WHEN previous IS NULL OR ts - previous > 1800000 THEN 1 ELSE 0 END)
                      OVER (PARTITION BY person ORDER BY ts ROWS UNBOUNDED PRECEDING) AS session
            FROM ordered),
        matched AS (SELECT person, session, {flags} FROM sessions),
        totals AS (SELECT {", ".join(aggregates)} FROM matched),
        audiences AS (SELECT {audience} FROM (SELECT person, {per_person} FROM matched GROUP BY person))
        SELECT * FROM totals, audiences"""


def main():
    con = duckdb.connect(config={"threads": 2})
    con.execute("SET enable_progress_bar = false")
    started = time.time()
    con.execute(f"""CREATE TABLE events AS SELECT * FROM read_csv('{sys.argv[1]}', header = true,
        columns = {{'person': 'VARCHAR', 'ts': 'BIGINT', 'name': 'VARCHAR', 'path': 'VARCHAR', 'props': 'VARCHAR'}})""")
    load_seconds = time.time() - started
    sql = query()
    times, row = [], None
    for _ in range(4):
        started = time.time()
        row = con.execute(sql).fetchone()
        times.append((time.time() - started) * 1000)
    names = [d[0] for d in con.description] if con.description else []
    values = dict(zip(names, row))
    counts = {name: [values[f"c{i}"], values[f"p{i}"], values[f"s{i}"]] for i, (name, _, _) in enumerate(DEFINITIONS)}
    audiences = {name: [values[f"an{k}"], values[f"ad{k}"]] for k, (name, _) in enumerate(AUDIENCES)}
    print(json.dumps({"median_ms": round(statistics.median(times[1:]), 1), "load_seconds": round(load_seconds, 2),
                      "persons": values["persons"], "sessions": values["sessions"], "counts": counts, "audiences": audiences},
                     sort_keys=True))


main()
