"""Networks: the predefined ones, create, inspect, list, remove, prune,
connect and disconnect; bridges and firewall rules follow the records."""
from __future__ import annotations

import asyncio
import logging
import os
import socket

from barge.daemon.containers.context import Ctx
from barge.spec.filters import check as check_filters, label_holds, truth
from barge.util.fspath import read_text
from barge.daemon.networks import store as st
from barge.daemon.networks.store import NetworkStore
from barge.errdefs import Conflict, Forbidden, InvalidParameter, NotFound
from barge.net import ipam, netlink
from barge.spec import clock
from barge.spec.units import parse_unix_timestamp, timestamp_param

log = logging.getLogger("barge.networks")
LIST_FILTERS = ("dangling", "driver", "id", "label", "name", "scope", "type")
PRUNE_FILTERS = ("until", "label", "label!")


class NetworkService:
    def __init__(self, ctx: Ctx, firewall=None) -> None:
        self.ctx = ctx
        self.store = NetworkStore(os.path.join(ctx.cfg.data_root, "networks"))
        self.firewall = firewall          # net.firewall.Firewall, or None with "iptables": false
        self.dns = None                   # net.dns.DnsServer, set by start()
        self.port_socks: dict[str, list[socket.socket]] = {}
        self._dns_keys: set[str] = set()

    async def _run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.ctx.pool, fn, *args)

    # --- start ----------------------------------------------------------------------

    async def start(self) -> None:
        from barge.daemon.networks import names
        from barge.net.dns import DnsServer, upstreams
        registry = self.ctx.registry
        self.dns = DnsServer(upstreams(read_text("/etc/resolv.conf")),
                             lambda key, name, qtype: names.lookup(registry, key, name, qtype),
                             lambda key, ip: names.reverse(registry, key, ip))
        self.store.load()
        if self.firewall is not None:
            await self._run(self.firewall.setup)
        await self._run(self._predefined)      # netlink (pyroute2) only off the event loop
        for net in self.store.all():
            if net["Driver"] == "bridge":
                await self._run(self._bring_up, net)

    def _predefined(self) -> None:
        cfg = self.ctx.cfg
        if not self.store.by_name("bridge"):
            if cfg.bip:
                gw, _, plen = cfg.bip.partition("/")
                import ipaddress
                subnet = str(ipaddress.ip_network(f"{gw}/{plen or 16}", strict=False))
            else:
                subnet, gw = self._auto_subnet(), ""
            sc = ipam.check_config(subnet, gw)
            self.store.save(st.new_record("bridge", "bridge", sc.subnet, sc.gateway, ipam_options=None, options={
                "com.docker.network.bridge.default_bridge": "true", st.ICC_OPT: str(cfg.icc).lower(),
                st.MASQ_OPT: "true", "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
                st.BRIDGE_NAME_OPT: cfg.bridge, "com.docker.network.driver.mtu": str(cfg.mtu)}))
        else:                                  # daemon.json's icc applies at every start
            net = self.store.by_name("bridge")
            if net["Options"].get(st.ICC_OPT) != str(cfg.icc).lower():
                net["Options"][st.ICC_OPT] = str(cfg.icc).lower()
                self.store.save(net)
        for name, driver in (("host", "host"), ("none", "null")):
            if not self.store.by_name(name):
                self.store.save(st.new_record(name, driver, ipam_options=None))

    def _auto_subnet(self) -> str:
        return self._free_subnet(self._taken(netlink.bridge_addresses()))

    def _taken(self, routes: list[str]) -> list[str]:
        """What a new subnet must not overlap: the host's routes and every network's subnet."""
        return routes + [c["Subnet"] for n in self.store.all() for c in n["IPAM"]["Config"]]

    def _free_subnet(self, taken: list[str]) -> str:
        return ipam.pick_subnet(ipam.pools_from_config(self.ctx.cfg.default_address_pools), taken)

    def net_rules(self, net: dict):
        from barge.net.rules import NetRules
        return NetRules(bridge=st.bridge_of(net), subnet=st.subnet_of(net)["Subnet"], internal=net["Internal"],
                        icc=net["Options"].get(st.ICC_OPT, "true") == "true",
                        masquerade=net["Options"].get(st.MASQ_OPT, "true") == "true")

    def _bring_up(self, net: dict) -> None:
        cfg = st.subnet_of(net)
        netlink.ensure_bridge(st.bridge_of(net), cfg["Gateway"], ipam.prefix_len(cfg["Subnet"]), self.ctx.cfg.mtu)
        if self.firewall is not None:
            self.firewall.update_network(self.net_rules(net))

    def _bring_down(self, net: dict) -> None:
        if self.firewall is not None:
            self.firewall.remove_network(self.net_rules(net))
        netlink.delete_link(st.bridge_of(net))

    # --- queries --------------------------------------------------------------------

    def get(self, ref: str) -> dict:
        return self.store.get(ref)

    def endpoints_on(self, net: dict, running_only: bool = True) -> list:
        return [c for c in self.ctx.registry.all()
                if any(ep.get("NetworkID") == net["Id"] for ep in c.networks.values())
                and (c.state.running or not running_only)]

    def inspect(self, ref: str) -> dict:
        net = dict(self.store.get(ref))
        containers = {}
        for c in self.endpoints_on(net):
            ep = next(e for e in c.networks.values() if e.get("NetworkID") == net["Id"])
            if not ep.get("EndpointID"):
                continue
            containers[c.id] = {"Name": c.name, "EndpointID": ep["EndpointID"], "MacAddress": ep["MacAddress"],
                                "IPv4Address": f"{ep['IPAddress']}/{ep['IPPrefixLen']}" if ep["IPAddress"] else "",
                                "IPv6Address": ""}
        net["Containers"] = containers
        return net

    def list(self, filters: dict[str, list[str]]) -> list[dict]:
        check_filters(filters, LIST_FILTERS)
        out = [dict(n, Containers={}) for n in self.store.all() if self._matches(n, filters)]
        return sorted(out, key=lambda n: n["Created"])

    def _matches(self, n: dict, f: dict[str, list[str]]) -> bool:
        builtin = n["Name"] in st.PREDEFINED
        checks = {
            "driver": lambda v: n["Driver"] == v,
            "id": lambda v: n["Id"].startswith(v),
            "name": lambda v: v in n["Name"],
            "scope": lambda v: v == "local",
            "type": lambda v: (v == "builtin") == builtin if v in ("builtin", "custom") else _bad("type", v),
            "label": lambda v: label_holds(n["Labels"], v),
            "dangling": lambda v: (not builtin and not self.endpoints_on(n, False)) == truth("dangling", v),
        }
        for key, values in f.items():
            test = checks[key]
            if key == "label":
                if not all(test(v) for v in values):
                    return False
            elif values and not any(test(v) for v in values):
                return False
        return True

    # --- create / remove ------------------------------------------------------------

    async def create(self, body: dict) -> dict:
        name = body.get("Name") or ""
        if not isinstance(name, str) or not name:
            raise InvalidParameter("network name is required")
        if self.store.by_name(name):
            raise Conflict(f"network with name {name} already exists")
        driver = body.get("Driver") or "bridge"
        if driver in ("host", "null"):
            raise Forbidden(f"only one instance of \"{driver}\" network is allowed")
        if driver != "bridge":
            raise NotFound(f'plugin "{driver}" not found')
        if body.get("EnableIPv6"):
            raise InvalidParameter("IPv6 networks are not supported by barge yet")
        routes = await self._run(netlink.bridge_addresses)
        sc = self._ipam_config((body.get("IPAM") or {}).get("Config") or [], routes)
        opts = dict(body.get("Options") or {})
        net = st.new_record(name, "bridge", sc.subnet, sc.gateway, sc.ip_range, dict(sc.aux),
                            internal=bool(body.get("Internal")), attachable=bool(body.get("Attachable")),
                            options=opts, labels=body.get("Labels") or {},
                            ipam_options=(body.get("IPAM") or {}).get("Options") or {})
        bridge = st.bridge_of(net)
        if len(bridge) > 15 or any(st.bridge_of(n) == bridge for n in self.store.all()):
            raise Conflict(f"bridge name {bridge} is too long or already in use")
        await self._run(self._bring_up, net)
        self.store.save(net)
        self.ctx.events.publish("network", "create", net["Id"], {"name": name, "type": "bridge"})
        return {"Id": net["Id"], "Warning": ""}

    def _ipam_config(self, configs: list, routes: list[str]) -> ipam.SubnetConfig:
        if len(configs) > 1:
            raise InvalidParameter("barge supports one IPv4 subnet per network")
        taken = self._taken(routes)
        if not configs or not configs[0].get("Subnet"):
            if configs and (configs[0].get("Gateway") or configs[0].get("IPRange")):
                raise InvalidParameter("gateway or ip range given without a subnet")
            return ipam.check_config(self._free_subnet(taken))
        c = configs[0]
        sc = ipam.check_config(c["Subnet"], c.get("Gateway") or "", c.get("IPRange") or "", c.get("AuxiliaryAddresses"))
        import ipaddress
        mine = ipaddress.ip_network(sc.subnet)
        for t in taken:
            if mine.overlaps(ipaddress.ip_network(t, strict=False)):
                raise Forbidden("Pool overlaps with other one on this address space")
        return sc

    async def remove(self, ref: str) -> None:
        net = self.store.get(ref)
        if net["Name"] in st.PREDEFINED:
            raise Forbidden(f"{net['Name']} is a pre-defined network and cannot be removed")
        active = self.endpoints_on(net)
        if active:
            raise Forbidden(f"error while removing network: network {net['Name']} id {net['Id']} has active endpoints")
        for c in self.endpoints_on(net, running_only=False):     # stopped containers forget it
            for k in [k for k, ep in c.networks.items() if ep.get("NetworkID") == net["Id"]]:
                del c.networks[k]
            c.save()
        await self._run(self._bring_down, net)
        self.store.delete(net)
        self.ctx.events.publish("network", "destroy", net["Id"], {"name": net["Name"], "type": "bridge"})

    async def prune(self, filters: dict[str, list[str]]) -> dict:
        check_filters(filters, PRUNE_FILTERS)
        import time
        now = time.time()
        deleted = []
        for net in list(self.store.all()):
            if net["Name"] in st.PREDEFINED or self.endpoints_on(net, running_only=False):
                continue
            if not all(label_holds(net["Labels"], w) for w in filters.get("label", [])):
                continue
            if any(label_holds(net["Labels"], w) for w in filters.get("label!", [])):
                continue
            if any(clock.parse_rfc3339(net["Created"]) >= _until(u, now) for u in filters.get("until", [])):
                continue
            try:
                await self.remove(net["Id"])
            except (Forbidden, NotFound):
                continue
            deleted.append(net["Name"])
        return {"NetworksDeleted": deleted or None}

    def dns_attached(self, cid: str) -> bool:
        return cid in self._dns_keys

    async def dns_attach(self, cid: str, udp, tcp, upstreams: list[str] | None = None) -> None:
        await self.dns.attach(cid, udp, tcp, upstreams)
        self._dns_keys.add(cid)

    async def dns_detach(self, cid: str) -> None:
        if cid in self._dns_keys:
            self._dns_keys.discard(cid)
            await self.dns.detach(cid)

    async def close(self) -> None:
        for socks in self.port_socks.values():
            for s in socks:
                s.close()
        self.port_socks.clear()
        if self.dns is not None:
            await self.dns.close()


def _until(value: str, now: float) -> float:
    sec, nsec = parse_unix_timestamp(timestamp_param(value, now))
    return sec + nsec / 1e9


def _bad(key: str, v: str) -> bool:
    raise InvalidParameter(f"invalid filter '{key}={v}'")
