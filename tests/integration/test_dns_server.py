"""A real DnsServer on 127.0.0.1 sockets (ephemeral ports, no netns), queried
over UDP and TCP; forwarding goes to a fake upstream on 127.0.0.1 only."""
from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time

import pytest
from dnslib import QTYPE, RCODE, RR, A, DNSRecord

from barge.net.dns import DnsServer

NAMES = {("c1", "web"): ["172.18.0.2"], ("c1", "db"): ["172.18.0.3"]}


def lookup(key, name, qtype):
    ips = NAMES.get((key, name))
    if ips is None:
        return None
    return ips if qtype == "A" else []


def reverse(key, ip):
    return "web" if (key, ip) == ("c1", "172.18.0.2") else None


def run(coro, limit=30.0):
    return asyncio.run(asyncio.wait_for(coro, limit))


# -- blocking clients, run in threads -----------------------------------------

def _udp_exchange(port: int, data: bytes, timeout: float) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(data, ("127.0.0.1", port))
        return s.recv(65535)


def _recv_exactly(s: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return buf


def _tcp_exchange(port: int, messages: list[bytes], timeout: float) -> list[bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"".join(struct.pack("!H", len(m)) + m for m in messages))
        out = []
        for _ in messages:
            (n,) = struct.unpack("!H", _recv_exactly(s, 2))
            out.append(_recv_exactly(s, n))
        return out


async def ask(port, name, qtype="A", tcp=False, timeout=3.0):
    q = DNSRecord.question(name, qtype)
    if tcp:
        (data,) = await asyncio.to_thread(_tcp_exchange, port, [q.pack()], timeout)
    else:
        data = await asyncio.to_thread(_udp_exchange, port, q.pack(), timeout)
    r = DNSRecord.parse(data)
    assert r.header.id == q.header.id and r.q.qname == q.q.qname
    return r


def ips(r):
    return sorted(str(rr.rdata) for rr in r.rr)


# -- the fake upstream ----------------------------------------------------------

class FakeUpstream:
    """Answers on 127.0.0.1:port over UDP and TCP: slow* never, fail* SERVFAIL,
    big* TC over UDP and 60 addresses over TCP; with `rcode`, that to all."""

    def __init__(self, rcode: int | None = None) -> None:
        self.seen: list[tuple[str, str]] = []
        self.port = 0
        self.rcode = rcode

    async def __aenter__(self) -> FakeUpstream:
        udp, tcp = _pair_on_one_port()
        self.port = udp.getsockname()[1]
        loop = asyncio.get_running_loop()
        self.udp, _ = await loop.create_datagram_endpoint(lambda: _FakeUdp(self), sock=udp)
        self.tcp = await asyncio.start_server(self._client, sock=tcp)
        return self

    async def __aexit__(self, *exc) -> None:
        self.udp.close()
        self.tcp.close()

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    def reply(self, data: bytes, via: str) -> bytes | None:
        q = DNSRecord.parse(data)
        name = str(q.q.qname).lower()
        self.seen.append((via, name))
        if name.startswith("slow"):
            return None
        r = q.reply()
        if self.rcode is not None:
            r.header.rcode = self.rcode
        elif name.startswith("fail"):
            r.header.rcode = RCODE.SERVFAIL
        elif name.startswith("big") and via == "udp":
            r.header.tc = 1
        else:
            for i in range(60 if name.startswith("big") else 1):
                r.add_answer(RR(q.q.qname, QTYPE.A, ttl=30, rdata=A(f"192.0.2.{i + 1}")))
        return r.pack()

    async def _client(self, reader, writer) -> None:
        try:
            while True:
                (n,) = struct.unpack("!H", await reader.readexactly(2))
                out = self.reply(await reader.readexactly(n), "tcp")
                if out is not None:
                    writer.write(struct.pack("!H", len(out)) + out)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


class _FakeUdp(asyncio.DatagramProtocol):
    def __init__(self, up: FakeUpstream) -> None:
        self.up = up

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data, addr) -> None:
        out = self.up.reply(data, "udp")
        if out is not None:
            self.transport.sendto(out, addr)


