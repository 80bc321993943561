"""`push` (`POST /images/{name}/push?tag=`): images from the store to a
registry, streaming Docker's progress messages."""
from __future__ import annotations

from typing import AsyncIterator

from barge.daemon.containers.context import Ctx
from barge.daemon.images.transfer import Emit, client_for, event, message_of, stream_job
from barge.distribution.auth import Credentials, repo_scope
from barge.distribution.copy import copy
from barge.distribution.local import StoreSource
from barge.distribution.remote import RegistryDestination
from barge.errdefs import InvalidParameter, NotFound
from barge.spec import progress as pm
from barge.spec import reference
from barge.spec.reference import Reference
from barge.store.blobinfo import BlobInfo
from barge.store.images import Image

PARALLEL_UPLOADS = 5


def plan(name: str, tag: str | None) -> Reference:
    """The repository (and tag) to push; no tag means every tag of it."""
    ref = reference.parse(name)
    if ref.digest:
        raise InvalidParameter("cannot push a digest reference")
    if tag:
        ref = reference.parse(f"{ref.repository}:{tag}")
    return ref


def push(ctx: Ctx, ref: Reference, creds: Credentials) -> AsyncIterator[bytes]:
    return stream_job(ctx, lambda emit: _push(ctx, ref, creds, emit), message_of)


def _tags(ctx: Ctx, ref: Reference) -> list[str]:
    if ref.tag:
        found = ctx.store.images.tag_image(ref.familiar())
        return [ref.tag] if found else []
    out = []
    for (name,) in ctx.store.meta.query("SELECT ref FROM tags ORDER BY ref"):
        r = reference.parse(name)
        if r.domain == ref.domain and r.path == ref.path and r.tag:
            out.append(r.tag)
    return out


def _push(ctx: Ctx, ref: Reference, creds: Credentials, emit: Emit) -> None:
    emit(pm.status(f"The push refers to repository [{ref.full_repository}]"))
    tags = _tags(ctx, ref)
    if not tags:
        raise NotFound(f"An image does not exist locally with the tag: {ref.repository}")
    for tag in tags:
        one = Reference(ref.domain, ref.path, tag)
        push_one(ctx, one, ctx.store.images.resolve(one.familiar()), creds, emit)


def push_one(ctx: Ctx, ref: Reference, img: Image, creds: Credentials, emit: Emit) -> None:
    src = StoreSource(ctx.store, img)
    client = client_for(ctx, ref.domain, creds, _scopes(ref, src, img))
    dst = RegistryDestination(client, ref.path, ref.tag, src.candidates)
    res = copy(src, dst, lambda id_, status, cur, total: emit(pm.update(id_, status, cur, total)),
               parallel=PARALLEL_UPLOADS)
    info = BlobInfo(ctx.store.meta, ctx.store.content)
    for rec in dst.pushed:
        info.record(rec)
    ctx.store.images.add_digest(img.id, f"{ref.repository}@{res.digest}")
    emit(pm.status(f"{ref.tag}: digest: {res.digest} size: {res.size}"))
    emit(pm.aux({"Tag": ref.tag, "Digest": res.digest, "Size": res.size}))
    emit(event("push", img.id, ref.familiar()))


def _scopes(ref: Reference, src: StoreSource, img: Image) -> list[str]:
    """Push and pull on the target; pull on the sibling repositories blobs can be mounted from."""
    scopes = [repo_scope(ref.path, "pull,push")]
    prefix = ref.domain + "/"
    for diff_id in img.diff_ids:
        for rec in src.candidates(diff_id):
            other = rec.source[len(prefix):] if rec.source.startswith(prefix) else ""
            scope = repo_scope(other, "pull")
            if other and other != ref.path and scope not in scopes:
                scopes.append(scope)
    return scopes
