#!/usr/bin/env bash
# The main flows, as a new user would type them. Usage: scripts/demo.sh [barge-cli]
set -euo pipefail
B=${1:-barge}
step() { printf '\n\033[1m$ barge %s\033[0m\n' "$*"; "$B" "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"; "$B" rm -f demo-sleepy demo-sleepy2 demo-export demo-db demo-web >/dev/null 2>&1 || true
      "$B" network rm demo-net >/dev/null 2>&1 || true
      "$B" volume rm -f demo-data >/dev/null 2>&1 || true' EXIT

step run --rm busybox echo hello
echo hi | step run -i --rm busybox cat
step run -d --name demo-sleepy busybox sh -c 'while true; do date; sleep 1; done'
step ps
step ps -a --format '{{.Names}} {{.Status}}'
sleep 1
step logs --tail 2 -t demo-sleepy
step stop -t 1 demo-sleepy
step start demo-sleepy
step restart -t 1 demo-sleepy
step inspect -f '{{.State.Running}} {{.Config.Image}}' demo-sleepy
step rename demo-sleepy demo-sleepy2
step kill -s KILL demo-sleepy2
step wait demo-sleepy2 || true
step rm -f demo-sleepy2
step images
step tag busybox demo/mybox:1
step rmi demo/mybox:1
step history busybox
step save -o "$work/bb.tar" busybox
step load -i "$work/bb.tar"
step create --name demo-export busybox
"$B" export demo-export > "$work/c.tar"; echo "exported $(tar tf "$work/c.tar" | wc -l) entries"
step import "$work/c.tar" demo/imported:1
step rmi demo/imported:1
step run -d --name demo-db -v demo-data:/var/lib/data busybox sh -c 'echo saved > /var/lib/data/f; sleep 1d'
sleep 0.5
step rm -f demo-db
step run --rm -v demo-data:/data busybox cat /data/f
step volume ls
step volume rm demo-data
mkdir -p "$work/app"
printf 'hello from a build\n' > "$work/app/msg.txt"
printf 'FROM busybox\nCOPY msg.txt /msg.txt\nRUN wc -c /msg.txt\nCMD ["cat", "/msg.txt"]\n' > "$work/app/Dockerfile"
step build -t demo/app:1 "$work/app"
step build -t demo/app:1 "$work/app"
step run --rm demo/app:1
step network create demo-net
step run -d --name demo-web --network demo-net busybox sh -c 'echo served > /index.html; exec httpd -f -p 80 -h /'
step run --rm --network demo-net busybox wget -qO- http://demo-web/
step rm -f demo-web
step network rm demo-net
step rmi demo/app:1
set +e
step run --rm busybox sh -c 'exit 3'; echo "exit code: $?"
step run --rm busybox nosuchcommand; echo "exit code: $?"
set -e
step version
