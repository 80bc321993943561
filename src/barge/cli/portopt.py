"""`-p/--publish` and `--expose` -> Config.ExposedPorts and HostConfig.PortBindings,
as the docker CLI 28 builds them (its convertToStandardNotation, then
go-connections nat.ParsePortSpecs, v0.5), with the same error texts. Pure."""
from __future__ import annotations

from barge.errdefs import InvalidParameter

PROTOCOLS = ("tcp", "udp", "sctp")


def _port_range(value: str) -> tuple[int, int]:
    """nat.ParsePortRange: "80" or "8000-8010" (a third part is ignored, as in Go)."""
    from barge.spec.gostrconv import parse_go_uint
    if not value:
        raise InvalidParameter("empty string specified for ports")
    if "-" not in value:
        n = parse_go_uint(value, 10, 16)
        return n, n
    parts = value.split("-")
    start, end = parse_go_uint(parts[0], 10, 16), parse_go_uint(parts[1], 10, 16)
    if end < start:
        raise InvalidParameter(f"invalid range specified for port: {value}")
    return start, end


def _split_proto_port(raw: str) -> tuple[str, str]:
    """nat.SplitProtoPort (v0.5): (proto, port); "tcp" when none is given."""
    parts = raw.split("/")
    if not raw or not parts[0]:
        return "", ""
    if len(parts) == 1 or not parts[1]:
        return "tcp", parts[0]
    return parts[1], parts[0]


def _split_parts(raw: str) -> tuple[str, str, str]:
    """(ip, hostPort, containerPort) of `[ip:][hostPort:]containerPort`."""
    parts = raw.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def _unbracket(ip: str) -> str:
    """net.SplitHostPort(ip + ":")'s host for a bracketed address, with Go's errors."""
    hostport = ip + ":"
    end, last = hostport.find("]"), hostport.rfind(":")
    why = ""
    if end < 0:
        why = "missing ']' in address"
    elif end + 1 != last:
        why = "too many colons in address" if end + 1 < len(hostport) and hostport[end + 1] == ":" \
            else "missing port in address"
    elif "[" in hostport[1:]:
        why = "unexpected '[' in address"
    elif "]" in hostport[end + 1:]:
        why = "unexpected ']' in address"
    if why:
        raise InvalidParameter(f"invalid IP address {ip}: address {hostport}: {why}")
    return hostport[1:end]


def parse_port_spec(raw: str) -> list[tuple[str, dict]]:
    """nat.ParsePortSpec: [(port "80/tcp", {"HostIp", "HostPort"}), ...]."""
    from barge.cli.netopt import parse_ip
    ip, host_port, container_port = _split_parts(raw)
    proto, container_port = _split_proto_port(container_port)
    if ip.startswith("["):
        ip = _unbracket(ip)
    if ip and parse_ip(ip) is None:
        raise InvalidParameter(f"invalid IP address: {ip}")
    if not container_port:
        raise InvalidParameter(f"no port specified: {raw}<empty>")
    try:
        start, end = _port_range(container_port)
    except InvalidParameter:
        raise InvalidParameter(f"invalid containerPort: {container_port}") from None
    host_start = host_end = 0
    if host_port:
        try:
            host_start, host_end = _port_range(host_port)
        except InvalidParameter:
            raise InvalidParameter(f"invalid hostPort: {host_port}") from None
        if end - start != host_end - host_start and end != start:
            raise InvalidParameter("invalid ranges specified for container and host Ports: "
                                   f"{container_port} and {host_port}")
    if proto.lower() not in PROTOCOLS:
        raise InvalidParameter(f"invalid proto: {proto}")
    out = []
    for i in range(end - start + 1):
        hp = str(host_start + i) if host_port else ""
        if start == end and host_start != host_end:     # one port, a range to pick it from
            hp = f"{hp}-{host_end}"
        out.append((f"{start + i}/{proto.lower()}", {"HostIp": ip, "HostPort": hp}))
    return out


def standard_notation(spec: str) -> str:
    """docker's convertToStandardNotation: `published=8080,target=80[,protocol=udp]`
    -> "8080:80/udp"; other specs as given."""
    if "=" not in spec:
        return spec
    params = {"protocol": "tcp"}
    for param in spec.split(","):
        k, eq, v = param.partition("=")
        if not eq or not k:
            raise InvalidParameter(f"invalid publish opts format (should be name=value but got '{param}')")
        params[k] = v
    return f"{params.get('published', '')}:{params.get('target', '')}/{params['protocol']}"


def expose_ports(items: list[str]) -> list[str]:
    """--expose values (`80`, `80/udp`, `8000-8010`) as ports ("80/tcp"), as docker expands them."""
    out = []
    for e in items:
        if ":" in e:
            raise InvalidParameter(f"invalid port format for --expose: {e}")
        proto, port = _split_proto_port(e)
        try:
            start, end = _port_range(port)
        except InvalidParameter as err:
            raise InvalidParameter(f"invalid range format for --expose: {e}, error: {err}") from None
        out += [f"{p}/{proto}" for p in range(start, end + 1)]
    return out


def ports(publish: list[str], expose: list[str]) -> tuple[dict, dict]:
    """(ExposedPorts, PortBindings) for -p and --expose; keys sorted as Go marshals maps."""
    bindings: dict[str, list[dict]] = {}
    for spec in [standard_notation(p) for p in publish]:
        for port, binding in parse_port_spec(spec):
            bindings.setdefault(port, []).append(binding)
    exposed = dict.fromkeys(list(bindings) + expose_ports(expose))
    return ({k: {} for k in sorted(exposed)}, dict(sorted(bindings.items())))
