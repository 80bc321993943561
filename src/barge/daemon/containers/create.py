"""Create a container: resolve the image, merge its config, lay out the directory."""
from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket

from barge.daemon.container import Container, State
from barge.daemon.containers import health, mounts
from barge.daemon.networks import endpoints
from barge.daemon.containers.context import Ctx
from barge.daemon.containers.start import device_nodes, log_limits
from barge.errdefs import InvalidParameter, NotFound
from barge.oci.spec import parse_security_opts, tweak_capabilities
from barge.oci.defaults import MASKED_PATHS, READONLY_PATHS
from barge.spec import apiconv, clock, ids, signals
from barge.spec.container import ContainerSpec

def _with_log_defaults(body: dict, hc: dict, ctx: Ctx) -> None:
    """The daemon's log-driver and log-opts apply when the request names none."""
    given = ((body.get("HostConfig") or {}).get("LogConfig") or {}).get("Type")
    lc = hc["LogConfig"]
    if not given:
        lc["Type"] = ctx.cfg.log_driver
        if not lc["Config"]:
            lc["Config"] = dict(ctx.cfg.log_opts)


async def create(ctx: Ctx, body: dict, name: str | None) -> Container:
    apiconv.check_body(body)
    image_ref = body.get("Image") or ""
    if not image_ref:
        raise InvalidParameter("Config cannot be empty in order to create a container")
    image = ctx.store.images.resolve(image_ref)
    cid = ids.new_id()
    name = ids.validate_name(name) if name else _generate_name(ctx)
    host_config = apiconv.fill_host_config(body.get("HostConfig"))
    apiconv.check_resources(host_config, os.cpu_count() or 1)
    config = apiconv.merge_config(body, image.config.get("config") or {}, cid,
                                  socket.gethostname() if host_config["NetworkMode"] == "host" else None)
    if not host_config["Privileged"]:
        host_config["MaskedPaths"] = host_config["MaskedPaths"] or list(MASKED_PATHS)
        host_config["ReadonlyPaths"] = host_config["ReadonlyPaths"] or list(READONLY_PATHS)
    _with_log_defaults(body, host_config, ctx)
    health.validate(config)
    spec = apiconv.to_spec(config, host_config)
    validate(ctx, spec)
    mps = mounts.plan(ctx, config, host_config)
    try:
        networks = endpoints.plan(ctx.networks, host_config, body.get("NetworkingConfig")) if ctx.networks else {}
    except NotFound as e:              # a 404 from create means "no such image" to clients
        raise InvalidParameter(str(e)) from None
    host_config["Links"] = _links(ctx, name, host_config.get("Links"))
    cdir = os.path.join(ctx.registry.root, cid)
    c = Container(id=cid, name=name, created=clock.rfc3339nano(), image_id=image.id,
                  config=config, host_config=host_config, state=State(), dir=cdir,
                  lower_dirs=ctx.store.images.lowerdirs(image), mount_points=[m.to_dict() for m in mps],
                  networks=networks)
    if spec.log_config.type != "none":
        c.log_path = os.path.join(cdir, f"{cid}-json.log")
    ctx.registry.reserve(c)     # from here its volumes count as in use
    made: list[str] = []
    try:
        for d in ("upper", "work", "merged"):
            os.makedirs(c.path(d), mode=0o700 if d == "work" else 0o755)
        _copy_root_attrs(c.lower_dirs[0], c.path("upper"))
        made = await mounts.make_volumes(ctx, c, mps)
        c.mount_points = [m.to_dict() for m in mps]
        await _copy_up(ctx, c, mps)
        c.save()
    except BaseException:
        ctx.registry.remove(c)
        shutil.rmtree(cdir, ignore_errors=True)
        await asyncio.shield(mounts.drop_volumes(ctx, made))
        raise
    ctx.event(c, "create")
    return c


async def _copy_up(ctx: Ctx, c: Container, mps: list) -> None:
    names = sorted({m.name for m in mps if m.type == "volume" and m.copy_data})
    async with contextlib.AsyncExitStack() as stack:
        for n in names:                 # in order: two creates never wait on each other
            await stack.enter_async_context(ctx.volumes.lock(n))
        await asyncio.get_running_loop().run_in_executor(ctx.pool, mounts.copy_up, ctx, c, mps)


LOG_OPTS = {
    "json-file": ("max-size", "max-file", "labels", "labels-regex", "env", "env-regex", "compress", "tag"),
    "local": ("max-size", "max-file", "compress"),
    "k8s-file": ("max-size", "max-file"),
    "none": (),
}


def _copy_root_attrs(lower: str, upper: str) -> None:
    """The merged root takes the upper dir's mode and owner: make them the image's."""
    st = os.stat(lower)
    os.chmod(upper, st.st_mode & 0o7777)
    os.chown(upper, st.st_uid, st.st_gid)


def validate(ctx: Ctx, spec: ContainerSpec) -> None:
    """Fail at create, as Docker does, on what would fail at start."""
    tweak_capabilities(spec.cap_add, spec.cap_drop, spec.privileged, ctx.facts.capabilities)
    parse_security_opts(spec.security_opt)
    allowed = LOG_OPTS.get(spec.log_config.type, ())
    for key in spec.log_config.config:
        if key not in allowed:
            raise InvalidParameter(f"unknown log opt '{key}' for {spec.log_config.type} log driver")
    log_limits(spec.log_config.config)
    if spec.stop_signal:
        signals.parse(spec.stop_signal)
    device_nodes(spec.resources.devices)


def _links(ctx: Ctx, name: str, links) -> list[str] | None:
    """`name[:alias]` -> Docker's stored form `/name:/me/alias`; the target must exist."""
    out = []
    for link in links or []:
        target, _, alias = link.partition(":")
        try:
            other = ctx.registry.get(target.lstrip("/"))
        except NotFound as e:
            raise InvalidParameter(f"could not get container for {target}: {e}") from None
        out.append(f"/{other.name}:/{name}/{(alias or other.name).rsplit('/', 1)[-1]}")
    return out or None


def _generate_name(ctx: Ctx) -> str:
    from barge.spec.names import random_name
    taken = {c.name for c in ctx.registry.all()}
    for retry in range(10):
        n = random_name(retry)
        if n not in taken:
            return n
    return random_name(10) + ids.new_id()[:4]
