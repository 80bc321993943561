"""Exec routes: create, start (hijacked or detached), resize, inspect."""
from __future__ import annotations

from barge.api.http import HijackResponse, Request, Response, json_response
from barge.daemon.app import Daemon
from barge.errdefs import InvalidParameter


def routes(d: Daemon):
    async def create(req: Request, id: str):
        body = await req.json()
        if not isinstance(body, dict):
            raise InvalidParameter("invalid JSON: exec config must be an object")
        eid = await d.execs.create(id, body)
        return json_response({"Id": eid}, 201)

    async def start(req: Request, id: str):
        body = await req.json(default={})
        if not isinstance(body, dict):
            raise InvalidParameter("invalid JSON: exec start config must be an object")
        if body.get("Detach"):
            await d.execs.start_detached(id)
            return Response(200, b"", "application/json")
        session, c = d.execs.check_start(id)
        tty = session.cfg.tty
        ctype = "application/vnd.docker.raw-stream" if tty else "application/vnd.docker.multiplexed-stream"

        async def run(reader, writer):
            await d.execs.start_attached(session, c, reader, writer, tty, body.get("ConsoleSize"))
        return HijackResponse(run, ctype)

    async def resize(req: Request, id: str):
        await d.execs.resize(id, req.int("h", 0), req.int("w", 0))
        return Response(200, b"", "text/plain")

    async def inspect(req: Request, id: str):
        return json_response(d.execs.inspect(id))

    return [
        ("POST", "/containers/{id}/exec", create),
        ("POST", "/exec/{id}/start", start),
        ("POST", "/exec/{id}/resize", resize),
        ("GET", "/exec/{id}/json", inspect),
    ]
