"""Networking figures: `run --rm busybox true` on the default bridge and with
`--network none`, and the throughput of a published port (a 100 MB download
from a container's httpd through `-p`, on 127.0.0.1 and on the host's own
address), for barge and, when it is running, the reference Docker engine.
Traffic stays between this host and the engines' own container networks."""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request

from common import LABEL, Env, find_barge, find_host, fmt_stats, stats

REF_SOCK = "unix:///run/docker-ref.sock"
DOCKER = "/usr/local/bin/docker"
TARGET_RUN_S = 0.120
SIZE_MB = 100


def host_address() -> str:
    out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        dev, addr = line.split()[1], line.split()[3].split("/")[0]
        if not dev.startswith(("bt-", "br-", "barge", "docker", "veth", "bdev")):
            return addr
    return "127.0.0.1"


def free_port() -> int:
    s = socket.socket()
    s.bind(("0.0.0.0", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def engine_cmd(name: str, env: Env) -> list[str]:
    if name == "barge":
        return [env.barge, "-H", env.host]
    return [DOCKER, "-H", REF_SOCK]


def time_argv(argv: list[str]) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {p.returncode}: {p.stderr.decode(errors='replace').strip()}")
    return dt


def run_latency(cmd: list[str], runs: int, extra: list[str]) -> dict:
    pull = ["--pull", "never"] if cmd[0] == DOCKER else []
    argv = cmd + ["run", "--rm", *pull, *extra, "busybox", "true"]
    subprocess.run(argv, capture_output=True, timeout=60)          # warm
    return stats([time_argv(argv) for _ in range(runs)])


def download(url: str) -> float:
    t0 = time.perf_counter()
    got = 0
    with urllib.request.urlopen(url, timeout=60) as r:
        while True:
            chunk = r.read(1 << 20)
            if not chunk:
                break
            got += len(chunk)
    dt = time.perf_counter() - t0
    if got != SIZE_MB << 20:
        raise RuntimeError(f"short download: {got} bytes")
    return (SIZE_MB / dt)


def throughput(cmd: list[str], runs: int) -> dict:
    pull = ["--pull", "never"] if cmd[0] == DOCKER else []
    port = free_port()
    name = f"netbench-{os.getpid()}-{port}"
    serve = f"head -c {SIZE_MB}m /dev/zero > /big && exec httpd -f -p 80 -h /"
    subprocess.run(cmd + ["run", "-d", *pull, "--label", LABEL, "--name", name, "-p", f"{port}:80", "busybox",
                          "sh", "-c", serve], check=True, capture_output=True, timeout=120)
    try:
        out = {}
        for where in ("127.0.0.1", host_address()):
            url = f"http://{where}:{port}/big"
            deadline = time.time() + 30
            while True:
                try:
                    download(url)
                    break
                except (OSError, RuntimeError):
                    if time.time() > deadline:
                        raise
                    time.sleep(0.2)
            out[where] = stats([download(url) for _ in range(runs)])
        return out
    finally:
        subprocess.run(cmd + ["rm", "-f", name], capture_output=True, timeout=60)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host")
    ap.add_argument("--barge")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--no-docker", action="store_true", help="skip the reference Docker engine")
    a = ap.parse_args(argv)
    env = Env(barge=find_barge(a.barge), host=find_host(a.host))
    engines = ["barge"]
    if not a.no_docker and os.path.exists(REF_SOCK[len("unix://"):]) and os.access(DOCKER, os.X_OK):
        engines.append("docker")
    for eng in engines:
        cmd = engine_cmd(eng, env)
        bridge = run_latency(cmd, a.runs, [])
        none = run_latency(cmd, a.runs, ["--network", "none"])
        mark = f"   target < {TARGET_RUN_S * 1000:.0f} ms: {'PASS' if bridge['median'] < TARGET_RUN_S else 'FAIL'}" \
            if eng == "barge" else ""
        print(f"{eng:7} run --rm true (bridge)  {fmt_stats(bridge)}{mark}")
        print(f"{eng:7} run --rm true (none)    {fmt_stats(none)}")
        for where, st in throughput(cmd, max(3, a.runs // 5)).items():
            print(f"{eng:7} -p download {SIZE_MB} MB via {where:15} median {st['median']:.0f} MB/s "
                  f"(min {st['min']:.0f}, max {st['max']:.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
