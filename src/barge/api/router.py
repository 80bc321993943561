"""Route table: (method, path pattern) -> handler, with Docker's API
version prefix handling."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Awaitable, Callable

from barge.errdefs import InvalidParameter, NotFound

from barge.spec.apiversion import MAX_API, MIN_API

MIN_VERSION = tuple(int(x) for x in MIN_API.split("."))
MAX_VERSION = tuple(int(x) for x in MAX_API.split("."))
_VERSION_RE = re.compile(r"^/v(\d+)\.(\d+)(/.*)$")

Handler = Callable[..., Awaitable[object]]


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    handler: Handler


class NotFoundRoute(NotFound):
    pass


class Router:
    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, method: str, path: str, handler: Handler) -> None:
        # {name} matches one segment; {name:.*} the rest (container names never hold '/')
        rx = re.sub(r"\{(\w+):\.\*\}", r"(?P<\1>.+)", path)
        rx = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", rx)
        self._routes.append(Route(method, re.compile(f"^{rx}$"), handler))

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        allowed = False
        for r in self._routes:
            m = r.pattern.match(path)
            if m:
                if r.method == method or (method == "HEAD" and r.method == "GET"):
                    return r.handler, m.groupdict()
                allowed = True
        if allowed:
            raise NotFoundRoute("page not found")  # Docker answers 404 for a wrong method too
        raise NotFoundRoute("page not found")


def split_version(path: str) -> tuple[tuple[int, int], str]:
    """`/v1.41/containers/json` -> ((1, 41), '/containers/json'); checks the range."""
    m = _VERSION_RE.match(path)
    if not m:
        return MAX_VERSION, path
    v = (int(m.group(1)), int(m.group(2)))
    shown = f"{v[0]}.{v[1]}"
    if v > MAX_VERSION:
        raise InvalidParameter(
            f"client version {shown} is too new. Maximum supported API version is "
            f"{MAX_VERSION[0]}.{MAX_VERSION[1]}")
    if v < MIN_VERSION:
        raise InvalidParameter(
            f"client version {shown} is too old. Minimum supported API version is "
            f"{MIN_VERSION[0]}.{MIN_VERSION[1]}, please upgrade your client to a newer version")
    return v, m.group(3)
