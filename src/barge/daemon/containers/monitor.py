"""Watch conmon's exit files and record how containers ended."""
from __future__ import annotations

import asyncio
import logging
import os

from barge.daemon.container import Container
from barge.daemon.containers import network
from barge.daemon.containers.context import Ctx
from barge.daemon.containers.mounts import events as mount_events, release as release_mounts
from barge.spec import clock
from barge.sys import mount as sysmount
from barge.sys.inotify import Inotify

log = logging.getLogger("barge.monitor")


class ExitMonitor:
    def __init__(self, ctx: Ctx, on_exit=None) -> None:
        self.ctx = ctx
        self.on_exit = on_exit          # async callback(c) for auto-remove and restart policies
        os.makedirs(ctx.cfg.exit_dir, exist_ok=True)
        self._ino = Inotify()
        self._ino.watch(ctx.cfg.exit_dir)
        self._tasks: set[asyncio.Task] = set()

    def start(self) -> None:
        asyncio.get_running_loop().add_reader(self._ino.fd, self._readable)

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self._ino.fd)
        self._ino.close()

    def _readable(self) -> None:
        for name in self._ino.read_names():
            self._spawn(name)

    def _spawn(self, cid: str) -> None:
        t = asyncio.ensure_future(self.handle_exit(cid))
        self._tasks.add(t)
        t.add_done_callback(self._tasks.discard)

    async def recover(self) -> None:
        """After a daemon start: re-adopt live containers, record the ones that ended."""
        for c in self.ctx.registry.all():
            if c.state.status == "removing":
                c.state.status = "dead"
                c.save()
            if not c.state.running:
                if os.path.exists(os.path.join(self.ctx.cfg.runc_root, c.id)):
                    # a start cut short by a daemon crash: conmon and `runc init` wait for a start
                    await self.ctx.runc.delete(c.id, force=True)
                continue
            if os.path.exists(os.path.join(self.ctx.cfg.exit_dir, c.id)):
                await self.handle_exit(c.id)
            elif not _alive(c.state.conmon_pid):
                await self.record_exit(c, 255, False, "conmon is gone")

    async def handle_exit(self, cid: str) -> None:
        path = os.path.join(self.ctx.cfg.exit_dir, cid)
        if not self.ctx.registry.exists(cid):
            return
        c = self.ctx.registry.get(cid)
        code = _read_exit(path)
        if code is None:
            return
        oom = os.path.exists(c.path("userdata", "oom"))
        async with self.ctx.registry.lock(cid):
            if not c.state.running:
                _unlink(path)
                return
            await self.record_exit(c, code, oom)
        _unlink(path)
        if self.on_exit:
            await self.on_exit(c)

    async def record_exit(self, c: Container, code: int, oom: bool, error: str = "") -> None:
        ctx = self.ctx
        unmount = asyncio.get_running_loop().run_in_executor(ctx.pool, sysmount.unmount, c.rootfs)
        try:
            await ctx.runc.delete(c.id, force=True)   # the rootfs is not its concern: both at once
        except Exception as e:
            log.warning("runc delete %s: %s", c.id[:12], e)
        await unmount
        await network.teardown(ctx, c)
        await asyncio.get_running_loop().run_in_executor(ctx.pool, release_mounts, ctx, c)
        mount_events(ctx, c, "unmount")
        s = c.state
        s.status, s.exit_code, s.pid, s.oom_killed = "exited", code, 0, oom
        s.finished_at = clock.rfc3339nano()
        s.error = error
        c.exits += 1
        c.save()
        if oom:
            ctx.event(c, "oom")
        ctx.event(c, "die", {"exitCode": str(code)})
        await ctx.registry.notify()


def _read_exit(path: str) -> int | None:
    try:
        with open(path) as f:
            return int(f.read().strip() or 0)
    except FileNotFoundError:
        return None
    except ValueError:
        return 255


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip() == "conmon"
    except OSError:
        return False
