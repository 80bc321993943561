"""A container's mount points: planned and their volumes made at create
(with copy-up), set up at start, released at exit, anonymous volumes
removed with the container when asked."""
from __future__ import annotations

import logging
import os

from barge.daemon.container import Container
from barge.daemon.containers.context import Ctx
from barge.errdefs import Conflict, InvalidParameter, NotFound
from barge.spec import ids
from barge.spec import mounts as mspec
from barge.spec.mounts import MountPoint
from barge.sys import mount as sysmount
from barge.volume import copyup

log = logging.getLogger("barge.mounts")


def plan(ctx: Ctx, config: dict, host_config: dict) -> list[MountPoint]:
    """Validate and resolve what a create body asks for; no volume is made yet."""
    planned = mspec.plan(config, host_config)
    inherited: list[MountPoint] = []
    for spec in host_config.get("VolumesFrom") or []:
        ref, mode = mspec.parse_volumes_from(spec)
        try:
            other = ctx.registry.get(ref)
        except NotFound as e:          # a 400 at create, as dockerd: a 404 would send clients pulling
            raise InvalidParameter(str(e)) from None
        inherited += [mspec.inherit(MountPoint.from_dict(m), mode) for m in other.mount_points]
    out = mspec.merge_volumes_from(planned, inherited)
    for mp in out:
        if mp.type == "bind":
            check_bind_source(ctx, mp)
        elif mp.type == "volume" and not mp.name:
            mp.name = ids.new_id()
    return out


def check_bind_source(ctx: Ctx, mp: MountPoint) -> None:
    if not mp.create_source and not os.path.exists(mp.source):
        raise InvalidParameter(f'invalid mount config for type "bind": bind source path does not exist: {mp.source}')
    real = os.path.realpath(mp.source)
    root = os.path.realpath(ctx.cfg.data_root)
    if real == root or real.startswith(root + "/"):
        raise InvalidParameter(f'invalid mount config for type "bind": bind source path {mp.source} '
                               f"is inside barge's data root {ctx.cfg.data_root}")


async def make_volumes(ctx: Ctx, c: Container, mps: list[MountPoint]) -> list[str]:
    """Create (or find) each volume; returns the names of those newly made."""
    made = []
    for mp in mps:
        if mp.type != "volume":
            continue
        existed = ctx.volumes.driver.exists(mp.name)
        labels = dict(mp.volume_labels)
        if mp.anonymous:
            labels[mspec.ANONYMOUS_LABEL] = ""
        v = await ctx.volumes.create(mp.name, mp.driver, mp.volume_opts, labels)
        mp.source = v.mountpoint
        if not existed:
            made.append(mp.name)
    return made


async def drop_volumes(ctx: Ctx, names: list[str]) -> None:
    for name in names:
        try:
            await ctx.volumes.remove(name)
        except (Conflict, NotFound):
            pass


def copy_up(ctx: Ctx, c: Container, mps: list[MountPoint]) -> None:
    """Fill empty volumes from the image (thread pool; the rootfs is mounted for it)."""
    wanted = [m for m in mps if m.type == "volume" and m.copy_data]
    if not wanted:
        return
    sysmount.mount_overlay(c.lower_dirs, c.path("upper"), c.path("work"), c.rootfs)
    try:
        for mp in wanted:
            v = ctx.volumes.driver.get(mp.name)
            src = os.path.join(c.rootfs, mp.destination.lstrip("/"))
            ctx.volumes.driver.mount(v)
            try:
                copyup.copy_up(v, src)
            finally:
                if not ctx.volumes.users(mp.name, running=True, exclude=c.id):
                    ctx.volumes.driver.unmount(v)
    finally:
        sysmount.unmount(c.rootfs)


def setup(ctx: Ctx, c: Container) -> list[MountPoint]:
    """At start (thread pool): bind sources made or checked, option volumes mounted."""
    out = []
    for d in c.mount_points:
        mp = MountPoint.from_dict(d)
        if mp.type == "bind":
            _bind_source(mp)
            _check_propagation(mp)
        elif mp.type == "volume":
            v = ctx.volumes.driver.get(mp.name)
            copyup.resume(v)
            ctx.volumes.driver.mount(v)
            mp.source = v.mountpoint
        out.append(mp)
    return out


def _bind_source(mp: MountPoint) -> None:
    if os.path.exists(mp.source):
        return
    if not mp.create_source:
        raise InvalidParameter(f'invalid mount config for type "bind": bind source path does not exist: {mp.source}')
    try:
        os.makedirs(mp.source, 0o755, exist_ok=True)
    except OSError as e:
        raise InvalidParameter(f"error while creating mount source path '{mp.source}': "
                               f"mkdir {mp.source}: {e.strerror.lower()}") from None


def _check_propagation(mp: MountPoint) -> None:
    shared = mp.propagation in ("shared", "rshared")
    slave = mp.propagation in ("slave", "rslave")
    if not (shared or slave):
        return
    where, fields = sysmount.mount_of(mp.source)
    if "shared:" in fields or (slave and "master:" in fields):
        return
    kind = "shared" if shared else "shared or slave"
    raise InvalidParameter(f"path {mp.source} is mounted on {where} but it is not a {kind} mount")


def events(ctx: Ctx, c: Container, action: str) -> None:
    """`mount` at start and `unmount` at exit, one per volume, as Docker reports them."""
    for d in c.mount_points:
        if d.get("type") != "volume":
            continue
        attrs = {"container": c.id, "driver": d.get("driver") or mspec.DEFAULT_DRIVER}
        if action == "mount":
            attrs.update({"destination": d["destination"], "propagation": d.get("propagation") or "",
                          "read/write": "true" if d.get("rw", True) else "false"})
        ctx.events.publish("volume", action, d["name"], attrs)


def release(ctx: Ctx, c: Container) -> None:
    """After an exit (thread pool): unmount option volumes nobody running uses."""
    for d in c.mount_points:
        if d.get("type") != "volume" or ctx.volumes.users(d["name"], running=True, exclude=c.id):
            continue
        try:
            v = ctx.volumes.driver.get(d["name"])
            ctx.volumes.driver.unmount(v)
        except Exception as e:      # a failed unmount must not fail the exit
            log.warning("unmount volume %s: %s", d["name"], e)


async def remove_anonymous(ctx: Ctx, c: Container) -> None:
    """`rm -v` and `--rm`: the container's anonymous volumes go, if nobody else uses them."""
    names = [d["name"] for d in c.mount_points if d.get("type") == "volume" and d.get("anonymous")]
    await drop_volumes(ctx, names)
