"""IP address management, pure: subnets from pools that avoid what the host
already routes, addresses from a subnet, MACs from addresses (as Docker)."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from barge.errdefs import Conflict, InvalidParameter, Unavailable

# Docker's default-address-pools, without 172.17.0.0/16 (Docker's own docker0)
DEFAULT_POOLS = (("172.18.0.0/16", 16), ("172.19.0.0/16", 16), ("172.20.0.0/14", 16),
                 ("172.24.0.0/14", 16), ("172.28.0.0/14", 16), ("192.168.0.0/16", 20))


@dataclass(frozen=True)
class Pool:
    base: str
    size: int


def pools_from_config(cfg: list[dict] | None) -> list[Pool]:
    """daemon.json `default-address-pools`: [{"base": "10.10.0.0/16", "size": 24}]."""
    if not cfg:
        return [Pool(b, s) for b, s in DEFAULT_POOLS]
    out = []
    for p in cfg:
        try:
            ipaddress.ip_network(p["base"])
            out.append(Pool(p["base"], int(p["size"])))
        except (KeyError, ValueError, TypeError):
            raise InvalidParameter(f"invalid default-address-pools entry: {p}") from None
    return out


def pick_subnet(pools: list[Pool], taken: list[str]) -> str:
    """The first pool subnet that overlaps nothing in `taken` (routes and other networks)."""
    used = [ipaddress.ip_network(t, strict=False) for t in taken]
    for pool in pools:
        base = ipaddress.ip_network(pool.base, strict=False)
        if pool.size < base.prefixlen:
            continue
        for net in base.subnets(new_prefix=pool.size):
            if not any(net.overlaps(u) for u in used):
                return str(net)
    raise Unavailable("could not find an available, non-overlapping IPv4 address pool among the defaults "
                      "to assign to the network")


@dataclass(frozen=True)
class SubnetConfig:
    subnet: str
    gateway: str
    ip_range: str = ""
    aux: tuple[tuple[str, str], ...] = ()


def check_config(subnet: str, gateway: str = "", ip_range: str = "", aux: dict | None = None) -> SubnetConfig:
    """Validate an IPAM config entry as Docker does; the gateway defaults to the first host."""
    try:
        net = ipaddress.ip_network(subnet, strict=False)
    except ValueError:
        raise InvalidParameter(f"invalid subnet {subnet} : invalid CIDR address: {subnet}") from None
    if net.version != 4:
        raise InvalidParameter("IPv6 networks are not supported by barge yet")
    if str(net) != subnet:
        raise InvalidParameter(f"invalid subnet {subnet}: it should be {net}")
    gw = gateway or str(next(net.hosts()))
    _inside(net, gw, "gateway")
    if ip_range:
        try:
            r = ipaddress.ip_network(ip_range, strict=False)
        except ValueError:
            raise InvalidParameter(f"invalid ip range {ip_range}") from None
        if not r.subnet_of(net):
            raise InvalidParameter(f"IP range {ip_range} is not within subnet {subnet}")
    for name, ip in (aux or {}).items():
        _inside(net, ip, f"auxiliary address {name}")
    return SubnetConfig(str(net), gw, ip_range, tuple(sorted((aux or {}).items())))


def _inside(net, ip: str, what: str) -> None:
    try:
        a = ipaddress.ip_address(ip)
    except ValueError:
        raise InvalidParameter(f"invalid {what} address {ip}") from None
    if a not in net:
        raise InvalidParameter(f"no matching subnet for {what} {ip}")


def allocate(cfg: SubnetConfig, used: set[str], want: str = "") -> str:
    """An address for a container: `want` if free, else the lowest free one."""
    net = ipaddress.ip_network(cfg.subnet)
    reserved = used | {cfg.gateway} | {ip for _, ip in cfg.aux}
    if want:
        _inside(net, want, "requested")
        if want in reserved:
            raise Conflict("Address already in use")
        return want
    space = ipaddress.ip_network(cfg.ip_range) if cfg.ip_range else net
    for a in space.hosts():
        if str(a) not in reserved:
            return str(a)
    raise Unavailable(f"no available IPv4 addresses on this network's address pools: {cfg.subnet}")


def mac_of(ip: str) -> str:
    """Docker's MAC for an address: 02:42 and the four bytes of the IPv4."""
    return "02:42:" + ":".join(f"{b:02x}" for b in ipaddress.ip_address(ip).packed)


def prefix_len(subnet: str) -> int:
    return ipaddress.ip_network(subnet).prefixlen
