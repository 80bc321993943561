"""The registry's routes, authorization and shared per-server state."""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Awaitable, Callable

from barge.distribution.registry import blobs, content
from barge.distribution.registry import manifests as mf
from barge.distribution.registry.auth import SERVICE, Auth, Scope, parse_scopes
from barge.distribution.registry.errors import RegistryError
from barge.distribution.registry.httpserver import Request, Response
from barge.distribution.registry.storage import Storage

NAME = r"(?P<name>.+?)"


@dataclass(frozen=True)
class Route:
    methods: tuple[str, ...]
    pattern: re.Pattern
    handler: Callable[..., Awaitable[Response]]
    action: str | None  # pull, push, delete, catalog, base; None: no auth


def _r(methods: str, pattern: str, handler, action) -> Route:
    return Route(tuple(methods.split()), re.compile(f"^{pattern}$"), handler, action)


async def _base(reg, req: Request) -> Response:
    return Response.json({})


ROUTES = (
    _r("GET HEAD", "/v2/?", _base, "base"),
    _r("GET", "/v2/_catalog", content.catalog, "catalog"),
    _r("GET", "/v1/search", content.search, "catalog"),
    _r("GET", f"/v2/{NAME}/tags/list", content.list_tags, "pull"),
    _r("GET HEAD", f"/v2/{NAME}/manifests/(?P<ref>[^/]+)", content.get_manifest, "pull"),
    _r("PUT", f"/v2/{NAME}/manifests/(?P<ref>[^/]+)", content.put_manifest, "push"),
    _r("DELETE", f"/v2/{NAME}/manifests/(?P<ref>[^/]+)", content.delete_manifest, "delete"),
    _r("POST", f"/v2/{NAME}/blobs/uploads/?", blobs.start_upload, "push"),
    _r("GET", f"/v2/{NAME}/blobs/uploads/(?P<upload_id>[^/]+)", blobs.upload_status, "push"),
    _r("PATCH", f"/v2/{NAME}/blobs/uploads/(?P<upload_id>[^/]+)", blobs.patch_upload, "push"),
    _r("PUT", f"/v2/{NAME}/blobs/uploads/(?P<upload_id>[^/]+)", blobs.put_upload, "push"),
    _r("DELETE", f"/v2/{NAME}/blobs/uploads/(?P<upload_id>[^/]+)", blobs.cancel_upload, "push"),
    _r("GET HEAD", f"/v2/{NAME}/blobs/(?P<digest>[^/]+)", blobs.get_blob, "pull"),
    _r("DELETE", f"/v2/{NAME}/blobs/(?P<digest>[^/]+)", blobs.delete_blob, "delete"),
    _r("GET", f"/v2/{NAME}/referrers/(?P<digest>[^/]+)", content.referrers, "pull"),
)
ACTIONS = {"pull": {"pull"}, "push": {"pull", "push"}, "delete": {"delete"}}


class Registry:
    def __init__(self, storage: Storage, auth: Auth, token_realm: str | None = None) -> None:
        self.storage = storage
        self.auth = auth
        self.token_realm = token_realm
        self._locks: dict[str, asyncio.Lock] = {}

    async def __call__(self, req: Request) -> Response:
        if req.path == "/auth/token" and self.auth.enabled and self.auth.token and req.method == "GET":
            return await self.token(req)
        allowed = False
        for route in ROUTES:
            m = route.pattern.match(req.path)
            if not m:
                continue
            allowed = True
            if req.method not in route.methods:
                continue
            args = m.groupdict()
            if "name" in args:
                mf.check_name(args["name"])
            await self.authorize(req, self._scope(route.action, args.get("name")))
            return await route.handler(self, req, **args)
        if allowed:
            raise RegistryError("UNSUPPORTED", f"method {req.method} not allowed", status=405)
        raise RegistryError("NOT_FOUND", "not found", status=404)

    @staticmethod
    def _scope(action: str | None, name: str | None) -> Scope | None:
        if action == "catalog":
            return Scope("registry", "catalog", frozenset({"*"}))
        if action in ACTIONS and name:
            return Scope("repository", name, frozenset(ACTIONS[action]))
        return None

    # ---- auth
    def _challenge(self, req: Request, scope: Scope | None, error: str | None = None) -> RegistryError:
        if not self.auth.token:
            return RegistryError("UNAUTHORIZED", headers=[("WWW-Authenticate", 'Basic realm="barge-registry"')])
        realm = self.token_realm or f"{req.scheme}://{req.header('host') or 'localhost'}/auth/token"
        value = f'Bearer realm="{realm}",service="{SERVICE}"'
        if scope:
            value += f',scope="{scope}"'
        if error:
            value += f',error="{error}"'
        return RegistryError("UNAUTHORIZED", headers=[("WWW-Authenticate", value)])

    async def authorize(self, req: Request, scope: Scope | None) -> None:
        if not self.auth.enabled:
            return
        if self.auth.token:
            header = req.header("authorization") or ""
            claims = self.auth.verify(header[7:].strip()) if header.lower().startswith("bearer ") else None
            if claims is None:
                raise self._challenge(req, scope)
            req.user, req.claims = claims.get("sub") or None, claims
            if scope and not self.auth.token_allows(claims, scope):
                raise self._challenge(req, scope, "insufficient_scope")
            return
        req.user = await self.auth.check_basic(req.header("authorization"))
        if req.user is None:
            raise self._challenge(req, scope)
        if scope and not self.auth.allows(req.user, scope):
            raise RegistryError("DENIED", detail={"scope": str(scope)})

    def may(self, req: Request, name: str, action: str) -> bool:
        """Whether the request's principal may do `action` on another repository (mounts, listings)."""
        if not self.auth.enabled:
            return True
        return self.auth.allows(req.user, Scope("repository", name, frozenset({action})))

    async def token(self, req: Request) -> Response:
        user = None
        if req.header("authorization"):
            user = await self.auth.check_basic(req.header("authorization"))
            if user is None:
                raise RegistryError("UNAUTHORIZED", headers=[("WWW-Authenticate", 'Basic realm="barge-registry"')])
        scopes = [s for s in parse_scopes(req.query.get("scope", []))
                  if s.type == "registry" or mf.valid_name(s.name)]
        req.user = user
        return Response.json(self.auth.issue(user, scopes))

    # ---- uploads
    def upload_lock(self, upload_id: str) -> asyncio.Lock:
        return self._locks.setdefault(upload_id, asyncio.Lock())

    def forget_upload(self, upload_id: str) -> None:
        self._locks.pop(upload_id, None)

    async def commit(self, name: str, upload_id: str, digest: str) -> int:
        async with self.upload_lock(upload_id):
            size = await asyncio.to_thread(self.storage.commit_upload, name, upload_id, digest)
        self.forget_upload(upload_id)
        return size
