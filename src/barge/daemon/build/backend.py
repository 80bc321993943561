"""The builder's BuildBackend on barged's own store and containers."""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tarfile
import tempfile

from barge import __version__
from barge.builder.backend import CopyItem, Output, RunSpec
from barge.daemon.containers import commit as commit_mod
from barge.daemon.containers import create as create_mod
from barge.daemon.containers import logs as logs_mod
from barge.daemon.containers import remove as remove_mod
from barge.daemon.containers import start as start_mod
from barge.daemon.containers import wait as wait_mod
from barge.daemon.containers.context import Ctx
from barge.errdefs import NotFound
from barge.spec import clock, reference
from barge.sys import mount as sysmount

BUILD_LABEL = "com.barge.build"
# container_config keys that make two steps the same step (Docker's cache compare)
KEY_FIELDS = ("Cmd", "Entrypoint", "Env", "Labels", "ExposedPorts", "Volumes", "WorkingDir", "User",
              "OnBuild", "Healthcheck", "Shell", "StopSignal", "Image")


def same_step(a: dict, b: dict) -> bool:
    def norm(d: dict, k: str):
        v = d.get(k)
        return v if v not in ({}, [], "", None) else None
    return all(norm(a, k) == norm(b, k) for k in KEY_FIELDS)


class DaemonBackend:
    def __init__(self, ctx: Ctx, build_id: str) -> None:
        self.ctx = ctx
        self.build_id = build_id
        self.digests = ctx.build_digests

    async def _run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.ctx.pool, fn, *args)

    async def image(self, ref: str, pull: bool = False) -> tuple[str, dict]:
        img = self.ctx.store.images.resolve(ref)
        return img.id, img.config

    async def find_cache(self, parent: str, container_config: dict) -> str | None:
        for child in self.ctx.store.images.children(parent):
            try:
                img = self.ctx.store.images.get_by_id(child)
            except NotFound:
                continue
            if same_step(img.config.get("container_config") or {}, container_config):
                return img.id
        return None

    async def commit(self, parent: str, config: dict, container_config: dict, created_by: str,
                     layer=None, author: str = "") -> str:
        base = self.ctx.store.images.get_by_id(parent).config if parent else {}
        raw = image_config(base, config, container_config, created_by, layer, author, clock.rfc3339nano())
        return self.ctx.store.images.create(raw, parent=parent).id

    async def run(self, parent: str, spec: RunSpec, out: Output) -> tuple[int, str]:
        body = {"Image": parent, "Cmd": spec.cmd, "Entrypoint": [""], "Env": spec.env,
                "WorkingDir": spec.working_dir, "User": spec.user, "Labels": {BUILD_LABEL: self.build_id},
                "AttachStdout": True, "AttachStderr": True,
                "HostConfig": {"NetworkMode": spec.network or "default", "ExtraHosts": spec.extra_hosts or None}}
        c = await create_mod.create(self.ctx, body, None)
        await out(f" ---> Running in {c.id[:12]}\n")
        wait = wait_mod.prepare(self.ctx, c, "next-exit")
        await start_mod.start(self.ctx, c.id)
        follow = logs_mod.LogOptions(follow=True)
        async for chunk in logs_mod.stream(self.ctx, c, follow):
            await out(_demux(chunk))
        code = await wait()
        return code, c.id

    async def layer_of_container(self, cid: str, parent: str):
        c = self.ctx.registry.get(cid)
        chain = self._chain(parent)
        layer, entries = await self._run(commit_mod.make_layer, self.ctx, c.path("upper"), chain)
        return layer if entries else None

    def _chain(self, image_id: str) -> str | None:
        if not image_id:
            return None
        chains = self.ctx.store.images.get_by_id(image_id).chain_ids
        return chains[-1] if chains else None

    async def remove_container(self, cid: str) -> None:
        try:
            c = self.ctx.registry.get(cid)
        except NotFound:
            return
        await remove_mod.remove(self.ctx, c.id, force=True, volumes=True)

    async def layer_of_files(self, parent: str, items: list[CopyItem]):
        return await self._run(_files_layer, self.ctx, self._chain(parent), items)

    @contextlib.asynccontextmanager
    async def rootfs(self, image_id: str):
        img = self.ctx.store.images.get_by_id(image_id)
        lowers = self.ctx.store.images.lowerdirs(img)
        if len(lowers) == 1:
            yield lowers[0]
            return
        where = os.path.join(self.ctx.cfg.exec_root, "build")
        os.makedirs(where, exist_ok=True)
        target = tempfile.mkdtemp(prefix="root-", dir=where)
        await self._run(sysmount.mount, "overlay", target, "overlay", 1,
                        "lowerdir=" + ":".join(lowers))
        try:
            yield target
        finally:
            await self._run(sysmount.unmount, target)
            os.rmdir(target)

    async def tag(self, image_id: str, ref: str) -> None:
        name = reference.normalize(ref)
        self.ctx.store.images.tag(image_id, name)
        self.ctx.events.publish("image", "tag", image_id, {"name": name})


