"""Published ports: `PortBindings` (and `-P`) resolved to host ports, each
held by a listening socket in the daemon so no other program takes it (and a
taken one fails the start with Docker's error); the kernel's DNAT carries the
traffic (net.firewall)."""
from __future__ import annotations

import errno
import random
import socket
from dataclasses import dataclass

from barge.errdefs import InvalidParameter, System

EPHEMERAL = (32768, 60999)


def ephemeral_range() -> tuple[int, int]:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = f.read().split()
            return int(lo), int(hi)
    except (OSError, ValueError):
        return EPHEMERAL


@dataclass(frozen=True)
class Binding:
    proto: str
    port: int              # in the container
    host_ip: str
    lo: int                # host port range; 0/0 = any free ephemeral port
    hi: int


def wanted(config: dict, host_config: dict) -> list[Binding]:
    """Every binding asked for, `-P` adding the image's exposed ports; pure."""
    out = []
    bindings = dict(host_config.get("PortBindings") or {})
    if host_config.get("PublishAllPorts"):
        for key in config.get("ExposedPorts") or {}:
            bindings.setdefault(key, [{"HostIp": "", "HostPort": ""}])
    for key, binds in sorted(bindings.items()):
        port, _, proto = key.partition("/")
        for b in binds or [{}]:
            hp = (b or {}).get("HostPort") or ""
            lo, _, hi = hp.partition("-")
            try:
                lo_n = int(lo) if lo else 0
                out.append(Binding(proto or "tcp", int(port), (b or {}).get("HostIp") or "", lo_n,
                                   int(hi) if hi else lo_n))
            except ValueError:
                raise InvalidParameter(f"invalid port specification: \"{key}\"") from None
    return out


def reserve(b: Binding, taken: set[int]) -> tuple[socket.socket, int]:
    """Bind (and for TCP listen on) the host port; none given picks a free ephemeral one."""
    if b.lo == b.hi and b.lo:
        try:
            return _bind(b.proto, b.host_ip, b.lo), b.lo
        except OSError as e:
            where = f"{b.host_ip or '0.0.0.0'}:{b.lo}"
            if e.errno == errno.EADDRINUSE:
                raise System(f"Bind for {where} failed: port is already allocated") from None
            raise System(f"Bind for {where} failed: {e.strerror}") from None
    lo, hi = (b.lo, b.hi) if b.lo else ephemeral_range()
    candidates = list(range(lo, hi + 1))
    if not b.lo:
        random.shuffle(candidates)
    for p in candidates:
        if p in taken:
            continue
        try:
            return _bind(b.proto, b.host_ip, p), p
        except OSError:
            continue
    raise System(f"Bind for {b.host_ip or '0.0.0.0'}:{lo}-{hi} failed: port is already allocated")


def _bind(proto: str, host_ip: str, port: int) -> socket.socket:
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind((host_ip or "0.0.0.0", port))
        if kind == socket.SOCK_STREAM:
            s.listen(1)          # never accepted: the DNAT rule sends the traffic to the container
    except BaseException:
        s.close()
        raise
    return s
