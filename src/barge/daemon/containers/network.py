"""A container's networking at start and exit: the namespace and veths,
published ports, embedded DNS; what /etc/hosts and resolv.conf then say."""
from __future__ import annotations

import asyncio
import logging

from barge.daemon.container import Container
from barge.daemon.containers.context import Ctx
from barge.daemon.networks import endpoints as eps
from barge.daemon.networks import names
from barge.errdefs import Conflict
from barge.net import files as netfiles
from barge.sys import netns
from barge.util.fspath import read_text

log = logging.getLogger("barge.network")
EMBEDDED_DNS = "127.0.0.11"


async def _run(ctx: Ctx, fn, *args):
    return await asyncio.get_running_loop().run_in_executor(ctx.pool, fn, *args)


def joined(ctx: Ctx, c: Container) -> Container | None:
    """The container whose network `--network container:x` joins, which must be running."""
    mode = eps.mode_of(c.host_config)
    if not mode.startswith("container:"):
        return None
    other = ctx.registry.get(mode.split(":", 1)[1])
    if not other.state.running:
        raise Conflict(f"cannot join network of a non running container: {other.id}")
    return other


def netns_path(ctx: Ctx, c: Container) -> str | None:
    other = joined(ctx, c)
    if other is not None:
        return other.sandbox or f"/proc/{other.state.pid}/ns/net"
    return c.sandbox or None


def plan(ctx: Ctx, c: Container) -> tuple[list[str], list]:
    """In the loop (so no two starts take one address): addresses, the namespace's
    path, and the legacy link environment. `wire` then does the slow part."""
    svc = ctx.networks
    if svc is None or not eps.bridged(c):
        joined(ctx, c)
        return [], []
    links = names.legacy_links(ctx.registry, c)
    plans = eps.assign(svc, c)
    c.sandbox = eps.sandbox_path(ctx, c)
    return names.link_env(c, links), plans


async def wire(ctx: Ctx, c: Container, plans: list) -> None:
    """Namespace, veths, published ports and DNS; undone on failure."""
    svc = ctx.networks
    if svc is None or not eps.bridged(c):
        return
    try:
        await _run(ctx, eps.wire, ctx, c, plans)
        rules = eps.publish(svc, c)
        if rules and svc.firewall is not None:
            await _run(ctx, svc.firewall.add_ports, rules)
        if _uses_dns(c) and svc.dns is not None:
            await attach_dns(ctx, c)
    except BaseException:
        await asyncio.shield(teardown(ctx, c))
        raise
    _events(ctx, c, "connect")


def _events(ctx: Ctx, c: Container, action: str) -> None:
    for name, ep in c.networks.items():
        if ep.get("EndpointID"):
            ctx.events.publish("network", action, ep["NetworkID"], {"container": c.id, "name": name, "type": "bridge"})


def _uses_dns(c: Container) -> bool:
    return any(name != "bridge" for name in c.networks)


async def attach_dns(ctx: Ctx, c: Container) -> None:
    import socket
    udp = await _run(ctx, netns.bound_socket, c.sandbox, socket.AF_INET, socket.SOCK_DGRAM, (EMBEDDED_DNS, 53))
    try:
        tcp = await _run(ctx, netns.bound_socket, c.sandbox, socket.AF_INET, socket.SOCK_STREAM, (EMBEDDED_DNS, 53))
    except BaseException:
        udp.close()
        raise
    await ctx.networks.dns_attach(c.id, udp, tcp, _valid_ips(c.host_config.get("Dns") or []) or None)


def _valid_ips(values: list[str]) -> list[str]:
    import ipaddress
    out = []
    for v in values:
        try:
            out.append(str(ipaddress.ip_address(v)))
        except ValueError:
            log.warning("ignoring --dns %r: not an IP address", v)
    return out


async def teardown(ctx: Ctx, c: Container) -> None:
    """Undo `setup`; every step tolerates what is already gone."""
    svc = ctx.networks
    if svc is None or not eps.bridged(c):
        return
    rules = eps.port_rules(svc, c)
    if rules and svc.firewall is not None:
        try:
            await _run(ctx, svc.firewall.remove_ports, rules)
        except Exception as e:
            log.warning("remove port rules of %s: %s", c.id[:12], e)
    eps.release_ports(svc, c)
    _events(ctx, c, "disconnect")
    if svc.dns is not None:
        await svc.dns_detach(c.id)
    await _run(ctx, eps.unwire, c)
    eps.clear(c)


async def restore(ctx: Ctx, c: Container) -> None:
    """After a daemon restart, for a running container: ports held and DNS served again."""
    svc = ctx.networks
    if svc is None or not eps.bridged(c) or not c.sandbox:
        return
    eps.reacquire_ports(svc, c)
    if _uses_dns(c) and svc.dns is not None:
        try:
            await attach_dns(ctx, c)
        except Exception as e:
            log.warning("embedded DNS for %s: %s", c.id[:12], e)


def hosts_text(ctx: Ctx, c: Container) -> str:
    """/etc/hosts: Docker's defaults (the host's with --network host), the
    container's own addresses, legacy links, --add-host."""
    extra = names.own_hosts_lines(c) if eps.bridged(c) else []
    if eps.bridged(c):
        extra += names.link_hosts(names.legacy_links(ctx.registry, c))
    extra += add_hosts(c.host_config.get("ExtraHosts") or [], host_gateway(ctx))
    if eps.mode_of(c.host_config) == "host":
        return read_text("/etc/hosts") + "".join(f"{ip}\t{n}\n" for ip, n in extra)
    return netfiles.hosts(extra)


def refresh_hosts(ctx: Ctx, c: Container) -> None:
    """Rewrite a running container's /etc/hosts in place (a rename would leave
    the container's bind mount on the old file)."""
    try:
        with open(c.path("hosts"), "r+") as f:
            f.truncate(0)
            f.write(hosts_text(ctx, c))
    except Exception as e:          # a linked container gone meanwhile must not fail a connect
        log.warning("hosts of %s: %s", c.id[:12], e)


def resolv_text(ctx: Ctx, c: Container, host_resolv: str) -> str:
    hc = c.host_config
    host_net = eps.mode_of(hc) == "host"
    if _uses_dns(c) and eps.bridged(c):
        return netfiles.resolv_conf(host_resolv, [EMBEDDED_DNS], hc.get("DnsSearch") or [],
                                    (hc.get("DnsOptions") or []) or ["ndots:0"], False)
    return netfiles.resolv_conf(host_resolv, hc.get("Dns") or [], hc.get("DnsSearch") or [],
                                hc.get("DnsOptions") or [], host_net)


def host_gateway(ctx: Ctx) -> str:
    svc = ctx.networks
    if svc is None:
        return ""
    net = svc.store.by_name("bridge")
    cfg = net["IPAM"]["Config"] if net else []
    return cfg[0]["Gateway"] if cfg else ""


def add_hosts(entries: list[str], gateway: str) -> list[tuple[str, str]]:
    out = []
    for e in entries:
        name, sep, ip = e.partition(":")
        if not sep:
            name, sep, ip = e.partition("=")
        if ip == "host-gateway":
            ip = gateway
        out.append((ip, name))
    return out
