"""The embedded DNS server's pure part: answer() and upstreams()."""
from __future__ import annotations

import struct

import pytest
from dnslib import EDNS0, QTYPE, RCODE, DNSRecord

from barge.net.dns import DROP, TTL, _endpoint, _ptr_ip, answer, upstreams

# what container "c1" sees: its networks' names; "c2" shares no network with them
RECORDS = {
    ("c1", "web", "A"): ["172.18.0.2"],
    ("c1", "web", "AAAA"): [],
    ("c1", "web", "MX"): [],
    ("c1", "db", "A"): ["172.18.0.3", "172.19.0.3"],
    ("c1", "db", "AAAA"): ["fd00::3"],
    ("c1", "abcdef123456", "A"): ["172.18.0.2"],
    ("c1", "many", "A"): [f"10.0.{i // 250}.{i % 250 + 1}" for i in range(100)],
}
PTRS = {("c1", "172.18.0.2"): "web.beenet", ("c1", "fd00::3"): "db.beenet"}


def lookup(key, name, qtype):
    if any(k == key and n == name for k, n, _ in RECORDS):
        return RECORDS.get((key, name, qtype), [])
    return None


def reverse(key, ip):
    return PTRS.get((key, ip))


def ask(name, qtype="A", key="c1", **kw):
    q = DNSRecord.question(name, qtype)
    q.header.id = 4242
    out = answer(q.pack(), key, lookup, reverse, **kw)
    return q, (DNSRecord.parse(out) if out else out)


def rdatas(reply):
    return sorted(str(rr.rdata) for rr in reply.rr)


@pytest.mark.parametrize("name,qtype,expected", [
    ("web", "A", ["172.18.0.2"]),
    ("web.", "A", ["172.18.0.2"]),
    ("WeB", "A", ["172.18.0.2"]),
    ("WEB.", "A", ["172.18.0.2"]),
    ("db", "A", ["172.18.0.3", "172.19.0.3"]),
    ("db", "AAAA", ["fd00::3"]),
    ("abcdef123456", "A", ["172.18.0.2"]),
    ("web", "AAAA", []),
    ("web", "MX", []),
    ("web", "TXT", []),
])
def test_container_names_are_answered(name, qtype, expected):
    q, r = ask(name, qtype)
    assert r.header.rcode == RCODE.NOERROR
    assert r.header.id == 4242 and r.header.qr == 1
    assert r.header.aa == 0 and r.header.ra == 1 and r.header.rd == 1
    assert rdatas(r) == expected
    assert [str(x.qname) for x in r.questions] == [str(q.q.qname)]
    assert all(rr.ttl == TTL and rr.rtype == QTYPE.reverse[qtype] for rr in r.rr)


def test_answer_keeps_the_askers_case():
    _, r = ask("WeB")
    assert str(r.rr[0].rname) == "WeB."


@pytest.mark.parametrize("name,qtype,key", [
    ("example.com", "A", "c1"),
    ("web.example.com", "A", "c1"),       # search-domain suffixes are the resolver's business
    ("web", "A", "c2"),                   # no shared network
    ("webx", "AAAA", "c1"),
    (".", "NS", "c1"),
    ("8.8.8.8.in-addr.arpa", "PTR", "c1"),
    ("2.0.18.172.in-addr.arpa", "A", "c1"),
    ("0.18.172.in-addr.arpa", "PTR", "c1"),
    ("x.0.18.172.in-addr.arpa", "PTR", "c1"),
    ("2.0.18.172.in-addr.arpa", "PTR", "c2"),
])
def test_other_names_are_forwarded(name, qtype, key):
    assert ask(name, qtype, key)[1] is None


def test_non_in_class_is_forwarded():
    q = DNSRecord.question("web", "TXT", "CH")
    assert answer(q.pack(), "c1", lookup, reverse) is None


@pytest.mark.parametrize("name,target", [
    ("2.0.18.172.in-addr.arpa", "web.beenet."),
    ("2.0.18.172.IN-ADDR.ARPA.", "web.beenet."),
    ("3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa", "db.beenet."),
])
def test_ptr_of_a_container_ip(name, target):
    _, r = ask(name, "PTR")
    assert r.header.rcode == RCODE.NOERROR
    assert [str(rr.rdata) for rr in r.rr] == [target]
    assert r.rr[0].rtype == QTYPE.PTR and r.rr[0].ttl == TTL


@pytest.mark.parametrize("name,ip", [
    ("4.3.2.1.in-addr.arpa", "1.2.3.4"),
    ("4.3.2.01.in-addr.arpa", None),
    ("4.3.2.256.in-addr.arpa", None),
    ("3.2.1.in-addr.arpa", None),
    ("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa", "::1"),
    ("+.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa", None),
    ("1.0.ip6.arpa", None),
    ("example.com", None),
])
def test_ptr_names(name, ip):
    assert _ptr_ip(name) == ip


