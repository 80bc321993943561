"""The iptables rules of barge's bridge networks and published ports, as
data (pure: no I/O). Modelled on dockerd's, in chains of barge's own:

nat     BARGE              DNAT of published ports   <- PREROUTING, OUTPUT (dst-type LOCAL)
nat     BARGE-POSTROUTING  MASQUERADE                <- POSTROUTING
filter  BARGE-FORWARD      per-bridge policy         <- FORWARD (inserted first)
filter  BARGE              ACCEPT of published ports <- BARGE-FORWARD (-o bridge)
filter  BARGE-ISOLATION-1/-2  networks can't reach each other <- BARGE-FORWARD (first)

Every rule's `args` are written exactly as `iptables -S` prints them back
(option order, `-m tcp`, `/32`), so `Rule.line()` can be compared with the
listed rules. OUTPUT's jump has no `! -d 127.0.0.0/8`: published ports are
served on 127.0.0.1 by the kernel (route_localnet on the bridge plus the
per-bridge `--src-type LOCAL` MASQUERADE).
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import NamedTuple

from barge.errdefs import InvalidParameter

NAT, FILTER = "nat", "filter"
PROTOS = ("tcp", "udp", "sctp")
_IFNAME = re.compile(r"^[A-Za-z0-9_.@:-]{1,15}$")
_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,15}$")    # + "-ISOLATION-1" <= 28


@dataclass(frozen=True)
class Chains:
    """barge's chain names. Daemons sharing a host must not share a prefix
    (teardown, prune and sweeps act on every rule in the prefix's chains):
    a test daemon uses its own, e.g. "BT-080b3c90"."""
    prefix: str = "BARGE"

    def __post_init__(self) -> None:
        if not _PREFIX.match(self.prefix) or self.prefix.upper().startswith("DOCKER"):
            raise InvalidParameter(f"invalid iptables chain prefix: {self.prefix!r}")

    @property
    def dnat(self) -> str:
        return self.prefix

    @property
    def postrouting(self) -> str:
        return f"{self.prefix}-POSTROUTING"

    @property
    def ports(self) -> str:
        return self.prefix

    @property
    def forward(self) -> str:
        return f"{self.prefix}-FORWARD"

    @property
    def iso1(self) -> str:
        return f"{self.prefix}-ISOLATION-1"

    @property
    def iso2(self) -> str:
        return f"{self.prefix}-ISOLATION-2"

    def of(self, table: str) -> tuple[str, ...]:
        """The table's barge chains, callers before callees."""
        if table == NAT:
            return (self.dnat, self.postrouting)
        return (self.forward, self.ports, self.iso1, self.iso2)


DEFAULT_CHAINS = Chains()


class Rule(NamedTuple):
    table: str
    chain: str
    args: tuple[str, ...]
    top: bool = False       # insert at position 1 instead of appending

    def line(self) -> str:
        """The rule as `iptables -S` lists it."""
        return " ".join(("-A", self.chain, *self.args))


@dataclass(frozen=True)
class NetRules:
    bridge: str            # "barge0" or "br-<id12>"
    subnet: str            # "172.18.0.0/16"
    internal: bool = False
    icc: bool = True       # inter-container traffic on this bridge
    masquerade: bool = True


@dataclass(frozen=True)
class PortRule:
    proto: str             # "tcp" | "udp" | "sctp"
    host_ip: str           # "" or "0.0.0.0" = every host address; else one IPv4
    host_port: int
    container_ip: str
    container_port: int
    bridge: str


def _bridge(name: str) -> str:
    if not _IFNAME.match(name):
        raise InvalidParameter(f"invalid bridge name: {name!r}")
    return name


def _subnet(subnet: str) -> str:
    try:
        net = ipaddress.ip_network(subnet, strict=False)
    except ValueError:
        raise InvalidParameter(f"invalid subnet: {subnet!r}") from None
    if net.version != 4:
        raise InvalidParameter(f"iptables rules are IPv4 only: {subnet}")
    return str(net)


def _ipv4(addr: str, what: str) -> str:
    try:
        return str(ipaddress.IPv4Address(addr))
    except ValueError:
        raise InvalidParameter(f"invalid {what} {addr!r}: not an IPv4 address") from None


def _port(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or not 0 < n < 65536:
        raise InvalidParameter(f"invalid port: {n!r}")
    return n


def base_rules(c: Chains = DEFAULT_CHAINS) -> list[Rule]:
    """The jumps into barge's chains and the chains' fixed rules."""
    local = ("-m", "addrtype", "--dst-type", "LOCAL", "-j", c.dnat)
    return [
        Rule(NAT, "PREROUTING", local, top=True),
        Rule(NAT, "OUTPUT", local, top=True),
        Rule(NAT, "POSTROUTING", ("-j", c.postrouting), top=True),
        Rule(FILTER, "FORWARD", ("-j", c.forward), top=True),
        Rule(FILTER, c.forward, ("-j", c.iso1), top=True),
        Rule(FILTER, c.iso1, ("-j", "RETURN")),
        Rule(FILTER, c.iso2, ("-j", "RETURN")),
    ]


def network_rules(n: NetRules, c: Chains = DEFAULT_CHAINS) -> list[Rule]:
    """A bridge network's rules. Isolation rules go first in their chains
    (before RETURN), so networks are isolated both ways whatever the order
    they were added in."""
    br, subnet = _bridge(n.bridge), _subnet(n.subnet)
    icc = ("-i", br, "-o", br, "-j", "ACCEPT" if n.icc else "DROP")
    if n.internal:      # as dockerd: no way out, no way in, no ports
        return [
            Rule(FILTER, c.iso1, ("!", "-s", subnet, "-o", br, "-j", "DROP"), top=True),
            Rule(FILTER, c.iso1, ("!", "-d", subnet, "-i", br, "-j", "DROP"), top=True),
            Rule(FILTER, c.forward, icc),
        ]
    rules = [
        Rule(FILTER, c.iso1, ("-i", br, "!", "-o", br, "-j", c.iso2), top=True),
        Rule(FILTER, c.iso2, ("-o", br, "-j", "DROP"), top=True),
        Rule(FILTER, c.forward, ("-o", br, "-m", "conntrack", "--ctstate",
                                 "RELATED,ESTABLISHED", "-j", "ACCEPT")),
        Rule(FILTER, c.forward, ("-o", br, "-j", c.ports)),
        Rule(FILTER, c.forward, ("-i", br, "!", "-o", br, "-j", "ACCEPT")),
        Rule(FILTER, c.forward, icc),
    ]
    if n.masquerade:
        rules.append(Rule(NAT, c.postrouting, ("-s", subnet, "!", "-o", br, "-j", "MASQUERADE")))
    rules.append(Rule(NAT, c.postrouting, ("-o", br, "-m", "addrtype", "--src-type", "LOCAL",
                                           "-j", "MASQUERADE")))
    return rules


def host_ip(p: PortRule) -> str:
    """The one host address a port is published on, "" for all of them."""
    return "" if p.host_ip in ("", "0.0.0.0") else _ipv4(p.host_ip, "host IP")


def normalized(p: PortRule) -> PortRule:
    """The same port with "0.0.0.0" spelt "", as parsing lists it."""
    return PortRule(p.proto, host_ip(p), p.host_port, p.container_ip, p.container_port, p.bridge)


def _proto(p: PortRule) -> tuple[str, ...]:
    if p.proto not in PROTOS:
        raise InvalidParameter(f"invalid protocol: {p.proto!r}")
    return ("-p", p.proto, "-m", p.proto)


def dnat_rule(p: PortRule, hairpin: bool = True, c: Chains = DEFAULT_CHAINS) -> Rule:
    """nat: host port -> container. With hairpin, containers on the same
    bridge reach it through a host address too (dockerd without its
    userland proxy); without, packets from the bridge are left alone."""
    hip, br = host_ip(p), _bridge(p.bridge)
    dst = ("-d", f"{hip}/32") if hip else ()
    ifc = () if hairpin else ("!", "-i", br)
    cip = _ipv4(p.container_ip, "container IP")
    return Rule(NAT, c.dnat, (*dst, *ifc, *_proto(p), "--dport", str(_port(p.host_port)),
                              "-j", "DNAT", "--to-destination",
                              f"{cip}:{_port(p.container_port)}"))


def shared_port_rules(p: PortRule, hairpin: bool = True, c: Chains = DEFAULT_CHAINS) -> list[Rule]:
    """The rules a port needs beside its DNAT; they depend only on the
    container's side, so two host ports to one container port share them."""
    cip, br = f"{_ipv4(p.container_ip, 'container IP')}/32", _bridge(p.bridge)
    dport = (*_proto(p), "--dport", str(_port(p.container_port)))
    rules = [Rule(FILTER, c.ports, ("-d", cip, "!", "-i", br, "-o", br, *dport, "-j", "ACCEPT"))]
    if hairpin:
        rules.append(Rule(NAT, c.postrouting, ("-s", cip, "-d", cip, *dport, "-j", "MASQUERADE")))
    return rules


def port_rules(p: PortRule, hairpin: bool = True, c: Chains = DEFAULT_CHAINS) -> list[Rule]:
    """All the rules publishing one port."""
    return [dnat_rule(p, hairpin, c), *shared_port_rules(p, hairpin, c)]


def _options(args: list[str]) -> dict[str, str] | None:
    """`[!] -opt value` pairs of a listed rule; negated ones keyed "!-opt"."""
    out: dict[str, str] = {}
    i = 0
    while i < len(args):
        neg = args[i] == "!"
        i += neg
        if i + 1 >= len(args) or not args[i].startswith("-"):
            return None
        out[("!" if neg else "") + args[i]] = args[i + 1]
        i += 2
    return out


def _split(line: str, chain: str) -> list[str] | None:
    words = line.split()
    return words[2:] if words[:2] == ["-A", chain] else None


def parse_dnat(line: str, c: Chains = DEFAULT_CHAINS) -> PortRule | None:
    """A published port back from an `iptables -t nat -S` line of the DNAT
    chain; its bridge is "" unless the rule names it (`! -i br`)."""
    args = _split(line, c.dnat)
    o = _options(args) if args else None
    if not o or o.get("-j") != "DNAT" or "--dport" not in o or "--to-destination" not in o:
        return None
    cip, _, cport = o["--to-destination"].rpartition(":")
    try:
        return PortRule(o.get("-p", ""), o.get("-d", "").removesuffix("/32"),
                        int(o["--dport"]), cip, int(cport), o.get("!-i", ""))
    except ValueError:
        return None


def parse_accept(line: str, c: Chains = DEFAULT_CHAINS) -> tuple[str, str, int, str] | None:
    """(proto, container IP, container port, bridge) of a filter port rule."""
    args = _split(line, c.ports)
    o = _options(args) if args else None
    if not o or o.get("-j") != "ACCEPT" or "--dport" not in o or "-o" not in o:
        return None
    try:
        return (o.get("-p", ""), o.get("-d", "").removesuffix("/32"), int(o["--dport"]), o["-o"])
    except ValueError:
        return None


def bridges_in(line: str) -> set[str]:
    """Interfaces a listed rule names with -i/-o (negated or not)."""
    words = line.split()
    return {words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-i", "-o")}
