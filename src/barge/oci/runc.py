"""A thin wrapper around the runc binary: no state logic here."""
from __future__ import annotations

import asyncio
import json
import shutil

from barge.errdefs import NotFound, System

RUNC = "runc"


class Runc:
    def __init__(self, root: str, binary: str | None = None) -> None:
        self.root = root
        self.binary = binary or shutil.which(RUNC) or "/usr/sbin/runc"

    def base_args(self) -> list[str]:
        return [self.binary, "--root", self.root]

    async def _run(self, *args: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            *self.base_args(), *args, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
        if proc.returncode != 0:
            msg = err.decode(errors="replace").strip()
            if "does not exist" in msg or "not found" in msg:
                raise NotFound(msg)
            raise System(f"runc {args[0]}: {msg}")
        return out.decode()

    async def start(self, cid: str) -> None:
        await self._run("start", cid)

    async def kill(self, cid: str, signal: int | str, all_procs: bool = False) -> None:
        args = ["kill"] + (["--all"] if all_procs else []) + [cid, str(signal)]
        await self._run(*args)

    async def delete(self, cid: str, force: bool = False) -> None:
        try:
            await self._run("delete", *(["--force"] if force else []), cid)
        except NotFound:
            pass

    async def state(self, cid: str) -> dict:
        return json.loads(await self._run("state", cid))

    async def update(self, cid: str, resources_file: str) -> None:
        await self._run("update", "--resources", resources_file, cid)

    async def pause(self, cid: str) -> None:
        await self._run("pause", cid)

    async def resume(self, cid: str) -> None:
        await self._run("resume", cid)
