"""Manifest, tag, catalog, referrers and search handlers."""
from __future__ import annotations

import asyncio
import json
import math
from urllib.parse import urlencode

from barge.distribution.registry import manifests as mf
from barge.distribution.registry.errors import RegistryError
from barge.distribution.registry.httpserver import Request, Response
from barge.distribution.registry.storage import paginate


async def get_manifest(reg, req: Request, name: str, ref: str) -> Response:
    if not mf.is_digest(ref):
        mf.check_tag(ref)
    digest, media_type = reg.storage.resolve(name, ref)
    if not mf.acceptable(media_type, mf.parse_accept(req.headers.get("accept", []))):
        raise RegistryError("MANIFEST_UNKNOWN", f"manifest is {media_type}, which the client does not accept",
                            detail={"name": name, "reference": ref})
    data = await asyncio.to_thread(reg.storage.read_blob, digest)
    return Response(200, [("Content-Type", media_type), ("Docker-Content-Digest", digest),
                          ("ETag", f'"{digest}"')], data)


def _check_references(reg, name: str, media_type: str, obj: dict) -> None:
    if media_type in mf.INDEX_TYPES:
        missing = [d for d in mf.child_refs(obj) if not reg.storage.has_manifest(name, d)]
    else:
        missing = [d for d in mf.blob_refs(obj) if reg.storage.repo_blob_size(name, d) is None]
    if missing:
        raise RegistryError("MANIFEST_BLOB_UNKNOWN", detail={"digest": missing[0], "missing": missing})


async def put_manifest(reg, req: Request, name: str, ref: str) -> Response:
    tags = req.query.get("tag", [])
    if mf.is_digest(ref):
        for t in tags:
            mf.check_tag(t)
    else:
        mf.check_tag(ref)
        tags = []
    data = await req.body.read_all(mf.MAX_MANIFEST + 1)
    media_type, obj = mf.parse(data, req.header("content-type"))
    _check_references(reg, name, media_type, obj)
    digest = await asyncio.to_thread(reg.storage.put_manifest, name, ref, data, media_type, tags)
    headers = [("Location", f"/v2/{name}/manifests/{digest}"), ("Docker-Content-Digest", digest)]
    if mf.subject_of(obj):
        headers.append(("OCI-Subject", mf.subject_of(obj)))
    headers += [("OCI-Tag", t) for t in tags]
    return Response(201, headers)


async def delete_manifest(reg, req: Request, name: str, ref: str) -> Response:
    if not mf.is_digest(ref):
        mf.check_tag(ref)
    await asyncio.to_thread(reg.storage.delete_manifest, name, ref)
    return Response(202)


def _page_args(req: Request) -> tuple[int | None, str | None]:
    n = req.arg("n")
    if n is not None and (not n.isdigit() or len(n) > 9):
        raise RegistryError("PAGINATION_NUMBER_INVALID", "invalid number of results requested", status=400)
    return (int(n) if n is not None else None), (req.arg("last") or None)


def _link(path: str, page: list[str], n: int | None) -> list[tuple[str, str]]:
    return [("Link", f'<{path}?{urlencode({"last": page[-1], "n": n})}>; rel="next"')]


async def list_tags(reg, req: Request, name: str) -> Response:
    n, last = _page_args(req)
    page, more = paginate(reg.storage.tags(name), n, last)
    headers = _link(f"/v2/{name}/tags/list", page, n) if more else []
    return Response.json({"name": name, "tags": page}, headers=headers)


def _visible_repos(reg, req: Request) -> list[str]:
    return [r for r in reg.storage.repositories() if reg.may(req, r, "pull")]


async def catalog(reg, req: Request) -> Response:
    n, last = _page_args(req)
    page, more = paginate(await asyncio.to_thread(_visible_repos, reg, req), n, last)
    headers = _link("/v2/_catalog", page, n) if more else []
    return Response.json({"repositories": page}, headers=headers)


async def referrers(reg, req: Request, name: str, digest: str) -> Response:
    mf.check_digest(digest)
    artifact_type = req.arg("artifactType") or None
    found = await asyncio.to_thread(reg.storage.referrers, name, digest, artifact_type)
    headers = [("OCI-Filters-Applied", "artifactType")] if artifact_type else []
    body = {"schemaVersion": 2, "mediaType": mf.OCI_INDEX, "manifests": found}
    return Response.json(body, headers=headers, content_type=mf.OCI_INDEX)


def _int_arg(req: Request, key: str, default: int, lo: int, hi: int) -> int:
    v = req.arg(key)
    try:
        return min(max(int(v), lo), hi) if v else default
    except ValueError:
        raise RegistryError("UNSUPPORTED", f"invalid {key}", status=400) from None


async def search(reg, req: Request) -> Response:
    """Docker Hub's `/v1/search` over the catalog (what `docker search` calls)."""
    q = (req.arg("q") or "").strip().lower()
    n = _int_arg(req, "n", 25, 1, 100)
    page = _int_arg(req, "page", 1, 1, 1 << 30)
    repos = [r for r in await asyncio.to_thread(_visible_repos, reg, req) if q in r.lower()]
    chunk = repos[(page - 1) * n: page * n]
    results = [{"name": r, "description": "", "star_count": 0, "is_official": False,
                "is_automated": False} for r in chunk]
    return Response(200, [("Content-Type", "application/json")], json.dumps({
        "num_pages": max(1, math.ceil(len(repos) / n)), "num_results": len(repos), "page_size": n,
        "page": page, "query": req.arg("q") or "", "results": results}).encode())
