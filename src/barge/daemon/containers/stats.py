"""`stats`: Docker's StatsJSON from a container's cgroup counters (moby daemon/stats*.go).

`sample()` reads (in the pool, through sys/cgroupstats); `build()` is pure:
two samples -> one StatsJSON, precpu_stats and preread from the previous one."""
from __future__ import annotations

import asyncio
import time
from typing import AsyncIterator

from barge.daemon.container import Container
from barge.daemon.containers.context import Ctx
from barge.daemon.containers.top import cgroups_path
from barge.errdefs import NotFound
from barge.spec.units import format_rfc3339nano
from barge.sys import cgroupstats

ZERO_TIME = "0001-01-01T00:00:00Z"
INTERVAL = 1.0
_MAX_LIMIT = 1 << 62          # "unlimited" v1 limits are near 2^63


def _time(ns: int) -> str:
    return format_rfc3339nano((ns // 1_000_000_000, ns % 1_000_000_000)) if ns else ZERO_TIME


def sample(c: Container, proc: str = "/proc", root: str = cgroupstats.CGROUP_ROOT) -> dict:
    """One reading of everything StatsJSON needs (blocking: run it in the pool)."""
    now = time.time_ns()
    dirs = cgroupstats.find_dirs(cgroups_path(c), c.state.pid, root, proc)
    raw = cgroupstats.read(dirs) if dirs else {"version": 0}
    system, online = cgroupstats.system_cpu(proc)
    raw.update(read_ns=now, system_cpu=system, online_cpus=online,
               mem_total=cgroupstats.mem_total(proc), networks=cgroupstats.net_dev(c.state.pid, proc))
    return raw


def _cpu_stats(raw: dict | None) -> dict:
    cpu = (raw or {}).get("cpu") or {}
    usage: dict = {"total_usage": cpu.get("total", 0)}
    if cpu.get("percpu"):
        usage["percpu_usage"] = cpu["percpu"]
    usage["usage_in_kernelmode"] = cpu.get("kernel", 0)
    usage["usage_in_usermode"] = cpu.get("user", 0)
    out: dict = {"cpu_usage": usage}
    if raw and raw.get("system_cpu"):
        out["system_cpu_usage"] = raw["system_cpu"]
    if raw and raw.get("online_cpus"):
        out["online_cpus"] = raw["online_cpus"]
    t = (raw or {}).get("throttling") or {}
    out["throttling_data"] = {"periods": t.get("periods", 0),
                              "throttled_periods": t.get("throttled_periods", 0),
                              "throttled_time": t.get("throttled_time", 0)}
    return out


def _memory_stats(raw: dict) -> dict:
    mem = raw.get("memory")
    if not mem:
        return {}
    out: dict = {"usage": mem.get("usage", 0)}
    if mem.get("max_usage"):
        out["max_usage"] = mem["max_usage"]
    out["stats"] = dict(mem.get("stats") or {})
    if mem.get("failcnt"):
        out["failcnt"] = mem["failcnt"]
    limit = mem.get("limit")
    total = raw.get("mem_total", 0)
    if limit is None or limit >= _MAX_LIMIT or (total and limit > total):
        limit = total                # unlimited: the host's memory, as moby does
    out["limit"] = limit
    return out


def _blkio_stats(raw: dict) -> dict:
    blk = raw.get("blkio")
    if blk is None:
        return {}
    def entries(key: str):
        return [{"major": ma, "minor": mi, "op": op, "value": v} for ma, mi, op, v in blk[key]]
    if raw.get("version") == 2:
        keys = ("io_service_bytes_recursive",)
    else:
        keys = tuple(cgroupstats.BLKIO_V1_FILES)
    out = {key: entries(key) for key in keys}
    for key in cgroupstats.BLKIO_V1_FILES:
        out.setdefault(key, None)
    return out


def build(name: str, cid: str, cur: dict | None, prev: dict | None) -> dict:
    """StatsJSON, in Docker's key order. `cur` None is a container that isn't
    running: Docker's empty stats (zero times and counters, name and id)."""
    if cur is None:
        return {"read": ZERO_TIME, "preread": ZERO_TIME, "pids_stats": {},
                "blkio_stats": {k: None for k in cgroupstats.BLKIO_V1_FILES},
                "num_procs": 0, "storage_stats": {}, "cpu_stats": _cpu_stats(None),
                "precpu_stats": _cpu_stats(None), "memory_stats": {}, "name": name, "id": cid}
    pids: dict = {}
    if cur.get("pids"):
        pids["current"] = cur["pids"]["current"]
        if cur["pids"].get("limit"):
            pids["limit"] = cur["pids"]["limit"]
    out = {
        "read": _time(cur.get("read_ns", 0)),
        "preread": _time(prev.get("read_ns", 0) if prev else 0),
        "pids_stats": pids,
        "blkio_stats": _blkio_stats(cur),
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": _cpu_stats(cur),
        "precpu_stats": _cpu_stats(prev),
        "memory_stats": _memory_stats(cur),
        "name": name,
        "id": cid,
    }
    if cur.get("networks"):
        out["networks"] = cur["networks"]
    return out


def _name(c: Container) -> str:
    return "/" + c.name.lstrip("/")


def _live(ctx: Ctx, c: Container) -> bool:
    return c.state.running and c.state.status != "restarting" and c.state.pid > 0


async def _sample(ctx: Ctx, c: Container) -> dict | None:
    if not _live(ctx, c):
        return None
    return await asyncio.get_running_loop().run_in_executor(ctx.pool, sample, c)


async def stats_once(ctx: Ctx, ref: str, one_shot: bool = False) -> dict:
    """stream=false: two samples ~1 s apart (precpu is the first), or one with one-shot."""
    c = ctx.registry.get(ref)
    cur = await _sample(ctx, c)
    if cur is None:
        return build(_name(c), c.id, None, None)
    prev = None
    if not one_shot:
        await asyncio.sleep(INTERVAL)
        prev, cur = cur, await _sample(ctx, c)
        if cur is None:
            return build(_name(c), c.id, None, None)
    return build(_name(c), c.id, cur, prev)


async def stats_stream(ctx: Ctx, ref: str) -> AsyncIterator[dict]:
    """stream=true: one StatsJSON a second until the client leaves or the
    container is removed; a stopped container's entries are empty, as Docker's."""
    c = ctx.registry.get(ref)
    prev = None
    while True:
        cur = await _sample(ctx, c)
        yield build(_name(c), c.id, cur, prev)
        prev = cur
        await asyncio.sleep(INTERVAL)
        try:
            ctx.registry.get(c.id)
        except NotFound:
            return
