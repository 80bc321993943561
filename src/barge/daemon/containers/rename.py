"""Rename a container."""
from __future__ import annotations

from barge.daemon.containers.context import Ctx
from barge.errdefs import InvalidParameter
from barge.spec import ids


async def rename(ctx: Ctx, ref: str, new_name: str) -> None:
    if not new_name:
        raise InvalidParameter("Neither old nor new names may be empty")
    c = ctx.registry.get(ref)
    new = ids.validate_name(new_name)
    if new == c.name:
        raise InvalidParameter("Renaming a container with the same name as its current name")
    async with ctx.registry.lock(c.id):
        old = c.name
        ctx.registry.rename(c, new)
        c.save()
    ctx.event(c, "rename", {"oldName": "/" + old})
