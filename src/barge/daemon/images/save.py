"""`save`: images as a `docker save` tar, streamed. Each image is copied
from the store into the archive (distribution.copy), then the tar is written."""
from __future__ import annotations

from typing import AsyncIterator

from barge.daemon.containers.context import Ctx
from barge.distribution.archive_copy import SaveArchive
from barge.distribution.copy import copy
from barge.distribution.local_tar import StoreTarSource
from barge.spec import reference
from barge.util.aiobridge import run_writer


def _quiet(id_: str, status: str, current: int | None, total: int | None) -> None:
    """save reports no progress."""


def plan(ctx: Ctx, names: list[str]) -> SaveArchive:
    """Resolve every name and plan the archive first, so a bad name fails
    before any byte is sent. Blobs are only opened while the tar is written."""
    archive = SaveArchive()
    for n in names:
        img = ctx.store.images.resolve(n)
        if img.id.removeprefix("sha256:").startswith(n.removeprefix("sha256:")):
            tags = []   # saved by id: no names, as Docker does
        else:
            tags = [reference.normalize(n)]
        copy(StoreTarSource(ctx.store, img), archive.destination(tags), _quiet, parallel=1)
    return archive


async def save(ctx: Ctx, archive: SaveArchive) -> AsyncIterator[bytes]:
    async for chunk in run_writer(ctx.pool, archive.write):
        yield chunk
