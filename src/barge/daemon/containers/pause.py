"""Pause and unpause: freeze a container's processes in their cgroup (runc pause/resume)."""
from __future__ import annotations

from barge.daemon.container import Container
from barge.daemon.containers.context import Ctx
from barge.errdefs import Conflict


async def pause(ctx: Ctx, ref: str) -> None:
    c = ctx.registry.get(ref)
    async with ctx.registry.lock(c.id):
        if not c.state.running:
            raise Conflict(f"Container {c.id} is not running")
        if c.state.status == "paused":
            raise Conflict(f"Container {c.id} is already paused")
        if c.state.status == "restarting":
            raise Conflict(f"Container {c.id} is restarting, wait until the container is running")
        await ctx.runc.pause(c.id)
        c.state.status = "paused"
        c.save()
    ctx.event(c, "pause")
    await ctx.registry.notify()


async def unpause(ctx: Ctx, ref: str) -> None:
    c = ctx.registry.get(ref)
    async with ctx.registry.lock(c.id):
        if c.state.status != "paused":
            raise Conflict(f"Container {c.id} is not paused")
        await ctx.runc.resume(c.id)
        c.state.status = "running"
        c.save()
    ctx.event(c, "unpause")
    await ctx.registry.notify()


async def resume_for_stop(ctx: Ctx, c: Container) -> None:
    """Before stopping or killing a paused container: thaw it, so the signal lands."""
    if c.state.status != "paused":
        return
    try:
        await ctx.runc.resume(c.id)
    except Exception:
        pass          # runc kill --all thaws too; the exit is what counts
    if c.state.status == "paused":
        c.state.status = "running"
        c.save()
    ctx.event(c, "unpause")
