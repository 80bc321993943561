"""All containers in memory, by id and name; resolution as Docker does it."""
from __future__ import annotations

import asyncio
import os
import shutil

from barge.daemon.container import Container
from barge.errdefs import Conflict, InvalidParameter, NotFound
from barge.sys import mount as sysmount


class ContainerRegistry:
    def __init__(self, root: str) -> None:
        self.root = root
        self._by_id: dict[str, Container] = {}
        self._names: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.changed = asyncio.Condition()
        os.makedirs(root, exist_ok=True)

    def load(self) -> list[Container]:
        for cid in os.listdir(self.root):
            p = os.path.join(self.root, cid, "container.json")
            if os.path.exists(p):
                c = Container.load(p)
                self._add(c)
            elif os.path.isdir(os.path.join(self.root, cid)):
                # a create cut short by a crash: unmount what it may have mounted, drop it
                sysmount.unmount(os.path.join(self.root, cid, "merged"))
                shutil.rmtree(os.path.join(self.root, cid), ignore_errors=True)
        return list(self._by_id.values())

    def _add(self, c: Container) -> None:
        self._by_id[c.id] = c
        self._names[c.name] = c.id

    def reserve(self, c: Container) -> None:
        if c.name in self._names:
            other = self._names[c.name]
            raise Conflict(
                f'Conflict. The container name "/{c.name}" is already in use by container '
                f'"{other}". You have to remove (or rename) that container to be able to reuse that name.')
        self._add(c)

    def rename(self, c: Container, new: str) -> None:
        if new in self._names and self._names[new] != c.id:
            raise Conflict(
                f'Conflict. The container name "/{new}" is already in use by container '
                f'"{self._names[new]}". You have to remove (or rename) that container to be able to reuse that name.')
        del self._names[c.name]
        c.name = new
        self._names[new] = c.id

    def remove(self, c: Container) -> None:
        self._by_id.pop(c.id, None)
        if self._names.get(c.name) == c.id:
            del self._names[c.name]
        self._locks.pop(c.id, None)

    def all(self) -> list[Container]:
        return list(self._by_id.values())

    def exists(self, cid: str) -> bool:
        return cid in self._by_id

    def get(self, ref: str) -> Container:
        if not ref:
            raise InvalidParameter("No such container: ")
        if ref in self._by_id:
            return self._by_id[ref]
        name = ref.lstrip("/")
        if name in self._names:
            return self._by_id[self._names[name]]
        matches = [c for cid, c in self._by_id.items() if cid.startswith(ref)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise InvalidParameter(f"multiple IDs found with provided prefix: {ref}")
        raise NotFound(f"No such container: {ref}")

    def lock(self, cid: str) -> asyncio.Lock:
        return self._locks.setdefault(cid, asyncio.Lock())

    async def notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()
