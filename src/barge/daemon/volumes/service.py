"""Volumes: create, inspect, list, remove, prune, and who uses them.

A volume is in use while any container (running or not) has a mount point
on it; only unused volumes can be removed or pruned, so no `rm`, prune or
crash deletes data that a named or in-use volume still holds.
"""
from __future__ import annotations

import asyncio

from barge.daemon.containers.context import Ctx
from barge.spec.filters import check as check_filters, label_holds, truth
from barge.errdefs import Conflict, NotFound
from barge.spec.mounts import ANONYMOUS_LABEL, DEFAULT_DRIVER
from barge.volume import copyup
from barge.volume.local import LocalDriver, Volume

LIST_FILTERS = ("dangling", "driver", "label", "name")
PRUNE_FILTERS = ("label", "label!", "all")


class VolumeService:
    def __init__(self, ctx: Ctx, driver: LocalDriver) -> None:
        self.ctx = ctx
        self.driver = driver
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, name: str) -> asyncio.Lock:
        return self._locks.setdefault(name, asyncio.Lock())

    async def _run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.ctx.pool, fn, *args)

    def users(self, name: str, running: bool = False, exclude: str = "") -> list[str]:
        """Ids of the containers with a mount point on volume `name` (only
        running ones with `running`; `exclude` left out)."""
        return [c.id for c in self.ctx.registry.all()
                if c.id != exclude and (c.state.running or not running)
                and any(m.get("type") == "volume" and m.get("name") == name for m in c.mount_points)]

    def _event(self, action: str, name: str, extra: dict | None = None) -> None:
        self.ctx.events.publish("volume", action, name, {"driver": DEFAULT_DRIVER, **(extra or {})})

    async def create(self, name: str, driver: str, opts: dict, labels: dict) -> Volume:
        if driver and driver != DEFAULT_DRIVER:
            raise NotFound(f"create {name}: error looking up volume plugin {driver}: plugin \"{driver}\" not found")
        async with self.lock(name):
            existed = self.driver.exists(name)
            v = await self._run(self.driver.create, name, dict(opts or {}), dict(labels or {}))
        if not existed:
            self._event("create", name)
        return v

    def recover(self) -> None:
        """At daemon start: drop half-made volumes, finish or drop cut-short copy-ups."""
        self.driver.recover()
        for v in self.driver.list():
            copyup.resume(v)

    def get(self, name: str) -> Volume:
        return self.driver.get(name)

    def inspect(self, name: str) -> dict:
        return self.driver.get(name).to_api()

    def list(self, filters: dict[str, list[str]]) -> dict:
        check_filters(filters, LIST_FILTERS)
        out = [v.to_api() for v in self.driver.list() if self._matches(v, filters)]
        return {"Volumes": out, "Warnings": None}

    def _matches(self, v: Volume, filters: dict[str, list[str]]) -> bool:
        for value in filters.get("dangling", []):
            if truth("dangling", value) == bool(self.users(v.name)):
                return False
        if filters.get("name") and not any(n in v.name for n in filters["name"]):
            return False
        if filters.get("driver") and DEFAULT_DRIVER not in filters["driver"]:
            return False
        return all(label_holds(v.labels, w) for w in filters.get("label", []))

    async def remove(self, name: str, force: bool = False) -> None:
        async with self.lock(name):
            try:
                v = self.driver.get(name)
            except NotFound:
                if force:
                    return
                raise
            users = self.users(name)
            if users:
                raise Conflict(f"remove {name}: volume is in use - [{', '.join(users)}]")
            await self._run(self.driver.remove, v)
        self._locks.pop(name, None)
        self._event("destroy", name)

    async def prune(self, filters: dict[str, list[str]], api: tuple[int, int] = (1, 45)) -> dict:
        check_filters(filters, PRUNE_FILTERS)
        every = any(truth("all", x) for x in filters.get("all", []))
        only_anonymous = api >= (1, 42) and not every
        deleted, reclaimed = [], 0
        for v in self.driver.list():
            if only_anonymous and ANONYMOUS_LABEL not in v.labels:
                continue
            if not all(label_holds(v.labels, w) for w in filters.get("label", [])):
                continue
            if any(label_holds(v.labels, w) for w in filters.get("label!", [])):
                continue
            if self.users(v.name):
                continue
            size = await self._run(self.driver.size, v)
            try:
                await self.remove(v.name)
            except (Conflict, NotFound):
                continue                 # taken into use (or removed) meanwhile
            deleted.append(v.name)
            reclaimed += size
        return {"VolumesDeleted": deleted or None, "SpaceReclaimed": reclaimed}

    def usage(self) -> list[dict]:
        """`system df`'s volumes, with sizes (runs in the thread pool)."""
        out = []
        for v in self.driver.list():
            d = v.to_api()
            d["UsageData"] = {"RefCount": len(self.users(v.name)), "Size": self.driver.size(v)}
            out.append(d)
        return out
