"""Networking flags as the docker CLI 28 reads them (pure): Go's IP, CIDR and
MAC parsing, `--network` attachments and the EndpointsConfig `run` sends,
`--add-host`/`--dns`/`--dns-search`/`--link` checks, `network create`'s IPAM
config and `network connect`'s endpoint. Errors carry docker's wording: a
flag parser raises ValueError (pflag adds "invalid argument ..."), the rest
raise InvalidParameter."""
from __future__ import annotations

import re

from barge.errdefs import InvalidParameter

# ---------------------------------------------------------------- Go's net package

_LONG_SYNTAX = re.compile(r"\w+=\w+", re.ASCII)
_HEX2 = re.compile(r"[0-9a-fA-F]{2}")
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_DIGITS = re.compile(r"[0-9]+")


def parse_ip(s: str):
    """Go's net.ParseIP: an ipaddress object (an IPv4-mapped IPv6 address
    as IPv4, as Go's To4 sees it), or None."""
    if not s or "%" in s:
        return None
    import ipaddress
    try:
        ip = ipaddress.ip_address(s)
    except ValueError:
        return None
    return ip.ipv4_mapped or ip if ip.version == 6 else ip


def parse_cidr(s: str):
    """Go's net.ParseCIDR: (address, network), or InvalidParameter
    "invalid CIDR address: s"."""
    addr_s, slash, mask = s.partition("/")
    ip = parse_ip(addr_s) if slash else None
    if ip is None or not _DIGITS.fullmatch(mask) or int(mask) > (128 if ":" in addr_s else 32):
        raise InvalidParameter(f"invalid CIDR address: {s}")
    import ipaddress
    return ip, ipaddress.ip_network(f"{addr_s}/{int(mask)}", strict=False)


def _contains(net, ip) -> bool:
    return ip is not None and ip.version == net.version and ip in net


def _subnet_matches(subnet: str, data: str) -> bool:
    """docker's subnetMatches: does `subnet` hold the address `data` (or a CIDR's address)?"""
    try:
        _, net = parse_cidr(subnet)
    except InvalidParameter as e:
        raise InvalidParameter(f"invalid subnet: {e}") from None
    ip = parse_cidr(data)[0] if "/" in data else parse_ip(data)
    return _contains(net, ip)


def valid_mac(s: str) -> bool:
    """Go's net.ParseMAC accepts `s`: 6, 8 or 20 bytes as xx:xx:..., xx-xx-... or xxxx.xxxx...."""
    if len(s) < 14:
        return False
    if s[2] in ":-":
        parts, per = s.split(s[2]), 1
        ok = all(_HEX2.fullmatch(p) for p in parts)
    elif s[4] == ".":
        parts, per = s.split("."), 2
        ok = all(_HEX4.fullmatch(p) for p in parts)
    else:
        return False
    return ok and len(parts) * per in (6, 8, 20)


def validate_ip(value: str) -> str:
    """docker's opts.ValidateIPAddress (--dns): the address as Go prints it."""
    ip = parse_ip(value.strip())
    if ip is None:
        raise ValueError(f"IP address is not correctly formatted: {value}")
    return str(ip)


def is_loopback(value: str) -> bool:
    ip = parse_ip(value)
    return ip is not None and ip.is_loopback


# ---------------------------------------------------------------- flag values

def csv_values(value: str) -> list[str]:
    """A pflag "strings" flag's value: comma-separated, CSV-quoted; "" is none."""
    if not value:
        return []
    import csv
    import io
    return next(csv.reader(io.StringIO(value)), [])


def flatten(lists) -> list[str]:
    """The values of a "strings" flag (csv_values per occurrence) as one list."""
    return [v for values in lists or () for v in values]


def validate_link(value: str) -> str:
    """docker's opts.ValidateLink (--link): `name` or `name:alias`."""
    if not value:
        raise ValueError("empty string specified for links")
    if value.count(":") > 1:
        raise ValueError(f"bad format for links: {value}")
    return value


def validate_extra_host(value: str) -> str:
    """docker's opts.ValidateExtraHost (--add-host): `host:ip`, `host=ip`,
    `host:[ip]` or `host:host-gateway`, sent as `host:ip`."""
    key, sep, addr = value.partition("=")
    if not sep:
        key, sep, addr = value.partition(":")
    if not sep or not key or ":" in key:
        from barge.spec.gostrconv import go_quote
        raise ValueError(f"bad format for add-host: {go_quote(value)}")
    if addr != "host-gateway":
        if len(addr) > 2 and addr[0] == "[" and addr[-1] == "]":
            addr = addr[1:-1]
        if parse_ip(addr.strip()) is None:
            from barge.spec.gostrconv import go_quote
            raise ValueError(f"invalid IP address in add-host: {go_quote(addr)}")
    return f"{key}:{addr}"


