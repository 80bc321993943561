"""An HTTP/1.1 server (h11 on asyncio streams) for the Engine API, with
chunked streaming responses and hijacked connections for attach/exec."""
from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
import logging
import os
from urllib.parse import unquote

import h11

from barge import __version__
from barge.api.http import BodyReader, HijackResponse, Request, Response, StreamResponse
from barge.api.router import MAX_VERSION, Router, split_version
from barge.api.status import message_of, status_of
from barge.errdefs import BargeError

log = logging.getLogger("barge.api")
READ_SIZE = 1 << 16


def common_headers() -> list[tuple[str, str]]:
    return [
        ("Api-Version", f"{MAX_VERSION[0]}.{MAX_VERSION[1]}"),
        ("Docker-Experimental", "false"),
        ("Ostype", "linux"),
        ("Server", f"barge/{__version__} (linux)"),
    ]


class _Conn(BodyReader):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h = h11.Connection(h11.SERVER, max_incomplete_event_size=1 << 20)
        self._body_done = True

    async def next_event(self):
        while True:
            ev = self.h.next_event()
            if ev is h11.NEED_DATA:
                data = await self.reader.read(READ_SIZE)
                self.h.receive_data(data)
                continue
            return ev

    async def read(self) -> bytes:
        if self._body_done:
            return b""
        while True:
            ev = await self.next_event()
            if isinstance(ev, h11.Data):
                if ev.data:
                    return bytes(ev.data)
            elif isinstance(ev, (h11.EndOfMessage, h11.ConnectionClosed)):
                self._body_done = True
                return b""

    async def send(self, ev) -> None:
        data = self.h.send(ev)
        if data:
            self.writer.write(data)
            await self.writer.drain()


