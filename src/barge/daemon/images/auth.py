"""`login` (`POST /auth`): check credentials against a registry, as dockerd does."""
from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from barge.daemon.containers.context import Ctx
from barge.daemon.images.transfer import client_for
from barge.distribution.auth import credentials_from_json
from barge.distribution.client import HUB_DOMAIN, HUB_INDEX
from barge.errdefs import InvalidParameter


def server_domain(address: str) -> str:
    """`https://index.docker.io/v1/` -> docker.io; `localhost:5000` -> localhost:5000."""
    address = (address or "").strip()
    if not address:
        return HUB_DOMAIN
    netloc = urlsplit(address if "://" in address else "//" + address).netloc
    if not netloc:
        raise InvalidParameter(f"invalid registry address: {address}")
    return HUB_DOMAIN if netloc in (HUB_INDEX, HUB_DOMAIN, "registry-1.docker.io") else netloc


async def login(ctx: Ctx, body: dict) -> dict:
    if not isinstance(body, dict):
        raise InvalidParameter("invalid auth configuration: not a JSON object")
    creds = credentials_from_json(body)
    client = client_for(ctx, server_domain(body.get("serveraddress") or ""), creds)
    await asyncio.get_running_loop().run_in_executor(ctx.pool, client.login)
    return {"Status": "Login Succeeded", "IdentityToken": ""}
