"""`load`: images from a `docker save` tar."""
from __future__ import annotations

import os
import shutil
import tempfile

from barge.daemon.containers.context import Ctx
from barge.distribution.archive import ArchiveImage, extract_archive, read_archive
from barge.errdefs import InvalidParameter
from barge.spec import reference
from barge.store import Store
from barge.store.images import Image
from barge.util.aiobridge import feed_reader


def tmp_root(ctx: Ctx) -> str:
    p = os.path.join(ctx.cfg.data_root, "tmp")
    os.makedirs(p, exist_ok=True)
    return p


def _import_one(store: Store, ai: ArchiveImage) -> Image:
    import json
    try:
        diff_ids = json.loads(ai.config)["rootfs"]["diff_ids"]
    except (ValueError, KeyError, TypeError):
        raise InvalidParameter("invalid archive: image config has no rootfs.diff_ids") from None
    if len(diff_ids) != len(ai.layers):
        raise InvalidParameter("invalid archive: layer count does not match the image config")
    parent = None
    for layer, diff in zip(ai.layers, diff_ids):
        with open(layer.path, "rb") as f:
            parent = store.layers.register(f, parent, expected=diff).chain_id
    return store.images.create(ai.config)


def load_dir(store: Store, workdir: str) -> list[tuple[Image, list[str]]]:
    return [(_import_one(store, ai), ai.repo_tags) for ai in read_archive(workdir)]


async def load(ctx: Ctx, body) -> list[str]:
    """Return the lines Docker prints ("Loaded image: busybox:latest")."""
    work = tempfile.mkdtemp(prefix="load-", dir=tmp_root(ctx))
    try:
        await feed_reader(body, ctx.pool, lambda r: extract_archive(r, work))
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
    import asyncio
    return await asyncio.get_running_loop().run_in_executor(ctx.pool, fn, *args)
