"""Remove a container, killing it first with force."""
from __future__ import annotations

import asyncio
import os
import shutil

from barge.daemon.container import Container
from barge.daemon.containers.context import Ctx
from barge.daemon.containers.mounts import remove_anonymous
from barge.daemon.containers.restart import manager as restart_manager
from barge.daemon.containers.stop import stop_container
from barge.errdefs import Conflict
from barge.sys import mount as sysmount


async def remove(ctx: Ctx, ref: str, force: bool = False, volumes: bool = False) -> None:
    c = ctx.registry.get(ref)
    if c.state.status == "removing":
        raise Conflict(f"removal of container {c.id} is already in progress")
    if c.state.running:
        if not force:
            raise Conflict(
                f'cannot remove container "/{c.name}": container is running: stop the container '
                'before removing or force remove')
        await stop_container(ctx, c, timeout=0)
    await destroy(ctx, c, volumes)


async def destroy(ctx: Ctx, c: Container, volumes: bool = False) -> None:
    """Remove `c` and, with `volumes`, its anonymous volumes (`rm -v`, `--rm`)."""
    async with ctx.registry.lock(c.id):
        if not ctx.registry.exists(c.id):
            return
        # record_exit deleted and unmounted it, unless a start was cut short (runc state left)
        cleaned = c.state.status in ("exited", "created") and \
            not os.path.exists(os.path.join(ctx.runc.root, c.id))
        c.state.status = "removing"
        c.save()
        loop = asyncio.get_running_loop()
        if not cleaned:
            await ctx.runc.delete(c.id, force=True)
            await loop.run_in_executor(ctx.pool, sysmount.unmount, c.rootfs)
        await loop.run_in_executor(ctx.pool, shutil.rmtree, c.dir, True)
        try:
            os.unlink(os.path.join(ctx.cfg.socket_dir, c.id))   # conmon's link to the bundle
        except OSError:
            pass
        ctx.registry.remove(c)
        if restart_manager(ctx) is not None:
            restart_manager(ctx).forget(c.id)
        if c.image_id not in ctx.store.images.ids():   # its image was force-removed earlier
            from barge.daemon.images.remove import container_layers
            await loop.run_in_executor(ctx.pool, ctx.store.images.gc_layers, container_layers(ctx))
    if volumes:
        await remove_anonymous(ctx, c)
    ctx.event(c, "destroy")
    await ctx.registry.notify()
