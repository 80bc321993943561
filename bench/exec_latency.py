"""`barge exec c true` wall time on a running container (issue 3 target:
under 70 ms; Docker 89 ms, Podman 172 ms, `runc exec` alone 37 ms here),
with the CLI floor (`barge version`) and the same exec driven straight over
the Engine API (create, start attached, inspect) for reference.

    python bench/exec_latency.py [--host unix:///…] [--barge PATH] [--runs N]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import LABEL, Env, find_barge, find_host, fmt_stats, time_cmd, stats  # noqa: E402

TARGET_S = 0.070


def _http(host: str, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
    """One request on its own connection; reads until the server closes (hijacked exec too)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(host[len("unix://"):])
    data = json.dumps(body).encode() if body is not None else b""
    s.sendall(f"{method} {path} HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
              f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)
    buf = b""
    while chunk := s.recv(65536):
        buf += chunk
    s.close()
    head, _, rest = buf.partition(b"\r\n\r\n")
    return int(head.split()[1]), rest


def _api_exec(env: Env, cid: str) -> float:
    t0 = time.perf_counter()
    st, b = _http(env.host, "POST", f"/containers/{cid}/exec", {"Cmd": ["true"], "AttachStdout": True})
    if st != 201:
        raise RuntimeError(f"exec create: {st} {b[:200]!r}")
    eid = json.loads(b.split(b"\r\n")[-1] if b"{" not in b[:1] else b)["Id"]
    _http(env.host, "POST", f"/exec/{eid}/start", {"Detach": False})
    st, b = _http(env.host, "GET", f"/exec/{eid}/json")
    return time.perf_counter() - t0


def run(env: Env, runs: int = 20, warmup: int = 2) -> dict:
    print(f"== exec latency: barge exec c true  ({runs} runs after {warmup} warm-up)")
    cid = env.out("run", "-d", "--label", LABEL, env.image, "sleep", "3600")
    try:
        for _ in range(warmup):
            time_cmd(env, "exec", cid, "true")
        samples = [time_cmd(env, "exec", cid, "true") for _ in range(runs)]
        st = stats(samples)
        cli_floor = stats([time_cmd(env, "version") for _ in range(max(10, runs // 2))])
        api = None
        if env.host.startswith("unix://"):
            api = stats([_api_exec(env, cid) for _ in range(max(10, runs // 2))])
    finally:
        env.remove([cid])
    ok = st["median"] < TARGET_S
    print(f"  exec c true         {fmt_stats(st)}   target < {TARGET_S * 1000:.0f} ms: {'PASS' if ok else 'FAIL'}")
    print(f"  barge version       {fmt_stats(cli_floor)}   (CLI start + one round trip)")
    if api:
        print(f"  API exec create/start/inspect, no CLI  {fmt_stats(api)}")
    return {"samples_s": samples, "stats_s": st, "target_s": TARGET_S, "pass": ok,
            "cli_version_stats_s": cli_floor, "api_exec_stats_s": api}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host")
    ap.add_argument("--barge")
    ap.add_argument("--image", default="busybox:latest")
    ap.add_argument("--runs", type=int, default=20)
    a = ap.parse_args(argv)
    env = Env(barge=find_barge(a.barge), host=find_host(a.host), image=a.image)
    run(env, max(10, a.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
