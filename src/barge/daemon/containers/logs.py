"""`logs`: stream a container's log, optionally following it."""
from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import AsyncIterator

from barge.daemon.container import Container
from barge.daemon.containers import logfile
from barge.daemon.containers.context import Ctx
from barge.errdefs import InvalidParameter
from barge.spec.framing import frame

BATCH = 256 * 1024
POLL = 0.05


@dataclass
class LogOptions:
    stdout: bool = True
    stderr: bool = True
    follow: bool = False
    since: float = 0.0
    until: float = 0.0
    timestamps: bool = False
    tail: int = -1
    details: bool = False


def check(c: Container, o: LogOptions) -> None:
    if not (o.stdout or o.stderr):
        raise InvalidParameter("Bad parameters: you must choose at least one stream")
    typ = c.host_config["LogConfig"]["Type"]
    if typ == "none":
        raise InvalidParameter(
            'configured logging driver does not support reading')


def _encode(ll: logfile.LogLine, o: LogOptions, tty: bool, details: bytes) -> bytes:
    data = ll.data
    if o.details:
        data = details + data
    if o.timestamps:
        data = logfile.docker_ts(ll.ts) + b" " + data
    return data if tty else frame(ll.stream, data)


def _wanted(ll: logfile.LogLine, o: LogOptions) -> bool:
    if ll.stream == 1 and not o.stdout or ll.stream == 2 and not o.stderr:
        return False
    if o.since or o.until:
        t = logfile.ts_seconds(ll.ts)
        if o.since and t < o.since or o.until and t > o.until:
            return False
    return True


def _details(c: Container) -> bytes:
    labels = c.host_config["LogConfig"]["Config"].get("labels", "")
    parts = [f"{k}={c.config['Labels'][k]}" for k in labels.split(",") if k in (c.config.get("Labels") or {})]
    return (",".join(parts) + " ").encode()


async def stream(ctx: Ctx, c: Container, o: LogOptions) -> AsyncIterator[bytes]:
    tty = bool(c.config.get("Tty"))
    details = _details(c) if o.details else b""
    buf = bytearray()
    for ll in logfile.read_all(c.log_path, o.tail) if c.log_path else ():
        if _wanted(ll, o):
            buf += _encode(ll, o, tty, details)
            if len(buf) >= BATCH:
                yield bytes(buf)
                buf.clear()
    if buf:
        yield bytes(buf)
    if o.follow and c.log_path and c.state.running:
        async for chunk in _follow(ctx, c, o, tty, details):
            yield chunk


async def _follow(ctx: Ctx, c: Container, o: LogOptions, tty: bool, details: bytes) -> AsyncIterator[bytes]:
    f = _open_at_end(c.log_path)
    try:
        while True:
            buf = bytearray()
            for ll in logfile.iter_file(f):
                if _wanted(ll, o):
                    buf += _encode(ll, o, tty, details)
                    if len(buf) >= BATCH:
                        yield bytes(buf)
                        buf.clear()
            if buf:
                yield bytes(buf)
                continue
            if _rotated(f, c.log_path):
                f.close()
                f = open(c.log_path, "rb")
                continue
            if not c.state.running or not ctx.registry.exists(c.id):
                return
            if o.until and asyncio.get_running_loop().time() and _past(o.until):
                return
            await asyncio.sleep(POLL)
    finally:
        f.close()


def _past(until: float) -> bool:
    import time
    return time.time() > until


def _open_at_end(path: str):
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        open(path, "ab").close()
        f = open(path, "rb")
    f.seek(0, os.SEEK_END)
    return f


def _rotated(f, path: str) -> bool:
    try:
        return os.stat(path).st_ino != os.fstat(f.fileno()).st_ino
    except FileNotFoundError:
        return False
