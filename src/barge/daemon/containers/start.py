"""Start a container: mount its root, write its config, hand it to conmon."""
from __future__ import annotations

import asyncio
import json
import os
import stat

from barge.daemon.container import Container, State
from barge.daemon.containers import mounts, network
from barge.daemon.containers.context import Ctx
from barge.errdefs import Conflict, InvalidParameter, NotModified, System
from barge.oci import conmon
from barge.oci.spec import build_config
from barge.spec import apiconv, clock, users
from barge.spec.container import BundlePaths, ContainerSpec
from barge.spec.units import parse_size
from barge.sys import mount as sysmount
from barge.util.atomic import write_bytes
from barge.util.fspath import read_in_root, read_text, secure_join

DEFAULT_LOG_MAX_SIZE = 20 * 1000 * 1000
DEFAULT_LOG_MAX_FILE = 5


async def start(ctx: Ctx, ref: str) -> None:
    c = ctx.registry.get(ref)
    try:
        async with ctx.registry.lock(c.id):
            if c.state.status == "paused":
                raise Conflict("cannot start a paused container, try unpause instead")
            if c.state.running:
                raise NotModified("container already started")
            if c.state.status == "removing":
                raise Conflict("container is marked for removal and cannot be started")
            await start_locked(ctx, c)
    except (NotModified, Conflict):
        raise
    except Exception:
        if c.host_config.get("AutoRemove"):   # as Docker: a --rm container that cannot start goes away
            from barge.daemon.containers.remove import destroy
            await destroy(ctx, c, volumes=True)
        raise


async def start_locked(ctx: Ctx, c: Container) -> None:
    spec = c.spec
    loop = asyncio.get_running_loop()
    try:
        link_env, plans = network.plan(ctx, c)
        if link_env:
            spec.env = apiconv.merge_env(link_env, spec.env)
        await _both(network.wire(ctx, c, plans), loop.run_in_executor(ctx.pool, prepare_rootfs, ctx, c, spec))
        pid = await conmon.spawn(conmon_options(ctx, c, spec))
    except Exception as e:
        _failed(c, e)
        await _cleanup_failed(ctx, c)
        raise
    c.state = State(status="running", pid=pid, started_at=clock.rfc3339nano(),
                    finished_at=c.state.finished_at, conmon_pid=_read_int(c.path("conmon.pid")),
                    health=c.state.health)
    c.has_been_started = True
    c.manually_stopped = False
    mounts.events(ctx, c, "mount")
    try:
        await _connect_attachers(ctx, c)
        await ctx.runc.start(c.id)
    except asyncio.CancelledError:
        # the daemon is going down mid-start: leave no created container behind
        await asyncio.shield(ctx.runc.delete(c.id, force=True))
        raise
    except Exception as e:
        _failed(c, e)
        await ctx.runc.delete(c.id, force=True)
        await _cleanup_failed(ctx, c)
        raise System(str(e)) from None
    c.save()
    if ctx.health is not None:
        ctx.health.start(c)          # health.py: probes begin, status "starting"
    ctx.event(c, "start")
    await ctx.registry.notify()


async def _both(a, b) -> None:
    """Run two steps at once; wait for both, then raise the first failure."""
    results = await asyncio.gather(a, b, return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException):
            raise r


def _failed(c: Container, e: Exception) -> None:
    c.state.error = str(e)
    c.state.exit_code = 127 if "no such file" in str(e).lower() or "not found" in str(e) else 128
    if "permission denied" in str(e).lower():
        c.state.exit_code = 126
    c.state.status = "created" if not c.has_been_started else "exited"
    c.save()


async def _cleanup_failed(ctx: Ctx, c: Container) -> None:
    await network.teardown(ctx, c)
    c.save()
    await asyncio.get_running_loop().run_in_executor(ctx.pool, sysmount.unmount, c.rootfs)
    await asyncio.get_running_loop().run_in_executor(ctx.pool, mounts.release, ctx, c)
    for w in ctx.attach_waiters.pop(c.id, []):
        w.cancel()


async def _connect_attachers(ctx: Ctx, c: Container) -> None:
    for session in ctx.attach_waiters.pop(c.id, []):
        await session.connect(c)


