"""`export`: a container's root filesystem as a tar stream."""
from __future__ import annotations

from typing import AsyncIterator

from barge.daemon.container import Container
from barge.daemon.containers.context import Ctx
from barge.sys import mount as sysmount
from barge.util.aiobridge import run_writer
from barge.util.tarlayer import write_tree


def _write(c: Container, out) -> None:
    mounted_here = False
    if not sysmount.is_mounted(c.rootfs):
        sysmount.mount_overlay(c.lower_dirs, c.path("upper"), c.path("work"), c.rootfs)
        mounted_here = True
    try:
        write_tree(c.rootfs, out)
    finally:
        if mounted_here:
            sysmount.unmount(c.rootfs)


async def export(ctx: Ctx, c: Container) -> AsyncIterator[bytes]:
    async for chunk in run_writer(ctx.pool, lambda w: _write(c, w)):
        yield chunk
    ctx.event(c, "export")
