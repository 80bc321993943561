"""`stats --no-stream` wall time with 50 running `sleep` containers (issue 3).

    python bench/stats_bench.py [--host unix:///…] [--barge PATH] [-c 50] [-n 5]
                                [--reference unix:///run/docker-ref.sock]

With --reference, the same is timed with the stock docker CLI against that
daemon (it must already have busybox:latest; nothing is pulled).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import LABEL, Env, find_barge, find_host, fmt_stats, stats  # noqa: E402

DOCKER = "/usr/local/bin/docker"


def _measure(cmd: list[str], env: dict, count: int, runs: int, prefix: str) -> list[float]:
    names = [f"{prefix}-{uuid.uuid4().hex[:8]}" for _ in range(count)]
    run = lambda *a, **kw: subprocess.run(cmd + list(a), env=env, capture_output=True, timeout=600, **kw)  # noqa: E731
    try:
        for n in names:
            p = run("run", "-d", "--label", LABEL, "--name", n, "busybox:latest", "sleep", "1d")
            if p.returncode != 0:
                raise RuntimeError(p.stderr.decode())
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            p = run("stats", "--no-stream")
            times.append(time.perf_counter() - t0)
            if p.returncode != 0:
                raise RuntimeError(p.stderr.decode())
            rows = len(p.stdout.decode().splitlines()) - 1
            if rows < count:
                raise RuntimeError(f"only {rows} rows")
        return times
    finally:
        for i in range(0, len(names), 25):
            run("rm", "-f", *names[i:i + 25])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--barge")
    ap.add_argument("--host")
    ap.add_argument("-c", "--containers", type=int, default=50)
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--reference", help="a Docker daemon to time the same against (docker CLI)")
    a = ap.parse_args()
    env = Env(barge=find_barge(a.barge), host=find_host(a.host))
    t = _measure([env.barge], env.environ(), a.containers, a.n, "bench-stats")
    print(f"barge  stats --no-stream ({a.containers} running): {fmt_stats(stats(t), 's', 1.0, 3)}")
    print(f"barge  median: {stats(t)['median']:.3f} s")
    if a.reference:
        e = dict(os.environ, DOCKER_HOST=a.reference)
        t = _measure([DOCKER], e, a.containers, a.n, "bench-stats")
        print(f"docker stats --no-stream ({a.containers} running): {fmt_stats(stats(t), 's', 1.0, 3)}")
        print(f"docker median: {stats(t)['median']:.3f} s")


if __name__ == "__main__":
    main()
