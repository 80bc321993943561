"""Attach a client's hijacked connection to conmon's attach socket.

conmon's attach socket is SOCK_SEQPACKET; each packet from it starts with
one byte naming the pipe (2 stdout, 3 stderr); what we send goes to stdin.
A session made before `start` is connected by `start` before `runc start`,
so nothing the container prints is missed."""
from __future__ import annotations

import asyncio
import os
import socket

from barge.daemon.container import Container
from barge.daemon.containers.context import Ctx
from barge.spec.detachkeys import DEFAULT_DETACH_KEYS, DetachMatcher
from barge.spec.framing import frame

CONMON_STDOUT, CONMON_STDERR = 2, 3
RECV = 8193
STDIN_PACKET = 8192


def connect_seqpacket(path: str) -> socket.socket:
    """Connect to one of conmon's attach sockets (exec sessions have them too)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    # The path can pass sun_path's 108 bytes; go through the directory's fd.
    dfd = os.open(os.path.dirname(path), os.O_PATH)
    try:
        s.connect(f"/proc/self/fd/{dfd}/{os.path.basename(path)}")
    finally:
        os.close(dfd)
    s.setblocking(False)
    return s


class AttachSession:
    def __init__(self, ctx: Ctx, c: Container, reader, writer, stdin: bool, stdout: bool,
                 stderr: bool, detach_keys: bytes = DEFAULT_DETACH_KEYS) -> None:
        self.ctx = ctx
        self.reader = reader
        self.writer = writer
        self.tty = bool(c.config.get("Tty"))
        self.stdin = stdin and bool(c.config.get("OpenStdin"))
        self.stdin_once = bool(c.config.get("StdinOnce"))
        self.stdout = stdout
        self.stderr = stderr
        self.done = asyncio.get_running_loop().create_future()
        self._sock: socket.socket | None = None
        # with a TTY, the detach keys end this client's session but not the
        # container's stdin: the conmon socket stays open, drained, until exit
        self.matcher = DetachMatcher(detach_keys if self.tty else b"")
        self.detached = False

    async def run(self, c: Container) -> None:
        if c.state.running:
            await self.connect(c)
        else:
            # connected by `start`; a client that leaves meanwhile is noticed then
            self.ctx.attach_waiters.setdefault(c.id, []).append(self)
        try:
            await self.done
        except asyncio.CancelledError:
            pass
        finally:
            waiters = self.ctx.attach_waiters.get(c.id, [])
            if self in waiters:
                waiters.remove(self)
            try:
                self.writer.close()
            except Exception:
                pass

    async def connect(self, c: Container) -> None:
        path = os.path.join(self.ctx.cfg.socket_dir, c.id, "attach")
        try:
            self._sock = connect_seqpacket(path)
        except OSError as e:
            self._finish(e)
            return
        asyncio.ensure_future(self._pump_out())
        if self.stdin:
            asyncio.ensure_future(self._pump_in())

    def cancel(self) -> None:
        self._finish(None)

    def _finish(self, err) -> None:
        if not self.done.done():
            self.done.set_result(err)
        if self._sock and not self.detached:
            self._sock.close()

    def _detach(self) -> None:
        self.detached = True
        if not self.done.done():
            self.done.set_result(None)

    async def _pump_out(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                pkt = await loop.sock_recv(self._sock, RECV)
                if not pkt:
                    break
                pipe, data = pkt[0], pkt[1:]
                if self.detached:
                    continue
                if pipe == CONMON_STDOUT and self.stdout or pipe == CONMON_STDERR and self.stderr:
                    self.writer.write(data if self.tty else frame(pipe - 1, data))
                    await self.writer.drain()
        except (OSError, ConnectionError):
            pass
        self._finish(None)
        if self.detached:
            self._sock.close()

    async def _pump_in(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                # conmon reads its attach socket (SOCK_SEQPACKET) in small
                # buffers and drops the rest of a bigger packet
                data = await self.reader.read(STDIN_PACKET)
                if not data:
                    break
                data, detach = self.matcher.feed(data)
                if data:
                    await loop.sock_sendall(self._sock, data)
                if detach:
                    self._detach()
                    return
            if self.stdin_once or not self.tty:
                self._sock.shutdown(socket.SHUT_WR)
        except (OSError, ConnectionError):
            pass


async def attach(ctx: Ctx, c: Container, reader, writer, stdin: bool, stdout: bool, stderr: bool,
                 detach_keys: bytes = DEFAULT_DETACH_KEYS) -> None:
    session = AttachSession(ctx, c, reader, writer, stdin, stdout, stderr, detach_keys)
    await session.run(c)
