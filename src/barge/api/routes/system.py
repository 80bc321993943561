"""System routes: ping, version, info, events."""
from __future__ import annotations

import asyncio
import json

from barge.api.http import Request, Response, StreamResponse, json_response
from barge.daemon import system
from barge.daemon.diskusage import disk_usage
from barge.daemon.app import Daemon
from barge.spec import filters
from barge.api.routes.containers import _ts


def _action_match(action: str, want: str) -> bool:
    """Actions with details ("health_status: healthy", "exec_start: sh") match their stem."""
    return action == want or action.split(":", 1)[0] == want


def _event_match(ev: dict, f: dict[str, list[str]]) -> bool:
    for key, values in f.items():
        if not values:
            continue
        if key == "type" and ev["Type"] not in values:
            return False
        if key == "event" and not any(_action_match(ev["Action"], v) for v in values):
            return False
        if key in ("container", "image", "volume", "network") and not (ev["Type"] == key and any(
                ev["Actor"]["ID"].startswith(v) or ev["Actor"]["Attributes"].get("name") == v for v in values)):
            return False
        if key == "label":
            attrs = ev["Actor"]["Attributes"]
            for v in values:
                k, eq, val = v.partition("=")
                if k not in attrs or (eq and attrs[k] != val):
                    return False
    return True


def routes(d: Daemon):
    async def ping(req: Request):
        return Response(200, b"OK", "text/plain; charset=utf-8",
                        {"Cache-Control": "no-cache, no-store, must-revalidate", "Pragma": "no-cache",
                         "Builder-Version": "1"})

    async def version(req: Request):
        return json_response(system.version())

    async def info(req: Request):
        return json_response(system.info(d.ctx))

    async def events(req: Request):
        f = filters.parse(req.param("filters"))
        since = req.param("since")
        until = req.param("until")
        since_ns = int(_ts(since) * 1e9) if since else None
        until_ns = int(_ts(until) * 1e9) if until else None

        async def body():
            q = d.ctx.events.subscribe()
            try:
                if since_ns is not None:
                    for ev in d.ctx.events.history(since_ns, until_ns):
                        if _event_match(ev, f):
                            yield json.dumps(ev).encode() + b"\n"
                if until_ns is not None and until_ns <= _now_ns():
                    return
                while True:
                    timeout = None if until_ns is None else max(0.0, (until_ns - _now_ns()) / 1e9)
                    try:
                        ev = await asyncio.wait_for(q.get(), timeout)
                    except asyncio.TimeoutError:
                        return
                    if _event_match(ev, f):
                        yield json.dumps(ev).encode() + b"\n"
            finally:
                d.ctx.events.unsubscribe(q)
        return StreamResponse(body())

    async def df(req: Request):
        loop = asyncio.get_running_loop()
        return json_response(await loop.run_in_executor(d.ctx.pool, disk_usage, d.ctx, req.version))

    return [
        ("GET", "/system/df", df),
        ("GET", "/_ping", ping),
        ("GET", "/version", version),
        ("GET", "/info", info),
        ("GET", "/events", events),
    ]


def _now_ns() -> int:
    import time
    return time.time_ns()
