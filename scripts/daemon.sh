#!/usr/bin/env bash
# Start or stop the default barged (socket /run/barge/barge.sock, data /var/lib/barge).
set -euo pipefail
cd "$(dirname "$0")/.."
PIDF=/run/barge/barged.pid
LOG=/var/log/barged.log
running() { [ -f "$PIDF" ] && kill -0 "$(cat "$PIDF")" 2>/dev/null; }
case "${1:-start}" in
  start)
    if running; then exit 0; fi
    mkdir -p /run/barge
    nohup .venv/bin/barged --pidfile "$PIDF" >>"$LOG" 2>&1 </dev/null &
    for _ in $(seq 1 100); do
      [ -S /run/barge/barge.sock ] && .venv/bin/barge version >/dev/null 2>&1 && exit 0
      sleep 0.1
    done
    echo "barged did not start; see $LOG" >&2; exit 1 ;;
  stop)
    if running; then
      pid=$(cat "$PIDF"); kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
    fi ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
