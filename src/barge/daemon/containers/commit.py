"""`commit`: a container's changes as a new layer on its image, and a new
image whose config merges the container's with `changes`, as Docker's
daemon/commit.go does."""
from __future__ import annotations

import asyncio
import json
import os
import tarfile
import threading
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, TypeVar, cast

from barge import __version__
from barge.daemon.container import Container
from barge.daemon.containers.context import Ctx
from barge.daemon.containers.diff import INIT_PARENTS, INIT_PATHS
from barge.errdefs import InvalidParameter, System
from barge.spec import changes as changespec
from barge.spec import clock, reference
from barge.store.layers import Layer
# tarwrite's fd-based walker and archiver, with barge's own mount points left out
from barge.util.tarwrite import _Archiver, _HashingWriter, _walk  # noqa: PLC2701

_SKIP = frozenset(p.lstrip("/") for p in INIT_PATHS)
_SKIP_PARENTS = frozenset(p.lstrip("/") for p in INIT_PARENTS)
_BUF = 1 << 20
T = TypeVar("T")

# Config fields a commit body may set (Docker's container.Config)
CONFIG_KEYS = ("Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr",
               "ExposedPorts", "Tty", "OpenStdin", "StdinOnce", "Env", "Cmd", "Healthcheck",
               "ArgsEscaped", "Image", "Volumes", "WorkingDir", "Entrypoint", "NetworkDisabled",
               "MacAddress", "OnBuild", "Labels", "StopSignal", "StopTimeout", "Shell")


@dataclass
class CommitOptions:
    repo: str = ""
    tag: str = ""
    comment: str = ""
    author: str = ""
    pause: bool = True
    changes: list[str] = field(default_factory=list)
    config: dict | None = None      # the request body; None: the container's own


# --- pure parts -------------------------------------------------------------

def body_config(raw: bytes) -> dict | None:
    """The commit body as a Config, or None when it sets nothing (empty,
    `null`, `{}`): then Docker starts from the container's config."""
    if not raw.strip():
        return None
    try:
        obj = json.loads(raw)
    except ValueError as e:
        raise InvalidParameter(f"invalid JSON: {e}") from None
    if obj is None:
        return None
    if not isinstance(obj, dict):
        raise InvalidParameter("invalid JSON: the commit body must be a container config object")
    cfg = {k: v for k, v in obj.items() if k in CONFIG_KEYS}
    return cfg or None


def merge(user: dict, image: dict) -> dict:
    """Docker's commit merge: fill what `user` leaves empty from `image`."""
    out = json.loads(json.dumps(user))
    if not out.get("User"):
        out["User"] = image.get("User", "")
    ports = out.get("ExposedPorts") or {}
    if not ports:
        if image.get("ExposedPorts") is not None:
            out["ExposedPorts"] = image.get("ExposedPorts")
    else:
        for p, v in (image.get("ExposedPorts") or {}).items():
            ports.setdefault(p, v)
        out["ExposedPorts"] = ports
    env = list(out.get("Env") or [])
    if not env:
        out["Env"] = image.get("Env")
    else:
        keys = {e.split("=", 1)[0] for e in env}
        env += [e for e in image.get("Env") or [] if e.split("=", 1)[0] not in keys]
        out["Env"] = env
    labels = dict(out.get("Labels") or {})
    for k, v in (image.get("Labels") or {}).items():
        labels.setdefault(k, v)
    out["Labels"] = labels
    if not out.get("Entrypoint"):
        if not out.get("Cmd"):
            out["Cmd"] = image.get("Cmd")
            if "ArgsEscaped" in image:
                out["ArgsEscaped"] = image["ArgsEscaped"]
        if out.get("Entrypoint") is None:
            out["Entrypoint"] = image.get("Entrypoint")
    if image.get("Healthcheck"):
        hc = dict(out.get("Healthcheck") or {})
        for k, v in image["Healthcheck"].items():
            if not hc.get(k):
                hc[k] = v
        out["Healthcheck"] = hc
    if not out.get("WorkingDir"):
        out["WorkingDir"] = image.get("WorkingDir", "")
    vols = dict(out.get("Volumes") or {})
    if not vols:
        out["Volumes"] = image.get("Volumes")
    else:
        vols.update(image.get("Volumes") or {})
        out["Volumes"] = vols
    if not out.get("StopSignal") and image.get("StopSignal"):
        out["StopSignal"] = image["StopSignal"]
    return out


def new_config(container_cfg: dict, o: CommitOptions) -> dict:
    base = o.config if o.config is not None else container_cfg
    return merge(changespec.apply(base, o.changes), container_cfg)


