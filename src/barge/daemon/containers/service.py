"""The container service: one entry point per verb; the verbs live in their modules."""
from __future__ import annotations

import asyncio

from barge.daemon.container import Container
from barge.daemon.containers import attach as attach_mod
from barge.daemon.containers import create as create_mod
from barge.daemon.containers import export as export_mod
from barge.daemon.containers import kill as kill_mod
from barge.daemon.containers import logs as logs_mod
from barge.daemon.containers import prune as prune_mod
from barge.daemon.containers import remove as remove_mod
from barge.daemon.containers import pause as pause_mod
from barge.daemon.containers import rename as rename_mod
from barge.daemon.containers import restart as restart_mod
from barge.daemon.containers import start as start_mod
from barge.daemon.containers import stop as stop_mod
from barge.daemon.containers import top as top_mod
from barge.daemon.containers import wait as wait_mod
from barge.daemon.containers.context import Ctx
from barge.daemon.containers.inspect import inspect
from barge.daemon.containers.listing import list_containers
from barge.daemon.containers.size import sizes
from barge.oci.conmon import write_ctl
from barge.errdefs import Conflict, NotFound


class ContainerService:
    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx

    def get(self, ref: str) -> Container:
        return self.ctx.registry.get(ref)

    async def list(self, all_=False, limit=-1, filters=None, size: bool = False) -> list[dict]:
        out = list_containers(self.ctx, all_, limit, filters)
        if size:
            for item in out:
                item.update(await self._sizes(self.ctx.registry.get(item["Id"])))
        return out

    async def inspect(self, ref: str, size: bool = False) -> dict:
        c = self.get(ref)
        out = inspect(c)
        if size:
            out.update(await self._sizes(c))
        return out

    async def _sizes(self, c: Container) -> dict:
        try:
            image_size = self.ctx.store.images.get_by_id(c.image_id).size
        except NotFound:
            image_size = 0
        return await asyncio.get_running_loop().run_in_executor(self.ctx.pool, sizes, c, image_size)

    async def create(self, body: dict, name: str | None) -> Container:
        return await create_mod.create(self.ctx, body, name)

    async def start(self, ref: str) -> None:
        restart_mod.reset_for_start(self.ctx, self.get(ref))
        await start_mod.start(self.ctx, ref)

    async def stop(self, ref: str, timeout: int | None = None, sig: str | None = None) -> None:
        await stop_mod.stop(self.ctx, ref, timeout, sig)

    async def restart(self, ref: str, timeout: int | None = None, sig: str | None = None) -> None:
        c = self.get(ref)
        if c.state.running:
            await stop_mod.stop_container(self.ctx, c, timeout, sig)
        async with self.ctx.registry.lock(c.id):
            if not c.state.running:
                restart_mod.reset_for_start(self.ctx, c)
                await start_mod.start_locked(self.ctx, c)
        self.ctx.event(c, "restart")

    async def pause(self, ref: str) -> None:
        await pause_mod.pause(self.ctx, ref)

    async def unpause(self, ref: str) -> None:
        await pause_mod.unpause(self.ctx, ref)

    async def top(self, ref: str, ps_args: str | None = None) -> dict:
        return await top_mod.top(self.ctx, ref, ps_args)

    async def kill(self, ref: str, sig: str | None = None) -> None:
        await kill_mod.kill(self.ctx, ref, sig)

    async def rename(self, ref: str, name: str) -> None:
        await rename_mod.rename(self.ctx, ref, name)

    async def remove(self, ref: str, force: bool = False, volumes: bool = False) -> None:
        await remove_mod.remove(self.ctx, ref, force, volumes)

    def waiter(self, ref: str, condition: str):
        """Resolve now, wait later: returns an async function giving the exit code."""
        return wait_mod.prepare(self.ctx, self.get(ref), wait_mod.check_condition(condition))

    def logs(self, ref: str, o: logs_mod.LogOptions):
        c = self.get(ref)
        logs_mod.check(c, o)
        return c, logs_mod.stream(self.ctx, c, o)

    async def attach(self, c: Container, reader, writer, stdin, stdout, stderr, detach_keys: bytes) -> None:
        await attach_mod.attach(self.ctx, c, reader, writer, stdin, stdout, stderr, detach_keys)

    async def resize(self, ref: str, h: int, w: int) -> None:
        c = self.get(ref)
        if not c.state.running:
            raise Conflict(f"Container {c.id} is not running")
        write_ctl(c.path("ctl"), f"1 {h} {w}\n")

    def export(self, ref: str):
        return export_mod.export(self.ctx, self.get(ref))

    async def prune(self, filters: dict) -> dict:
        return await prune_mod.prune(self.ctx, filters)

    async def on_exit(self, c: Container) -> None:
        """After an exit is recorded: auto-remove, or the restart policy."""
        if self.ctx.health is not None:
            self.ctx.health.stop(c)
        if c.host_config.get("AutoRemove"):
            await remove_mod.destroy(self.ctx, c, volumes=True)
        elif restart_mod.manager(self.ctx) is not None:
            await restart_mod.manager(self.ctx).handle_exit(c)
