"""Requests and responses as the route handlers see them."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable
from urllib.parse import parse_qs

from barge.errdefs import InvalidParameter


class Request:
    def __init__(self, method: str, path: str, query: str, headers: dict[str, str],
                 version: tuple[int, int], body: "BodyReader") -> None:
        self.method = method
        self.path = path
        self.query = parse_qs(query, keep_blank_values=True)
        self.headers = headers          # lower-case names
        self.version = version          # negotiated API version
        self.body = body

    def param(self, name: str, default: str | None = None) -> str | None:
        v = self.query.get(name)
        return v[-1] if v else default

    def params(self, name: str) -> list[str]:
        return self.query.get(name, [])

    def bool(self, name: str, default: bool = False) -> bool:
        v = self.param(name)
        if v is None:
            return default
        return v.lower() not in ("", "0", "false", "no")

    def int(self, name: str, default: int | None = None) -> int | None:
        v = self.param(name)
        if v is None or v == "":
            return default
        try:
            return int(v)
        except ValueError:
            raise InvalidParameter(f"invalid value for {name}: {v!r}") from None

    def json_param(self, name: str, default=None):
        v = self.param(name)
        if not v:
            return default
        try:
            return json.loads(v)
        except ValueError:
            raise InvalidParameter(f"invalid {name} parameter: not JSON") from None

    def at_least(self, version: str) -> bool:
        major, minor = version.split(".")
        return self.version >= (int(major), int(minor))

    async def json(self, default=None):
        raw = await self.body.read_all()
        if not raw.strip():
            if default is not None:
                return default
            raise InvalidParameter("invalid JSON: empty body")
        try:
            return json.loads(raw)
        except ValueError as e:
            raise InvalidParameter(f"invalid JSON: {e}") from None


class BodyReader:
    """The request body as an async stream; provided by the server."""

    async def read(self) -> bytes:          # next chunk, b"" at the end
        raise NotImplementedError

    async def read_all(self, limit: int = 64 << 20) -> bytes:
        parts = []
        total = 0
        while chunk := await self.read():
            total += len(chunk)
            if total > limit:
                raise InvalidParameter("request body too large")
            parts.append(chunk)
        return b"".join(parts)


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class StreamResponse:
    chunks: AsyncIterator[bytes]
    content_type: str = "application/json"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class HijackResponse:
    """Take over the connection: `run(reader, writer)` gets the raw socket."""
    run: Callable[..., Awaitable[None]]
    content_type: str = "application/vnd.docker.raw-stream"


def json_response(obj, status: int = 200) -> Response:
    return Response(status, json.dumps(obj).encode() + b"\n", "application/json")


def no_content() -> Response:
    return Response(204)