class Server:
    def __init__(self, router: Router) -> None:
        self.router = router
        self._servers: list[asyncio.AbstractServer] = []
        self._unix_paths: list[str] = []

    async def listen(self, host: str) -> None:
        if host.startswith("unix://"):
            path = host[len("unix://"):]
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            if os.path.exists(path):
                os.unlink(path)
            srv = await asyncio.start_unix_server(self._handle, path=path, limit=READ_SIZE)
            os.chmod(path, 0o660)
            self._unix_paths.append(path)
        elif host.startswith("tcp://"):
            hostport = host[len("tcp://"):]
            h, _, p = hostport.rpartition(":")
            srv = await asyncio.start_server(self._handle, host=h or "127.0.0.1", port=int(p))
        else:
            raise ValueError(f"unsupported host: {host}")
        self._servers.append(srv)

    async def close(self) -> None:
        for s in self._servers:
            s.close()
        for s in self._servers:
            await s.wait_closed()
        for path in self._unix_paths:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _Conn(reader, writer)
        try:
            while True:
                try:
                    ev = await conn.next_event()
                except h11.RemoteProtocolError as e:
                    await self._send_error(conn, 400, str(e))
                    return
                if not isinstance(ev, h11.Request):
                    return
                hijacked = await self._serve_one(conn, ev)
                if hijacked or conn.h.our_state is h11.MUST_CLOSE:
                    return
                while conn.h.their_state is h11.SEND_BODY:
                    await conn.read()
                    if conn._body_done:
                        break
                if conn.h.our_state is h11.DONE and conn.h.their_state is h11.DONE:
                    conn.h.start_next_cycle()
                else:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, h11.LocalProtocolError):
            pass
        except Exception:
            log.exception("connection failed")
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def _serve_one(self, conn: _Conn, ev: h11.Request) -> bool:
        target = ev.target.decode("latin-1")
        raw_path, _, query = target.partition("?")
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in ev.headers}
        conn._body_done = False
        try:
            version, path = split_version(unquote(raw_path))
            handler, params = self.router.match(ev.method.decode(), path)
            req = Request(ev.method.decode(), path, query, headers, version, conn)
            result = await handler(req, **params)
        except BargeError as e:
            await self._send_error(conn, status_of(e), str(e), head=ev.method == b"HEAD")
            return False
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.exception("handler failed: %s %s", ev.method, target)
            await self._send_error(conn, 500, message_of(e), head=ev.method == b"HEAD")
            return False
        if isinstance(result, HijackResponse):
            await self._hijack(conn, headers, result)
            return True
        if isinstance(result, StreamResponse):
            await self._stream(conn, result)
            return False
        await self._send(conn, result, head=ev.method == b"HEAD")
        return False

    async def _send(self, conn: _Conn, r: Response, head: bool = False) -> None:
        hdrs = common_headers() + list(r.headers.items())
        if r.content_type:
            hdrs.append(("Content-Type", r.content_type))
        if r.status not in (204, 304):
            hdrs.append(("Content-Length", str(len(r.body))))
        await conn.send(h11.Response(status_code=r.status, headers=hdrs, reason=_reason(r.status)))
        if r.body and not head and r.status not in (204, 304):
            await conn.send(h11.Data(data=r.body))
        await conn.send(h11.EndOfMessage())

    async def _send_error(self, conn: _Conn, status: int, message: str, head: bool = False) -> None:
        body = json.dumps({"message": message}).encode() + b"\n"
        try:
            if status == 304:
                await self._send(conn, Response(304))
            else:
                await self._send(conn, Response(status, body, "application/json"), head=head)
        except h11.LocalProtocolError:
            pass

    async def _stream(self, conn: _Conn, r: StreamResponse) -> None:
        """Send chunks as they come; stop when the client goes away."""
        hdrs = common_headers() + list(r.headers.items()) + [("Content-Type", r.content_type)]
        await conn.send(h11.Response(status_code=r.status, headers=hdrs, reason=_reason(r.status)))
        gone = asyncio.ensure_future(_wait_eof(conn))
        try:
            async for chunk in _until(r.chunks, gone):
                if chunk:
                    await conn.send(h11.Data(data=chunk))
            await conn.send(h11.EndOfMessage())
        finally:
            gone.cancel()
            try:
                await gone
            except (asyncio.CancelledError, Exception):
                pass
            aclose = getattr(r.chunks, "aclose", None)
            if aclose:
                await aclose()

    async def _hijack(self, conn: _Conn, headers: dict[str, str], r: HijackResponse) -> None:
        while not conn._body_done:
            await conn.read()
        upgrade = "upgrade" in headers.get("connection", "").lower()
        if upgrade:
            await conn.send(h11.InformationalResponse(status_code=101, headers=common_headers() + [
                ("Content-Type", r.content_type), ("Connection", "Upgrade"), ("Upgrade", "tcp")]))
            leftover = conn.h.trailing_data[0]
        else:
            head = "HTTP/1.1 200 OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in common_headers())
            head += f"Content-Type: {r.content_type}\r\n\r\n"
            conn.writer.write(head.encode())
            leftover = bytes(conn.h._receive_buffer)  # h11 keeps read-ahead here; no public accessor
        reader = asyncio.StreamReader()
        if leftover:
            reader.feed_data(leftover)
        await r.run(_Chained(reader, conn.reader), conn.writer)


class _Chained:
    """Read what h11 had buffered, then the socket."""

    def __init__(self, first: asyncio.StreamReader, rest: asyncio.StreamReader) -> None:
        self._first = first
        self._rest = rest

    async def read(self, n: int = READ_SIZE) -> bytes:
        if self._first is not None:
            if self._first._buffer:  # noqa: SLF001 - drain what h11 read ahead
                return await self._first.read(n)
            self._first = None
        return await self._rest.read(n)


def _reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:
        return b""


async def _wait_eof(conn: _Conn) -> None:
    # The handler may still be reading the request body (load, import): only
    # one coroutine may read the socket, so watch for EOF once it is done.
    while not conn._body_done:
        await asyncio.sleep(0.05)
    while True:
        data = await conn.reader.read(READ_SIZE)
        if not data:
            return
        conn.h.receive_data(data)


async def _until(chunks, gone: asyncio.Future):
    it = chunks.__aiter__()
    while True:
        nxt = asyncio.ensure_future(it.__anext__())
        done, _ = await asyncio.wait({nxt, gone}, return_when=asyncio.FIRST_COMPLETED)
        if nxt not in done:
            nxt.cancel()
            try:
                await nxt
            except (asyncio.CancelledError, StopAsyncIteration):
                pass
            return
        try:
            yield nxt.result()
        except StopAsyncIteration:
            return
