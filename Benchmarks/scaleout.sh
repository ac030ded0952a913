#!/usr/bin/env bash
# Scale-out benchmark: the same events on the embedded engine and on ClickHouse, per report, as
# the store grows (1M, then 10M), and ingest into ClickHouse through Stepwise. Prints a table,
# never pass/fail; every report's counts must be identical on both backends (exit 1 otherwise).
#
#   Benchmarks/scaleout.sh                 1M and 10M events
#   SIZES="1000000" Benchmarks/scaleout.sh just 1M
#   DURATION=10 Benchmarks/scaleout.sh     seconds of the wrk ingest run (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
sizes=${SIZES-"1000000 10000000"}
duration=${DURATION:-10}
work=${WORK:-$root/bench-out}
mkdir -p "$work"
command -v wrk >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; }

swift build -c release --product stepwise >/dev/null
swift build -c release --product StepwiseBench >/dev/null
bin=$root/.build/release
url=http://127.0.0.1:${CH_HTTP_PORT:-18123}
Benchmarks/clickhouse.sh start "$work/clickhouse"
server=
trap 'kill $server 2>/dev/null || true; Benchmarks/clickhouse.sh stop "$work/clickhouse"' EXIT
rows=()
row() { rows+=("$(printf '| %-58s | %14s | %s |' "$1" "$2" "$3")"); }
steps=product_view,add_to_cart,begin_checkout,purchase
status=0

# --- Ingest into ClickHouse through a Stepwise node over loopback HTTP (wrk, batches of 100) ---
"$bin/StepwiseBench" bodies "$work" >/dev/null
rm -f "$work"/node.db* "$work"/node.spool*
curl -s "$url/" --data-binary "DROP DATABASE IF EXISTS bench_ingest" >/dev/null
"$bin/stepwise" serve --open-sites --db "$work/node.db" --port 18182 --clickhouse "$url" --clickhouse-database bench_ingest \
  --clickhouse-spool "$work/node.spool" > "$work/node.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:18182/healthz >/dev/null && break; sleep 0.2; done
for size in 100 1000; do
  out=$(BODY="$work/batch$size.json" wrk -t2 -c64 -d"${duration}s" -s Benchmarks/post.lua http://127.0.0.1:18182/api/v1/events | grep RESULT)
  rps=$(sed -E 's/.*rps=([0-9]+).*/\1/' <<<"$out")
  row "HTTP ingest into ClickHouse, batches of $size (wrk -c64, events/s)" "$((rps * size))" \
    "$rps req/s, p99 $(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$out") ms, non-2xx/errors $(sed -E 's/.*errors=([0-9]+).*/\1/' <<<"$out")"
done
kill $server; wait $server 2>/dev/null || true
server=
row "HTTP ingest: rows in ClickHouse after shutdown" "$(curl -s "$url/" --data-binary "SELECT count() FROM bench_ingest.events")" \
  "spooled bytes left: $(cat "$work"/node.spool* 2>/dev/null | wc -c)"

