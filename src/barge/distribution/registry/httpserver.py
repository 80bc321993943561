"""A small HTTP/1.1 server (h11 on asyncio streams) with streamed bodies and JSON access logs."""
from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import AsyncIterator, Awaitable, Callable
from urllib.parse import parse_qs, unquote, urlsplit

import h11

from barge.distribution.registry.errors import RegistryError

log = logging.getLogger("barge.registry")
READ_SIZE = 1 << 16
DRAIN_LIMIT = 1 << 20


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h = h11.Connection(h11.SERVER, max_incomplete_event_size=64 << 10)

    async def next_event(self):
        while True:
            ev = self.h.next_event()
            if ev is not h11.NEED_DATA:
                return ev
            data = await self.reader.read(READ_SIZE)
            self.h.receive_data(data)

    async def send(self, ev) -> None:
        data = self.h.send(ev)
        if data:
            self.writer.write(data)
            await self.writer.drain()


class Body:
    """The request body, read chunk by chunk; b"" at its end."""

    def __init__(self, conn: _Conn) -> None:
        self._conn = conn
        self.done = False
        self.received = 0

    async def read(self) -> bytes:
        if self.done:
            return b""
        if self._conn.h.client_is_waiting_for_100_continue:
            await self._conn.send(h11.InformationalResponse(status_code=100, headers=[]))
        while True:
            try:
                ev = await self._conn.next_event()
            except h11.RemoteProtocolError as e:
                raise ConnectionError(f"request body cut short: {e}") from None
            if isinstance(ev, h11.Data):
                if ev.data:
                    self.received += len(ev.data)
                    return bytes(ev.data)
            elif isinstance(ev, h11.EndOfMessage):
                self.done = True
                return b""
            elif isinstance(ev, h11.ConnectionClosed):
                raise ConnectionError("request body cut short")

    async def read_all(self, limit: int) -> bytes:
        parts, size = [], 0
        while chunk := await self.read():
            size += len(chunk)
            if size > limit:
                raise RegistryError("SIZE_INVALID", "request body too large", status=413)
            parts.append(chunk)
        return b"".join(parts)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, list[str]]
    remote: str
    scheme: str
    body: Body
    user: str | None = None
    claims: dict | None = None

    def header(self, name: str) -> str | None:
        v = self.headers.get(name.lower())
        return v[0] if v else None

    def arg(self, name: str) -> str | None:
        v = self.query.get(name)
        return v[0] if v else None


class FileRange:
    """A slice of an open file sent with sendfile(2) (h11 passes it through)."""

    def __init__(self, f, offset: int, count: int) -> None:
        self.f, self.offset, self.count = f, offset, count

    def __len__(self) -> int:
        return self.count


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None
    length: int | None = None
    file: FileRange | None = None

    @classmethod
    def json(cls, obj, status: int = 200, headers=(), content_type: str = "application/json") -> "Response":
        return cls(status, [("Content-Type", content_type), *headers], json.dumps(obj).encode())


def error_response(e: RegistryError, headers=()) -> Response:
    return Response(e.status, [("Content-Type", "application/json"), *e.headers, *headers], e.body())


Handler = Callable[[Request], Awaitable[Response]]


def _request(ev: h11.Request, conn: _Conn, remote: str, scheme: str) -> Request:
    target = ev.target.decode("latin-1")
    parts = urlsplit(target)
    headers: dict[str, list[str]] = {}
    for k, v in ev.headers:
        headers.setdefault(k.decode("latin-1").lower(), []).append(v.decode("latin-1"))
    return Request(ev.method.decode("ascii").upper(), unquote(parts.path),
                   parse_qs(parts.query, keep_blank_values=True), headers, remote, scheme, Body(conn))


