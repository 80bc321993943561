"""Restart policies, as moby's restartmanager: `no`, `on-failure[:N]`,
`always`, `unless-stopped`, with a backoff that starts at 100 ms, doubles on
each consecutive restart (at most one minute) and starts over when the
container ran for at least 10 s.

The decision is pure (`next_timeout`, `should_restart`, `restart_at_boot`);
`RestartManager` holds the per-container timers, built in `daemon/app.py`.
"""
from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass

from barge.daemon.container import Container
from barge.daemon.containers.context import Ctx
from barge.spec import clock

log = logging.getLogger("barge.restart")

DEFAULT_TIMEOUT = 0.1          # seconds: the first backoff
MAX_TIMEOUT = 60.0             # the backoff stops doubling here
BACKOFF_MULTIPLIER = 2
RESET_AFTER = 10.0             # a run this long starts the backoff over


# ---- pure decisions -----------------------------------------------------------

def policy_of(host_config: dict) -> tuple[str, int]:
    rp = host_config.get("RestartPolicy") or {}
    name = rp.get("Name") or "no"
    return name, int(rp.get("MaximumRetryCount") or 0)


def next_timeout(prev: float, ran_for: float) -> float:
    """The wait before the next restart, given the previous one (0 = none yet)."""
    if ran_for >= RESET_AFTER:
        prev = 0
    if prev <= 0:
        t = DEFAULT_TIMEOUT
    elif prev < MAX_TIMEOUT:
        t = prev * BACKOFF_MULTIPLIER
    else:
        t = prev
    return min(t, MAX_TIMEOUT)


def should_restart(policy: str, max_retries: int, exit_code: int, manually_stopped: bool,
                   restart_count: int) -> bool:
    """After an exit: restart? An explicit stop or kill by the user never restarts."""
    if manually_stopped or policy in ("", "no"):
        return False
    if policy in ("always", "unless-stopped"):
        return True
    if policy == "on-failure":
        return exit_code != 0 and (max_retries == 0 or restart_count < max_retries)
    return False


def restart_at_boot(policy: str, max_retries: int, exit_code: int, manually_stopped: bool,
                    restart_count: int, has_been_started: bool) -> bool:
    """When the daemon starts, for a container that is not running: `always`
    even after a user's stop (as Docker), `unless-stopped` and `on-failure`
    unless the user stopped it."""
    if not has_been_started:
        return False
    if policy == "always":
        return True
    return should_restart(policy, max_retries, exit_code, manually_stopped, restart_count)


def ran_for(started_at: str, finished_at: str) -> float:
    try:
        return max(0.0, clock.parse_rfc3339(finished_at) - clock.parse_rfc3339(started_at))
    except Exception:
        return 0.0


# ---- the manager ----------------------------------------------------------------

@dataclass
class _Entry:
    timeout: float = 0.0                   # the last backoff used
    canceled_run: str | None = None        # StartedAt of the run whose exit must not restart
    task: asyncio.Task | None = None       # the pending restart
    sleeping: bool = False                 # the task is still in its backoff (safe to cancel)


