"""A container on its networks: endpoints planned at create, wired at start
(netns, veth, address, published ports, DNS), unwired at exit."""
from __future__ import annotations

import logging
import os
import socket

from barge.daemon.container import Container
from barge.daemon.networks import ports as portmod
from barge.daemon.networks import store as st
from barge.errdefs import InvalidParameter, NotFound, System
from barge.net import ipam, netlink
from barge.spec import ids
from barge.sys import netns

log = logging.getLogger("barge.endpoints")
SPECIAL = ("host", "none")


def empty_endpoint(net_id: str = "") -> dict:
    return {"IPAMConfig": None, "Links": None, "Aliases": None, "MacAddress": "", "NetworkID": net_id,
            "EndpointID": "", "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
            "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "DriverOpts": None, "DNSNames": None}


def mode_of(host_config: dict) -> str:
    mode = host_config.get("NetworkMode") or "default"
    return "bridge" if mode == "default" else mode


def plan(svc, host_config: dict, networking: dict | None) -> dict[str, dict]:
    """NetworkSettings.Networks of a new container (no addresses yet)."""
    mode = mode_of(host_config)
    if mode.startswith("container:"):
        return {}
    wanted = {("bridge" if k == "default" else k): v
              for k, v in ((networking or {}).get("EndpointsConfig") or {}).items()}
    first = svc.store.get(mode)
    out: dict[str, dict] = {}
    for ref in [mode] + [k for k in wanted if k != mode]:
        net = first if ref == mode else svc.store.get(ref)
        cfg = wanted.get(ref) or wanted.get(net["Name"]) or {}
        if net["Name"] in SPECIAL and len(wanted) > 1:
            raise InvalidParameter("container cannot be disconnected from host network or connected to host network")
        out[net["Name"]] = endpoint_config(net, cfg)
    return out


def endpoint_config(net: dict, cfg: dict) -> dict:
    ep = empty_endpoint(net["Id"])
    ipam_cfg = cfg.get("IPAMConfig") or None
    aliases = list(cfg.get("Aliases") or []) or None
    if net["Name"] == "bridge" and (aliases or (ipam_cfg or {}).get("IPv4Address")):
        if aliases:
            raise InvalidParameter("network-scoped alias is supported only for containers in user defined networks")
        raise InvalidParameter("user specified IP address is supported on user defined networks only")
    want = (ipam_cfg or {}).get("IPv4Address")
    if want:
        subnet = st.subnet_of(net)
        import ipaddress
        try:
            if ipaddress.ip_address(want) not in ipaddress.ip_network(subnet["Subnet"]):
                raise InvalidParameter(f"no configured subnet or ip-range contain the IP address {want}")
        except ValueError:
            raise InvalidParameter(f"invalid IPv4 address: {want}") from None
    ep.update({"IPAMConfig": ipam_cfg, "Aliases": aliases, "Links": cfg.get("Links") or None,
               "DriverOpts": cfg.get("DriverOpts") or None, "MacAddress": cfg.get("MacAddress") or ""})
    ep["_mac"] = ep["MacAddress"]     # asked for; the one in use is set at start
    return ep


def sandbox_path(ctx, c: Container) -> str:
    return os.path.join(ctx.cfg.exec_root, "netns", c.id[:12])


def bridged(c: Container) -> bool:
    mode = mode_of(c.host_config)
    return mode not in SPECIAL and not mode.startswith("container:")


def _veth_name() -> str:
    """Fresh for every start: the previous start's pair may still be on its way
    out (a namespace is torn down by the kernel after its last process)."""
    import secrets
    return "veth" + secrets.token_hex(4)[:7]


def used_ips(svc, net_id: str, exclude: str = "") -> set[str]:
    return {ep["IPAddress"] for c in svc.ctx.registry.all() if c.id != exclude
            for ep in c.networks.values() if ep.get("NetworkID") == net_id and ep.get("IPAddress")}


def assign(svc, c: Container) -> list[tuple[dict, netlink.VethPlan]]:
    """Addresses for every endpoint; in the event loop, so two starts never take one address."""
    plans = []
    for i, (name, ep) in enumerate(list(c.networks.items())):
        try:
            net = svc.store.get(ep["NetworkID"])
        except NotFound:
            raise NotFound(f"network {name} not found") from None
        plans.append((ep, assign_one(svc, c, net, ep, f"eth{i}", i == 0)))
    return plans


def assign_one(svc, c: Container, net: dict, ep: dict, ifname: str, first: bool) -> netlink.VethPlan:
    sub = st.subnet_of(net)
    sc = ipam.check_config(sub["Subnet"], sub["Gateway"], sub.get("IPRange", ""), sub.get("AuxiliaryAddresses"))
    ip = ipam.allocate(sc, used_ips(svc, net["Id"], c.id), ((ep.get("IPAMConfig") or {}).get("IPv4Address") or ""))
    plen = ipam.prefix_len(sc.subnet)
    mac = ep.get("_mac") or ipam.mac_of(ip)
    names = [c.name, c.id[:12]] + list(ep.get("Aliases") or []) if net["Name"] != "bridge" else None
    ep.update({"EndpointID": ids.new_id(), "Gateway": sc.gateway, "IPAddress": ip, "IPPrefixLen": plen,
               "MacAddress": mac, "DNSNames": names, "_ifname": ifname})
    return netlink.VethPlan(host_name=_veth_name(), bridge=st.bridge_of(net), ifname=ifname,
                            address=ip, prefixlen=plen, gateway=sc.gateway, mac=mac,
                            default_route=first and not net["Internal"],     # --internal: no way off
                            mtu=svc.ctx.cfg.mtu)


def wire(ctx, c: Container, plans: list) -> None:
    """In the thread pool: the namespace, loopback, one veth per network."""
    path = sandbox_path(ctx, c)
    netns.remove(path)
    netns.create(path)
    netlink.loopback_up(path)
    for _, vp in plans:
        netlink.add_veth(path, vp)
    c.sandbox = path


def clear(c: Container) -> None:
    for ep in c.networks.values():
        ep.update({"EndpointID": "", "Gateway": "", "IPAddress": "", "IPPrefixLen": 0,
                   "MacAddress": ep.get("_mac", ""), "DNSNames": None, "_ifname": ""})
    c.port_map = {}


def unwire(c: Container) -> None:
    if c.sandbox:
        netns.remove(c.sandbox)
    c.sandbox = ""


def publish(svc, c: Container) -> list:
    """Hold the host ports and return the firewall's port rules (first network only)."""
    from barge.net.rules import PortRule
    first = next(iter(c.networks.values()), None)
    if first is None or not first.get("IPAddress"):
        return []
    net = svc.store.get(first["NetworkID"])
    taken = {p for socks in svc.port_socks.values() for p in (_port(s) for s in socks)}
    socks: list[socket.socket] = []
    port_map: dict[str, list] = {}
    rules = []
    try:
        for b in portmod.wanted(c.config, c.host_config):
            try:
                s, hp = portmod.reserve(b, taken)
            except System as e:
                raise System(f"driver failed programming external connectivity on endpoint {c.name} "
                             f"({first['EndpointID']}): {e}") from None
            socks.append(s)
            taken.add(hp)
            port_map.setdefault(f"{b.port}/{b.proto}", []).append({"HostIp": b.host_ip or "0.0.0.0",
                                                                  "HostPort": str(hp)})
            rules.append(PortRule(proto=b.proto, host_ip=b.host_ip, host_port=hp, container_ip=first["IPAddress"],
                                  container_port=b.port, bridge=st.bridge_of(net)))
    except BaseException:
        for s in socks:
            s.close()
        raise
    svc.port_socks[c.id] = socks
    c.port_map = port_map
    return rules


def _port(s: socket.socket) -> int:
    try:
        return s.getsockname()[1]
    except OSError:
        return 0


def port_rules(svc, c: Container) -> list:
    """The rules a running container's published ports have (to remove them)."""
    from barge.net.rules import PortRule
    first = next(iter(c.networks.values()), None)
    if not first or not first.get("IPAddress") or not c.port_map:
        return []
    try:
        bridge = st.bridge_of(svc.store.get(first["NetworkID"]))
    except NotFound:
        return []
    out = []
    for key, binds in c.port_map.items():
        port, _, proto = key.partition("/")
        for b in binds:
            ip = b["HostIp"] if b["HostIp"] != "0.0.0.0" else ""
            out.append(PortRule(proto=proto, host_ip=ip, host_port=int(b["HostPort"]),
                                container_ip=first["IPAddress"], container_port=int(port), bridge=bridge))
    return out


def release_ports(svc, c: Container) -> None:
    for s in svc.port_socks.pop(c.id, []):
        s.close()


def reacquire_ports(svc, c: Container) -> None:
    """After a daemon restart: hold a running container's host ports again."""
    socks = []
    for key, binds in c.port_map.items():
        proto = key.partition("/")[2] or "tcp"
        for b in binds:
            ip = b["HostIp"] if b["HostIp"] != "0.0.0.0" else ""
            hp = int(b["HostPort"])
            try:
                socks.append(portmod.reserve(portmod.Binding(proto, 0, ip, hp, hp), set())[0])
            except Exception as e:
                log.warning("re-reserve %s/%s for %s: %s", hp, proto, c.id[:12], e)
    svc.port_socks[c.id] = socks
