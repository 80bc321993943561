"""What pull, push, login and search share: a registry client built from the
daemon's settings, and a worker-thread job whose progress streams to the loop."""
from __future__ import annotations

import asyncio
import threading
from typing import AsyncIterator, Callable

from barge.daemon.containers.context import Ctx
from barge.distribution.auth import Credentials
from barge.distribution.client import RegistryClient
from barge.spec import progress as pm

Emit = Callable[[dict], None]


class Cancelled(Exception):
    """The client went away: stop the transfer."""


def message_of(e: BaseException) -> str:
    """What the stream's error message says: the error's own text."""
    if isinstance(e, OSError) and e.strerror:
        return f"{e.filename}: {e.strerror}" if e.filename else e.strerror
    return str(e) or e.__class__.__name__


def event(action: str, image_id: str, name: str) -> dict:
    """A message `stream_job` publishes as an image event instead of streaming it."""
    return {"_event": (action, image_id, name)}


def client_for(ctx: Ctx, domain: str, creds: Credentials, scopes: list[str] = ()) -> RegistryClient:
    return RegistryClient(domain, creds, list(scopes), insecure=list(ctx.cfg.insecure_registries))


async def stream_job(ctx: Ctx, job: Callable[[Emit], None],
                     translate: Callable[[BaseException], str]) -> AsyncIterator[bytes]:
    """Run `job(emit)` in the daemon's pool; yield each emitted message as a
    JSON line, and a failure as Docker's error message (headers are sent)."""
    loop = asyncio.get_running_loop()
    q: asyncio.Queue = asyncio.Queue()
    stop = threading.Event()

    def emit(msg: dict) -> None:
        if stop.is_set():
            raise Cancelled()
        loop.call_soon_threadsafe(q.put_nowait, ("msg", msg))

    def work() -> None:
        try:
            job(emit)
        except BaseException as e:   # handed to the loop, reported in the stream
            loop.call_soon_threadsafe(q.put_nowait, ("err", e))
        else:
            loop.call_soon_threadsafe(q.put_nowait, ("end", None))
    loop.run_in_executor(ctx.pool, work)
    try:
        while True:
            kind, value = await q.get()
            if kind == "msg" and "_event" in value:
                action, image_id, name = value["_event"]
                ctx.events.publish("image", action, image_id, {"name": name})
            elif kind == "msg":
                yield pm.encode(value)
            elif kind == "err":
                yield pm.encode(pm.error(translate(value)))
                return
            else:
                return
    finally:
        stop.set()
