"""`container prune`: remove stopped containers, with Docker's filters."""
from __future__ import annotations

import time

from barge.daemon.container import Container
from barge.daemon.containers.context import Ctx
from barge.daemon.containers.remove import destroy
from barge.daemon.containers.size import tree_size
from barge.errdefs import InvalidParameter
from barge.spec import clock
from barge.spec.filters import label_holds
from barge.spec.units import parse_unix_timestamp, timestamp_param

FILTERS = ("until", "label", "label!")


def matches(c: Container, filters: dict[str, list[str]], now: float) -> bool:
    """Pure: whether `c` is pruned under `filters` (state aside)."""
    labels = c.config.get("Labels") or {}
    if not all(label_holds(labels, w) for w in filters.get("label", [])):
        return False
    if any(label_holds(labels, w) for w in filters.get("label!", [])):
        return False
    for until in filters.get("until", []):
        sec, nsec = parse_unix_timestamp(timestamp_param(until, now))
        if clock.parse_rfc3339(c.created) >= sec + nsec / 1e9:
            return False
    return True


async def prune(ctx: Ctx, filters: dict[str, list[str]]) -> dict:
    for key in filters:
        if key not in FILTERS:
            raise InvalidParameter(f"invalid filter '{key}'")
    now = time.time()
    deleted, reclaimed = [], 0
    for c in list(ctx.registry.all()):
        if c.state.running or c.state.status in ("removing", "restarting") or not matches(c, filters, now):
            continue
        reclaimed += tree_size(c.path("upper"))
        await destroy(ctx, c)
        deleted.append(c.id)
    return {"ContainersDeleted": deleted or None, "SpaceReclaimed": reclaimed}
