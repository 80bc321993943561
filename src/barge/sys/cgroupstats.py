"""Raw resource counters of a container's cgroup (v1, v2 or the v1/v2 hybrid),
and the host counters `stats` compares them with (/proc/stat, /proc/meminfo,
/proc/<pid>/net/dev). Reading only; the StatsJSON is assembled in
daemon/containers/stats.py."""
from __future__ import annotations

import os

from barge.sys.cgroups import CGROUP_ROOT, cgroup_paths

NS = 1_000_000_000
# USER_HZ: the unit of cpuacct.stat and /proc/stat (100 on Linux everywhere)
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# v1 controller -> directory names it may be mounted under
_V1_DIRS = {
    "cpuacct": ("cpuacct", "cpu,cpuacct", "cpuacct,cpu"),
    "cpu": ("cpu", "cpu,cpuacct", "cpuacct,cpu"),
    "memory": ("memory",),
    "pids": ("pids",),
    "blkio": ("blkio",),
}


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def _int(path: str) -> int | None:
    text = _read(path)
    if text is None:
        return None
    text = text.strip()
    if text == "max":
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _kv(path: str) -> dict[str, int]:
    """A flat-keyed file ("key value" lines): memory.stat, cpu.stat, cpuacct.stat."""
    out: dict[str, int] = {}
    for line in (_read(path) or "").splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                out[parts[0]] = int(parts[1])
            except ValueError:
                pass
    return out


# ---- where the container's cgroups are -------------------------------------------

def find_dirs(cgroups_path: str, init_pid: int = 0, root: str = CGROUP_ROOT,
              proc: str = "/proc") -> dict[str, str]:
    """{"memory"/"cpu"/"cpuacct"/"pids"/"blkio": v1 dir} or {"v2": dir}.
    v1 wins when its memory controller holds the container (the hybrid case);
    otherwise the unified hierarchy (pure v2 at `root`, hybrid at root/unified)."""
    rel_candidates = [cgroups_path.strip("/")]
    paths = cgroup_paths(init_pid, proc) if init_pid > 0 else {}
    v1: dict[str, str] = {}
    for ctl, names in _V1_DIRS.items():
        rels = list(rel_candidates)
        if paths.get(ctl):
            rels.append(paths[ctl].strip("/"))
        for name in names:
            for rel in rels:
                d = os.path.join(root, name, rel)
                if rel and os.path.isdir(d):
                    v1[ctl] = d
                    break
            if ctl in v1:
                break
    if "memory" in v1 or "cpuacct" in v1:
        return v1
    rels = list(rel_candidates)
    if paths.get(""):
        rels.append(paths[""].strip("/"))
    for base in (root, os.path.join(root, "unified")):
        if not os.path.exists(os.path.join(base, "cgroup.controllers")):
            continue
        for rel in rels:
            d = os.path.join(base, rel)
            if rel and os.path.isdir(d):
                return {"v2": d}
    return v1


# ---- reading ------------------------------------------------------------------------

def read(dirs: dict[str, str]) -> dict:
    """The raw counters, in one neutral shape for both versions:
    {"version", "cpu": {total, user, kernel, percpu}, "throttling": {periods,
    throttled_periods, throttled_time}, "memory": {usage, max_usage, limit, failcnt,
    stats}, "pids": {current, limit}, "blkio": {name: [(major, minor, op, value)]}}."""
    if "v2" in dirs:
        return _read_v2(dirs["v2"])
    return _read_v1(dirs)


def _blkio_v1(path: str) -> list[tuple[int, int, str, int]]:
    out = []
    for line in (_read(path) or "").splitlines():
        parts = line.split()
        if len(parts) != 3 or ":" not in parts[0]:
            continue                         # "Total N"
        major, _, minor = parts[0].partition(":")
        try:
            out.append((int(major), int(minor), parts[1], int(parts[2])))
        except ValueError:
            pass
    return out


BLKIO_V1_FILES = {   # StatsJSON blkio_stats key -> file (runc tries CFQ files first, then throttle)
    "io_service_bytes_recursive": ("blkio.io_service_bytes_recursive",
                                   "blkio.throttle.io_service_bytes_recursive",
                                   "blkio.throttle.io_service_bytes"),
    "io_serviced_recursive": ("blkio.io_serviced_recursive",
                              "blkio.throttle.io_serviced_recursive", "blkio.throttle.io_serviced"),
    "io_queue_recursive": ("blkio.io_queued_recursive",),
    "io_service_time_recursive": ("blkio.io_service_time_recursive",),
    "io_wait_time_recursive": ("blkio.io_wait_time_recursive",),
    "io_merged_recursive": ("blkio.io_merged_recursive",),
    "io_time_recursive": ("blkio.time_recursive",),
    "sectors_recursive": ("blkio.sectors_recursive",),
}


