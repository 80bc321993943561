"""Volume routes."""
from __future__ import annotations

from barge.api.http import Request, Response, json_response
from barge.daemon.app import Daemon
from barge.errdefs import InvalidParameter
from barge.spec import filters


def _string_map(body: dict, key: str) -> dict:
    v = body.get(key)
    if v is None:
        return {}
    if not isinstance(v, dict) or not all(isinstance(x, str) for x in v.values()):
        raise InvalidParameter(f"json: cannot unmarshal value into Go struct field CreateOptions.{key} "
                               "of type map[string]string")
    return v


def routes(d: Daemon):
    async def list_(req: Request):
        return json_response(d.volumes.list(filters.parse(req.param("filters"))))

    async def create(req: Request):
        body = await req.json({})
        if not isinstance(body, dict):
            raise InvalidParameter("json: cannot unmarshal value into Go value of type volume.CreateOptions")
        name = body.get("Name") or ""
        driver = body.get("Driver") or ""
        if not isinstance(name, str) or not isinstance(driver, str):
            raise InvalidParameter("json: cannot unmarshal value into Go struct field CreateOptions.Name of type string")
        if not name:
            from barge.spec.ids import new_id
            name = new_id()
        v = await d.volumes.create(name, driver, _string_map(body, "DriverOpts"), _string_map(body, "Labels"))
        return json_response(v.to_api(), 201)

    async def inspect(req: Request, name: str):
        return json_response(d.volumes.inspect(name))

    async def remove(req: Request, name: str):
        await d.volumes.remove(name, req.bool("force"))
        return Response(204)

    async def prune(req: Request):
        return json_response(await d.volumes.prune(filters.parse(req.param("filters")), req.version))

    return [
        ("GET", "/volumes", list_),
        ("POST", "/volumes/create", create),
        ("POST", "/volumes/prune", prune),
        ("GET", "/volumes/{name}", inspect),
        ("DELETE", "/volumes/{name}", remove),
    ]
