"""Health checks, as moby's daemon/health.go: the container's `Healthcheck`
test runs through the ExecService every Interval; a probe that outlives
Timeout is killed and counts as a failure; Retries consecutive failures make
the container unhealthy, one success makes it healthy; failures within
StartPeriod do not count until a success. `State.Health` keeps the status, the
failing streak and the last five results; a change of status is a
`health_status: <status>` event.

The decisions are pure (`probe_command`, `settings`, `apply_result`,
`next_interval`, `validate`, `status_of`); `HealthMonitor` holds one task per
monitored container and is built in `daemon/app.py`.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from dataclasses import dataclass

from barge.daemon.container import Container
from barge.daemon.containers.context import Ctx
from barge.errdefs import InvalidParameter
from barge.spec import clock
from barge.spec.units import format_duration

log = logging.getLogger("barge.health")

NS = 1_000_000_000
DEFAULT_INTERVAL = 30 * NS
DEFAULT_TIMEOUT = 30 * NS
DEFAULT_START_PERIOD = 0
DEFAULT_START_INTERVAL = 5 * NS
DEFAULT_RETRIES = 3
MAX_LOG_ENTRIES = 5
MAX_OUTPUT_LEN = 4096
MIN_DURATION = 1_000_000          # 1ms, the API's minimum for the durations
STATUSES = ("starting", "healthy", "unhealthy", "none")

STARTING, HEALTHY, UNHEALTHY = "starting", "healthy", "unhealthy"


# ---- pure decisions -----------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    """The durations in nanoseconds, defaults applied."""
    interval: int = DEFAULT_INTERVAL
    timeout: int = DEFAULT_TIMEOUT
    start_period: int = DEFAULT_START_PERIOD
    start_interval: int = DEFAULT_START_INTERVAL
    retries: int = DEFAULT_RETRIES


def _ns(v, default: int) -> int:
    try:
        v = int(v or 0)
    except (TypeError, ValueError):
        return default
    return v if v > 0 else default


def settings(hc: dict | None) -> Settings:
    hc = hc or {}
    return Settings(interval=_ns(hc.get("Interval"), DEFAULT_INTERVAL),
                    timeout=_ns(hc.get("Timeout"), DEFAULT_TIMEOUT),
                    start_period=_ns(hc.get("StartPeriod"), DEFAULT_START_PERIOD),
                    start_interval=_ns(hc.get("StartInterval"), DEFAULT_START_INTERVAL),
                    retries=_ns(hc.get("Retries"), DEFAULT_RETRIES))


def probe_command(config: dict) -> list[str] | None:
    """The argv a probe runs, or None when there is no check (none, empty, NONE, unknown type)."""
    hc = config.get("Healthcheck") or {}
    test = list(hc.get("Test") or [])
    if not test:
        return None
    kind, rest = test[0], test[1:]
    if kind == "CMD" and rest:
        return rest
    if kind == "CMD-SHELL" and rest:
        shell = list(config.get("Shell") or []) or ["/bin/sh", "-c"]
        return shell + rest
    return None


def validate(config: dict) -> None:
    """The daemon's checks of Config.Healthcheck at create, with Docker's wording."""
    hc = config.get("Healthcheck")
    if not hc:
        return
    if not isinstance(hc, dict):
        raise InvalidParameter("invalid Healthcheck: must be an object")
    for key in ("Interval", "Timeout", "StartPeriod", "StartInterval"):
        v = hc.get(key) or 0
        if not isinstance(v, int):
            raise InvalidParameter(f"invalid Healthcheck.{key}: must be an integer")
        if v != 0 and v < MIN_DURATION:
            raise InvalidParameter(f"{key} in Healthcheck cannot be less than {format_duration(MIN_DURATION)}")
    retries = hc.get("Retries") or 0
    if not isinstance(retries, int):
        raise InvalidParameter("invalid Healthcheck.Retries: must be an integer")
    if retries < 0:
        raise InvalidParameter("Retries in Healthcheck cannot be negative")


def initial_health(previous: dict | None) -> dict:
    """At each start: "starting", streak 0, the log kept (as moby's initHealthMonitor)."""
    log_ = list((previous or {}).get("Log") or [])
    return {"Status": STARTING, "FailingStreak": 0, "Log": log_}


def apply_result(health: dict, result: dict, s: Settings, since_start_ns: int) -> str | None:
    """Record one probe result in `health` (mutated); the new status if it changed.
    since_start_ns: from the container's start to the probe's start."""
    old = health.get("Status", STARTING)
    entries = list(health.get("Log") or []) + [result]
    health["Log"] = entries[-MAX_LOG_ENTRIES:]
    if result.get("ExitCode") == 0:
        health["FailingStreak"] = 0
        health["Status"] = HEALTHY
    else:
        counts = not (old == STARTING and since_start_ns < s.start_period)
        if counts:
            health["FailingStreak"] = int(health.get("FailingStreak") or 0) + 1
            if health["FailingStreak"] >= s.retries:
                health["Status"] = UNHEALTHY
    new = health.get("Status", STARTING)
    return new if new != old else None


def next_interval(s: Settings, status: str, since_start_ns: int) -> int:
    """The wait before the next probe: StartInterval while starting within the start period."""
    if since_start_ns >= s.start_period:
        return s.interval
    return s.start_interval if status == STARTING else s.interval


def status_of(c: Container) -> str:
    """What `ps --filter health=` compares: the status, or "none"."""
    h = c.state.health
    return (h or {}).get("Status") or "none" if h else "none"


def check_filter_values(values: list[str]) -> None:
    for v in values:
        if v not in STATUSES:
            raise InvalidParameter(f"Unrecognised filter value for health: {v}")


def timeout_output(timeout_ns: int) -> str:
    return f"Health check exceeded timeout ({format_duration(timeout_ns)})"


def result(start_ns: int, end_ns: int, code: int, output: str) -> dict:
    return {"Start": clock.rfc3339nano(start_ns), "End": clock.rfc3339nano(end_ns),
            "ExitCode": code, "Output": output}


# ---- running a probe ------------------------------------------------------------

class _Collect:
    """A writer for ExecService.start_attached: keeps the (framed) output."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def write(self, data: bytes) -> None:
        if len(self.buf) < 2 * MAX_OUTPUT_LEN + 64:
            self.buf += data

    async def drain(self) -> None:
        pass

    def close(self) -> None:
        pass

    def text(self) -> str:
        out = bytearray()
        b = bytes(self.buf)
        i = 0
        while i + 8 <= len(b):           # 8-byte frame header: stream, 0, 0, 0, size (big endian)
            size = int.from_bytes(b[i + 4:i + 8], "big")
            out += b[i + 8:i + 8 + size]
            i += 8 + size
        return out[:MAX_OUTPUT_LEN].decode(errors="replace")


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    kids = [int(x) for x in f.read().split()]
                out += kids
                todo += kids
        except (OSError, ValueError):
            pass
    return out


def _kill_tree(pid: int) -> None:
    if pid <= 0:
        return
    for p in [pid] + _descendants(pid):
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass


async def run_probe(execs, c: Container, cmd: list[str], timeout_ns: int) -> dict:
    """Run one probe through the ExecService; its result as Docker logs it."""
    start = time.time_ns()
    try:
        eid = await execs.create(c.id, {"Cmd": cmd, "AttachStdout": True, "AttachStderr": True})
        s, cc = execs.check_start(eid)
    except Exception as e:
        return result(start, time.time_ns(), -1, str(e))
    out = _Collect()
    task = asyncio.ensure_future(execs.start_attached(s, cc, None, out, False, None))
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout_ns / NS)
    except asyncio.CancelledError:
        task.cancel()
        _kill_tree(s.pid)
        raise
    if not done:
        _kill_tree(s.pid)
        task.cancel()
        try:      # as moby: wait for the killed probe, so dying probes do not pile up
            await asyncio.wait_for(asyncio.shield(s.done), 5)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            pass
        return result(start, time.time_ns(), -1, timeout_output(timeout_ns))
    if s.pid == 0:                        # the process never started: the error is the output
        return result(start, time.time_ns(), -1, out.text().strip())
    code = s.exit_code
    if code is None:
        try:
            code = await asyncio.wait_for(asyncio.shield(s.done), 5)
        except asyncio.TimeoutError:
            code = -1
    return result(start, time.time_ns(), code, out.text())


# ---- the monitor ----------------------------------------------------------------

class HealthMonitor:
    """One probing task per running container that has a health check."""

    def __init__(self, ctx: Ctx, execs) -> None:
        self.ctx = ctx
        self.execs = execs
        self._tasks: dict[str, asyncio.Task] = {}

    def start(self, c: Container) -> None:
        """After a start (or at daemon start for a running one): status "starting", probes begin."""
        self._cancel(c.id)
        cmd = probe_command(c.config)
        if cmd is None:
            return
        c.state.health = initial_health(c.state.health)
        c.save()
        self._tasks[c.id] = asyncio.ensure_future(self._run(c, cmd, settings(c.config.get("Healthcheck"))))

    def stop(self, c: Container) -> None:
        """After an exit: no more probes; the status is "unhealthy", as moby's."""
        had = self._cancel(c.id)
        if c.state.health and (had or c.state.health.get("Status") != UNHEALTHY):
            c.state.health["Status"] = UNHEALTHY
            if self.ctx.registry.exists(c.id):
                c.save()

    def monitoring(self, cid: str) -> bool:
        t = self._tasks.get(cid)
        return t is not None and not t.done()

    async def restore(self) -> None:
        """At daemon start: running containers get their probes back."""
        for c in list(self.ctx.registry.all()):
            if c.state.status in ("running", "paused"):
                try:
                    self.start(c)
                except Exception as e:
                    log.warning("health check of %s: %s", c.id[:12], e)

    def close(self) -> None:
        for t in self._tasks.values():
            t.cancel()
        self._tasks.clear()

    def _cancel(self, cid: str) -> bool:
        t = self._tasks.pop(cid, None)
        if t is not None and not t.done():
            t.cancel()
            return True
        return False

    def _alive(self, c: Container) -> bool:
        return (self.ctx.registry.exists(c.id) and c.state.status in ("running", "paused")
                and self._tasks.get(c.id) is asyncio.current_task())

    async def _run(self, c: Container, cmd: list[str], s: Settings) -> None:
        started_ns = int(clock.parse_rfc3339(c.state.started_at) * NS) or time.time_ns()
        try:
            while True:
                status = (c.state.health or {}).get("Status", STARTING)
                await asyncio.sleep(next_interval(s, status, time.time_ns() - started_ns) / NS)
                if not self._alive(c):
                    return
                res = await run_probe(self.execs, c, cmd, s.timeout)
                if not self._alive(c) or c.state.health is None:
                    return
                since = clock.parse_rfc3339(res["Start"]) * NS - started_ns
                changed = apply_result(c.state.health, res, s, int(since))
                c.save()
                if changed:
                    self.ctx.event(c, f"health_status: {changed}")
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("health check of %s", c.id[:12])
