"""`update`: change a container's limits and restart policy, live when it runs."""
from __future__ import annotations

import json
import os

from barge.daemon.containers.context import Ctx
from barge.errdefs import InvalidParameter
from barge.oci.spec import resource_limits
from barge.spec import apiconv
from barge.util.atomic import write_bytes

UPDATABLE = ("Memory", "MemorySwap", "MemoryReservation", "NanoCpus", "CpuShares", "CpuPeriod",
             "CpuQuota", "CpusetCpus", "CpusetMems", "PidsLimit", "BlkioWeight")


def merge(hc: dict, body: dict) -> dict:
    """The HostConfig after an update body (pure); only given, non-zero fields change."""
    out = dict(hc)
    for key in UPDATABLE:
        if body.get(key) not in (None, 0, ""):
            out[key] = body[key]
    if body.get("Memory") and not body.get("MemorySwap") and hc.get("MemorySwap", 0) > 0:
        out["MemorySwap"] = -1 if hc["MemorySwap"] == -1 else max(hc["MemorySwap"], 2 * body["Memory"])
    rp = body.get("RestartPolicy") or {}
    if rp.get("Name"):
        out["RestartPolicy"] = {"Name": rp["Name"], "MaximumRetryCount": int(rp.get("MaximumRetryCount") or 0)}
    return out


async def update(ctx: Ctx, ref: str, body: dict) -> dict:
    if not isinstance(body, dict):
        raise InvalidParameter("json: cannot unmarshal into Go value of type container.UpdateConfig")
    c = ctx.registry.get(ref)
    async with ctx.registry.lock(c.id):
        new = merge(c.host_config, body)
        apiconv.check_resources(new, os.cpu_count() or 1)
        apiconv.fill_host_config(new)          # validates the restart policy as at create
        if new["RestartPolicy"]["Name"] not in ("", "no") and c.host_config.get("AutoRemove"):
            raise InvalidParameter("Cannot update restart policy for a container with AutoRemove enabled")
        if c.state.running:
            path = c.path("resources.json")
            write_bytes(path, json.dumps(resource_limits(apiconv.to_resources(new))).encode(), 0o600)
            try:
                await ctx.runc.update(c.id, path)
            except Exception as e:
                raise InvalidParameter(f"Cannot update container {c.id}: {e}") from None
        c.host_config = new
        c.save()
    ctx.event(c, "update")
    return {"Warnings": []}
