"""`search` (`GET /images/search`): a registry's `/v1/search`, in the Engine API's shape."""
from __future__ import annotations

import asyncio

from barge.daemon.containers.context import Ctx
from barge.daemon.images.transfer import client_for
from barge.distribution.auth import Credentials
from barge.distribution.client import HUB_DOMAIN, HUB_INDEX
from barge.errdefs import InvalidParameter

DEFAULT_LIMIT = 25


def split_term(term: str) -> tuple[str, str]:
    """`localhost:5000/foo` -> (localhost:5000, foo); `foo` -> (docker.io, foo)."""
    first, sep, rest = term.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return (HUB_DOMAIN if first in (HUB_INDEX, HUB_DOMAIN) else first), rest
    return HUB_DOMAIN, term


def check_limit(limit: int | None) -> int:
    if limit is None or limit == 0:
        return DEFAULT_LIMIT
    if limit < 1 or limit > 100:
        raise InvalidParameter(f"limit {limit} is outside the range of [1, 100]")
    return limit


def apply_filters(results: list[dict], filters: dict[str, list[str]]) -> list[dict]:
    out = []
    for r in results:
        if "is-official" in filters and str(bool(r.get("is_official"))).lower() not in filters["is-official"]:
            continue
        if "is-automated" in filters and str(bool(r.get("is_automated"))).lower() not in filters["is-automated"]:
            continue
        if "stars" in filters and any(int(r.get("star_count") or 0) < int(s) for s in filters["stars"]):
            continue
        out.append(r)
    return out


def shape(r: dict) -> dict:
    return {"star_count": int(r.get("star_count") or 0), "is_official": bool(r.get("is_official")),
            "name": r.get("name", ""), "is_automated": bool(r.get("is_automated")),
            "description": r.get("description") or ""}


async def search(ctx: Ctx, term: str, limit: int | None, filters: dict, creds: Credentials) -> list[dict]:
    if not term:
        raise InvalidParameter("term is required")
    limit = check_limit(limit)
    for k, vals in filters.items():
        if k not in ("is-official", "is-automated", "stars"):
            raise InvalidParameter(f"invalid filter '{k}'")
        if k == "stars" and not all(v.isdigit() for v in vals):
            raise InvalidParameter(f"invalid filter 'stars={vals[0]}'")
    domain, query = split_term(term)
    client = client_for(ctx, domain, creds)
    if domain == HUB_DOMAIN:
        client.host = HUB_INDEX
    doc = await asyncio.get_running_loop().run_in_executor(ctx.pool, client.search, query, limit)
    results = [shape(r) for r in doc.get("results") or [] if isinstance(r, dict)]
    return apply_filters(results, filters)[:limit]
