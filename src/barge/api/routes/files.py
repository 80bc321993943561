"""Files and images from containers: the archive API (GET/HEAD/PUT
/containers/{id}/archive), /containers/{id}/changes and /commit."""
from __future__ import annotations

import json

from barge.api.http import Request, Response, StreamResponse, json_response
from barge.daemon.app import Daemon
from barge.daemon.containers import archive, commit as commit_mod, diff as diff_mod
from barge.api.status import status_of
from barge.errdefs import BargeError

STAT_HEADER = "X-Docker-Container-Path-Stat"


def routes(d: Daemon):
    ctx = d.ctx

    async def get_archive(req: Request, id: str):
        path = req.param("path") or ""
        if req.method == "HEAD":
            return await head_archive(id, path)
        c = d.containers.get(id)
        ps, chunks = await archive.get_archive(ctx, c, path, id)
        return StreamResponse(chunks, "application/x-tar", headers={STAT_HEADER: archive.encode_stat(ps)})

    async def head_archive(id: str, path: str):
        # errors answered here, not by the server's error path, so that the
        # HEAD answer carries no body and the connection stays usable (Go's
        # client reuses it for the PUT that follows a stat)
        try:
            c = d.containers.get(id)
            ps = await archive.stat_path(ctx, c, path, id)
        except BargeError as e:
            body = json.dumps({"message": str(e)}).encode() + b"\n"
            return Response(status_of(e), body, "application/json")
        return Response(200, b"", "application/json", {STAT_HEADER: archive.encode_stat(ps)})

    async def put_archive(req: Request, id: str):
        try:
            c = d.containers.get(id)
            await archive.put_archive(ctx, c, req.param("path") or "", req.body, id,
                                      no_overwrite_dir_non_dir=req.bool("noOverwriteDirNonDir"),
                                      copy_uid_gid=req.bool("copyUIDGID"))
        except BargeError:
            # answer only once the client has sent its tar: an early answer
            # reaches a client still writing as a reset connection
            while await req.body.read():
                pass
            raise
        return Response(200, b"", None)

    async def changes(req: Request, id: str):
        c = d.containers.get(id)
        items = await diff_mod.diff(ctx, c)
        return json_response(items or None)

    async def commit(req: Request):
        ref = req.param("container") or ""
        c = d.containers.get(ref)
        o = commit_mod.CommitOptions(
            repo=req.param("repo") or "", tag=req.param("tag") or "",
            comment=req.param("comment") or "", author=req.param("author") or "",
            pause=req.bool("pause", True), changes=req.params("changes"),
            config=commit_mod.body_config(await req.body.read_all()))
        image_id = await commit_mod.commit(ctx, c, o)
        return json_response({"Id": image_id}, 201)

    return [
        ("GET", "/containers/{id}/archive", get_archive),
        ("PUT", "/containers/{id}/archive", put_archive),
        ("GET", "/containers/{id}/changes", changes),
        ("POST", "/commit", commit),
    ]