def image_config(base: dict, config: dict, container_config: dict, created_by: str, layer,
                 author: str, now: str) -> bytes:
    history = {"created": now, "created_by": created_by}
    if author:
        history["author"] = author
    if layer is None:
        history["empty_layer"] = True
    diff_ids = list((base.get("rootfs") or {}).get("diff_ids") or [])
    if layer is not None:
        diff_ids.append(layer.diff_id)
    cfg = {"architecture": base.get("architecture", "amd64"), "config": config, "container": "",
           "container_config": container_config, "created": now, "docker_version": __version__,
           "history": list(base.get("history") or []) + [history], "os": base.get("os", "linux"),
           "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    if author:
        cfg["author"] = author
    return json.dumps(cfg, sort_keys=True, separators=(",", ":")).encode()


def _demux(chunk: bytes) -> str:
    """Log frames (8-byte headers) -> text."""
    out, i = [], 0
    while i + 8 <= len(chunk):
        n = int.from_bytes(chunk[i + 4:i + 8], "big")
        out.append(chunk[i + 8:i + 8 + n])
        i += 8 + n
    return b"".join(out).decode(errors="replace")


def _files_layer(ctx: Ctx, parent_chain: str | None, items: list[CopyItem]):
    return commit_mod.register_written(ctx, parent_chain, lambda f: write_items(f, items))[0]


def write_items(f, items: list[CopyItem]) -> None:
    """A layer tar of the items, parents first, owned as asked."""
    with tarfile.open(fileobj=f, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        made: set[str] = set()
        for it in items:
            _parents(tar, it.dest, made)
            if it.extract:
                _extract_into(tar, it, made)
                continue
            if it.content is not None:
                info = tarfile.TarInfo(it.dest.lstrip("/"))
                info.size, info.mode, info.uid, info.gid = len(it.content), it.mode or 0o644, it.uid, it.gid
                import io
                tar.addfile(info, io.BytesIO(it.content))
                continue
            info = tar.gettarinfo(it.src, arcname=it.dest.lstrip("/") or ".")
            info.uid, info.gid, info.uname, info.gname = it.uid, it.gid, "", ""
            if it.mode is not None:
                info.mode = it.mode
            if info.isreg():
                with open(it.src, "rb") as src:
                    tar.addfile(info, src)
            else:
                tar.addfile(info)
            made.add(it.dest)


def _parents(tar: tarfile.TarFile, dest: str, made: set[str]) -> None:
    parts = [p for p in dest.strip("/").split("/")[:-1] if p]
    cur = ""
    for p in parts:
        cur += "/" + p
        if cur in made:
            continue
        info = tarfile.TarInfo(cur.lstrip("/"))
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(info)
        made.add(cur)


def _extract_into(tar: tarfile.TarFile, it: CopyItem, made: set[str]) -> None:
    """ADD of a local archive: its entries under dest (compression detected)."""
    with tarfile.open(it.src, "r:*") as src:
        for m in src:
            name = os.path.normpath("/" + m.name).lstrip("/")
            if not name or name == ".":
                continue
            m.name = (it.dest.rstrip("/") + "/" + name).lstrip("/")
            if m.islnk():
                m.linkname = (it.dest.rstrip("/") + "/" + os.path.normpath("/" + m.linkname).lstrip("/")).lstrip("/")
            tar.addfile(m, src.extractfile(m) if m.isreg() else None)
            made.add("/" + m.name)
