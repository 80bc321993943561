"""Lifecycle routes: pause, unpause, top."""
from __future__ import annotations

from barge.api.http import Request, json_response, no_content
from barge.daemon.app import Daemon


def routes(d: Daemon):
    async def pause(req: Request, id: str):
        await d.containers.pause(id)
        return no_content()

    async def unpause(req: Request, id: str):
        await d.containers.unpause(id)
        return no_content()

    async def top(req: Request, id: str):
        return json_response(await d.containers.top(id, req.param("ps_args")))

    return [
        ("POST", "/containers/{id}/pause", pause),
        ("POST", "/containers/{id}/unpause", unpause),
        ("GET", "/containers/{id}/top", top),
    ]