class HTTPServer:
    def __init__(self, handler: Handler, *, ssl_context=None, log_stream=None) -> None:
        self.handler = handler
        self.ssl_context = ssl_context
        self.log_stream = log_stream or sys.stderr
        self.server: asyncio.AbstractServer | None = None

    async def listen(self, host: str, port: int) -> int:
        self.server = await asyncio.start_server(self._handle, host, port, ssl=self.ssl_context,
                                                 limit=READ_SIZE)
        return self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self.server:
            self.server.close()
            await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _Conn(reader, writer)
        peer = writer.get_extra_info("peername")
        remote = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        scheme = "https" if self.ssl_context else "http"
        try:
            while True:
                ev = await conn.next_event()
                if not isinstance(ev, h11.Request):
                    break
                if not await self._serve_one(conn, _request(ev, conn, remote, scheme)):
                    break
                conn.h.start_next_cycle()
        except (h11.RemoteProtocolError, ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception:
            log.exception("registry connection failed")
        finally:
            writer.close()

    async def _serve_one(self, conn: _Conn, req: Request) -> bool:
        start = time.monotonic()
        try:
            resp = await self.handler(req)
        except RegistryError as e:
            resp = error_response(e)
        except ConnectionError:
            self._log(req, 499, 0, time.monotonic() - start)
            raise
        except Exception:
            log.exception("registry request %s %s failed", req.method, req.path)
            resp = Response.json({"errors": [{"code": "UNKNOWN", "message": "internal error"}]}, 500)
        sent = await self._send(conn, resp, req.method == "HEAD")
        self._log(req, resp.status, sent, time.monotonic() - start)
        return await _drain(conn, req.body)

    async def _send(self, conn: _Conn, r: Response, head: bool) -> int:
        length = r.length if (r.stream is not None or r.file is not None) else len(r.body)
        headers = [("Docker-Distribution-API-Version", "registry/2.0"), *r.headers]
        if r.status != 204 and length is not None:
            headers.append(("Content-Length", str(length)))
        reason = HTTPStatus(r.status).phrase.encode() if r.status in HTTPStatus._value2member_map_ else b""
        await conn.send(h11.Response(status_code=r.status, headers=headers, reason=reason))
        sent = 0
        if r.file is not None:
            try:
                if not head:
                    sent = await _sendfile(conn, r.file)
            finally:
                r.file.f.close()
        elif not head and r.stream is not None:
            async for chunk in r.stream:
                sent += len(chunk)
                await conn.send(h11.Data(data=chunk))
        elif not head and r.body and r.status != 204:
            sent = len(r.body)
            await conn.send(h11.Data(data=r.body))
        await conn.send(h11.EndOfMessage())
        return sent

    def _log(self, req: Request, status: int, sent: int, duration: float) -> None:
        line = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "method": req.method,
                "path": req.path, "status": status, "bytes": sent, "received": req.body.received,
                "duration": round(duration, 6), "user": req.user, "remote": req.remote}
        try:
            self.log_stream.write(json.dumps(line) + "\n")
            self.log_stream.flush()
        except (OSError, ValueError):
            pass


async def _sendfile(conn: _Conn, fr: FileRange) -> int:
    """The file's bytes straight from the page cache to the socket (a copy in
    Python costs a third of the throughput); asyncio falls back to reads on TLS."""
    await conn.writer.drain()
    sent = 0
    for piece in conn.h.send_with_data_passthrough(h11.Data(data=fr)):
        if isinstance(piece, FileRange):
            sent += await asyncio.get_running_loop().sendfile(conn.writer.transport, piece.f, piece.offset,
                                                               piece.count)
        else:
            conn.writer.write(piece)
    return sent


async def _drain(conn: _Conn, body: Body) -> bool:
    """Read what is left of the request body, so the connection can be reused."""
    if conn.h.our_state is h11.MUST_CLOSE or conn.h.their_state is h11.MUST_CLOSE:
        return False
    if conn.h.their_state is h11.SEND_BODY and conn.h.client_is_waiting_for_100_continue:
        return False
    left = DRAIN_LIMIT
    while conn.h.their_state is h11.SEND_BODY and left > 0:
        chunk = await body.read()
        if not chunk and not body.done:
            return False
        left -= len(chunk)
    return conn.h.their_state is h11.DONE and conn.h.our_state is h11.DONE
