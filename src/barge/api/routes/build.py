"""`POST /build`: the classic builder's endpoint."""
from __future__ import annotations

from barge.api.http import Request, StreamResponse
from barge.builder.executor import BuildOptions
from barge.daemon.app import Daemon
from barge.daemon.build import service
from barge.errdefs import InvalidParameter
from barge.spec import reference


def options(req: Request) -> BuildOptions:
    tags = [t for t in req.params("t") if t]
    for t in tags:
        reference.normalize(t)             # a bad tag is a 400 before any work
    args = req.json_param("buildargs", {})
    labels = req.json_param("labels", {})
    if not isinstance(args, dict) or not isinstance(labels, dict):
        raise InvalidParameter("buildargs and labels must be JSON objects")
    hosts = req.param("extrahosts") or ""
    return BuildOptions(
        tags=tags, build_args=args, labels=labels, target=req.param("target") or "",
        no_cache=req.bool("nocache"), rm=req.bool("rm", True), force_rm=req.bool("forcerm"),
        pull=req.bool("pull"), network=req.param("networkmode") or "",
        extra_hosts=[h for h in hosts.replace(",", " ").split() if h],
        cache_from=req.json_param("cachefrom", []) or [])


def routes(d: Daemon):
    async def build(req: Request):
        if req.param("remote"):
            raise InvalidParameter("building from a remote context is not supported; send the context as a tar")
        opts = options(req)
        local = req.param("bargecontext") or ""
        if local:
            local = service.check_local(local)     # a 400 before streaming: the CLI then uploads
        stream = service.build(d.ctx, req.body, opts, req.param("dockerfile") or "Dockerfile", req.bool("q"),
                               local)
        return StreamResponse(stream)

    async def prune(req: Request):
        from barge.api.http import json_response
        return json_response({"CachesDeleted": None, "SpaceReclaimed": 0})

    return [
        ("POST", "/build", build),
        ("POST", "/build/prune", prune),
    ]
