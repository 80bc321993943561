"""`-p/--publish`, `-P` and `--expose` -> ExposedPorts and PortBindings. The
expected bodies and errors were captured from the docker CLI 28.2.2 (a fake
daemon recorded what it sent)."""
from __future__ import annotations

import pytest

from barge.cli.portopt import expose_ports, parse_port_spec, ports, standard_notation
from barge.cli.runopts import create_body
from barge.errdefs import InvalidParameter


def _b(ip: str = "", port: str = "") -> dict:
    return {"HostIp": ip, "HostPort": port}


@pytest.mark.parametrize("spec, expected", [
    ("80", {"80/tcp": [_b()]}),
    ("80/tcp", {"80/tcp": [_b()]}),
    ("80/UDP", {"80/udp": [_b()]}),
    ("80/", {"80/tcp": [_b()]}),
    ("80/tcp/x", {"80/tcp": [_b()]}),
    ("53/udp", {"53/udp": [_b()]}),
    ("9/sctp", {"9/sctp": [_b()]}),
    ("8080:80", {"80/tcp": [_b("", "8080")]}),
    ("127.0.0.1:8080:80", {"80/tcp": [_b("127.0.0.1", "8080")]}),
    ("127.0.0.1::80", {"80/tcp": [_b("127.0.0.1")]}),
    ("0.0.0.0:80:80/udp", {"80/udp": [_b("0.0.0.0", "80")]}),
    ("8000-8002:90-92", {"90/tcp": [_b("", "8000")], "91/tcp": [_b("", "8001")], "92/tcp": [_b("", "8002")]}),
    ("8000-8010:80", {"80/tcp": [_b("", "8000-8010")]}),
    ("8000-8002:90-90", {"90/tcp": [_b("", "8000-8002")]}),
    ("1.2.3.4:80-81:90", {"90/tcp": [_b("1.2.3.4", "80-81")]}),
    ("80-82", {"80/tcp": [_b()], "81/tcp": [_b()], "82/tcp": [_b()]}),
    ("80-80", {"80/tcp": [_b()]}),
    ("1-2-3", {"1/tcp": [_b()], "2/tcp": [_b()]}),
    ("1-2-3:4-5-6", {"4/tcp": [_b("", "1")], "5/tcp": [_b("", "2")]}),
    ("[::1]:8080:80", {"80/tcp": [_b("::1", "8080")]}),
    ("::1:8080:80", {"80/tcp": [_b("::1", "8080")]}),
    ("[::1]::80", {"80/tcp": [_b("::1")]}),
    (":80", {"80/tcp": [_b()]}),
    ("::80", {"80/tcp": [_b()]}),
    ("0:80", {"80/tcp": [_b("", "0")]}),
    ("0", {"0/tcp": [_b()]}),
    ("65535", {"65535/tcp": [_b()]}),
    ("08:080", {"80/tcp": [_b("", "8")]}),
    ("published=8080,target=80", {"80/tcp": [_b("", "8080")]}),
    ("target=80", {"80/tcp": [_b()]}),
    ("mode=host,target=80", {"80/tcp": [_b()]}),
    ("published=8080,target=80,protocol=udp", {"80/udp": [_b("", "8080")]}),
    ("published=80,target=8080,protocol=UDP", {"8080/udp": [_b("", "80")]}),
])
def test_publish_forms(spec: str, expected: dict) -> None:
    exposed, bindings = ports([spec], [])
    assert bindings == expected
    assert exposed == {k: {} for k in expected}


