"""`system df`: what images, containers, volumes and build cache take on disk."""
from __future__ import annotations

from barge.daemon.containers.context import Ctx
from barge.daemon.containers.inspect import summary as container_summary
from barge.daemon.containers.listing import _image_name
from barge.daemon.containers.size import sizes
from barge.daemon.images.views import summary as image_summary
from barge.errdefs import NotFound


def disk_usage(ctx: Ctx, api: tuple[int, int] = (1, 45)) -> dict:
    """Runs in the thread pool: it walks every container's writable layer."""
    imgs = ctx.store.images.list()
    layer_users: dict[str, int] = {}
    for img in imgs:
        for c in set(img.chain_ids):
            layer_users[c] = layer_users.get(c, 0) + 1
    layer_size = {c: ctx.store.layers.get(c).size for c in layer_users}
    uses: dict[str, int] = {}
    for c in ctx.registry.all():
        uses[c.image_id] = uses.get(c.image_id, 0) + 1
    images = []
    for img in imgs:
        s = image_summary(img, uses.get(img.id, 0), api)
        s["SharedSize"] = sum(layer_size[c] for c in set(img.chain_ids) if layer_users[c] > 1)
        images.append(s)
    containers = []
    for c in sorted(ctx.registry.all(), key=lambda c: c.created, reverse=True):
        s = container_summary(c, _image_name(ctx, c))
        try:
            image_size = ctx.store.images.get_by_id(c.image_id).size
        except NotFound:
            image_size = 0
        s.update(sizes(c, image_size))
        containers.append(s)
    return {"LayersSize": sum(layer_size.values()), "Images": images, "Containers": containers,
            "Volumes": ctx.volumes.usage(), "BuildCache": []}
