"""The event bus: services publish, `/events` subscribers receive."""
from __future__ import annotations

import asyncio
import time
from collections import deque


class Events:
    def __init__(self, keep: int = 1000) -> None:
        self._log: deque[dict] = deque(maxlen=keep)
        self._subs: set[asyncio.Queue] = set()

    def publish(self, typ: str, action: str, actor_id: str, attributes: dict | None = None) -> dict:
        now = time.time_ns()
        ev = {"Type": typ, "Action": action,
              "Actor": {"ID": actor_id, "Attributes": dict(attributes or {})},
              "scope": "local", "time": now // 1_000_000_000, "timeNano": now}
        if typ == "container":
            ev.update({"status": action, "id": actor_id, "from": (attributes or {}).get("image", "")})
        self._log.append(ev)
        for q in self._subs:
            q.put_nowait(ev)
        return ev

    def subscribe(self) -> asyncio.Queue:
        q: asyncio.Queue = asyncio.Queue()
        self._subs.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue) -> None:
        self._subs.discard(q)

    def history(self, since_ns: int = 0, until_ns: int | None = None) -> list[dict]:
        return [e for e in self._log if e["timeNano"] >= since_ns and (until_ns is None or e["timeNano"] <= until_ns)]
