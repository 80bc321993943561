"""Network routes."""
from __future__ import annotations

from barge.api.http import Request, Response, json_response
from barge.daemon.app import Daemon
from barge.daemon.networks import connect as connect_mod
from barge.errdefs import InvalidParameter
from barge.spec import filters


async def _body(req: Request) -> dict:
    body = await req.json({})
    if not isinstance(body, dict):
        raise InvalidParameter("json: cannot unmarshal value into Go value of type network.CreateRequest")
    return body


def routes(d: Daemon):
    async def list_(req: Request):
        return json_response(d.networks.list(filters.parse(req.param("filters"))))

    async def inspect(req: Request, name: str):
        return json_response(d.networks.inspect(name))

    async def create(req: Request):
        return json_response(await d.networks.create(await _body(req)), 201)

    async def remove(req: Request, name: str):
        await d.networks.remove(name)
        return Response(204)

    async def prune(req: Request):
        return json_response(await d.networks.prune(filters.parse(req.param("filters"))))

    async def connect(req: Request, name: str):
        await connect_mod.connect(d.networks, name, connect_mod.check_body(await _body(req)))
        return Response(200)

    async def disconnect(req: Request, name: str):
        await connect_mod.disconnect(d.networks, name, connect_mod.check_body(await _body(req)))
        return Response(200)

    return [
        ("GET", "/networks", list_),
        ("POST", "/networks/create", create),
        ("POST", "/networks/prune", prune),
        ("GET", "/networks/{name}", inspect),
        ("DELETE", "/networks/{name}", remove),
        ("POST", "/networks/{name}/connect", connect),
        ("POST", "/networks/{name}/disconnect", disconnect),
    ]
