"""Registry routes that are not about one image: `POST /auth` (login)."""
from __future__ import annotations

from barge.api.http import Request, json_response
from barge.daemon.app import Daemon


def routes(d: Daemon):
    async def auth(req: Request):
        return json_response(await d.images.login(await req.json()))

    return [("POST", "/auth", auth)]
