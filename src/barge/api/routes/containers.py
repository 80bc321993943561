"""Container routes: parse the request, call the service, encode the answer."""
from __future__ import annotations

import json

from barge.api.http import HijackResponse, Request, Response, StreamResponse, json_response, no_content
from barge.daemon.app import Daemon
from barge.daemon.containers import update as update_mod
from barge.daemon.containers.logs import LogOptions
from barge.errdefs import InvalidParameter
from barge.spec import filters
from barge.spec.detachkeys import parse_detach_keys
from barge.spec.units import parse_unix_timestamp


def routes(d: Daemon):
    async def list_(req: Request):
        return json_response(await d.containers.list(
            all_=req.bool("all"), limit=req.int("limit", -1) or -1,
            filters=filters.parse(req.param("filters")), size=req.bool("size")))

    async def create(req: Request):
        body = await _create_body(req)
        c = await d.containers.create(body, req.param("name"))
        return json_response({"Id": c.id, "Warnings": []}, 201)

    async def inspect(req: Request, id: str):
        return json_response(await d.containers.inspect(id, req.bool("size")))

    async def start(req: Request, id: str):
        await d.containers.start(id)
        return no_content()

    async def stop(req: Request, id: str):
        await d.containers.stop(id, req.int("t"), req.param("signal"))
        return no_content()

    async def restart(req: Request, id: str):
        await d.containers.restart(id, req.int("t"), req.param("signal"))
        return no_content()

    async def kill(req: Request, id: str):
        await d.containers.kill(id, req.param("signal"))
        return no_content()

    async def rename(req: Request, id: str):
        await d.containers.rename(id, req.param("name") or "")
        return no_content()

    async def remove(req: Request, id: str):
        await d.containers.remove(id, req.bool("force"), req.bool("v"))
        return no_content()

    async def wait(req: Request, id: str):
        waiter = d.containers.waiter(id, req.param("condition") or "")

        async def body():
            code = await waiter()
            yield json.dumps({"StatusCode": code, "Error": None}).encode() + b"\n"
        return StreamResponse(body())

    async def logs(req: Request, id: str):
        now_since = req.param("since")
        o = LogOptions(stdout=req.bool("stdout"), stderr=req.bool("stderr"), follow=req.bool("follow"),
                       since=_ts(now_since), until=_ts(req.param("until")),
                       timestamps=req.bool("timestamps"), tail=_tail(req.param("tail")),
                       details=req.bool("details"))
        c, chunks = d.containers.logs(id, o)
        ctype = "application/vnd.docker.raw-stream" if c.config.get("Tty") else "application/vnd.docker.multiplexed-stream"
        return StreamResponse(chunks, ctype)

    async def attach(req: Request, id: str):
        c = d.containers.get(id)
        stdin, stdout, stderr = req.bool("stdin"), req.bool("stdout"), req.bool("stderr")
        keys = parse_detach_keys(req.param("detachKeys") or "")
        ctype = "application/vnd.docker.raw-stream" if c.config.get("Tty") else "application/vnd.docker.multiplexed-stream"

        async def run(reader, writer):
            await d.containers.attach(c, reader, writer, stdin, stdout, stderr, keys)
        return HijackResponse(run, ctype)

    async def resize(req: Request, id: str):
        await d.containers.resize(id, req.int("h", 0), req.int("w", 0))
        return Response(200, b"", "text/plain")

    async def export(req: Request, id: str):
        return StreamResponse(d.containers.export(id), "application/x-tar")

    async def update(req: Request, id: str):
        return json_response(await update_mod.update(d.ctx, id, await req.json()))

    async def prune(req: Request):
        return json_response(await d.containers.prune(filters.parse(req.param("filters"))))

    return [
        ("GET", "/containers/json", list_),
        ("POST", "/containers/create", create),
        ("POST", "/containers/prune", prune),
        ("GET", "/containers/{id}/json", inspect),
        ("POST", "/containers/{id}/start", start),
        ("POST", "/containers/{id}/stop", stop),
        ("POST", "/containers/{id}/restart", restart),
        ("POST", "/containers/{id}/kill", kill),
        ("POST", "/containers/{id}/rename", rename),
        ("POST", "/containers/{id}/wait", wait),
        ("DELETE", "/containers/{id}", remove),
        ("GET", "/containers/{id}/logs", logs),
        ("POST", "/containers/{id}/attach", attach),
        ("POST", "/containers/{id}/resize", resize),
        ("GET", "/containers/{id}/export", export),
        ("POST", "/containers/{id}/update", update),
    ]


async def _create_body(req: Request):
    raw = await req.body.read_all()
    if not raw.strip():
        raise InvalidParameter("Config cannot be empty in order to create a container")
    try:
        return json.loads(raw)
    except ValueError as e:
        raise InvalidParameter(f"invalid JSON: {e}") from None


def _ts(v: str | None) -> float:
    """The API's "sec.nsec" timestamps (the client has resolved "10m" and dates)."""
    if not v:
        return 0.0
    sec, nsec = parse_unix_timestamp(v)
    return sec + nsec / 1e9


def _tail(v: str | None) -> int:
    if v is None or v in ("", "all"):
        return -1
    try:
        return int(v)
    except ValueError:
        return -1        # as Docker: a tail it cannot read means all
