"""`pull` (`POST /images/create?fromImage=`): images from a registry into
the store, streaming Docker's progress messages."""
from __future__ import annotations

from dataclasses import dataclass
from typing import AsyncIterator

from barge.daemon.containers.context import Ctx
from barge.daemon.images.transfer import Emit, client_for, event, message_of, stream_job
from barge.distribution import manifest as mf
from barge.distribution.auth import Credentials, repo_scope
from barge.distribution.copy import copy
from barge.distribution.local import StoreDestination
from barge.distribution.remote import RegistrySource
from barge.errdefs import InvalidParameter
from barge.spec import progress as pm
from barge.spec import reference
from barge.spec.reference import Reference


@dataclass
class PullPlan:
    ref: Reference              # with a tag or digest, or neither for all tags
    platform: mf.Platform

    @property
    def all_tags(self) -> bool:
        return not (self.ref.tag or self.ref.digest)


def plan(from_image: str, tag: str | None, platform: str | None) -> PullPlan:
    """Check the request before the stream starts (a bad name is a 400).
    As in Docker's API, no tag at all means every tag of the repository."""
    ref = reference.parse(from_image)
    if tag:
        if ref.tag or ref.digest:
            raise InvalidParameter(f"invalid reference format: {from_image} already has a tag or digest")
        if tag.startswith("sha256:"):
            ref = reference.parse(f"{from_image}@{tag}")
        else:
            ref = reference.parse(f"{from_image}:{tag}")
    return PullPlan(ref, mf.parse_platform(platform))


def pull(ctx: Ctx, p: PullPlan, creds: Credentials) -> AsyncIterator[bytes]:
    return stream_job(ctx, lambda emit: _pull(ctx, p, creds, emit), lambda e: translate(e, p.ref))


def _pull(ctx: Ctx, p: PullPlan, creds: Credentials, emit: Emit) -> None:
    ref = p.ref
    if not p.all_tags:
        updated = pull_one(ctx, ref, p.platform, creds, emit)
    else:
        client = client_for(ctx, ref.domain, creds, [repo_scope(ref.path, "pull")])
        updated = False
        for tag in client.tags(ref.path):
            one = Reference(ref.domain, ref.path, tag)
            updated = pull_one(ctx, one, p.platform, creds, emit) or updated
    word = "Downloaded newer image for" if updated else "Image is up to date for"
    emit(pm.status(f"Status: {word} {ref.familiar()}"))


def pull_one(ctx: Ctx, ref: Reference, platform: mf.Platform, creds: Credentials, emit: Emit) -> bool:
    """Pull one tag or digest; True when the name now points at another image."""
    client = client_for(ctx, ref.domain, creds, [repo_scope(ref.path, "pull")])
    emit(pm.status(f"Pulling from {ref.path}", ref.digest or ref.tag))
    src = RegistrySource(client, ref.path, ref.digest or ref.tag, platform)
    dst = StoreDestination(ctx.store, f"{ref.domain}/{ref.path}")
    copy(src, dst, lambda id_, status, cur, total: emit(pm.update(id_, status, cur, total)))
    img = dst.image
    images = ctx.store.images
    digest_ref = f"{ref.repository}@{src.digest}"
    if ref.tag:
        old = images.tag_image(ref.familiar())
        images.tag(img.id, ref.familiar())
    else:
        old = img.id if images.meta.query("SELECT 1 FROM digests WHERE ref=?", (digest_ref,)) else None
    images.add_digest(img.id, digest_ref)
    emit(pm.status(f"Digest: {src.digest}"))
    emit(event("pull", img.id, ref.familiar()))
    return old != img.id


def translate(e: BaseException, ref: Reference) -> str:
    """Docker's wording for registry errors (moby distribution/errors.go)."""
    code = getattr(e, "code", "")
    msg = message_of(e)
    if code == "DENIED":
        return (f"pull access denied for {ref.repository}, repository does not exist "
                f"or may require 'docker login': {msg}")
    if code == "MANIFEST_UNKNOWN":
        return f"manifest for {ref.familiar()} not found: {msg}"
    if code == "NAME_UNKNOWN":
        return f"repository {ref.repository} not found: {msg}"
    return msg
