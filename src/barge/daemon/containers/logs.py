"""`logs`: stream a container's log, optionally following it."""
from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from typing import AsyncIterator, Iterator

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


def _batches(lines, o: LogOptions, tty: bool, details: bytes) -> Iterator[bytes]:
    """Wanted lines, encoded and joined into chunks of about BATCH bytes."""
    buf = bytearray()
    for ll in lines:
        if _wanted(ll, o):
            buf += _encode(ll, o, tty, details)
            if len(buf) >= BATCH:
                yield bytes(buf)
                buf.clear()
    if buf:
        yield bytes(buf)


async def stream(ctx: Ctx, c: Container, o: LogOptions) -> AsyncIterator[bytes]:
    tty = bool(c.config.get("Tty"))
    details = _details(c) if o.details else b""
    if not c.log_path:
        return
    cur = logfile.open_current(c.log_path)
    try:
        for chunk in _batches(logfile.read_all(c.log_path, cur, o.tail), o, tty, details):
            yield chunk
        if o.follow and c.state.running:
            if cur is None:
                cur = _open_created(c.log_path)
            async for chunk in _follow(ctx, c, o, tty, details, cur):
                yield chunk
    finally:
        if cur is not None:
            cur.close()


async def _follow(ctx: Ctx, c: Container, o: LogOptions, tty: bool, details: bytes, f) -> AsyncIterator[bytes]:
    """Poll the live file; on rotation finish the old file, then go on with the new one."""
    opened = []   # files this function opened and must close
    try:
        while True:
            got = False
            for chunk in _batches(logfile.iter_file(f), o, tty, details):
                got = True
                yield chunk
            if got:
                continue
            if _rotated(f, c.log_path):
                f = _open_created(c.log_path)
                opened.append(f)
                continue
            if not c.state.running or not ctx.registry.exists(c.id):
                return
            if o.until and time.time() > o.until:
                return
            await asyncio.sleep(POLL)
    finally:
        for x in opened:
            x.close()


def _open_created(path: str):
    try:
        return open(path, "rb")
    except FileNotFoundError:
        open(path, "ab").close()
        return open(path, "rb")


def _rotated(f, path: str) -> bool:
    try:
        return os.stat(path).st_ino != os.fstat(f.fileno()).st_ino
    except FileNotFoundError:
        return False
