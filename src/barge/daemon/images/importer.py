"""`import`: a root filesystem tar becomes a one-layer image."""
from __future__ import annotations

import json

from barge.daemon.containers.context import Ctx
from barge.spec import changes as changespec
from barge.spec import clock, reference
from barge.util.aiobridge import feed_reader


def image_config(diff_id: str, changes: list[str], message: str, source: str) -> bytes:
    now = clock.rfc3339nano()
    history = {"created": now, "comment": message or f"Imported from {source}"}
    cfg = {
        "architecture": "amd64", "os": "linux", "created": now,
        "config": changespec.apply({}, changes),
        "history": [history],
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }
    cfg["comment"] = history["comment"]
    return json.dumps(cfg, separators=(",", ":")).encode()


async def import_image(ctx: Ctx, body, repo: str, tag: str, changes: list[str], message: str,
                       source: str = "-") -> str:
    ref = None
    if repo:
        ref = reference.normalize(f"{repo}:{tag}" if tag else repo)
    layer = await feed_reader(body, ctx.pool, lambda r: ctx.store.layers.register(r, None))
    img = ctx.store.images.create(image_config(layer.diff_id, changes, message, source))
    if ref:
        ctx.store.images.tag(img.id, ref)
    ctx.events.publish("image", "import", img.id, {"name": ref or img.id})
    return img.id
