#!/usr/bin/env python3
"""Funnel peer: DuckDB (pip package, in-process, 2 threads) counts the 4-step ordered funnel with a
7-day window over the events of Benchmarks/funnel_events.py, with the fastest correct SQL we know:
window functions over the funnel's events of persons who could pass step 1, one cascade per step.

    duckdb_funnel.py EVENTS.csv   → {"median_ms": ..., "counts": [...]}: one warm-up, median of five
"""
import json, statistics, sys, time
import duckdb

SQL = """
WITH c AS (
    SELECT visitor, ts,
           CASE name WHEN 'product_view' THEN 1 WHEN 'add_to_cart' THEN 2 WHEN 'begin_checkout' THEN 3 ELSE 4 END AS step
    FROM events
    WHERE name IN ('product_view', 'add_to_cart', 'begin_checkout', 'purchase')
      AND visitor IN (SELECT visitor FROM events WHERE name = 'add_to_cart')
), s1 AS (
    SELECT *, max(CASE WHEN step = 1 THEN ts END) OVER w AS l1
    FROM c WINDOW w AS (PARTITION BY visitor ORDER BY ts, step ROWS UNBOUNDED PRECEDING)
), s2 AS (
    SELECT *, max(CASE WHEN step = 2 AND ts <= l1 + 604800 THEN l1 END) OVER w AS l2
    FROM s1 WHERE step >= 2
    WINDOW w AS (PARTITION BY visitor ORDER BY ts, step ROWS UNBOUNDED PRECEDING)
), s3 AS (
    SELECT *, max(CASE WHEN step = 3 AND ts <= l2 + 604800 THEN l2 END) OVER w AS l3
    FROM s2 WHERE step >= 3
    WINDOW w AS (PARTITION BY visitor ORDER BY ts, step ROWS UNBOUNDED PRECEDING)
)
SELECT (SELECT count(DISTINCT visitor) FROM events WHERE name = 'product_view'),
       (SELECT count(DISTINCT visitor) FROM s2 WHERE l2 IS NOT NULL),
       (SELECT count(DISTINCT visitor) FROM s3 WHERE l3 IS NOT NULL),
       (SELECT count(DISTINCT visitor) FROM s3 WHERE step = 4 AND ts <= l3 + 604800)
"""


def main():
    con = duckdb.connect(config={"threads": 2})
    con.execute("SET enable_progress_bar = false")
    con.execute(f"""CREATE TABLE events AS SELECT * FROM read_csv('{sys.argv[1]}', header = true,
        columns = {{'visitor': 'VARCHAR', 'ts': 'BIGINT', 'name': 'VARCHAR'}})""")
    times, row = [], None
    for _ in range(6):
        started = time.time()
        row = con.execute(SQL).fetchone()
        times.append((time.time() - started) * 1000)
    print(json.dumps({"median_ms": round(statistics.median(times[1:]), 1), "counts": list(row)}))


main()
