"""`save`: images as a `docker save` tar, streamed."""
from __future__ import annotations

from typing import AsyncIterator

from barge.daemon.containers.context import Ctx
from barge.distribution.archive import SaveImage, SaveLayer, write_archive
from barge.spec import reference
from barge.store import Store
from barge.store.images import Image
from barge.util.aiobridge import run_writer


def _save_image(store: Store, img: Image, tags: list[str]) -> SaveImage:
    layers = []
    for chain in img.chain_ids:
        layer = store.layers.get(chain)
        layers.append(SaveLayer(diff_id=layer.diff_id, size=layer.tar_size,
                                open=lambda blob=layer.blob: store.content.open(blob)))
    return SaveImage(config=img.raw_config, layers=layers, repo_tags=tags)


def plan(ctx: Ctx, names: list[str]) -> list[SaveImage]:
    """Resolve every name first, so a bad one fails before any byte is sent."""
    out = []
    for n in names:
        img = ctx.store.images.resolve(n)
        if img.id.removeprefix("sha256:").startswith(n.removeprefix("sha256:")):
            tags = []   # saved by id: no names, as Docker does
        else:
            tags = [reference.normalize(n)]
        out.append(_save_image(ctx.store, img, tags))
    return out


async def save(ctx: Ctx, images: list[SaveImage]) -> AsyncIterator[bytes]:
    async for chunk in run_writer(ctx.pool, lambda w: write_archive(w, images)):
        yield chunk
