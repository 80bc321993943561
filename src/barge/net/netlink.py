"""Bridges and veth pairs over netlink (pyroute2); the container end is set up
from inside its network namespace (sys.netns)."""
from __future__ import annotations

import os
from dataclasses import dataclass

from barge.errdefs import Conflict, System
from barge.sys import netns


def _ipr():
    from pyroute2 import IPRoute
    return IPRoute()


def _index(ipr, name: str) -> int | None:
    found = ipr.link_lookup(ifname=name)
    return found[0] if found else None


def link_exists(name: str) -> bool:
    return os.path.exists(f"/sys/class/net/{name}")


def ensure_bridge(name: str, gateway: str, prefixlen: int, mtu: int = 1500) -> None:
    """The bridge, up, holding the gateway address (idempotent)."""
    with _ipr() as ipr:
        idx = _index(ipr, name)
        if idx is None:
            try:
                ipr.link("add", ifname=name, kind="bridge", mtu=mtu)
            except Exception as e:
                raise System(f"create bridge {name}: {e}") from None
            idx = _index(ipr, name)
        have = {(a.get_attr("IFA_ADDRESS"), a["prefixlen"]) for a in ipr.get_addr(index=idx, family=2)}
        if (gateway, prefixlen) not in have:
            ipr.addr("add", index=idx, address=gateway, prefixlen=prefixlen)
        ipr.link("set", index=idx, state="up")
    _sysctl(f"net/ipv4/conf/{name}/route_localnet", "1")   # published ports on 127.0.0.1
    _sysctl("net/ipv4/ip_forward", "1")                      # as dockerd: containers route out


def delete_link(name: str) -> None:
    with _ipr() as ipr:
        idx = _index(ipr, name)
        if idx is not None:
            ipr.link("del", index=idx)


def bridge_addresses() -> list[str]:
    """Every IPv4 route's destination on this host, to keep new subnets clear of them."""
    with _ipr() as ipr:
        out = []
        for r in ipr.get_routes(family=2):
            dst = r.get_attr("RTA_DST")
            if dst:
                out.append(f"{dst}/{r['dst_len']}")
        return out


@dataclass
class VethPlan:
    host_name: str         # "veth" + 7 hex, on the host, enslaved to the bridge
    bridge: str
    ifname: str            # eth0, eth1, ... in the container
    address: str
    prefixlen: int
    gateway: str
    mac: str
    default_route: bool    # the first network's gateway is the default route
    mtu: int = 1500


def add_veth(netns_path: str, plan: VethPlan) -> None:
    """The pair is born with its container end already in the namespace:
    moving a link between namespaces costs ~20 ms of RCU waits."""
    with _ipr() as ipr:
        br = _index(ipr, plan.bridge)
        if br is None:
            raise System(f"bridge {plan.bridge} is gone")
        fd = os.open(netns_path, os.O_RDONLY)
        try:
            ipr.link("add", ifname=plan.host_name, kind="veth", mtu=plan.mtu,
                     peer={"ifname": plan.ifname, "net_ns_fd": fd, "address": plan.mac, "mtu": plan.mtu})
        except Exception as e:
            raise Conflict(f"create veth {plan.host_name}: {e}") from None
        finally:
            os.close(fd)
        try:
            ipr.link("set", index=_index(ipr, plan.host_name), master=br, state="up")
            # a container reaches itself through its own published port
            _sysctl_path(f"/sys/class/net/{plan.host_name}/brport/hairpin_mode", "1")
        except BaseException:
            ipr.link("del", ifname=plan.host_name)
            raise
    netns.run_in(netns_path, lambda: _inside(plan))


def _inside(plan: VethPlan) -> None:
    with _ipr() as ipr:
        idx = _index(ipr, plan.ifname)
        ipr.addr("add", index=idx, address=plan.address, prefixlen=plan.prefixlen)
        ipr.link("set", index=idx, state="up")
        if plan.default_route:
            ipr.route("add", dst="0.0.0.0/0", gateway=plan.gateway)


def loopback_up(netns_path: str) -> None:
    def up() -> None:
        with _ipr() as ipr:
            ipr.link("set", index=_index(ipr, "lo"), state="up")
    netns.run_in(netns_path, up)


def remove_in(netns_path: str, ifname: str) -> None:
    """Take one interface out of a running container (network disconnect)."""
    def rm() -> None:
        with _ipr() as ipr:
            idx = _index(ipr, ifname)
            if idx is not None:
                ipr.link("del", index=idx)
    netns.run_in(netns_path, rm)


def _sysctl(key: str, value: str) -> None:
    _sysctl_path(f"/proc/sys/{key}", value)


def _sysctl_path(path: str, value: str) -> None:
    try:
        with open(path, "w") as f:
            f.write(value)
    except OSError:
        pass
