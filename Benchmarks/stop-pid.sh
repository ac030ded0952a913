#!/usr/bin/env bash
# Stops the process a pid file names: TERM, up to 30 s to exit, then KILL; removes the file.
#   stop-pid.sh PIDFILE
pidfile=$1
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  pid=$(cat "$pidfile")
  kill -TERM "$pid"
  for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
fi
rm -f "$pidfile"