class RestartManager:
    """Applies restart policies after exits and at daemon start."""

    def __init__(self, ctx: Ctx, start_locked) -> None:
        self.ctx = ctx
        self._start_locked = start_locked   # async (ctx, c): start under the container's lock
        self._entries: dict[str, _Entry] = {}

    def _entry(self, cid: str) -> _Entry:
        return self._entries.setdefault(cid, _Entry())

    # -- after an exit

    async def handle_exit(self, c: Container) -> None:
        """Called once an exit is recorded (state "exited"): maybe schedule a restart."""
        async with self.ctx.registry.lock(c.id):
            if not self.ctx.registry.exists(c.id) or c.state.status != "exited":
                return
            e = self._entry(c.id)
            canceled = e.canceled_run is not None and e.canceled_run == c.state.started_at
            e.canceled_run = None
            policy, max_retries = policy_of(c.host_config)
            if policy in ("", "no"):
                return
            e.timeout = next_timeout(e.timeout, ran_for(c.state.started_at, c.state.finished_at))
            if canceled or not should_restart(policy, max_retries, c.state.exit_code,
                                              c.manually_stopped, c.restart_count):
                return
            c.restart_count += 1
            c.state.status = "restarting"
            c.save()
            delay = e.timeout
            e.task = asyncio.ensure_future(self._restart_later(c, delay))
        await self.ctx.registry.notify()

    async def _restart_later(self, c: Container, delay: float) -> None:
        e = self._entry(c.id)
        e.sleeping = True
        try:
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            return
        finally:
            e.sleeping = False
        async with self.ctx.registry.lock(c.id):
            e = self._entries.get(c.id)
            if e is not None and e.task is asyncio.current_task():
                e.task = None
            if not self.ctx.registry.exists(c.id) or c.state.status != "restarting":
                return
            try:
                await self._start_locked(self.ctx, c)
            except Exception as err:          # start_locked recorded the failure as "exited"
                log.warning("restart of %s failed: %s", c.id[:12], err)
                if c.state.status == "restarting":
                    c.state.status = "exited"
                    c.save()
        await self.ctx.registry.notify()

    # -- the user's verbs

    async def cancel(self, c: Container) -> bool:
        """An explicit stop, kill or removal: the current run's exit restarts
        nothing, and a pending restart is dropped (the container is then
        "exited"). True when a restart was pending. Under the container's lock,
        so a restart that is starting right now finishes first."""
        async with self.ctx.registry.lock(c.id):
            e = self._entry(c.id)
            if c.state.status != "restarting":
                e.canceled_run = c.state.started_at
                return False
            if e.task is not None:
                e.task.cancel()
                e.task = None
            c.state.status = "exited"
            c.save()
        await self.ctx.registry.notify()
        return True

    def reset(self, c: Container) -> None:
        """A start by the user: the count and the backoff start over (moby's ResetRestartManager)."""
        e = self._entries.pop(c.id, None)
        if e is not None and e.task is not None:
            e.task.cancel()
        c.restart_count = 0

    def forget(self, cid: str) -> None:
        e = self._entries.pop(cid, None)
        if e is not None and e.task is not None:
            e.task.cancel()

    # -- daemon start and stop

    async def settle_interrupted(self) -> None:
        """Before exits are recovered: a restart that was pending (or half
        started) when the daemon went away is an exited container, with nothing
        left in runc or mounted (restart_at_boot decides what next)."""
        from barge.sys import mount as sysmount
        loop = asyncio.get_running_loop()
        for c in self.ctx.registry.all():
            if c.state.status != "restarting":
                continue
            try:
                await self.ctx.runc.delete(c.id, force=True)
            except Exception as err:
                log.warning("runc delete %s: %s", c.id[:12], err)
            await loop.run_in_executor(self.ctx.pool, sysmount.unmount, c.rootfs)
            try:
                os.unlink(os.path.join(self.ctx.cfg.exit_dir, c.id))
            except FileNotFoundError:
                pass
            c.state.status = "exited"
            c.state.pid = 0
            c.save()

    async def restart_at_boot(self) -> None:
        """Start the containers a restart policy wants running again."""
        for c in list(self.ctx.registry.all()):
            if c.state.running or c.state.status not in ("exited", "created"):
                continue
            policy, max_retries = policy_of(c.host_config)
            if not restart_at_boot(policy, max_retries, c.state.exit_code, c.manually_stopped,
                                   c.restart_count, c.has_been_started):
                continue
            async with self.ctx.registry.lock(c.id):
                if c.state.running or not self.ctx.registry.exists(c.id):
                    continue
                self.reset(c)
                try:
                    await self._start_locked(self.ctx, c)
                except Exception as err:
                    log.warning("starting %s at boot failed: %s", c.id[:12], err)

    def close(self) -> None:
        """Daemon shutdown: drop the restarts still in their backoff (one being
        started finishes, or is settled at the next start)."""
        for e in self._entries.values():
            if e.task is not None and e.sleeping:
                e.task.cancel()
        self._entries.clear()


async def cancel_pending(ctx: Ctx, c: Container) -> bool:
    """For stop/kill/remove: `RestartManager.cancel` if the daemon has one."""
    rm = ctx.restarts
    return await rm.cancel(c) if rm is not None else False


def manager(ctx: Ctx) -> RestartManager | None:
    """The daemon's RestartManager (daemon/app.py sets `ctx.restarts`)."""
    return ctx.restarts


def reset_for_start(ctx: Ctx, c: Container) -> None:
    """A start by the user of a container that is not running: count and backoff start over."""
    rm = manager(ctx)
    if rm is not None and not c.state.running and c.state.status != "removing":
        rm.reset(c)
