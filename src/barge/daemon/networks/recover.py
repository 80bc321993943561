"""At daemon start, after exits were recorded: running containers get their
host ports and DNS back; what dead ones left (netns pins, port rules) goes."""
from __future__ import annotations

import asyncio
import logging
import os

from barge.daemon.containers import network
from barge.daemon.containers.context import Ctx
from barge.daemon.networks import endpoints as eps
from barge.daemon.networks import store as st
from barge.sys import netns

log = logging.getLogger("barge.networks")


async def recover(ctx: Ctx) -> None:
    svc = ctx.networks
    live = [c for c in ctx.registry.all() if c.state.running]
    for c in live:
        await network.restore(ctx, c)
    keep = {c.sandbox for c in live if c.sandbox}
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(ctx.pool, _drop_pins, os.path.join(ctx.cfg.exec_root, "netns"), keep)
    if svc.firewall is None:
        return
    known = [r for c in live for r in eps.port_rules(svc, c)]
    mine = {st.bridge_of(n) for n in svc.store.all() if n["Driver"] == "bridge"}
    try:
        stale = [r for r in await loop.run_in_executor(ctx.pool, svc.firewall.stale_ports, known)
                 if r.bridge in mine]
        if stale:
            await loop.run_in_executor(ctx.pool, svc.firewall.remove_ports, stale)
    except Exception as e:
        log.warning("stale port rules: %s", e)


def _drop_pins(d: str, keep: set[str]) -> None:
    try:
        entries = os.listdir(d)
    except FileNotFoundError:
        return
    for e in entries:
        p = os.path.join(d, e)
        if p not in keep:
            netns.remove(p)
