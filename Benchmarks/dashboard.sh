#!/usr/bin/env bash
# Dashboard pages' server time (the Server-Timing header: reports + HTML, no network) on the
# demo sites grown to about EVENTS events (default 1M), median of 7 warm requests per page.
# Prints table rows; Benchmarks/run.sh includes them. Needs the release build.
#
#   Benchmarks/dashboard.sh            EVENTS=1000000
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
events=${EVENTS:-1000000}
work=${WORK:-$root/bench-out}
bin=$root/.build/release
mkdir -p "$work"
# Each demo visitor (one per site) writes about 9.9 events in all, bots included.
visitors=$((events * 10 / 99))
db="$work/dashboard-$visitors.db"
if [ ! -f "$db" ]; then "$bin/stepwise" demo --no-serve --visitors "$visitors" --db "$db" >/dev/null; fi
stored=$(sqlite3 "$db" "select count(*) from events")
"$bin/stepwise" serve --db "$db" --port 18183 > "$work/dashboard-serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 300); do curl -sf http://127.0.0.1:18183/healthz >/dev/null && break; sleep 0.2; done
label=$(awk -v n="$stored" 'BEGIN { printf "%.2fM", n / 1000000 }')
for page in "" /funnels /predictors /leads /experiments /attribution /health /plan; do
  url="http://127.0.0.1:18183/sites/shop.example$page"
  curl -s -o /dev/null "$url"   # warm: the first request counts the plan into the volume index
  times=()
  for _ in 1 2 3 4 5 6 7; do
    times+=("$(curl -s -D - -o /dev/null "$url" | tr -d '\r' | sed -nE 's/^server-timing: render;dur=([0-9.]+).*/\1/Ip')")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 4p)
  printf '| %-58s | %14s | %s |\n' "dashboard ${page:-/ (overview)}, $label events (ms server time)" "$median" "median of 7; bar 150 ms; $(nproc) cores"
done
kill $server; wait $server 2>/dev/null || true