for n in $sizes; do
  label=$(awk -v n="$n" 'BEGIN { if (n >= 1000000) printf "%dM", n / 1000000; else printf "%dk", n / 1000 }')
  file="$work/events-$n.ndjson"
  [ -f "$file" ] || "$bin/StepwiseBench" ndjson "$n" "$file" >/dev/null
  [ -f "$work/import-$n.db" ] || "$bin/stepwise" import "$file" --db "$work/import-$n.db" >/dev/null
  curl -s "$url/" --data-binary "DROP DATABASE IF EXISTS bench_$n" >/dev/null
  out=$("$bin/StepwiseBench" clickhouse-load "$url" "bench_$n" "$file")
  row "ClickHouse writer, $label events (events/s)" "$(sed -E 's/.*writer_events_per_second=([0-9]+).*/\1/' <<<"$out")" \
    "64 senders × 1,000; parse+validate+enrich apart: $(sed -E 's/.*prepare_seconds=([0-9.]+).*/\1/' <<<"$out") s"
  embedded_count=$("$bin/StepwiseBench" count "$work/import-$n.db" shop.example | sed -E 's/.*median_ms=([0-9.]+).*/\1/')
  embedded=$("$bin/StepwiseBench" funnel "$work/import-$n.db" shop.example "$steps" 7d)
  clickhouse=$("$bin/StepwiseBench" clickhouse-reports "$url" "bench_$n" shop.example "$steps" 7d)
  e=$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d['median_ms'], ','.join(map(str, d['counts'])))" "$embedded")
  c=$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d['count_median_ms'], d['funnel_median_ms'], ','.join(map(str, d['counts'])))" "$clickhouse")
  same=$([ "${e#* }" = "${c##* }" ] && echo identical || echo DIFFERENT)
  [ "$same" = identical ] || status=1
  row "report events (shop), $label: embedded / ClickHouse (ms)" "$embedded_count / $(cut -d' ' -f1 <<<"$c")" "embedded median of 7, ClickHouse median of 3"
  row "funnel, 4 steps (shop), $label: embedded / ClickHouse (ms)" "${e%% *} / $(cut -d' ' -f2 <<<"$c")" "step counts $same: ${e#* }"
  embedded=$(RUNS=3 "$bin/StepwiseBench" rates "$work/import-$n.db" Benchmarks/rates-plan.yml)
  clickhouse=$("$bin/StepwiseBench" clickhouse-rates "$url" "bench_$n" Benchmarks/rates-plan.yml)
  same=$(python3 -c "import json,sys; a,b=(json.loads(x) for x in sys.argv[1:]); k=('persons','sessions','counts','audiences'); print('identical' if all(a[x]==b[x] for x in k) else 'DIFFERENT')" "$embedded" "$clickhouse")
  [ "$same" = identical ] || status=1
  row "rates, 20 definitions (shop), $label: embedded / ClickHouse (ms)" \
    "$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['median_ms'])" "$embedded") / $(python3 -c "import json,sys; print(json.loads(sys.argv[1])['median_ms'])" "$clickhouse")" \
    "medians of 3; every count $same"
  micros=product_view,add_to_cart,begin_checkout,size_guide_view,newsletter_signup,scroll_75,order_review,product_page,sale_page,category_page,blog_page,about_page,home_page,account_page,exposure_bold
  embedded=$("$bin/StepwiseBench" predict "$work/import-$n.db" Benchmarks/rates-plan.yml purchase "$micros")
  clickhouse=$("$bin/StepwiseBench" clickhouse-predict "$url" "bench_$n" Benchmarks/rates-plan.yml purchase "$micros")
  same=$(python3 -c "import json,sys; a,b=(json.loads(x) for x in sys.argv[1:]); print('identical' if a['persons']==b['persons'] and a['tables']==b['tables'] else 'DIFFERENT')" "$embedded" "$clickhouse")
  [ "$same" = identical ] || status=1
  row "predict, 15 micros (shop), $label: embedded / ClickHouse (ms)" \
    "$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['median_ms'])" "$embedded") / $(python3 -c "import json,sys; print(json.loads(sys.argv[1])['median_ms'])" "$clickhouse")" \
    "embedded median of 7, ClickHouse of 3; every 2x2 table $same"
  out=$("$bin/StepwiseBench" person-reports "$work/import-$n.db" "$url" "bench_$n" Benchmarks/rates-plan.yml)
  same=$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print('identical' if all(d[k + '_same'] for k in ['experiment', 'paths', 'score', 'audience', 'attribution', 'health']) else 'DIFFERENT')" "$out")
  [ "$same" = identical ] || status=1
  for report in experiment paths score audience attribution health; do
    row "$report (shop), $label: embedded / ClickHouse (ms)" \
      "$(python3 -c "import json,sys; d=json.loads(sys.argv[1])['$report'+'_ms']; print(d[0], '/', d[1])" "$out")" "embedded median of 7, ClickHouse of 3; counts $same"
  done
done
curl -s "$url/" --data-binary "SELECT version()" | xargs echo "ClickHouse"
printf '| %-58s | %14s | %s |\n' "measure" "value" "notes"
printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' $(seq 60))" "$(printf -- '-%.0s' $(seq 16))" "-------"
printf '%s\n' "${rows[@]}"
exit $status