def _read_v1(dirs: dict[str, str]) -> dict:
    out: dict = {"version": 1}
    acct = dirs.get("cpuacct")
    if acct:
        percpu = [int(x) for x in (_read(os.path.join(acct, "cpuacct.usage_percpu")) or "").split()
                  if x.isdigit()]
        st = _kv(os.path.join(acct, "cpuacct.stat"))
        out["cpu"] = {"total": _int(os.path.join(acct, "cpuacct.usage")) or 0,
                      "user": st.get("user", 0) * NS // CLK_TCK,
                      "kernel": st.get("system", 0) * NS // CLK_TCK,
                      "percpu": percpu}
    cpu = dirs.get("cpu")
    if cpu:
        st = _kv(os.path.join(cpu, "cpu.stat"))
        out["throttling"] = {"periods": st.get("nr_periods", 0),
                             "throttled_periods": st.get("nr_throttled", 0),
                             "throttled_time": st.get("throttled_time", 0)}
    mem = dirs.get("memory")
    if mem:
        out["memory"] = {"usage": _int(os.path.join(mem, "memory.usage_in_bytes")) or 0,
                         "max_usage": _int(os.path.join(mem, "memory.max_usage_in_bytes")) or 0,
                         "limit": _int(os.path.join(mem, "memory.limit_in_bytes")),
                         "failcnt": _int(os.path.join(mem, "memory.failcnt")) or 0,
                         "stats": _kv(os.path.join(mem, "memory.stat"))}
    pids = dirs.get("pids")
    if pids:
        out["pids"] = {"current": _int(os.path.join(pids, "pids.current")) or 0,
                       "limit": _int(os.path.join(pids, "pids.max")) or 0}
    blk = dirs.get("blkio")
    if blk:
        blkio: dict[str, list] = {}
        for key, names in BLKIO_V1_FILES.items():
            entries: list = []
            for name in names:
                entries = _blkio_v1(os.path.join(blk, name))
                if entries:
                    break
            blkio[key] = entries
        out["blkio"] = blkio
    return out


def _read_v2(d: str) -> dict:
    out: dict = {"version": 2}
    st = _kv(os.path.join(d, "cpu.stat"))
    out["cpu"] = {"total": st.get("usage_usec", 0) * 1000, "user": st.get("user_usec", 0) * 1000,
                  "kernel": st.get("system_usec", 0) * 1000, "percpu": []}
    out["throttling"] = {"periods": st.get("nr_periods", 0),
                         "throttled_periods": st.get("nr_throttled", 0),
                         "throttled_time": st.get("throttled_usec", 0) * 1000}
    if os.path.exists(os.path.join(d, "memory.current")):
        events = _kv(os.path.join(d, "memory.events"))
        out["memory"] = {"usage": _int(os.path.join(d, "memory.current")) or 0,
                         "max_usage": _int(os.path.join(d, "memory.peak")) or 0,
                         "limit": _int(os.path.join(d, "memory.max")),
                         "failcnt": events.get("max", 0),
                         "stats": _kv(os.path.join(d, "memory.stat"))}
    if os.path.exists(os.path.join(d, "pids.current")):
        out["pids"] = {"current": _int(os.path.join(d, "pids.current")) or 0,
                       "limit": _int(os.path.join(d, "pids.max")) or 0}
    entries = []
    for line in (_read(os.path.join(d, "io.stat")) or "").splitlines():
        parts = line.split()
        if not parts or ":" not in parts[0]:
            continue
        major, _, minor = parts[0].partition(":")
        kv = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        try:
            entries.append((int(major), int(minor), "read", int(kv.get("rbytes", 0))))
            entries.append((int(major), int(minor), "write", int(kv.get("wbytes", 0))))
        except ValueError:
            pass
    out["blkio"] = {"io_service_bytes_recursive": entries}
    return out


# ---- the host -------------------------------------------------------------------------

def system_cpu(proc: str = "/proc") -> tuple[int, int]:
    """(system_cpu_usage in ns, online cpus) from /proc/stat, as moby computes them:
    the sum of the first seven fields of the "cpu" line, in USER_HZ ticks, as ns."""
    total = 0
    online = 0
    for line in (_read(os.path.join(proc, "stat")) or "").splitlines():
        if not line.startswith("cpu"):
            continue
        parts = line.split()
        if parts[0] == "cpu":
            try:
                total = sum(int(x) for x in parts[1:8]) * NS // CLK_TCK
            except ValueError:
                pass
        elif parts[0][3:].isdigit():
            online += 1
    return total, online


def mem_total(proc: str = "/proc") -> int:
    for line in (_read(os.path.join(proc, "meminfo")) or "").splitlines():
        if line.startswith("MemTotal:"):
            parts = line.split()
            try:
                return int(parts[1]) * (1024 if len(parts) > 2 and parts[2] == "kB" else 1)
            except (IndexError, ValueError):
                return 0
    return 0


NET_FIELDS = ("rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
              "tx_bytes", "tx_packets", "tx_errors", "tx_dropped")
# /proc/net/dev column of each field (after the interface name)
_NET_COLUMNS = (0, 1, 2, 3, 8, 9, 10, 11)


def net_dev(pid: int, proc: str = "/proc") -> dict[str, dict[str, int]]:
    """/proc/<pid>/net/dev: {interface: {rx_bytes, ...}}, lo left out (as Docker)."""
    out: dict[str, dict[str, int]] = {}
    if pid <= 0:
        return out
    for line in (_read(os.path.join(proc, str(pid), "net", "dev")) or "").splitlines()[2:]:
        name, sep, rest = line.partition(":")
        name = name.strip()
        if not sep or name == "lo":
            continue
        cols = rest.split()
        try:
            out[name] = {f: int(cols[c]) for f, c in zip(NET_FIELDS, _NET_COLUMNS)}
        except (IndexError, ValueError):
            continue
    return out