def _pair_on_one_port() -> tuple[socket.socket, socket.socket]:
    for _ in range(50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind(("127.0.0.1", udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(16)
        udp.setblocking(False)
        tcp.setblocking(False)
        return udp, tcp
    raise RuntimeError("no free port pair on 127.0.0.1")


def _dead_port() -> int:
    """A loopback UDP/TCP port nothing listens on (refused at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the server under test -----------------------------------------------------------

def bound_sockets() -> tuple[socket.socket, socket.socket]:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.setblocking(False)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(64)
    tcp.setblocking(False)
    return udp, tcp


@contextlib.asynccontextmanager
async def served(upstreams, key="c1", **kw):
    server = DnsServer(upstreams, lookup, reverse, **kw)
    udp, tcp = bound_sockets()
    await server.attach(key, udp, tcp)
    try:
        yield server, udp.getsockname()[1], tcp.getsockname()[1]
    finally:
        await server.close()


# -- tests ----------------------------------------------------------------------------

def test_container_names_over_udp_and_tcp():
    async def body():
        async with FakeUpstream() as up, served([up.addr]) as (_, uport, tport):
            for port, tcp in ((uport, False), (tport, True)):
                r = await ask(port, "Web.", tcp=tcp)
                assert r.header.rcode == RCODE.NOERROR and ips(r) == ["172.18.0.2"]
                assert r.header.aa == 0 and r.header.ra == 1 and r.rr[0].ttl == 600
                r = await ask(port, "web", "AAAA", tcp=tcp)
                assert r.header.rcode == RCODE.NOERROR and not r.rr
                r = await ask(port, "2.0.18.172.in-addr.arpa", "PTR", tcp=tcp)
                assert [str(rr.rdata) for rr in r.rr] == ["web."]
            assert up.seen == []            # nothing of that went upstream
    run(body())


def test_other_names_are_forwarded_over_the_clients_transport():
    async def body():
        async with FakeUpstream() as up, served([up.addr]) as (_, uport, tport):
            r = await ask(uport, "example.test")
            assert r.header.rcode == RCODE.NOERROR and ips(r) == ["192.0.2.1"]
            r = await ask(tport, "other.test", tcp=True)
            assert ips(r) == ["192.0.2.1"]
            assert up.seen == [("udp", "example.test."), ("tcp", "other.test.")]
    run(body())


def test_truncated_upstream_reply_is_relayed_then_tcp_gets_all():
    async def body():
        async with FakeUpstream() as up, served([up.addr]) as (_, uport, tport):
            r = await ask(uport, "big.test")
            assert r.header.tc == 1 and not r.rr
            r = await ask(tport, "big.test", tcp=True)
            assert r.header.tc == 0 and len(r.rr) == 60
    run(body())


def test_several_messages_on_one_tcp_connection():
    async def body():
        async with FakeUpstream() as up, served([up.addr]) as (_, _, tport):
            qs = [DNSRecord.question(n) for n in ("web", "example.test", "db", "one.test")]
            out = await asyncio.to_thread(_tcp_exchange, tport, [q.pack() for q in qs], 3.0)
            replies = [DNSRecord.parse(d) for d in out]
            assert [r.header.id for r in replies] == [q.header.id for q in qs]
            assert [ips(r) for r in replies] == [["172.18.0.2"], ["192.0.2.1"],
                                                 ["172.18.0.3"], ["192.0.2.1"]]
    run(body())


def test_upstreams_are_tried_in_order():
    async def body():
        dead = f"127.0.0.1:{_dead_port()}"
        async with FakeUpstream() as up, served([dead, up.addr]) as (_, uport, tport):
            assert ips(await ask(uport, "example.test")) == ["192.0.2.1"]
            assert ips(await ask(tport, "example.test", tcp=True)) == ["192.0.2.1"]
        async with FakeUpstream(RCODE.REFUSED) as bad, FakeUpstream() as good, \
                served([bad.addr, good.addr]) as (_, uport, _):
            r = await ask(uport, "example.test")       # REFUSED by the first: ask the next
            assert r.header.rcode == RCODE.NOERROR and ips(r) == ["192.0.2.1"]
            assert bad.seen == good.seen == [("udp", "example.test.")]
    run(body())


def test_timeouts_and_failures_give_servfail():
    async def body():
        async with FakeUpstream() as up, served([up.addr], timeout=0.3) as (_, uport, tport):
            for port, tcp in ((uport, False), (tport, True)):
                t0 = time.monotonic()
                r = await ask(port, "slow.test", tcp=tcp)
                assert r.header.rcode == RCODE.SERVFAIL and r.header.ra == 1
                assert str(r.q.qname) == "slow.test."
                assert time.monotonic() - t0 < 2.0
            r = await ask(uport, "fail.test")
            assert r.header.rcode == RCODE.SERVFAIL
        dead = f"127.0.0.1:{_dead_port()}"
        for upstreams in ([dead], []):
            async with served(upstreams, timeout=0.3) as (_, uport, tport):
                assert (await ask(uport, "example.test")).header.rcode == RCODE.SERVFAIL
                assert (await ask(tport, "example.test", tcp=True)).header.rcode == RCODE.SERVFAIL
    run(body())


def test_malformed_packets_are_dropped_and_serving_goes_on():
    async def body():
        async with FakeUpstream() as up, served([up.addr]) as (_, uport, tport):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                for junk in (b"", b"\x00", b"\xff" * 11, DNSRecord.question("web").reply().pack()):
                    s.sendto(junk, ("127.0.0.1", uport))
                s.settimeout(0.3)
                with pytest.raises(socket.timeout):
                    await asyncio.to_thread(s.recv, 512)
            formerr = await asyncio.to_thread(_udp_exchange, uport, b"\x12\x34\x01\x00" + b"\x00\x01" + b"\x00" * 6 + b"\xff", 3.0)
            assert formerr[:2] == b"\x12\x34" and formerr[3] & 0x0F == RCODE.FORMERR
            with socket.create_connection(("127.0.0.1", tport), timeout=3) as s:
                s.sendall(b"\x00\x01\x00" + b"\x00\x05hello")
            assert ips(await ask(uport, "web")) == ["172.18.0.2"]
            assert ips(await ask(tport, "web", tcp=True)) == ["172.18.0.2"]
            assert up.seen == []
    run(body())


def test_forwards_in_flight_are_bounded():
    async def body():
        async with FakeUpstream() as up, \
                served([up.addr], timeout=1.0, max_inflight=3) as (_, uport, _):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                for i in range(10):
                    s.sendto(DNSRecord.question(f"slow{i}.test").pack(), ("127.0.0.1", uport))
                await asyncio.sleep(0.3)
                assert len(up.seen) == 3
                # the bound frees up once the forwards time out
                await asyncio.sleep(1.0)
            assert ips(await ask(uport, "example.test")) == ["192.0.2.1"]
    run(body())


def test_detach_closes_sockets_and_drops_forwards():
    async def body():
        async with FakeUpstream() as up:
            server = DnsServer([up.addr], lookup, reverse, timeout=10.0)
            udp, tcp = bound_sockets()
            await server.attach("c1", udp, tcp)
            uport = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(DNSRecord.question("slow.test").pack(), ("127.0.0.1", uport))
                await asyncio.sleep(0.2)
            conn = socket.create_connection(tcp.getsockname(), timeout=3)
            await asyncio.sleep(0.2)                               # accepted, being served
            t0 = time.monotonic()
            await server.detach("c1")
            assert time.monotonic() - t0 < 1.0
            assert udp.fileno() == -1 and tcp.fileno() == -1
            assert await asyncio.to_thread(conn.recv, 1) == b""     # clients are hung up on
            conn.close()
            await server.detach("c1")                              # twice is fine
    run(body())


def test_containers_are_served_apart_and_close_detaches_all():
    async def body():
        server = DnsServer([], lookup, reverse, timeout=0.3)
        socks = {k: bound_sockets() for k in ("c1", "c2")}
        for k, (udp, tcp) in socks.items():
            await server.attach(k, udp, tcp)
        assert ips(await ask(socks["c1"][0].getsockname()[1], "web")) == ["172.18.0.2"]
        r = await ask(socks["c2"][0].getsockname()[1], "web")     # not on c1's networks
        assert r.header.rcode == RCODE.SERVFAIL                     # forwarded, no upstream
        udp2, tcp2 = bound_sockets()
        tcp2.close()
        await server.attach("c2", udp2, None)                       # re-attach replaces
        assert socks["c2"][0].fileno() == -1 and socks["c2"][1].fileno() == -1
        await server.close()
        assert all(s.fileno() == -1 for pair in socks.values() for s in pair)
        assert udp2.fileno() == -1
    run(body())


def test_a_containers_own_upstreams_replace_the_servers():
    """`--dns` on a user network: that container's forwards go to its own servers."""
    async def body():
        async with FakeUpstream() as shared, FakeUpstream() as own:
            server = DnsServer([shared.addr], lookup, reverse)
            udp, tcp = bound_sockets()
            await server.attach("c1", udp, tcp, upstreams=[own.addr])
            try:
                assert ips(await ask(udp.getsockname()[1], "example.test")) == ["192.0.2.1"]
                assert own.seen == [("udp", "example.test.")] and shared.seen == []
            finally:
                await server.close()
    run(body())
