"""Image routes."""
from __future__ import annotations

import json

from barge.api.http import Request, Response, StreamResponse, json_response
from barge.daemon.app import Daemon
from barge.api.status import message_of
from barge.errdefs import NotImplementedErr
from barge.spec import filters


def _jsonl(obj) -> bytes:
    return json.dumps(obj).encode() + b"\r\n"


def routes(d: Daemon):
    async def list_(req: Request):
        return json_response(d.images.list(req.bool("all"), filters.parse(req.param("filters")), req.version))

    async def inspect(req: Request, name: str):
        return json_response(d.images.inspect(name, req.version))

    async def history(req: Request, name: str):
        return json_response(d.images.history(name))

    async def tag(req: Request, name: str):
        d.images.tag(name, req.param("repo") or "", req.param("tag") or "")
        return Response(201)

    async def remove(req: Request, name: str):
        return json_response(await d.images.remove(name, req.bool("force")))

    async def prune(req: Request):
        return json_response(await d.images.prune(filters.parse(req.param("filters"))))

    async def create(req: Request):
        src = req.param("fromSrc")
        if src is None:
            plan = d.images.pull_plan(req.param("fromImage") or "", req.param("tag"), req.param("platform"))
            return StreamResponse(d.images.pull(plan, req.headers.get("x-registry-auth")))
        if src != "-":
            raise NotImplementedErr("importing from a URL is not supported; use `-` and send the tar")
        changes = req.params("changes")
        d.images.check_changes(changes)      # a bad change is a 400, before any streaming

        async def body():
            try:
                image_id = await d.images.import_image(req.body, req.param("repo") or "",
                                                       req.param("tag") or "", changes,
                                                       req.param("message") or "")
                yield _jsonl({"status": image_id})
            except Exception as e:   # headers are sent: report it in the stream, as Docker does
                msg = message_of(e)
                yield _jsonl({"errorDetail": {"message": msg}, "error": msg})
        return StreamResponse(body())

    async def push(req: Request, name: str):
        return StreamResponse(d.images.push(name, req.param("tag"), req.headers.get("x-registry-auth")))

    async def search(req: Request):
        return json_response(await d.images.search(req.param("term") or "", req.int("limit"),
                                                   filters.parse(req.param("filters")),
                                                   req.headers.get("x-registry-auth")))

    async def load(req: Request):
        quiet = req.bool("quiet")

        async def body():
            try:
                for line in await d.images.load(req.body):
                    yield _jsonl({"stream": line + "\n"})
            except Exception as e:   # headers are sent: report it in the stream, as Docker does
                msg = message_of(e)
                yield _jsonl({"errorDetail": {"message": msg}, "error": msg})
        del quiet
        return StreamResponse(body())

    async def save_many(req: Request):
        return StreamResponse(d.images.save(req.params("names")), "application/x-tar")

    async def save_one(req: Request, name: str):
        return StreamResponse(d.images.save([name]), "application/x-tar")

    return [
        ("GET", "/images/json", list_),
        ("POST", "/images/create", create),
        ("POST", "/images/load", load),
        ("GET", "/images/get", save_many),
        ("GET", "/images/search", search),
        ("POST", "/images/prune", prune),
        ("GET", "/images/{name:.*}/json", inspect),
        ("GET", "/images/{name:.*}/history", history),
        ("GET", "/images/{name:.*}/get", save_one),
        ("POST", "/images/{name:.*}/tag", tag),
        ("POST", "/images/{name:.*}/push", push),
        ("DELETE", "/images/{name:.*}", remove),
    ]