_DOMAIN = re.compile(r"^(:?(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9]))"
                     r"(:?\.(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])))*)\.?\s*$", re.ASCII)


def validate_dns_search(value: str) -> str:
    """docker's opts.ValidateDNSSearch (--dns-search): "." or a domain, its trailing dot dropped."""
    value = value.strip(" ")
    if value == ".":
        return value
    m = _DOMAIN.match(value) if re.search("[a-zA-Z]", value) else None
    if m is None or len(m.group(1)) >= 255:
        raise ValueError(f"{value} is not a valid domain")
    return m.group(1)


# ---------------------------------------------------------------- endpoints

def endpoint_settings(ipam: dict | None = None, links=None, aliases=None, mac: str = "",
                      driver_opts=None, gw_priority: int = 0) -> dict:
    """An EndpointSettings as the docker CLI marshals it: every field, in Go's order."""
    return {"IPAMConfig": ipam, "Links": links, "Aliases": aliases, "MacAddress": mac,
            "DriverOpts": driver_opts, "GwPriority": gw_priority, "NetworkID": "", "EndpointID": "",
            "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "", "GlobalIPv6Address": "",
            "GlobalIPv6PrefixLen": 0, "DNSNames": None}


def endpoint_ipam(ipv4: str, ipv6: str, link_local: list[str]) -> dict:
    """EndpointIPAMConfig: its empty fields left out."""
    out = {"IPv4Address": ipv4, "IPv6Address": ipv6, "LinkLocalIPs": link_local}
    return {k: v for k, v in out.items() if v}


class Attachment:
    """One `--network` value (docker's NetworkAttachmentOpts)."""

    __slots__ = ("target", "aliases", "driver_opts", "links", "ipv4", "ipv6", "link_local", "mac",
                 "gw_priority")

    def __init__(self, target: str = "") -> None:
        self.target = target
        self.aliases: list[str] = []
        self.driver_opts: dict[str, str] = {}
        self.links: list[str] = []
        self.ipv4 = self.ipv6 = self.mac = ""
        self.link_local: list[str] = []
        self.gw_priority = 0


def network_attachment(value: str) -> Attachment:
    """docker's NetworkOpt.Set: a name or id, or `name=x,alias=y,ip=...` (then
    lower-cased, as docker does)."""
    if not _LONG_SYNTAX.search(value):
        return Attachment(value)
    a = Attachment()
    for field in csv_values(value):
        key, eq, val = field.lower().partition("=")
        if not eq or not key:
            raise ValueError(f"invalid field {field}")
        key, val = key.strip(), val.strip()
        if key == "name":
            a.target = val
        elif key == "alias":
            a.aliases.append(val)
        elif key in ("ip", "ip6", "mac-address"):
            setattr(a, {"ip": "ipv4", "ip6": "ipv6", "mac-address": "mac"}[key], val)
        elif key == "link-local-ip":
            a.link_local.append(val)
        elif key == "driver-opt":
            k, eq, v = val.partition("=")
            if not eq or not k:
                raise ValueError("invalid key value pair format in driver options")
            a.driver_opts[k.strip()] = v.strip()
        elif key == "gw-priority":
            from barge.spec.gostrconv import parse_go_int
            try:
                a.gw_priority = parse_go_int(val, 10, 64)
            except InvalidParameter as e:
                raise ValueError(f"invalid gw-priority ({val}): {str(e).rsplit(': ', 1)[-1]}") from None
        else:
            raise ValueError(f"invalid field key {key}")
    if not a.target:
        raise ValueError("network name/id is not specified")
    return a


def validate_network(value: str) -> str:
    """The --network flag's check: the value, if network_attachment reads it."""
    network_attachment(value)
    return value


def is_user_defined(mode: str) -> bool:
    """moby's NetworkMode.IsUserDefined (Linux)."""
    return mode not in ("default", "bridge", "host", "none") and not mode.startswith("container:")


def _apply_container_options(n: Attachment, o: dict) -> None:
    """docker's applyContainerOptions: the plain flags go to the first network."""
    aliases, links = o.get("network-alias") or [], o.get("link") or []
    ipv4, ipv6, mac, link_local = o.get("ip") or "", o.get("ip6") or "", o.get("mac-address") or "", \
        o.get("link-local-ip") or []
    for per_network, flag, what in ((n.aliases and aliases, "--network-alias", "per-network alias"),
                                    (n.links and links, "--link", "per-network links"),
                                    (n.ipv4 and ipv4, "--ip", "per-network IPv4 address"),
                                    (n.ipv6 and ipv6, "--ip6", "per-network IPv6 address"),
                                    (n.mac and mac, "--mac-address", "per-network MAC address"),
                                    (n.link_local and link_local, "--link-local-ip",
                                     "per-network link-local IP addresses")):
        if per_network:
            raise InvalidParameter(f"conflicting options: cannot specify both {flag} and {what}")
    if aliases:
        n.aliases = list(aliases)
    if is_user_defined(n.target) and links:
        n.links = list(links)
    n.ipv4, n.ipv6, n.mac = ipv4 or n.ipv4, ipv6 or n.ipv6, mac or n.mac
    if link_local:
        n.link_local = list(link_local)