def _read_int(path: str) -> int:
    try:
        with open(path) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def prepare_rootfs(ctx: Ctx, c: Container, spec: ContainerSpec) -> None:
    """Mount the overlay, write /etc files and config.json (in the thread pool)."""
    if not sysmount.is_mounted(c.rootfs):
        sysmount.mount_overlay(c.lower_dirs, c.path("upper"), c.path("work"), c.rootfs)
    user = users.resolve(spec.user, read_in_root(c.rootfs, "etc/passwd"),
                         read_in_root(c.rootfs, "etc/group"), spec.resources.group_add)
    if spec.working_dir:
        wd = secure_join(c.rootfs, spec.working_dir)
        if not os.path.isdir(wd):
            os.makedirs(wd, mode=0o755, exist_ok=True)
            os.chown(wd, user.uid, user.gid)
    write_etc_files(ctx, c, spec)
    paths = BundlePaths(rootfs=c.rootfs, hostname_file=c.path("hostname"), hosts_file=c.path("hosts"),
                        resolv_conf=c.path("resolv.conf"), container_id=c.id,
                        netns_path=network.netns_path(ctx, c))
    spec.resources.device_nodes = device_nodes(spec.resources.devices)
    spec.mounts = mounts.setup(ctx, c)
    config = build_config(spec, user, ctx.host, paths, ctx.facts)
    write_bytes(c.path("config.json"), json.dumps(config).encode(), 0o600)
    for f in ("exit", "oom"):
        try:
            os.unlink(c.path("userdata", f))
        except FileNotFoundError:
            pass
    try:
        os.unlink(os.path.join(ctx.cfg.exit_dir, c.id))
    except FileNotFoundError:
        pass


def device_nodes(devices: list[dict]) -> list[dict]:
    """The host device nodes behind --device, as the OCI translation wants them."""
    out = []
    for d in devices:
        host = d.get("PathOnHost") or ""
        try:
            st = os.stat(host)
        except OSError as e:
            raise InvalidParameter(f'error gathering device information while adding custom device "{host}": '
                                   f"{e.strerror.lower()}") from None
        if not (stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)):
            raise InvalidParameter(f'error gathering device information while adding custom device "{host}": '
                                   "not a device node")
        out.append({"path": d.get("PathInContainer") or host,
                    "type": "c" if stat.S_ISCHR(st.st_mode) else "b",
                    "major": os.major(st.st_rdev), "minor": os.minor(st.st_rdev),
                    "fileMode": stat.S_IMODE(st.st_mode),
                    "permissions": d.get("CgroupPermissions") or "rwm"})
    return out


def write_etc_files(ctx: Ctx, c: Container, spec: ContainerSpec) -> None:
    other = network.joined(ctx, c)
    if other is not None:          # --network container:x shares x's files too
        for f in ("hostname", "hosts", "resolv.conf"):
            write_bytes(c.path(f), read_text(other.path(f)).encode())
        return
    write_bytes(c.path("hostname"), (spec.hostname + "\n").encode())
    write_bytes(c.path("hosts"), network.hosts_text(ctx, c).encode())
    write_bytes(c.path("resolv.conf"), network.resolv_text(ctx, c, read_text("/etc/resolv.conf")).encode())


def log_limits(cfg: dict[str, str]) -> tuple[int, int]:
    """(max-size bytes, max-file) from log options, with rotation on by default."""
    size = parse_size(cfg["max-size"]) if cfg.get("max-size") else DEFAULT_LOG_MAX_SIZE
    try:
        files = int(cfg.get("max-file") or DEFAULT_LOG_MAX_FILE)
    except ValueError:
        raise InvalidParameter(f"invalid value for max-file: {cfg.get('max-file')}") from None
    return size, max(files, 1)


def conmon_options(ctx: Ctx, c: Container, spec: ContainerSpec) -> conmon.ConmonOptions:
    os.makedirs(c.path("userdata"), exist_ok=True)
    log_limits(spec.log_config.config)   # reject bad log options before starting
    return conmon.ConmonOptions(
        cid=c.id, name=c.name, bundle=c.dir, runtime=ctx.runc.binary, runtime_root=ctx.runc.root,
        log_path=c.log_path or None,
        # No limit for conmon: it counts bytes over its whole life and truncates the
        # live file at the limit, whatever was rotated meanwhile (data loss). The
        # daemon rotates instead (logrotate.py).
        log_size_max=-1,
        exit_dir=ctx.cfg.exit_dir, persist_dir=c.path("userdata"), socket_dir=ctx.cfg.socket_dir,
        pidfile=c.path("pid"), conmon_pidfile=c.path("conmon.pid"), conmon_log=c.path("conmon.log"),
        tty=spec.tty, stdin=spec.open_stdin, leave_stdin_open=spec.open_stdin and not spec.stdin_once)
