"""`network connect` and `network disconnect`, live on running containers."""
from __future__ import annotations

import asyncio

from barge.daemon.networks import endpoints as eps
from barge.errdefs import Forbidden, InvalidParameter, NotFound
from barge.net import netlink


async def connect(svc, ref: str, body: dict) -> None:
    net = svc.store.get(ref)
    c = svc.ctx.registry.get(str(body.get("Container") or ""))
    mode = eps.mode_of(c.host_config)
    if net["Name"] in eps.SPECIAL or mode in eps.SPECIAL or mode.startswith("container:"):
        raise Forbidden("container cannot be disconnected from host network or connected to host network")
    if net["Name"] in c.networks:
        raise Forbidden(f"endpoint with name {c.name} already exists in network {net['Name']}")
    ep = eps.endpoint_config(net, body.get("EndpointConfig") or {})
    async with svc.ctx.registry.lock(c.id):
        c.networks[net["Name"]] = ep
        if c.state.running and c.sandbox:
            try:
                await _plug(svc, c, net, ep)
            except BaseException:
                c.networks.pop(net["Name"], None)
                raise
        c.save()
    svc.ctx.events.publish("network", "connect", net["Id"], {"container": c.id, "name": net["Name"],
                                                              "type": "bridge"})


async def _plug(svc, c, net: dict, ep: dict) -> None:
    from barge.daemon.containers import network as cnet
    ifname = f"eth{_free_index(c)}"
    plan = eps.assign_one(svc, c, net, ep, ifname, first=False)
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(svc.ctx.pool, netlink.add_veth, c.sandbox, plan)
    except BaseException:
        ep.update(eps.empty_endpoint(net["Id"]))
        raise
    if net["Name"] != "bridge" and svc.dns is not None and not svc.dns_attached(c.id):
        await cnet.attach_dns(svc.ctx, c)
    cnet.refresh_hosts(svc.ctx, c)


def _free_index(c) -> int:
    used = {ep.get("_ifname") for ep in c.networks.values() if ep.get("IPAddress")}
    i = 0
    while f"eth{i}" in used:
        i += 1
    return i


async def disconnect(svc, ref: str, body: dict) -> None:
    net = svc.store.get(ref)
    try:
        c = svc.ctx.registry.get(str(body.get("Container") or ""))
    except NotFound:
        if body.get("Force"):
            return
        raise
    if net["Name"] not in c.networks:
        raise Forbidden(f"container {c.id} is not connected to network {net['Name']}")
    if eps.mode_of(c.host_config) in eps.SPECIAL:
        raise Forbidden("container cannot be disconnected from host network or connected to host network")
    async with svc.ctx.registry.lock(c.id):
        ep = c.networks.pop(net["Name"])
        if c.state.running and c.sandbox and ep.get("_ifname"):
            await asyncio.get_running_loop().run_in_executor(svc.ctx.pool, netlink.remove_in, c.sandbox,
                                                             ep["_ifname"])
            from barge.daemon.containers import network as cnet
            cnet.refresh_hosts(svc.ctx, c)
        c.save()
    svc.ctx.events.publish("network", "disconnect", net["Id"], {"container": c.id, "name": net["Name"],
                                                                 "type": "bridge"})


def check_body(body) -> dict:
    if not isinstance(body, dict) or not body.get("Container"):
        raise InvalidParameter("container is required")
    return body
