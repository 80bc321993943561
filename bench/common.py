"""Shared helpers for the benchmarks: finding the CLI and the daemon, running
commands, statistics and /proc memory readings. Standard library only."""
from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field

LABEL = "barge-bench=1"          # every container a benchmark creates carries it
DEFAULT_SOCK = "/run/barge/barge.sock"
DEFAULT_PIDFILE = "/run/barge/barged.pid"


@dataclass
class Env:
    barge: str                   # path of the barge CLI
    host: str                    # unix:///… or tcp://…
    image: str = "busybox:latest"
    daemon_pid: int = 0          # 0: unknown
    data_root: str = ""
    notes: list[str] = field(default_factory=list)

    def cmd(self, *args: str) -> list[str]:
        return [self.barge, *args]

    def run(self, *args: str, check: bool = True, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
        """Run a barge command; stdout/stderr captured as text unless redirected."""
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        p = subprocess.run(self.cmd(*args), timeout=timeout, env=self.environ(), **kw)
        if check and p.returncode != 0:
            err = p.stderr.decode(errors="replace") if isinstance(p.stderr, bytes) else (p.stderr or "")
            raise RuntimeError(f"barge {' '.join(args)} exited {p.returncode}: {err.strip()}")
        return p

    def out(self, *args: str, **kw) -> str:
        return self.run(*args, **kw).stdout.decode().strip()

    def environ(self) -> dict:
        e = dict(os.environ)
        e["BARGE_HOST"] = self.host
        return e

    def remove(self, ids: list[str]) -> None:
        """Remove containers (force), in chunks; errors are reported, not raised."""
        for i in range(0, len(ids), 25):
            chunk = ids[i:i + 25]
            if chunk:
                p = self.run("rm", "-f", *chunk, check=False, timeout=300)
                if p.returncode != 0:
                    print(f"  warning: rm -f failed: {p.stderr.decode(errors='replace').strip()}", file=sys.stderr)

    def leftovers(self) -> list[str]:
        p = self.run("ps", "-aq", "--no-trunc", "--filter", f"label={LABEL.split('=')[0]}", check=False)
        return p.stdout.decode().split() if p.returncode == 0 else []


def find_barge(explicit: str | None) -> str:
    if explicit:
        return explicit
    if os.environ.get("BARGE"):
        return os.environ["BARGE"]
    cand = os.path.join(os.path.dirname(sys.executable), "barge")
    if os.access(cand, os.X_OK):
        return cand
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".venv", "bin", "barge")
    if os.access(here, os.X_OK):
        return os.path.normpath(here)
    found = shutil.which("barge")
    if not found:
        raise SystemExit("cannot find the barge CLI; pass --barge")
    return found


def find_host(explicit: str | None) -> str:
    return explicit or os.environ.get("BARGE_HOST") or os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCK}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except (OSError, ValueError):
        return False


def _read_pidfile(path: str) -> int:
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return 0


def _socket_owner(sock_path: str) -> int:
    """The pid holding the listening unix socket at sock_path (via /proc/net/unix)."""
    inodes = set()
    try:
        with open("/proc/net/unix") as f:
            next(f)
            for line in f:
                parts = line.split()
                # Num RefCount Protocol Flags Type St Inode Path; flags 00010000 = listening
                if len(parts) >= 8 and parts[7] == sock_path and parts[3] == "00010000":
                    inodes.add(parts[6])
    except OSError:
        return 0
    if not inodes:
        return 0
    targets = {f"socket:[{i}]" for i in inodes}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{d}/fd"):
                try:
                    if os.readlink(f"/proc/{d}/fd/{fd}") in targets:
                        return int(d)
                except OSError:
                    continue
        except OSError:
            continue
    return 0


def find_daemon_pid(explicit: int | None, host: str) -> tuple[int, str]:
    """(pid, how it was found); 0 when not found."""
    if explicit:
        return explicit, "--daemon-pid"
    if os.environ.get("BARGED_PID"):
        return int(os.environ["BARGED_PID"]), "BARGED_PID"
    sock = host[len("unix://"):] if host.startswith("unix://") else ""
    if sock == DEFAULT_SOCK or not sock:
        pid = _read_pidfile(DEFAULT_PIDFILE)
        if pid and _alive(pid):
            return pid, DEFAULT_PIDFILE
    if sock:
        pid = _socket_owner(sock)
        if pid:
            return pid, f"owner of {sock}"
    return 0, "not found"


def info(env: Env) -> dict:
    return json.loads(env.out("info", "--format", "{{json .}}"))


# ---- statistics -------------------------------------------------------------

def percentile(sorted_vals: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_vals:
        return float("nan")
    k = max(0, math.ceil(q * len(sorted_vals)) - 1)
    return sorted_vals[k]


def stats(vals: list[float]) -> dict:
    s = sorted(vals)
    n = len(s)
    if not n:
        return {"count": 0}
    med = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    return {"count": n, "min": s[0], "median": med, "p90": percentile(s, 0.9), "max": s[-1],
            "mean": sum(s) / n}


def fmt_stats(st: dict, unit: str = "ms", scale: float = 1000.0, digits: int = 1) -> str:
    if not st.get("count"):
        return "no samples"
    f = lambda v: f"{v * scale:.{digits}f}"   # noqa: E731
    return (f"min {f(st['min'])} / median {f(st['median'])} / p90 {f(st['p90'])} / "
            f"max {f(st['max'])} {unit}  (n={st['count']})")


def time_cmd(env: Env, *args: str) -> float:
    """Wall time of one `barge ARGS` run; a failure is an error, not a sample."""
    t0 = time.perf_counter()
    p = subprocess.run(env.cmd(*args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env.environ(),
                       timeout=60)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"barge {' '.join(args)} exited {p.returncode}: {p.stderr.decode(errors='replace').strip()}")
    return dt


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# ---- /proc memory -----------------------------------------------------------

def _kv_kb(path: str, keys: tuple[str, ...]) -> dict[str, int]:
    """Values (kB) of `Key:   123 kB` lines."""
    out: dict[str, int] = {}
    try:
        with open(path) as f:
            for line in f:
                k, _, rest = line.partition(":")
                if k in keys:
                    out[k] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return out


def pss_kb(pid: int) -> int | None:
    return _kv_kb(f"/proc/{pid}/smaps_rollup", ("Pss",)).get("Pss")


def rss_kb(pid: int) -> int | None:
    return _kv_kb(f"/proc/{pid}/status", ("VmRSS",)).get("VmRSS")


def mem_kb(pid: int) -> dict[str, int]:
    """RSS (status) plus PSS/anon from smaps_rollup."""
    d = _kv_kb(f"/proc/{pid}/status", ("VmRSS", "VmHWM", "RssAnon", "RssFile"))
    d.update(_kv_kb(f"/proc/{pid}/smaps_rollup", ("Pss", "Pss_Anon", "Pss_File")))
    return d


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def mib(kb: float) -> float:
    return kb / 1024.0
