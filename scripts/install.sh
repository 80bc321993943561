#!/usr/bin/env bash
# Install what barge needs on Debian 12, as root; idempotent and non-interactive.
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS=(runc conmon busybox-static iptables iproute2 tini python3-venv docker-registry)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# docker-registry is a test peer (tests start their own on 127.0.0.1): keep its service off :5000
if command -v systemctl >/dev/null && systemctl is-enabled docker-registry >/dev/null 2>&1; then
  systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi
# The environment may set PYTHONDONTWRITEBYTECODE; compile once so `barge` starts fast.
.venv/bin/python -m compileall -q src >/dev/null || true