def _endpoint(n: Attachment) -> dict:
    """docker's parseNetworkAttachmentOpt."""
    if not n.target.strip():
        raise InvalidParameter("no name set for network")
    if not is_user_defined(n.target):
        if n.aliases:
            raise InvalidParameter("network-scoped aliases are only supported for user-defined networks")
        if n.links:
            raise InvalidParameter("links are only supported for user-defined networks")
    if n.mac and not valid_mac(n.mac.strip()):
        raise InvalidParameter(f"{n.mac} is not a valid mac address")
    ipam = endpoint_ipam(n.ipv4, n.ipv6, n.link_local) if n.ipv4 or n.ipv6 or n.link_local else None
    return endpoint_settings(ipam, n.links or None, n.aliases or None, n.mac, n.driver_opts or None,
                             n.gw_priority)


def endpoints_config(o: dict) -> tuple[str, dict]:
    """(HostConfig.NetworkMode, NetworkingConfig.EndpointsConfig) for `run`'s
    flags, as docker's parseNetworkOpts makes them. `o["network"]` holds the
    --network values (one string is taken as a list of one)."""
    given = o.get("network") or []
    networks = [network_attachment(v) for v in ([given] if isinstance(given, str) else given)]
    mac = o.get("mac-address") or ""
    if mac and not valid_mac(mac.strip()):
        raise InvalidParameter(f"{mac} is not a valid mac address")
    endpoints: dict[str, dict] = {}
    if not networks:
        n = Attachment("default")
        _apply_container_options(n, o)
        endpoints["default"] = _endpoint(n)
    kinds = set()
    for i, n in enumerate(networks):
        kinds.add(is_user_defined(n.target))
        if i == 0:
            _apply_container_options(n, o)
        ep = _endpoint(n)
        if n.target in endpoints:
            raise InvalidParameter(f'network "{n.target}" is specified multiple times')
        if i == 0 and len(networks) == 1 and ep == endpoint_settings():
            continue        # nothing asked of it: left to the daemon
        endpoints[n.target] = ep
    if len(kinds) > 1:
        raise InvalidParameter("conflicting options: cannot attach both user-defined and "
                               "non-user-defined network-modes")
    return (networks[0].target if networks else "default"), endpoints


def driver_opts(items: list[str]) -> dict[str, str]:
    """`network connect --driver-opt k=v` (docker's convertDriverOpt)."""
    out = {}
    for item in items:
        k, eq, v = item.partition("=")
        k = k.strip()
        if not eq or not k:
            raise InvalidParameter("invalid key/value pair format in driver options")
        out[k] = v.strip()
    return out


# ---------------------------------------------------------------- network create

def ipam_config(subnets: list[str], ranges: list[str], gateways: list[str], aux: dict[str, str]) -> list[dict]:
    """`network create`'s IPAM.Config from --subnet/--ip-range/--gateway/--aux-address,
    checked as docker's createIPAMConfig checks them (one entry per subnet)."""
    if len(subnets) < len(ranges) or len(subnets) < len(gateways):
        raise InvalidParameter("every ip-range or gateway must have a corresponding subnet")
    data: dict[str, dict] = {}
    for s in subnets:
        for k in data:
            ok1 = _subnet_matches(s, k)
            if ok1 or _subnet_matches(k, s):
                raise InvalidParameter("multiple overlapping subnet configuration is not supported")
        data[s] = {"Subnet": s, "IPRange": "", "Gateway": "", "AuxiliaryAddresses": {}}
    for what, field, values in (("range", "IPRange", ranges), ("gateway", "Gateway", gateways)):
        for value in values:
            match = False
            for s in subnets:
                if field == "IPRange":
                    parse_cidr(value)
                if not _subnet_matches(s, value):
                    continue
                if data[s][field]:
                    verb = "ranges (%s, %s) on" if field == "IPRange" else "gateways (%s, %s) for"
                    raise InvalidParameter(f"cannot configure multiple {verb % (value, data[s][field])} "
                                           f"the same subnet ({s})")
                data[s][field], match = value, True
            if not match:
                raise InvalidParameter(f"no matching subnet for {what} {value}")
    for key, addr in aux.items():
        match = False
        for s in subnets:
            if _subnet_matches(s, addr):
                data[s]["AuxiliaryAddresses"][key], match = addr, True
        if not match:
            raise InvalidParameter(f"no matching subnet for aux-address {addr}")
    return [{k: v for k, v in c.items() if v} for c in data.values()]
