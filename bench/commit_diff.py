"""`commit` of a 50 MB / 5,000-file change and `diff` of it, through the
CLI against a running barged (or any Docker-compatible daemon: --host).

    python bench/commit_diff.py [--host unix:///run/barge/barge.sock] [-n 5]
"""
from __future__ import annotations

import argparse
import time
import uuid

from common import LABEL, Env, find_barge, find_host, fmt_stats, stats

# 5,000 files of 10 KB (50 MB) in 50 directories, written inside the container
MAKE = ("i=0; while [ $i -lt 50 ]; do mkdir -p /data/d$i; j=0; "
        "while [ $j -lt 100 ]; do head -c 10240 /dev/urandom > /data/d$i/f$j; j=$((j+1)); done; "
        "i=$((i+1)); done; sync")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--barge")
    ap.add_argument("--host")
    ap.add_argument("-n", type=int, default=5)
    a = ap.parse_args()
    env = Env(barge=find_barge(a.barge), host=find_host(a.host))
    commits, diffs = [], []
    for _ in range(a.n):
        name = f"bench-commit-{uuid.uuid4().hex[:8]}"
        env.run("run", "-d", "--label", LABEL, "--name", name, env.image, "sleep", "1d")
        try:
            env.run("exec", name, "sh", "-c", MAKE, timeout=600)
            t0 = time.perf_counter()
            out = env.run("diff", name).stdout
            diffs.append(time.perf_counter() - t0)
            assert len(out.splitlines()) >= 5000, len(out.splitlines())
            t0 = time.perf_counter()
            image = env.run("commit", name, timeout=600).stdout.decode().strip()
            commits.append(time.perf_counter() - t0)
            env.run("rmi", image, check=False)
        finally:
            env.run("rm", "-f", name, check=False)
    print(f"diff   (5,000 files): {fmt_stats(stats(diffs))}")
    print(f"commit (50 MB / 5,000 files, running container): {fmt_stats(stats(commits))}")
    print(f"median: diff {stats(diffs)['median']:.3f} s, commit {stats(commits)['median']:.3f} s")


if __name__ == "__main__":
    main()
