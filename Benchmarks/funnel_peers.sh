#!/usr/bin/env bash
# Funnel peer check and benchmark (SPEC §4.2): the same seeded events (Benchmarks/funnel_events.py)
# in Stepwise, DuckDB and ClickHouse (Debian's 18.16, windowFunnel). The 4-step ordered funnel's step
# counts must be identical in all three; times are medians of warm runs on this machine, side by side.
# Prints a table, never pass/fail, except that it exits 1 when the counts differ.
#
#   Benchmarks/funnel_peers.sh                 1M and 10M events
#   SIZES="1000000" Benchmarks/funnel_peers.sh the 1M correctness check only
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
sizes=${SIZES-"1000000 10000000"}
work=${WORK:-$root/bench-out}
mkdir -p "$work"
steps=product_view,add_to_cart,begin_checkout,purchase

need=()
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v curl >/dev/null || need+=(curl)
dpkg -s libsqlite3-dev >/dev/null 2>&1 || need+=(libsqlite3-dev)
[ -x /usr/sbin/clickhouse-server ] || need+=(clickhouse-server)
command -v clickhouse-client >/dev/null || need+=(clickhouse-client)
if [ ${#need[@]} -gt 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"; fi
python3 -c "import duckdb" 2>/dev/null || pip install -q duckdb 2>/dev/null || pip install -q --break-system-packages duckdb

swift build -c release --product stepwise >/dev/null
swift build -c release --product StepwiseBench >/dev/null
bin=$root/.build/release

Benchmarks/clickhouse.sh stop "$work/clickhouse" >/dev/null 2>&1 || true
Benchmarks/clickhouse.sh start "$work/clickhouse"
trap 'Benchmarks/clickhouse.sh stop "$work/clickhouse"' EXIT
ch() { clickhouse-client --port "${CH_TCP_PORT:-19000}" "$@"; }
query="SELECT countIf(level >= 1), countIf(level >= 2), countIf(level >= 3), countIf(level >= 4) FROM (
  SELECT visitor, windowFunnel(604800)(ts, name = 'product_view', name = 'add_to_cart', name = 'begin_checkout', name = 'purchase') AS level
  FROM events WHERE name IN ('product_view', 'add_to_cart', 'begin_checkout', 'purchase') GROUP BY visitor) FORMAT TSV"

rows=()
row() { rows+=("$(printf '| %-52s | %10s | %s |' "$1" "$2" "$3")"); }
status=0
for n in $sizes; do
  label=$(awk -v n="$n" 'BEGIN { if (n >= 1000000) printf "%dM", n / 1000000; else printf "%dk", n / 1000 }')
  prefix="$work/funnel-$n"
  [ -f "$prefix.csv" ] || python3 Benchmarks/funnel_events.py "$n" "$prefix" >/dev/null
  rm -f "$prefix.db"*
  "$bin/stepwise" import "$prefix.ndjson" --db "$prefix.db" >/dev/null
  plain=$("$bin/StepwiseBench" funnel "$prefix.db" funnel.example "$steps" 7d)
  split=$("$bin/StepwiseBench" funnel "$prefix.db" funnel.example "$steps" 7d prop.plan)
  duck=$(python3 Benchmarks/duckdb_funnel.py "$prefix.csv")

  ch --query "DROP TABLE IF EXISTS events"
  ch --query "CREATE TABLE events (visitor String, ts UInt32, name String) ENGINE = MergeTree ORDER BY (visitor, ts)"
  ch --query "INSERT INTO events FORMAT CSVWithNames" < "$prefix.csv"
  ch --query "OPTIMIZE TABLE events FINAL"
  times=()
  for run in 1 2 3 4 5 6; do
    start=$(date +%s.%N)
    counts=$(curl -s "http://127.0.0.1:${CH_HTTP_PORT:-18123}/" --data-binary "$query")
    [ "$run" -gt 1 ] && times+=("$(echo "($(date +%s.%N) - $start) * 1000" | bc -l)")
  done
  chms=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 3p)
  chcounts="[$(tr '\t' ',' <<<"$counts" | sed 's/,/, /g')]"

  field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
  ours=$(field "$plain" counts); theirs=$(field "$duck" counts)
  verdict="identical: $ours"
  if [ "$ours" != "$theirs" ] || [ "$ours" != "$chcounts" ]; then
    verdict="DIFFERENT: stepwise $ours, duckdb $theirs, clickhouse $chcounts"; status=1
  fi
  ms=$(field "$plain" median_ms); msb=$(field "$split" median_ms); duckms=$(field "$duck" median_ms)
  ratio() { python3 -c "print(round($1 / $2, 1))"; }
  row "funnel, 4 steps ordered 7d, $label events (ms)" "$ms" "counts $verdict"
  row "  same with a 5-value breakdown (ms)" "$msb" "$(ratio "$msb" "$ms")x the time without"
  row "  peer: DuckDB, best window SQL (ms)" "$duckms" "Stepwise $(ratio "$duckms" "$ms")x faster"
  row "  peer: ClickHouse 18.16 windowFunnel over HTTP (ms)" "$(printf '%.1f' "$chms")" "Stepwise $(ratio "$chms" "$ms")x faster"
done

printf '| %-52s | %10s | %s |\n' "benchmark ($(nproc) cores)" "value" "notes"
printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' $(seq 54))" "$(printf -- '-%.0s' $(seq 12))" "-------"
printf '%s\n' "${rows[@]}"
exit $status
