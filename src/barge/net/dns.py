"""The embedded DNS server of user-defined networks (Docker's 127.0.0.11).

`answer` is the pure part: a query in, the reply out, or None when the name
is not a container's and the query goes to the host's resolvers. `DnsServer`
serves, for each container, a UDP and a TCP socket the daemon made inside the
container's network namespace, and forwards from the daemon's own (host)
namespace: over UDP when the client asked over UDP (a truncated upstream
reply is relayed as is, so the client retries over TCP), over TCP when the
client asked over TCP.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import string
import struct
from dataclasses import dataclass, field
from typing import Callable

from dnslib import AAAA, CLASS, DNSHeader, DNSRecord, PTR, QTYPE, RCODE, RR, A

Lookup = Callable[[str, str, str], list[str] | None]
Reverse = Callable[[str, str], str | None]

TTL = 600
DROP = b""                 # answer(): nothing to send, nothing to forward
HEADER = 12
UDP_PLAIN = 512            # the UDP limit of a query without EDNS
MAX_MSG = 65535
MAX_INFLIGHT = 100         # forwards under way per container
MAX_TCP_CLIENTS = 32       # open TCP connections per container
TCP_IDLE = 10.0            # seconds a TCP client may sit between messages

log = logging.getLogger("barge.dns")


# -- the pure part -----------------------------------------------------------

def answer(query: bytes, key: str, lookup: Lookup, reverse: Reverse,
           *, udp: bool = False) -> bytes | None:
    """The reply to `query` asked by container `key`; None to forward it.

    DROP (b"") for what deserves no reply at all (shorter than a header, or a
    response rather than a query); FORMERR for a header followed by garbage or
    for other than one question; NOTIMP for opcodes other than QUERY. With
    `udp`, a reply larger than the client takes (512, or its EDNS size) is
    sent truncated (TC) so the client retries over TCP.
    """
    if not _is_query(query):
        return DROP
    try:
        rec = DNSRecord.parse(query)
    except Exception:
        return _formerr(query)
    reply = _reply(rec, key, lookup, reverse)
    if reply is None:
        return None
    return _fit(reply, _udp_limit(rec) if udp else MAX_MSG)


def upstreams(resolv_conf_text: str) -> list[str]:
    """The `nameserver` addresses of a resolv.conf, in order, without repeats."""
    out: list[str] = []
    for line in resolv_conf_text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "nameserver":
            addr = fields[1]
            if _is_ip(addr) and addr not in out:
                out.append(addr)
    return out


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _is_query(data: bytes) -> bool:
    return len(data) >= HEADER and not data[2] & 0x80


def _formerr(query: bytes) -> bytes:
    """FORMERR with no question: all we trust of the query is its header."""
    qid, flags = struct.unpack("!HH", query[:4])
    flags = 0x8000 | (flags & 0x7900) | 0x0080 | RCODE.FORMERR   # qr, opcode+rd, ra
    return struct.pack("!6H", qid, flags, 0, 0, 0, 0)


def _base(rec: DNSRecord, rcode: int) -> DNSRecord:
    """A reply skeleton: not authoritative, recursion available, the question echoed."""
    h = rec.header
    header = DNSHeader(id=h.id, qr=1, opcode=h.opcode, aa=0, rd=h.rd, ra=1, rcode=rcode)
    return DNSRecord(header, questions=list(rec.questions))


def _reply(rec: DNSRecord, key: str, lookup: Lookup, reverse: Reverse) -> DNSRecord | None:
    if rec.header.opcode != 0:
        return _base(rec, RCODE.NOTIMP)
    if len(rec.questions) != 1:
        return _base(rec, RCODE.FORMERR)
    q = rec.q
    name = str(q.qname).rstrip(".").lower()
    if q.qclass != CLASS.IN or not name:
        return None
    rrs = _records(q, name, key, lookup, reverse)
    if rrs is None:
        return None
    out = _base(rec, RCODE.NOERROR)
    for rr in rrs:
        out.add_answer(rr)
    return out


def _records(q, name: str, key: str, lookup: Lookup, reverse: Reverse) -> list[RR] | None:
    if name.endswith(".arpa"):
        ip = _ptr_ip(name) if q.qtype == QTYPE.PTR else None
        target = reverse(key, ip) if ip else None
        if target is None:
            return None
        return [RR(q.qname, QTYPE.PTR, ttl=TTL, rdata=PTR(target.rstrip(".") + "."))]
    ips = lookup(key, name, QTYPE.get(q.qtype, str(q.qtype)))
    if ips is None:
        return None
    kind = {QTYPE.A: (A, 4), QTYPE.AAAA: (AAAA, 6)}.get(q.qtype)
    if kind is None:            # a container's name, a type it has none of
        return []
    rdata, version = kind
    return [RR(q.qname, q.qtype, ttl=TTL, rdata=rdata(ip))
            for ip in ips if _version(ip) == version]


def _version(ip: str) -> int:
    try:
        return ipaddress.ip_address(ip).version
    except ValueError:
        return 0


def _ptr_ip(name: str) -> str | None:
    """The address a reverse name stands for: 4.3.2.1.in-addr.arpa -> 1.2.3.4."""
    if name.endswith(".in-addr.arpa"):
        parts = name[: -len(".in-addr.arpa")].split(".")
        if len(parts) != 4:
            return None
        try:
            return str(ipaddress.IPv4Address(".".join(reversed(parts))))
        except ValueError:
            return None
    if name.endswith(".ip6.arpa"):
        nibbles = name[: -len(".ip6.arpa")].split(".")
        if len(nibbles) != 32 or not all(len(n) == 1 and n in string.hexdigits for n in nibbles):
            return None
        return str(ipaddress.IPv6Address(int("".join(reversed(nibbles)), 16)))
    return None


def _udp_limit(rec: DNSRecord) -> int:
    for rr in rec.ar:
        if rr.rtype == QTYPE.OPT:
            return min(max(UDP_PLAIN, rr.rclass), MAX_MSG)
    return UDP_PLAIN


def _fit(reply: DNSRecord, limit: int) -> bytes:
    data = reply.pack()
    if len(data) <= limit:
        return data
    reply.header.tc = 1
    reply.rr, reply.auth, reply.ar = [], [], []
    return reply.pack()


def _servfail(query: bytes) -> bytes:
    """SERVFAIL echoing the question (resolvers ignore replies whose question differs)."""
    try:
        return _base(DNSRecord.parse(query), RCODE.SERVFAIL).pack()
    except Exception:
        return _formerr(query) if _is_query(query) else DROP


def _rcode(reply: bytes) -> int:
    return reply[3] & 0x0F


def _is_reply_to(data: bytes, query: bytes) -> bool:
    return len(data) >= HEADER and data[:2] == query[:2] and bool(data[2] & 0x80)


def _endpoint(text: str) -> tuple[str, int]:
    """(host, port) of an upstream: 1.2.3.4, 1.2.3.4:5353, ::1 or [::1]:5353."""
    host, port = text.strip(), 53
    if host.startswith("["):
        host, _, rest = host[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") else 53
    elif host.count(":") == 1:
        host, p = host.split(":")
        port = int(p)
    if not _is_ip(host) or not 0 < port < 65536:
        raise ValueError(f"DNS upstream must be an IP address (and port): {text!r}")
    return host, port


# -- exchanges with an upstream ---------------------------------------------

async def _exchange_udp(host: str, port: int, query: bytes) -> bytes:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    addr = socket.getaddrinfo(host, port, family, socket.SOCK_DGRAM, 0,
                              socket.AI_NUMERICHOST)[0][4]
    loop = asyncio.get_running_loop()
    with socket.socket(family, socket.SOCK_DGRAM) as s:   # a fresh random port per query
        s.setblocking(False)
        s.connect(addr)
        await loop.sock_sendall(s, query)
        while True:
            data = await loop.sock_recv(s, MAX_MSG)
            if _is_reply_to(data, query):
                return data


async def _exchange_tcp(host: str, port: int, query: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(struct.pack("!H", len(query)) + query)
        await writer.drain()
        while True:
            data = await _read_msg(reader)
            if _is_reply_to(data, query):
                return data
    finally:
        writer.close()


async def _read_msg(reader: asyncio.StreamReader) -> bytes:
    (n,) = struct.unpack("!H", await reader.readexactly(2))
    return await reader.readexactly(n)


def _framed(msg: bytes) -> bytes:
    return struct.pack("!H", len(msg)) + msg


# -- the server ---------------------------------------------------------------

@dataclass
class _Attached:
    """What is served for one container."""
    key: str
    udp: asyncio.DatagramTransport | None = None
    tcp: asyncio.AbstractServer | None = None
    udp_closed: asyncio.Future | None = None
    tasks: set = field(default_factory=set)
    inflight: int = 0
    conns: int = 0
    upstreams: list | None = None      # the container's own (--dns), else the server's


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer, st: _Attached) -> None:
        self.server, self.st = server, st

    def datagram_received(self, data: bytes, addr) -> None:
        self.server._on_udp(self.st, data, addr)

    def error_received(self, exc: Exception) -> None:   # ICMP for an earlier reply
        log.debug("dns %s: udp error %s", self.st.key[:12], exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.st.udp_closed.done():
            self.st.udp_closed.set_result(None)


class DnsServer:
    """Answers containers' names for each attached container; forwards the rest.

    `upstreams` are IP addresses (optionally "ip:port" / "[ip6]:port"), tried
    in order, each for `timeout` seconds; none answering gives SERVFAIL.
    """

    def __init__(self, upstreams: list[str], lookup: Lookup, reverse: Reverse,
                 timeout: float = 2.0, max_inflight: int = MAX_INFLIGHT) -> None:
        self._upstreams = [_endpoint(u) for u in upstreams]
        self._lookup, self._reverse = lookup, reverse
        self._timeout, self._max_inflight = timeout, max_inflight
        self._attached: dict[str, _Attached] = {}

    async def attach(self, key: str, udp: socket.socket, tcp: socket.socket | None,
                     upstreams: list[str] | None = None) -> None:
        """Serve these (bound, non-blocking) sockets for container `key`; owns them from now.
        `upstreams` (a container's --dns) replace the server's for its forwards."""
        await self.detach(key)
        loop = asyncio.get_running_loop()
        st = _Attached(key, udp_closed=loop.create_future(),
                       upstreams=[_endpoint(u) for u in upstreams] if upstreams else None)
        try:
            st.udp, _ = await loop.create_datagram_endpoint(lambda: _UdpProtocol(self, st), sock=udp)
            if tcp is not None:
                st.tcp = await asyncio.start_server(
                    lambda r, w: self._tcp_client(st, r, w), sock=tcp)
        except BaseException:
            await self._stop(st, udp, tcp)
            raise
        self._attached[key] = st

    async def detach(self, key: str) -> None:
        """Stop serving container `key`, close its sockets and drop its forwards."""
        st = self._attached.pop(key, None)
        if st is not None:
            await self._stop(st)

    async def close(self) -> None:
        for key in list(self._attached):
            await self.detach(key)

    async def _stop(self, st: _Attached, *raw: socket.socket | None) -> None:
        if st.udp is not None:
            st.udp.close()
        if st.tcp is not None:
            st.tcp.close()
        for s in raw:           # sockets not yet handed to a transport
            if s is not None:
                s.close()
        tasks = list(st.tasks)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if st.udp is not None:
            await st.udp_closed
        if st.tcp is not None:
            await st.tcp.wait_closed()

    def _answer(self, key: str, query: bytes, udp: bool) -> bytes | None:
        try:
            return answer(query, key, self._lookup, self._reverse, udp=udp)
        except Exception:
            log.exception("dns %s: answering failed", key[:12])
            return _servfail(query)

    # UDP: answer at once, or forward in a task of the container's

    def _on_udp(self, st: _Attached, data: bytes, addr) -> None:
        reply = self._answer(st.key, data, udp=True)
        if reply is None:
            if st.inflight >= self._max_inflight:
                log.debug("dns %s: too many forwards, query dropped", st.key[:12])
                return
            st.inflight += 1
            task = asyncio.get_running_loop().create_task(self._relay_udp(st, data, addr))
            st.tasks.add(task)
            task.add_done_callback(st.tasks.discard)
        elif reply:
            st.udp.sendto(reply, addr)

    async def _relay_udp(self, st: _Attached, query: bytes, addr) -> None:
        try:
            reply = await self._forward(query, tcp=False, upstreams=st.upstreams)
        finally:
            st.inflight -= 1
        if reply and not st.udp.is_closing():
            st.udp.sendto(reply, addr)

    # TCP: several length-prefixed messages per connection, answered in turn

    async def _tcp_client(self, st: _Attached, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        st.tasks.add(task)
        st.conns += 1
        try:
            if st.conns <= MAX_TCP_CLIENTS:
                await self._tcp_serve(st, reader, writer)
        except (OSError, EOFError, asyncio.TimeoutError):
            pass
        finally:
            st.conns -= 1
            st.tasks.discard(task)
            writer.close()

    async def _tcp_serve(self, st: _Attached, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                query = await asyncio.wait_for(_read_msg(reader), TCP_IDLE)
            except asyncio.IncompleteReadError:
                return              # the client is done
            reply = self._answer(st.key, query, udp=False)
            if reply is None:
                reply = await self._forward_counted(st, query)
            if reply:
                writer.write(_framed(reply))
                await writer.drain()

    async def _forward_counted(self, st: _Attached, query: bytes) -> bytes:
        if st.inflight >= self._max_inflight:
            return _servfail(query)
        st.inflight += 1
        try:
            return await self._forward(query, tcp=True, upstreams=st.upstreams)
        finally:
            st.inflight -= 1

    # forwarding

    async def _forward(self, query: bytes, tcp: bool, upstreams: list | None = None) -> bytes:
        """The first good upstream reply; a SERVFAIL/REFUSED one only if none is better."""
        exchange = _exchange_tcp if tcp else _exchange_udp
        fallback = None
        for host, port in upstreams or self._upstreams:
            try:
                reply = await asyncio.wait_for(exchange(host, port, query), self._timeout)
            except (OSError, EOFError, ValueError, asyncio.TimeoutError) as e:
                log.debug("dns: upstream %s:%d failed: %r", host, port, e)
                continue
            if _rcode(reply) not in (RCODE.SERVFAIL, RCODE.REFUSED):
                return reply
            fallback = fallback or reply
        return fallback or _servfail(query)