def image_config(parent_cfg: dict, container_id: str, container_cfg: dict, o: CommitOptions,
                 diff_id: str | None, now: str) -> bytes:
    """The new image's config blob: keys sorted as Docker's marshaller writes them."""
    history = {"created": now}
    if o.author:
        history["author"] = o.author
    created_by = " ".join(container_cfg.get("Cmd") or [])
    if created_by:
        history["created_by"] = created_by
    if o.comment:
        history["comment"] = o.comment
    if diff_id is None:
        history["empty_layer"] = True
    diff_ids = list((parent_cfg.get("rootfs") or {}).get("diff_ids") or [])
    if diff_id is not None:
        diff_ids.append(diff_id)
    cfg = {
        "architecture": parent_cfg.get("architecture", "amd64"),
        "config": new_config(container_cfg, o),
        "container": container_id,
        "container_config": container_cfg,
        "created": now,
        "docker_version": __version__,
        "history": list(parent_cfg.get("history") or []) + [history],
        "os": parent_cfg.get("os", "linux"),
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    for k in ("variant", "os.version", "os.features"):
        if parent_cfg.get(k):
            cfg[k] = parent_cfg[k]
    if o.author:
        cfg["author"] = o.author
    if o.comment:
        cfg["comment"] = o.comment
    return json.dumps(cfg, sort_keys=True, separators=(",", ":")).encode()


def target_ref(repo: str, tag: str) -> str | None:
    if not repo:
        if tag:
            raise InvalidParameter("invalid reference format")
        return None
    return reference.normalize(f"{repo}:{tag}" if tag else repo)


# --- the layer --------------------------------------------------------------

def write_upper_layer(upper: str, out: BinaryIO) -> int:
    """Write the container's upper dir as a layer tar, without barge's own
    mount points; return the number of entries written."""
    sink = _HashingWriter(out)
    n = 0
    try:
        with tarfile.TarFile(fileobj=cast(BinaryIO, sink), mode="w", format=tarfile.PAX_FORMAT,
                             encoding="utf-8", errors="surrogateescape", copybufsize=_BUF) as tar:
            archiver = _Archiver(tar, upper=True)
            held = None        # an init parent ("etc") waiting for a child worth writing
            for node in _walk(upper):
                rel = node.rel
                top = rel.split("/", 1)[0]
                if rel in _SKIP or top in _SKIP or any(rel.startswith(s + "/") for s in _SKIP):
                    continue
                if rel in _SKIP_PARENTS:
                    held = node
                    continue
                if held is not None:
                    if rel.startswith(held.rel + "/"):
                        archiver.add(held)
                        n += 1
                    held = None
                archiver.add(node)
                n += 1
    except OSError as exc:
        raise System(f"archiving {upper}: {exc.strerror or exc}") from exc
    return n


def make_layer(ctx: Ctx, upper: str, parent: str | None) -> tuple[Layer, int]:
    """Stream the upper dir's tar straight into the layer store (no temp file)."""
    layer, n = register_written(ctx, parent, lambda out: write_upper_layer(upper, out))
    return layer, n or 0


def register_written(ctx: Ctx, parent: str | None, write: Callable[[BinaryIO], T]) -> tuple[Layer, T | None]:
    """A layer from a tar that `write` produces in a thread, piped into the
    store as it is written; returns the layer and what `write` returned."""
    r, w = os.pipe()
    result: dict = {}

    def produce() -> None:
        try:
            with os.fdopen(w, "wb", buffering=_BUF) as out:
                result["v"] = write(out)
        except BaseException as e:     # reported after the join
            result["err"] = e

    t = threading.Thread(target=produce, name="barge-layer-tar", daemon=True)
    t.start()
    try:
        with os.fdopen(r, "rb", buffering=_BUF) as inp:
            layer = ctx.store.layers.register(inp, parent)
    finally:
        t.join()
    if "err" in result and not isinstance(result["err"], BrokenPipeError):
        raise result["err"]
    return layer, result.get("v")


# --- the verb ---------------------------------------------------------------

async def commit(ctx: Ctx, c: Container, o: CommitOptions) -> str:
    ref = target_ref(o.repo, o.tag)
    changespec.apply({}, o.changes)               # a bad change is a 400 before any work
    img = ctx.store.images.get_by_id(c.image_id)
    loop = asyncio.get_running_loop()
    paused_here = False
    if o.pause and c.state.status == "running":
        await ctx.runc.pause(c.id)
        paused_here = True
    try:
        parent_chain = img.chain_ids[-1] if img.chain_ids else None
        layer, entries = await loop.run_in_executor(ctx.pool, make_layer, ctx, c.path("upper"), parent_chain)
    finally:
        if paused_here:
            await ctx.runc.resume(c.id)
    raw = image_config(img.config, c.id, c.config, o, layer.diff_id if entries else None,
                       clock.rfc3339nano())
    new = ctx.store.images.create(raw, parent=img.id)
    if ref:
        ctx.store.images.tag(new.id, ref)
    ctx.event(c, "commit", {"comment": o.comment, "imageID": new.id, "imageRef": ref or ""})
    if ref:
        ctx.events.publish("image", "tag", new.id, {"name": ref})
    return new.id
