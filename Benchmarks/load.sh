#!/usr/bin/env bash
# Sustained mixed traffic on loopback (issue: reliability): tracker pageviews, batches of 100 and
# report and dashboard queries at once, against the demo sites, for DURATION seconds (default 30).
# Prints rows: each stream's requests/s, p50 and p99 latency and non-2xx/socket errors; the
# server's peak RSS; and whether the store holds exactly the events the 2xx answers acknowledged.
#
#   Benchmarks/load.sh          DURATION=30 VISITORS=20000
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
duration=${DURATION:-30}
visitors=${VISITORS:-20000}
work=${WORK:-$root/bench-out}
bin=$root/.build/release
mkdir -p "$work"
need=(); command -v wrk >/dev/null || need+=(wrk); command -v sqlite3 >/dev/null || need+=(sqlite3)
if [ ${#need[@]} -gt 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"; fi
[ -x "$bin/stepwise" ] || swift build -c release --product stepwise >/dev/null

db="$work/load.db"
rm -f "$db"*
"$bin/stepwise" demo --no-serve --visitors "$visitors" --db "$db" >/dev/null
before=$(sqlite3 "$db" "select count(*) from events")
"$bin/stepwise" serve --open-sites --db "$db" --port 18184 > "$work/load-serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 300); do curl -sf http://127.0.0.1:18184/healthz >/dev/null && break; sleep 0.2; done

# A tracker's pageview (cookieless: the server's daily id) and a server-side batch of 100.
printf '{"site":"shop.example","event":"pageview","url":"https://shop.example/product/42?utm_source=news","referrer":"https://news.example/"}' > "$work/load-single.json"
python3 -c "
import json
print(json.dumps({'batch': [{'site': 'shop.example', 'event': 'add_to_cart', 'visitor': 'load-%d' % (k % 7), 'props': {'sku': 'A%d' % k, 'price': 19.5}} for k in range(100)]}))
" > "$work/load-batch.json"
reports="/api/v1/sites/shop.example/rates /api/v1/sites/shop.example/funnels/checkout /api/v1/sites/shop.example/predict /sites/shop.example /sites/shop.example/funnels /api/v1/sites/saas.example/rates?segment=device%3Dmobile"

peak_sampler() { while kill -0 "$server" 2>/dev/null; do sed -n 's/^VmHWM:\s*//p' "/proc/$server/status" > "$work/load-hwm" 2>/dev/null; sleep 0.5; done; }
peak_sampler &
sampler=$!
BODY="$work/load-single.json" wrk -t1 -c32 -d"${duration}s" -s Benchmarks/post.lua "http://127.0.0.1:18184/api/v1/events?cookieless=1" > "$work/load-single.out" &
a=$!
BODY="$work/load-batch.json" wrk -t1 -c8 -d"${duration}s" -s Benchmarks/post.lua http://127.0.0.1:18184/api/v1/events > "$work/load-batch.out" &
b=$!
PATHS="$reports" wrk -t1 -c4 -d"${duration}s" --timeout 10s -s Benchmarks/post.lua http://127.0.0.1:18184 > "$work/load-reports.out" &
c=$!
wait $a $b $c
peak=$(cat "$work/load-hwm")
kill $server; wait $server 2>/dev/null || true
kill $sampler 2>/dev/null || true
trap - EXIT

field() { sed -nE "s/.*$2=([0-9.]+).*/\1/p" "$work/load-$1.out"; }
row() { printf '| %-58s | %14s | %s |\n' "$1" "$2" "$3"; }
for stream in single batch reports; do
  row "load $stream, ${duration}s mixed (requests/s)" "$(field $stream rps)" "p50 $(field $stream p50_ms) ms, p99 $(field $stream p99_ms) ms, non-2xx/errors $(field $stream errors)"
done
row "load: server peak RSS (VmHWM)" "$peak" "$(sqlite3 "$db" "select count(*) from events") events stored, $before before"
singles=$(field single requests); batches=$(field batch requests)
errors=$(( $(field single errors) + $(field batch errors) ))
stored=$(sqlite3 "$db" "select count(*) from events")
expected=$((before + singles + 100 * batches))
# wrk counts the requests that completed: with no errors each was acknowledged and must be stored.
# Requests still in flight when wrk stopped (at most 32 singles and 8 batches) may be stored too.
extra=$((stored - expected))
if [ "$errors" = 0 ] && [ "$extra" -ge 0 ] && [ "$extra" -le 832 ]; then verdict="every acknowledged event stored"; else verdict="MISMATCH (errors $errors, extra $extra)"; fi
row "load: events stored" "$stored" "$verdict: $before + $singles + 100 × $batches acknowledged, $extra more from requests in flight at the end"
