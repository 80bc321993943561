"""`POST /build`: unpack the context, run the builder, stream its output as
Docker's JSON messages. Nothing is tagged unless the whole build succeeds;
the context and the build's containers go away whatever happens."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import tarfile
import tempfile
from typing import AsyncIterator

from barge.builder.errors import StepFailed
from barge.builder.executor import Builder, BuildOptions
from barge.daemon.build.backend import BUILD_LABEL, DaemonBackend
from barge.daemon.containers.context import Ctx
from barge.errdefs import BargeError, InvalidParameter
from barge.spec import ids
from barge.util.fspath import secure_join

DONE = object()


_COMPRESSED = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"\x28\xb5\x2f\xfd")


def _terminate(archive: str) -> None:
    """docker 28 ends the tar right after an added Dockerfile (`-f -`, `-f` outside
    the context): pad the last member and add the end-of-archive blocks."""
    with open(archive, "rb+") as f:
        head = f.read(6)
        if any(head.startswith(m) for m in _COMPRESSED):
            return
        size = f.seek(0, 2)
        f.write(b"\0" * ((-size) % 512 + 1024))


def _unpack(archive: str, dest: str) -> None:
    _terminate(archive)
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(dest, filter="tar")
    except (tarfile.TarError, OSError, EOFError) as e:
        raise InvalidParameter(f"failed to read the build context: {e}") from None


def _dockerfile(root: str, name: str) -> str:
    name = name or "Dockerfile"
    try:
        path = secure_join(root, name)
    except InvalidParameter:
        raise InvalidParameter(f"Cannot locate specified Dockerfile: {name}") from None
    if not os.path.isfile(path):
        alt = secure_join(root, name.lower()) if name == "Dockerfile" else ""
        if alt and os.path.isfile(alt):
            path = alt
        else:
            raise InvalidParameter(f"Cannot locate specified Dockerfile: {name}")
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


SHM = "/dev/shm"


def _shm_prefix(ctx: Ctx) -> str:
    """Per daemon, so one daemon's start never takes another's contexts away."""
    import hashlib
    return "barge-context-" + hashlib.sha256(ctx.cfg.data_root.encode()).hexdigest()[:8] + "-"


def _context_dir(ctx: Ctx, work: str, size: int) -> str:
    """Where an uploaded context is unpacked: memory (tmpfs) when it fits easily,
    as writing thousands of small files to disk costs seconds; else beside the tar."""
    try:
        st = os.statvfs(SHM)
        free = st.f_bavail * st.f_frsize
    except OSError:
        free = 0
    if size * 2 < min(free // 4, 2 << 30):
        return tempfile.mkdtemp(prefix=_shm_prefix(ctx), dir=SHM)
    root = os.path.join(work, "context")
    os.mkdir(root)
    return root


def _dockerfile_at(root: str, name: str) -> str:
    """A local build's Dockerfile: in the context, or anywhere when absolute."""
    if os.path.isabs(name):
        try:
            with open(name, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            raise InvalidParameter(f"Cannot locate specified Dockerfile: {name}") from None
    return _dockerfile(root, name)


def check_local(path: str) -> str:
    if not os.path.isabs(path) or not os.path.isdir(path):
        raise InvalidParameter(f"local build context {path} is not a directory on the daemon's host")
    return os.path.realpath(path)


async def _spool(body, path: str) -> None:
    loop = asyncio.get_running_loop()
    with open(path, "wb") as f:
        while chunk := await body.read():
            await loop.run_in_executor(None, f.write, chunk)


def _msg(obj: dict) -> bytes:
    return json.dumps(obj).encode() + b"\r\n"


async def build(ctx: Ctx, body, opts: BuildOptions, dockerfile: str, quiet: bool,
                local: str = "") -> AsyncIterator[bytes]:
    """The response stream of one build. `local`: a context directory on this
    host, read in place (barge's CLI on the same machine: nothing sent or unpacked)."""
    work = tempfile.mkdtemp(prefix="build-", dir=_tmp(ctx))
    queue: asyncio.Queue = asyncio.Queue()
    build_id = ids.new_id()

    held: list[str] = []

    async def out(text: str) -> None:
        if quiet:
            held.append(text)       # shown only if the build fails, as dockerd does
        else:
            await queue.put(_msg({"stream": text}))

    async def run() -> None:
        try:
            if local:
                root = local
                text = _dockerfile_at(root, dockerfile)
            else:
                archive = os.path.join(work, "context.tar")
                await _spool(body, archive)
                root = _context_dir(ctx, work, os.path.getsize(archive))
                cleanup_dirs.append(root)
                await asyncio.get_running_loop().run_in_executor(ctx.pool, _unpack, archive, root)
                os.unlink(archive)
                text = _dockerfile(root, dockerfile)
            image = await Builder(DaemonBackend(ctx, build_id), root, opts, out).build(text)
            await queue.put(_msg({"aux": {"ID": image}}))
            if quiet:                   # the only output of `build -q`, as dockerd writes it
                await queue.put(_msg({"stream": image + "\n"}))
        except StepFailed as e:
            await _flush(queue, held)
            await queue.put(_msg({"errorDetail": {"code": e.code, "message": str(e)}, "error": str(e)}))
        except (BargeError, ValueError) as e:
            await _flush(queue, held)
            await queue.put(_msg({"errorDetail": {"message": str(e)}, "error": str(e)}))
        finally:
            await queue.put(DONE)

    cleanup_dirs: list[str] = []
    task = asyncio.get_running_loop().create_task(run())
    try:
        while (item := await queue.get()) is not DONE:
            yield item
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await cleanup(ctx, build_id)
        for d in cleanup_dirs + [work]:
            shutil.rmtree(d, ignore_errors=True)


async def _flush(queue: asyncio.Queue, held: list[str]) -> None:
    if held:
        await queue.put(_msg({"stream": "".join(held)}))
        held.clear()


def unmount_leftovers(ctx: Ctx) -> None:
    """Read-only stage roots a killed daemon left mounted."""
    from barge.sys import mount as sysmount
    where = os.path.join(ctx.cfg.exec_root, "build")
    for name in os.listdir(where) if os.path.isdir(where) else []:
        sysmount.unmount(os.path.join(where, name))
        shutil.rmtree(os.path.join(where, name), ignore_errors=True)
    prefix = _shm_prefix(ctx)             # contexts a killed daemon had unpacked in memory
    for name in os.listdir(SHM) if os.path.isdir(SHM) else []:
        if name.startswith(prefix):
            shutil.rmtree(os.path.join(SHM, name), ignore_errors=True)


def _tmp(ctx: Ctx) -> str:
    d = os.path.join(ctx.cfg.data_root, "tmp")
    os.makedirs(d, exist_ok=True)
    return d


async def cleanup(ctx: Ctx, build_id: str | None = None) -> None:
    """A finished build's containers still running (a cancelled step); with no
    build named (daemon start, the builds that were running are gone) all of them.
    A failed step's exited container stays for a look, as Docker keeps it."""
    from barge.daemon.containers.remove import remove
    for c in list(ctx.registry.all()):
        owner = (c.config.get("Labels") or {}).get(BUILD_LABEL)
        if owner and (build_id is None or (owner == build_id and c.state.status != "exited")):
            try:
                await remove(ctx, c.id, force=True, volumes=True)
            except BargeError:
                pass
