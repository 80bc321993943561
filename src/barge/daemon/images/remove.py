"""`rmi` and `image prune`: untag versus delete, as Docker decides."""
from __future__ import annotations

import asyncio

from barge.daemon.containers.context import Ctx
from barge.errdefs import Conflict, InvalidParameter
from barge.spec import ids, reference
from barge.store.images import Image


def _users(ctx: Ctx, image_id: str) -> list:
    return [c for c in ctx.registry.all() if c.image_id == image_id]


def _is_name(ref: str, img: Image) -> bool:
    try:
        return reference.normalize(ref) in img.repo_tags
    except InvalidParameter:
        return False


async def remove(ctx: Ctx, ref: str, force: bool = False, prune: bool = True) -> list[dict]:
    img = ctx.store.images.resolve(ref)
    digest_ref = _digest_ref(ref, img)
    if digest_ref and len(img.repo_tags) + len(img.repo_digests) > 1:
        # `rmi repo@sha256:…` of an image known by other names only drops that name, as Docker
        ctx.store.images.remove_digest(digest_ref)
        ctx.events.publish("image", "untag", img.id, {"name": digest_ref})
        return [{"Untagged": digest_ref}]
    users = _users(ctx, img.id)
    by_name = _is_name(ref, img)
    if by_name and len(img.repo_tags) > 1:
        return [_untag(ctx, img, reference.normalize(ref))]
    running = [c for c in users if c.state.running]
    if running:
        what = "unable to remove repository reference" if by_name else "unable to delete"
        raise Conflict(f"conflict: {what} {_what(ref, img, by_name)} (cannot be forced) - image is being "
                       f"used by running container {ids.short(running[0].id)}")
    if users and not force:
        if by_name:
            raise Conflict(f'conflict: unable to remove repository reference "{ref}" (must force) - '
                           f"container {ids.short(users[0].id)} is using its referenced image {ids.short(img.id)}")
        raise Conflict(f"conflict: unable to delete {ids.short(img.id)} (must be forced) - image is being "
                       f"used by stopped container {ids.short(users[0].id)}")
    if not by_name and len(img.repo_tags) > 1 and not force:
        raise Conflict(f"conflict: unable to delete {ids.short(img.id)} (must be forced) - image is "
                       "referenced in multiple repositories")
    if not by_name and ctx.store.images.children(img.id):
        raise Conflict(f"conflict: unable to delete {ids.short(img.id)} (cannot be forced) - image has "
                       "dependent child images")
    out = await _delete(ctx, img)
    return out + (await _delete_parents(ctx, img.parent) if prune else [])


async def _delete_parents(ctx: Ctx, parent: str) -> list[dict]:
    """A deleted image's untagged, unused parents with no other child go too
    (a build's intermediate images), as Docker's rmi does unless --no-prune."""
    out: list[dict] = []
    while parent:
        try:
            img = ctx.store.images.get_by_id(parent)
        except Exception:
            break
        if img.repo_tags or _users(ctx, img.id) or ctx.store.images.children(img.id):
            break
        out += await _delete(ctx, img)
        parent = img.parent
    return out


def _digest_ref(ref: str, img: Image) -> str | None:
    if "@" not in ref:
        return None
    try:
        name = reference.normalize(ref)
    except InvalidParameter:
        return None
    return name if name in img.repo_digests else None


def container_layers(ctx: Ctx) -> set[str]:
    keep: set[str] = set()
    for c in ctx.registry.all():
        keep |= ctx.store.images.chains_of_lowerdirs(c.lower_dirs)
    return keep


def _what(ref: str, img: Image, by_name: bool) -> str:
    return f'"{ref}"' if by_name else ids.short(img.id)


def _untag(ctx: Ctx, img: Image, tag: str) -> dict:
    ctx.store.images.untag(tag)
    ctx.events.publish("image", "untag", img.id, {"name": tag})
    return {"Untagged": tag}


async def _delete(ctx: Ctx, img: Image) -> list[dict]:
    out = [_untag(ctx, img, t) for t in img.repo_tags]
    out += [{"Untagged": d} for d in img.repo_digests]
    keep = container_layers(ctx)     # stopped containers of a forced delete keep running on them
    layers = await asyncio.get_running_loop().run_in_executor(ctx.pool, ctx.store.images.delete, img.id, keep)
    out.append({"Deleted": img.id})
    out += [{"Deleted": c} for c in layers]
    ctx.events.publish("image", "delete", img.id, {"name": img.id})
    return out


def ancestors(images: list, of: set[str]) -> set[str]:
    """Every image `of` was built on (parents, recursively)."""
    parent = {i.id: i.parent for i in images}
    out: set[str] = set()
    for start in of:
        p = parent.get(start)
        while p and p not in out:
            out.add(p)
            p = parent.get(p)
    return out


async def prune(ctx: Ctx, filters: dict | None = None) -> dict:
    filters = dict(filters or {})
    dangling_only = True
    if filters.get("dangling"):
        dangling_only = filters["dangling"][-1].lower() in ("true", "1")
    used = {c.image_id for c in ctx.registry.all()}
    images = ctx.store.images.list()
    used |= ancestors(images, {i.id for i in images if i.repo_tags} | used)   # a build's cache stays
    deleted: list[dict] = []
    reclaimed = 0
    for img in images:
        if img.id in used or (dangling_only and img.repo_tags):
            continue
        reclaimed += img.size
        deleted += await _delete(ctx, img)
    return {"ImagesDeleted": deleted or None, "SpaceReclaimed": reclaimed}
