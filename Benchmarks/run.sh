#!/usr/bin/env bash
# Stepwise benchmarks: prints a table of figures, never pass/fail. Not part of `swift test`.
#
#   Benchmarks/run.sh                 1M and 10M events
#   SIZES="1000000" Benchmarks/run.sh just 1M; SIZES="" only the HTTP ingest
#   DURATION=10 Benchmarks/run.sh     seconds per wrk run (default 10)
#   DASHBOARD=0 Benchmarks/run.sh     without the dashboard pages (Benchmarks/dashboard.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
sizes=${SIZES-"1000000 10000000"}
duration=${DURATION:-10}
work=${WORK:-$root/bench-out}
mkdir -p "$work"

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v sqlite3 >/dev/null || need+=(sqlite3)
dpkg -s libsqlite3-dev >/dev/null 2>&1 || need+=(libsqlite3-dev)
command -v python3 >/dev/null || need+=(python3 python3-pip)
if [ ${#need[@]} -gt 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"; fi
# The rates peer: DuckDB's Python package, in-process.
python3 -c "import duckdb" 2>/dev/null || pip install -q duckdb 2>/dev/null || pip install -q --break-system-packages duckdb

swift build -c release --product stepwise >/dev/null
swift build -c release --product StepwiseBench >/dev/null
bin=$root/.build/release
rows=()
row() { rows+=("$(printf '| %-58s | %14s | %s |' "$1" "$2" "$3")"); }

# --- Ingest over loopback HTTP, durable acks (synchronous=FULL, group commit) ---
"$bin/StepwiseBench" bodies "$work" >/dev/null
rm -f "$work"/ingest.db*
"$bin/stepwise" serve --open-sites --db "$work/ingest.db" --port 18181 > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf http://127.0.0.1:18181/healthz >/dev/null && break; sleep 0.2; done
for spec in "single.json 1 64" "batch100.json 100 32"; do
  set -- $spec
  out=$(BODY="$work/$1" wrk -t2 -c"$3" -d"${duration}s" -s Benchmarks/post.lua http://127.0.0.1:18181/api/v1/events | grep RESULT)
  rps=$(sed -E 's/.*rps=([0-9]+).*/\1/' <<<"$out")
  p99=$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$out")
  errors=$(sed -E 's/.*errors=([0-9]+).*/\1/' <<<"$out")
  if [ "$2" = 1 ]; then
    row "ingest, single events (wrk -c$3, requests/s)" "$rps" "p99 ${p99} ms, non-2xx/errors $errors"
  else
    row "ingest, batches of 100 (wrk -c$3, events/s)" "$((rps * 100))" "$rps req/s, p99 ${p99} ms, non-2xx/errors $errors"
  fi
done
# Reference in the same run: the framework's ceiling, a GET that touches no storage.
out=$(BODY= wrk -t2 -c64 -d"${duration}s" -s Benchmarks/post.lua http://127.0.0.1:18181/healthz 2>/dev/null | grep RESULT || true)
[ -n "$out" ] && row "reference: GET /healthz, no storage (requests/s)" "$(sed -E 's/.*rps=([0-9]+).*/\1/' <<<"$out")" "Hummingbird's ceiling on this machine"
stored=$(sqlite3 "$work/ingest.db" "select count(*) from events")
kill $server; wait $server 2>/dev/null || true
trap - EXIT
row "ingest: events stored in those runs" "$stored" "checked in SQLite after shutdown"

# --- Import, engine load and memory, per size ---
# The shop site's events as CSV for the DuckDB peers: person (as the SQL expression given), ts, name, path, props.
export_shop() {
  sqlite3 -header -csv "$1" "SELECT $2 AS person, e.ts, n.value AS name, p.value AS path, COALESCE(pr.value, '') AS props
    FROM events e JOIN visitors v ON v.id = e.visitor JOIN strings n ON n.id = e.name JOIN strings p ON p.id = e.path
    LEFT JOIN strings pr ON pr.id = e.props WHERE e.site = (SELECT id FROM strings WHERE value = 'shop.example')"
}
for n in $sizes; do
  label=$(awk -v n="$n" 'BEGIN { if (n >= 1000000) printf "%dM", n / 1000000; else printf "%dk", n / 1000 }')
  file="$work/events-$n.ndjson"
  [ -f "$file" ] || "$bin/StepwiseBench" ndjson "$n" "$file" >/dev/null
  rm -f "$work"/import-$n.db*
  out=$("$bin/stepwise" import "$file" --db "$work/import-$n.db")
  rate=$(sed -E 's/.* ([0-9]+) events\/s.*/\1/' <<<"$out")
  row "import NDJSON, $label events (events/s)" "$rate" "$(sed -E 's/.*\((.*)\)/\1/' <<<"$out")"

  # Peer: SQLite itself copying the same rows into a fresh WAL database (no parsing).
  rm -f "$work"/peer-$n.db*
  # (sqlite_sequence, made by AUTOINCREMENT, is SQLite's own and cannot be created by hand.)
  sqlite3 "$work/import-$n.db" .schema | grep -v '^CREATE TABLE sqlite_sequence' > "$work/schema.sql"
  sqlite3 "$work/peer-$n.db" "PRAGMA journal_mode=WAL;" >/dev/null
  start=$(date +%s.%N)
  sqlite3 "$work/peer-$n.db" ".read $work/schema.sql" "PRAGMA synchronous=FULL; PRAGMA cache_size=-65536; ATTACH '$work/import-$n.db' AS src; INSERT INTO events SELECT * FROM src.events;"
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  row "peer: SQLite INSERT…SELECT of the same rows, $label (rows/s)" "$(printf '%.0f' "$(echo "$n / $secs" | bc -l)")" "ceiling for one SQLite writer on this disk"

  out=$("$bin/StepwiseBench" load "$work/import-$n.db")
  row "engine load from SQLite, $label (seconds)" "$(sed -E 's/.*seconds=([0-9.]+).*/\1/' <<<"$out")" "$out"
  row "engine resident bytes per event, $label" "$(sed -E 's/.*resident_bytes_per_event=([0-9.]+).*/\1/' <<<"$out")" "RSS growth over the load / events"
  out=$("$bin/StepwiseBench" count "$work/import-$n.db" shop.example)
  row "report events (one site), $label (ms, median of 7)" "$(sed -E 's/.*median_ms=([0-9.]+).*/\1/' <<<"$out")" "$(nproc) cores"
  # Tracking health: the volume index built from every event (part of the load), the 20
  # definitions counted into it (once per plan change), and judging every series.
  out=$("$bin/StepwiseBench" health "$work/import-$n.db" shop.example Benchmarks/rates-plan.yml)
  row "health: fold events into hourly volumes, $label (ms)" "$(sed -E 's/.*fold_events_ms=([0-9]+).*/\1/' <<<"$out")" "$out"
  row "health: count 20 definitions into volumes, $label (ms)" "$(sed -E 's/.*fold_definitions_ms=([0-9]+).*/\1/' <<<"$out")" "once per plan change"
  row "health: judge every series and segment, $label (ms)" "$(sed -E 's/.*judge_ms=([0-9.]+).*/\1/' <<<"$out")" "per report"
  rm -f "$work"/peer-$n.db*

  # Rates for the 20 definitions of Benchmarks/rates-plan.yml, against DuckDB computing the same
  # counts with SQL over the same events (exported from the store), both warm, both on all cores.
  "$bin/StepwiseBench" rates "$work/import-$n.db" Benchmarks/rates-plan.yml > "$work/rates-stepwise-$n.json"
  export_shop "$work/import-$n.db" "COALESCE('u' || v.user_id, 'v' || e.visitor)" > "$work/rates-$n.csv"
  python3 Benchmarks/duckdb_rates.py "$work/rates-$n.csv" > "$work/rates-duckdb-$n.json"
  rm -f "$work/rates-$n.csv"
  same=$(python3 -c "import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); print('identical' if all(a[k]==b[k] for k in ('counts','audiences','persons','sessions')) else 'DIFFERENT')" \
    "$work/rates-stepwise-$n.json" "$work/rates-duckdb-$n.json")
  ms=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['median_ms'])" "$work/rates-stepwise-$n.json")
  peer=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['median_ms'])" "$work/rates-duckdb-$n.json")
  row "report rates, 20 definitions, $label (ms, median of 7)" "$ms" "counts vs DuckDB: $same; $(python3 -c "print(round($peer / $ms, 1))")x faster than the peer"
  row "peer: DuckDB SQL, same 20 definitions, $label (ms)" "$peer" "window functions + DISTINCT aggregates, in-memory, 2 threads"

  # Predictive value of 15 micros for purchase: the whole report (with the model and its 5-fold
  # AUC) and its univariate part, against DuckDB building the same per-person patterns.
  micros=product_view,add_to_cart,begin_checkout,size_guide_view,newsletter_signup,scroll_75,order_review,product_page,sale_page,category_page,blog_page,about_page,home_page,account_page,exposure_bold
  "$bin/StepwiseBench" predict "$work/import-$n.db" Benchmarks/rates-plan.yml purchase "$micros" > "$work/predict-stepwise-$n.json"
  export_shop "$work/import-$n.db" "COALESCE(v.user_id * 2 + 1, e.visitor * 2)" > "$work/predict-$n.csv"
  python3 Benchmarks/duckdb_predict.py "$work/predict-$n.csv" > "$work/predict-duckdb-$n.json"
  rm -f "$work/predict-$n.csv"
  same=$(python3 -c "import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); print('identical' if a['tables']==b['tables'] and a['persons']==b['persons'] else 'DIFFERENT')" \
    "$work/predict-stepwise-$n.json" "$work/predict-duckdb-$n.json")
  read -r whole univariate peer flags < <(python3 -c "import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); print(a['median_ms'], a['univariate_ms'], b['median_ms'], b['flags_median_ms'])" \
    "$work/predict-stepwise-$n.json" "$work/predict-duckdb-$n.json")
  row "report predict, 15 micros + model, $label (ms, median of 7)" "$whole" "bar: 1000 ms"
  row "report predict, univariate part, $label (ms)" "$univariate" "tables vs DuckDB: $same; $(python3 -c "print(round($univariate / min($peer, $flags), 2))")x the faster peer's time (bar 0.5x)"
  row "peer: DuckDB per-person patterns from raw events, $label (ms)" "$peer" "conditional min per micro, GROUP BY person, 2 threads"
  row "peer: DuckDB per-person patterns from a bitmask column, $label (ms)" "$flags" "definitions evaluated beforehand (not timed)"
done

# Dashboard pages on the demo sites grown to 1M events (DASHBOARD=0 skips).
if [ "${DASHBOARD:-1}" != 0 ]; then
  while IFS= read -r line; do rows+=("$line"); done < <(WORK="$work" Benchmarks/dashboard.sh)
fi

printf '| %-58s | %14s | %s |\n' "benchmark" "value" "notes"
printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' $(seq 60))" "$(printf -- '-%.0s' $(seq 16))" "-------"
printf '%s\n' "${rows[@]}"
