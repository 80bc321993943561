"""`load`: images from a `docker save` tar. The archive is unpacked in a
work dir, then each of its images is copied into the store
(distribution.copy): layers present are kept, the others unpacked."""
from __future__ import annotations

import asyncio
import os
import shutil
import tempfile

from barge.daemon.containers.context import Ctx
from barge.distribution.archive import extract_archive
from barge.distribution.archive_copy import archive_sources
from barge.distribution.copy import copy
from barge.distribution.local_tar import UnpackDestination
from barge.spec import reference
from barge.store import Store
from barge.store.images import Image
from barge.util.aiobridge import feed_reader


def tmp_root(ctx: Ctx) -> str:
    p = os.path.join(ctx.cfg.data_root, "tmp")
    os.makedirs(p, exist_ok=True)
    return p


def _quiet(id_: str, status: str, current: int | None, total: int | None) -> None:
    """load's answer is the "Loaded image" lines only."""


def _held_blobs(store: Store):
    """Blobs the store holds are linked from it, not written again (a
    layer loaded before is mostly not needed at all)."""
    def known(digest: str) -> str | None:
        return store.content.path(digest) if store.content.has(digest) else None
    return known


def load_dir(store: Store, workdir: str) -> list[tuple[Image, list[str]]]:
    loaded = []
    for src in archive_sources(workdir):
        dst = UnpackDestination(store)
        try:
            copy(src, dst, _quiet)
        finally:
            dst.discard()
        loaded.append((dst.image, src.repo_tags))
    return loaded


async def load(ctx: Ctx, body) -> list[str]:
    """Return the lines Docker prints ("Loaded image: busybox:latest")."""
    work = tempfile.mkdtemp(prefix="load-", dir=tmp_root(ctx))
    try:
        known = _held_blobs(ctx.store)
        await feed_reader(body, ctx.pool, lambda r: extract_archive(r, work, known))
        loaded = await _in_pool(ctx, load_dir, ctx.store, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = []
    for img, tags in loaded:
        for t in tags:
            name = reference.normalize(t)
            old = ctx.store.images.tag_image(name)
            if old and old != img.id:
                lines.append(f"The image {name} already exists, renaming the old one with ID {old} to empty string")
            ctx.store.images.tag(img.id, name)
            lines.append(f"Loaded image: {name}")
        if not tags:
            lines.append(f"Loaded image ID: {img.id}")
        ctx.events.publish("image", "load", img.id, {"name": tags[0] if tags else img.id})
    return lines


async def _in_pool(ctx: Ctx, fn, *args):
    return await asyncio.get_running_loop().run_in_executor(ctx.pool, fn, *args)
