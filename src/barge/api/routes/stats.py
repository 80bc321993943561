"""GET /containers/{id}/stats: one StatsJSON (stream=false) or one a second."""
from __future__ import annotations

import json

from barge.api.http import Request, StreamResponse, json_response
from barge.daemon.app import Daemon
from barge.daemon.containers import stats as stats_mod


def routes(d: Daemon):
    async def stats(req: Request, id: str):
        c = d.containers.get(id)                       # 404 before any streaming
        if not req.bool("stream", True):
            return json_response(await stats_mod.stats_once(d.ctx, c.id, req.bool("one-shot")))

        async def body():
            async for doc in stats_mod.stats_stream(d.ctx, c.id):
                yield json.dumps(doc).encode() + b"\n"
        return StreamResponse(body())

    return [("GET", "/containers/{id}/stats", stats)]
