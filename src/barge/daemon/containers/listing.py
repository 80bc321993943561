"""`ps`: list containers with Docker's filters."""
from __future__ import annotations

import re

from barge.daemon.container import Container
from barge.daemon.containers.context import Ctx
from barge.daemon.containers import health
from barge.daemon.containers.inspect import summary
from barge.errdefs import InvalidParameter, NotFound
from barge.spec import clock

FILTERS = ("id", "name", "label", "status", "exited", "ancestor", "before", "since", "health",
           "network", "volume", "publish", "expose", "isolation", "is-task")
STATUSES = ("created", "restarting", "running", "removing", "paused", "exited", "dead")


def _label_match(c: Container, want: str) -> bool:
    labels = c.config.get("Labels") or {}
    k, eq, v = want.partition("=")
    return k in labels and (not eq or labels[k] == v)


def _matches(ctx: Ctx, c: Container, filters: dict[str, list[str]], images: dict) -> bool:
    for key, values in filters.items():
        if not values:
            continue
        if key == "id" and not any(c.id.startswith(v) for v in values):
            return False
        if key == "name" and not any(_name_match(v, c.name) for v in values):
            return False
        if key == "label" and not all(_label_match(c, v) for v in values):
            return False
        if key == "status":
            for v in values:
                if v not in STATUSES:
                    raise InvalidParameter(f"Invalid filter 'status={v}'")
            if c.state.status not in values:
                return False
        if key == "exited":
            if c.state.status != "exited" or str(c.state.exit_code) not in values:
                return False
        if key == "ancestor" and not any(_ancestor(ctx, c, v, images) for v in values):
            return False
        if key == "volume" and not any(_uses_volume(c, v) for v in values):
            return False
        if key == "health":
            health.check_filter_values(values)
            if health.status_of(c) not in values:
                return False
    return True


def _uses_volume(c: Container, want: str) -> bool:
    """Docker's `volume=` filter: a volume name or a mount destination."""
    return any((m.get("name") or m.get("source")) == want or m.get("destination") == want
               for m in c.mount_points)


def _name_match(pattern: str, name: str) -> bool:
    """Docker matches names as unanchored regular expressions, with and without the '/'."""
    try:
        rx = re.compile(pattern)
    except re.error as e:
        raise InvalidParameter(f"error parsing regexp: {e}") from None
    return bool(rx.search("/" + name) or rx.search(name))


def _ancestor(ctx: Ctx, c: Container, ref: str, images: dict) -> bool:
    if ref not in images:
        try:
            images[ref] = ctx.store.images.resolve(ref).id
        except NotFound:
            images[ref] = None
    return images[ref] == c.image_id


def _created_of(ctx: Ctx, ref: str) -> float:
    try:
        return clock.parse_rfc3339(ctx.registry.get(ref).created)
    except NotFound:
        raise InvalidParameter(f"No such container: {ref}") from None


def list_containers(ctx: Ctx, all_: bool = False, limit: int = -1, filters: dict | None = None) -> list[dict]:
    filters = dict(filters or {})
    for k in filters:
        if k not in FILTERS:
            raise InvalidParameter(f"invalid filter '{k}'")
    cs = sorted(ctx.registry.all(), key=lambda c: c.created, reverse=True)
    if filters.get("before"):
        t = _created_of(ctx, filters["before"][0])
        cs = [c for c in cs if clock.parse_rfc3339(c.created) < t]
    if filters.get("since"):
        t = _created_of(ctx, filters["since"][0])
        cs = [c for c in cs if clock.parse_rfc3339(c.created) > t]
    if not all_ and limit <= 0 and not filters.get("status") and not filters.get("exited"):
        cs = [c for c in cs if c.state.running]
    images: dict = {}
    cs = [c for c in cs if _matches(ctx, c, filters, images)]
    if limit > 0:
        cs = cs[:limit]
    return [summary(c, _image_name(ctx, c)) for c in cs]


def _image_name(ctx: Ctx, c: Container) -> str:
    """What ps shows: the name the user gave while it still names the same image, else the id."""
    given = c.config.get("Image") or ""
    try:
        if ctx.store.images.resolve(given).id == c.image_id:
            return given
    except (NotFound, InvalidParameter):
        pass
    return c.image_id
