"""Build figures: an 8-step Dockerfile over a 50 MB context of 5,000 files —
cold build, fully cached rebuild, rebuild after touching one copied file —
for barge and, when it runs, the reference Docker engine's classic builder."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

from common import Env, find_barge, find_host

REF_SOCK = "unix:///run/docker-ref.sock"
DOCKER = "/usr/local/bin/docker"
FILES, SIZE = 5000, 10 * 1024          # 5,000 files of 10 KiB = 50 MB
DOCKERFILE = """FROM busybox
ENV APP=/app
WORKDIR /app
COPY deps/ /app/deps/
RUN ls deps | wc -l > /deps.count
COPY src/ /app/src/
RUN du -s /app/src > /src.size
CMD ["cat", "/src.size"]
"""


def make_context(root: str) -> None:
    with open(os.path.join(root, "Dockerfile"), "w") as f:
        f.write(DOCKERFILE)
    for i in range(FILES):
        sub = "deps" if i < FILES // 2 else "src"
        d = os.path.join(root, sub, f"d{i % 50}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i}"), "wb") as f:
            f.write(os.urandom(SIZE))


def timed(argv: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, env=env, timeout=900)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {p.stderr.decode(errors='replace')[-500:]}")
    return dt


def run_engine(name: str, argv: list[str], ctx: str, tag: str, env: dict) -> dict:
    cmd = argv + ["build", "-q", "-t", tag, ctx]
    cold = timed(argv + ["build", "-q", "--no-cache", "-t", tag, ctx], env)
    cached = min(timed(cmd, env) for _ in range(3))
    touched = []
    for i in range(3):
        with open(os.path.join(ctx, "src", "d0", f"f{FILES // 2}"), "ab") as f:
            f.write(b"x")
        touched.append(timed(cmd, env))
    subprocess.run(argv + ["rmi", "-f", tag], capture_output=True, env=env)
    return {"cold": cold, "cached": cached, "touched": sorted(touched)[1]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host")
    ap.add_argument("--barge")
    ap.add_argument("--no-docker", action="store_true")
    a = ap.parse_args(argv)
    env = Env(barge=find_barge(a.barge), host=find_host(a.host))
    ctx = tempfile.mkdtemp(prefix="barge-build-bench-")
    try:
        make_context(ctx)
        engines = [("barge", [env.barge, "-H", env.host], dict(os.environ))]
        if not a.no_docker and os.path.exists(REF_SOCK[7:]) and os.access(DOCKER, os.X_OK):
            denv = dict(os.environ, DOCKER_BUILDKIT="0")
            engines.append(("docker", [DOCKER, "-H", REF_SOCK], denv))
        for name, argv_, e in engines:
            r = run_engine(name, argv_, ctx, f"buildbench-{os.getpid()}:1", e)
            print(f"{name:7} cold {r['cold']:.2f} s   fully cached {r['cached']:.2f} s   "
                  f"one file touched {r['touched']:.2f} s")
    finally:
        shutil.rmtree(ctx, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
