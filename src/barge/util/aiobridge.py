"""Bridges between blocking code in a worker thread and asyncio streams."""
from __future__ import annotations

import asyncio
import io
import queue
from typing import AsyncIterator, Callable

_END = object()


class QueueWriter(io.RawIOBase):
    """A file-like sink a worker thread writes to; an async reader drains it."""

    def __init__(self, maxsize: int = 16, chunk: int = 1 << 20) -> None:
        self.q: queue.Queue = queue.Queue(maxsize)
        self._buf = bytearray()
        self._chunk = chunk
        self.cancelled = False

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        if self.cancelled:
            raise BrokenPipeError("reader went away")
        self._buf += b
        if len(self._buf) >= self._chunk:
            self.q.put(bytes(self._buf))
            self._buf.clear()
        return len(b)

    def finish(self, err: BaseException | None = None) -> None:
        if self._buf:
            self.q.put(bytes(self._buf))
            self._buf.clear()
        self.q.put(err if err is not None else _END)


async def run_writer(pool, fn: Callable[[QueueWriter], None]) -> AsyncIterator[bytes]:
    """Run `fn(writer)` in `pool` and yield what it writes, as it writes it."""
    loop = asyncio.get_running_loop()
    w = QueueWriter()

    def work():
        try:
            fn(w)
        except BaseException as e:   # handed to the async side
            w.finish(e)
        else:
            w.finish()
    fut = loop.run_in_executor(pool, work)
    try:
        while True:
            item = await loop.run_in_executor(None, w.q.get)
            if item is _END:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        w.cancelled = True
        while not fut.done():
            try:
                w.q.get_nowait()
            except queue.Empty:
                await asyncio.sleep(0.01)
        await fut


class QueueReader(io.RawIOBase):
    """A file-like source a worker thread reads; the event loop feeds it."""

    def __init__(self, maxsize: int = 16) -> None:
        self.q: queue.Queue = queue.Queue(maxsize)
        self._buf = b""
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._buf and not self._eof:
            item = self.q.get()
            if item is _END or isinstance(item, BaseException):
                self._eof = True
                if isinstance(item, BaseException):
                    raise item
            else:
                self._buf = item
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


async def feed_reader(body, pool, fn: Callable[[QueueReader], object]):
    """Run `fn(reader)` in `pool` while the request body streams into it."""
    loop = asyncio.get_running_loop()
    r = QueueReader()
    fut = loop.run_in_executor(pool, fn, io.BufferedReader(r, 1 << 20))
    try:
        while True:
            chunk = await body.read()
            if not chunk:
                break
            while True:
                try:
                    r.q.put_nowait(chunk)
                    break
                except queue.Full:
                    if fut.done():
                        break
                    await asyncio.sleep(0.002)
            if fut.done():
                break
    finally:
        while True:
            try:
                r.q.put_nowait(_END)
                break
            except queue.Full:
                if fut.done():
                    break
                await asyncio.sleep(0.002)
    return await fut