@pytest.mark.parametrize("spec, message", [
    ("65536", "invalid containerPort: 65536"),
    ("x", "invalid containerPort: x"),
    ("+80", "invalid containerPort: +80"),
    (" 80", "invalid containerPort:  80"),
    ("80-", "invalid containerPort: 80-"),
    ("-80", "invalid containerPort: -80"),
    ("90-80", "invalid containerPort: 90-80"),
    ("x/xyz", "invalid containerPort: x"),
    ("8080:x", "invalid containerPort: x"),
    ("x:80", "invalid hostPort: x"),
    ("x:80/xyz", "invalid hostPort: x"),
    ("80/xyz", "invalid proto: xyz"),
    ("80/XYZ", "invalid proto: XYZ"),
    ("8080:80/xyz", "invalid proto: xyz"),
    ("80-81:80-81/xyz", "invalid proto: xyz"),
    ("8000-8001:90-92", "invalid ranges specified for container and host Ports: 90-92 and 8000-8001"),
    ("8000-8001:90-92/xyz", "invalid ranges specified for container and host Ports: 90-92 and 8000-8001"),
    ("1.2.3:80:80", "invalid IP address: 1.2.3"),
    ("1.2.3:x:80", "invalid IP address: 1.2.3"),
    ("bad:1:/udp", "invalid IP address: bad"),
    ("a:b:c:80", "invalid IP address: a:b"),
    ("localhost:80:80", "invalid IP address: localhost"),
    ("[fe80::1%eth0]:80:80", "invalid IP address: fe80::1%eth0"),
    ("[::1:8080:80", "invalid IP address [::1: address [::1:: missing ']' in address"),
    ("[::1]x:80:80", "invalid IP address [::1]x: address [::1]x:: missing port in address"),
    ("", "no port specified: <empty>"),
    ("80:", "no port specified: 80:<empty>"),
    ("/udp", "no port specified: /udp<empty>"),
    ("published=8080", "no port specified: 8080:/tcp<empty>"),
    ("target=80,bad", "invalid publish opts format (should be name=value but got 'bad')"),
])
def test_publish_errors(spec: str, message: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        ports([spec], [])
    assert str(info.value) == message


def test_several_publish_and_expose_merge_sorted() -> None:
    exposed, bindings = ports(["80", "127.0.0.1:8080:80", "80", "53/udp"], ["7000-7001", "90-91/udp", "7/UDP"])
    assert list(exposed) == ["53/udp", "7/UDP", "7000/tcp", "7001/tcp", "80/tcp", "90/udp", "91/udp"]
    assert bindings == {"53/udp": [_b()], "80/tcp": [_b(), _b("127.0.0.1", "8080"), _b()]}


@pytest.mark.parametrize("items, expected", [
    (["80"], ["80/tcp"]), (["08"], ["8/tcp"]), (["80/xyz"], ["80/xyz"]), (["1-2-3"], ["1/tcp", "2/tcp"]),
    (["7000-7002/udp"], ["7000/udp", "7001/udp", "7002/udp"]),
])
def test_expose(items: list[str], expected: list[str]) -> None:
    assert expose_ports(items) == expected


@pytest.mark.parametrize("item, message", [
    ("80:90", "invalid port format for --expose: 80:90"),
    ("", "invalid range format for --expose: , error: empty string specified for ports"),
    ("x", 'invalid range format for --expose: x, error: strconv.ParseUint: parsing "x": invalid syntax'),
    ("90-80", "invalid range format for --expose: 90-80, error: invalid range specified for port: 90-80"),
])
def test_expose_errors(item: str, message: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        expose_ports([item])
    assert str(info.value) == message


def test_port_spec_and_notation_pieces() -> None:
    assert parse_port_spec("127.0.0.1:8080:80/udp") == [("80/udp", _b("127.0.0.1", "8080"))]
    assert standard_notation("published=1,target=2") == "1:2/tcp"
    assert standard_notation("1:2") == "1:2"


def test_create_body_ports() -> None:
    body = create_body({"publish": ["8080:80"], "publish-all": True, "expose": ["90"]}, "busybox", [], {}, {}, {})
    hc = body["HostConfig"]
    assert body["ExposedPorts"] == {"80/tcp": {}, "90/tcp": {}}
    assert hc["PortBindings"] == {"80/tcp": [_b("", "8080")]} and hc["PublishAllPorts"] is True
    plain = create_body({}, "busybox", [], {}, {}, {})
    assert "ExposedPorts" not in plain and plain["HostConfig"]["PortBindings"] == {}
    assert plain["HostConfig"]["PublishAllPorts"] is False
    with pytest.raises(InvalidParameter, match="invalid proto: xyz"):
        create_body({"publish": ["80/xyz"]}, "busybox", [], {}, {}, {})