def test_multiple_questions_are_formerr():
    q = DNSRecord.question("web")
    q.add_question(DNSRecord.question("db").q)
    r = DNSRecord.parse(answer(q.pack(), "c1", lookup, reverse))
    assert r.header.rcode == RCODE.FORMERR and not r.rr


def test_no_question_is_formerr():
    q = DNSRecord.question("web")
    q.questions = []
    r = DNSRecord.parse(answer(q.pack(), "c1", lookup, reverse))
    assert r.header.rcode == RCODE.FORMERR


def test_other_opcodes_are_notimp():
    q = DNSRecord.question("web")
    q.header.opcode = 2      # STATUS
    r = DNSRecord.parse(answer(q.pack(), "c1", lookup, reverse))
    assert r.header.rcode == RCODE.NOTIMP


@pytest.mark.parametrize("data", [b"", b"\x01", b"\x00" * 11])
def test_shorter_than_a_header_is_dropped(data):
    assert answer(data, "c1", lookup, reverse) == DROP


def test_responses_are_dropped():
    r = DNSRecord.question("web").reply()
    assert answer(r.pack(), "c1", lookup, reverse) == DROP


@pytest.mark.parametrize("tail", [b"\xff", b"\x03web", b"\x03web\x00\x00", b"\xc0\x0c\x00\x01\x00\x01"])
def test_garbage_after_a_header_is_formerr(tail):
    header = struct.pack("!6H", 77, 0x0100, 1, 0, 0, 0)
    out = answer(header + tail, "c1", lookup, reverse)
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", out)
    assert (qid, flags & 0x8000, flags & 0x0F, flags & 0x0100) == (77, 0x8000, RCODE.FORMERR, 0x0100)
    assert (qd, an, ns, ar) == (0, 0, 0, 0)


def test_big_udp_answers_are_truncated():
    _, r = ask("many", udp=True)
    assert r.header.tc == 1 and not r.rr
    assert str(r.q.qname) == "many."
    _, r = ask("many")                     # over TCP: all of it
    assert r.header.tc == 0 and len(r.rr) == 100


def test_edns_size_is_honoured():
    q = DNSRecord.question("many")
    q.add_ar(EDNS0(udp_len=4096))
    r = DNSRecord.parse(answer(q.pack(), "c1", lookup, reverse, udp=True))
    assert r.header.tc == 0 and len(r.rr) == 100


def test_lookup_addresses_of_the_wrong_family_are_skipped():
    def mixed(key, name, qtype):
        return ["10.0.0.1", "fd00::1", "junk"]
    q = DNSRecord.question("x", "AAAA")
    r = DNSRecord.parse(answer(q.pack(), "c1", mixed, reverse))
    assert rdatas(r) == ["fd00::1"]


def test_lookup_gets_lowercase_name_without_dot_and_type():
    seen = []
    q = DNSRecord.question("My-App.", "AAAA")
    answer(q.pack(), "k", lambda *a: seen.append(a), reverse)
    assert seen == [("k", "my-app", "AAAA")]


@pytest.mark.parametrize("text,expected", [
    ("nameserver 1.1.1.1\nnameserver 8.8.8.8\n", ["1.1.1.1", "8.8.8.8"]),
    ("# generated\nsearch example.com\nnameserver 127.0.0.53\noptions edns0 trust-ad\n", ["127.0.0.53"]),
    ("nameserver\t::1\nnameserver fe80::1%eth0\n", ["::1", "fe80::1%eth0"]),
    ("nameserver 10.0.0.1 # office\n", ["10.0.0.1"]),
    ("#nameserver 1.1.1.1\n;nameserver 2.2.2.2\n", []),
    ("nameserver dns.example.com\nnameserver 9.9.9.9\n", ["9.9.9.9"]),
    ("nameserver 9.9.9.9\nnameserver 9.9.9.9\n", ["9.9.9.9"]),
    ("nameserver\n  nameserver 4.4.4.4\n", ["4.4.4.4"]),
    ("", []),
])
def test_upstreams(text, expected):
    assert upstreams(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("1.2.3.4", ("1.2.3.4", 53)),
    ("127.0.0.1:5353", ("127.0.0.1", 5353)),
    ("::1", ("::1", 53)),
    ("[::1]:5353", ("::1", 5353)),
    ("[::1]", ("::1", 53)),
])
def test_endpoint(text, expected):
    assert _endpoint(text) == expected


@pytest.mark.parametrize("text", ["dns.example.com", "1.2.3.4:0", "1.2.3.4:x", "[::1]:70000"])
def test_bad_endpoint(text):
    with pytest.raises(ValueError):
        _endpoint(text)
