"""net.rules: the iptables rules of networks and published ports, as tables."""
from __future__ import annotations

import pytest

from barge.errdefs import InvalidParameter
from barge.net.rules import (Chains, NetRules, PortRule, Rule, base_rules, bridges_in,
                             dnat_rule, network_rules, normalized, parse_accept, parse_dnat,
                             port_rules)


def lines(rules: list[Rule]) -> list[tuple[str, str, bool]]:
    return [(r.table, r.line(), r.top) for r in rules]


def test_base_rules():
    assert lines(base_rules()) == [
        ("nat", "-A PREROUTING -m addrtype --dst-type LOCAL -j BARGE", True),
        ("nat", "-A OUTPUT -m addrtype --dst-type LOCAL -j BARGE", True),
        ("nat", "-A POSTROUTING -j BARGE-POSTROUTING", True),
        ("filter", "-A FORWARD -j BARGE-FORWARD", True),
        ("filter", "-A BARGE-FORWARD -j BARGE-ISOLATION-1", True),
        ("filter", "-A BARGE-ISOLATION-1 -j RETURN", False),
        ("filter", "-A BARGE-ISOLATION-2 -j RETURN", False),
    ]


def test_rule_is_a_tuple_of_table_chain_args():
    table, chain, args, top = base_rules()[3]
    assert (table, chain, args, top) == ("filter", "FORWARD", ("-j", "BARGE-FORWARD"), True)


BRIDGE = [
    ("filter", "-A BARGE-ISOLATION-1 -i br-1 ! -o br-1 -j BARGE-ISOLATION-2", True),
    ("filter", "-A BARGE-ISOLATION-2 -o br-1 -j DROP", True),
    ("filter", "-A BARGE-FORWARD -o br-1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", False),
    ("filter", "-A BARGE-FORWARD -o br-1 -j BARGE", False),
    ("filter", "-A BARGE-FORWARD -i br-1 ! -o br-1 -j ACCEPT", False),
    ("filter", "-A BARGE-FORWARD -i br-1 -o br-1 -j ACCEPT", False),
    ("nat", "-A BARGE-POSTROUTING -s 172.18.0.0/16 ! -o br-1 -j MASQUERADE", False),
    ("nat", "-A BARGE-POSTROUTING -o br-1 -m addrtype --src-type LOCAL -j MASQUERADE", False),
]


@pytest.mark.parametrize("net, expected", [
    (NetRules("br-1", "172.18.0.0/16"), BRIDGE),
    # a host address inside the subnet is listed as the network
    (NetRules("br-1", "172.18.0.1/16"), BRIDGE),
    (NetRules("br-1", "172.18.0.0/16", icc=False),
     BRIDGE[:5] + [("filter", "-A BARGE-FORWARD -i br-1 -o br-1 -j DROP", False)] + BRIDGE[6:]),
    (NetRules("br-1", "172.18.0.0/16", masquerade=False), BRIDGE[:6] + BRIDGE[7:]),
    (NetRules("br-1", "172.18.0.0/16", internal=True), [
        ("filter", "-A BARGE-ISOLATION-1 ! -s 172.18.0.0/16 -o br-1 -j DROP", True),
        ("filter", "-A BARGE-ISOLATION-1 ! -d 172.18.0.0/16 -i br-1 -j DROP", True),
        ("filter", "-A BARGE-FORWARD -i br-1 -o br-1 -j ACCEPT", False),
    ]),
    (NetRules("br-1", "10.9.0.0/24", internal=True, icc=False), [
        ("filter", "-A BARGE-ISOLATION-1 ! -s 10.9.0.0/24 -o br-1 -j DROP", True),
        ("filter", "-A BARGE-ISOLATION-1 ! -d 10.9.0.0/24 -i br-1 -j DROP", True),
        ("filter", "-A BARGE-FORWARD -i br-1 -o br-1 -j DROP", False),
    ]),
])
def test_network_rules(net, expected):
    assert lines(network_rules(net)) == expected


TCP = PortRule("tcp", "", 8080, "172.18.0.2", 80, "barge0")
TCP_ACCEPT = ("filter", "-A BARGE -d 172.18.0.2/32 ! -i barge0 -o barge0 -p tcp -m tcp "
              "--dport 80 -j ACCEPT", False)
TCP_HAIRPIN = ("nat", "-A BARGE-POSTROUTING -s 172.18.0.2/32 -d 172.18.0.2/32 -p tcp -m tcp "
               "--dport 80 -j MASQUERADE", False)


@pytest.mark.parametrize("port, hairpin, expected", [
    (TCP, True, [
        ("nat", "-A BARGE -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:80", False),
        TCP_ACCEPT, TCP_HAIRPIN]),
    (PortRule("tcp", "0.0.0.0", 8080, "172.18.0.2", 80, "barge0"), True, [
        ("nat", "-A BARGE -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:80", False),
        TCP_ACCEPT, TCP_HAIRPIN]),
    (PortRule("tcp", "127.0.0.1", 8080, "172.18.0.2", 80, "barge0"), True, [
        ("nat", "-A BARGE -d 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT "
                "--to-destination 172.18.0.2:80", False),
        TCP_ACCEPT, TCP_HAIRPIN]),
    (PortRule("udp", "192.168.5.7", 5353, "10.1.0.9", 53, "br-abc"), True, [
        ("nat", "-A BARGE -d 192.168.5.7/32 -p udp -m udp --dport 5353 -j DNAT "
                "--to-destination 10.1.0.9:53", False),
        ("filter", "-A BARGE -d 10.1.0.9/32 ! -i br-abc -o br-abc -p udp -m udp --dport 53 "
                   "-j ACCEPT", False),
        ("nat", "-A BARGE-POSTROUTING -s 10.1.0.9/32 -d 10.1.0.9/32 -p udp -m udp --dport 53 "
                "-j MASQUERADE", False)]),
    (TCP, False, [
        ("nat", "-A BARGE ! -i barge0 -p tcp -m tcp --dport 8080 -j DNAT "
                "--to-destination 172.18.0.2:80", False),
        TCP_ACCEPT]),
    (PortRule("udp", "127.0.0.1", 53, "172.18.0.2", 53, "barge0"), False, [
        ("nat", "-A BARGE -d 127.0.0.1/32 ! -i barge0 -p udp -m udp --dport 53 -j DNAT "
                "--to-destination 172.18.0.2:53", False),
        ("filter", "-A BARGE -d 172.18.0.2/32 ! -i barge0 -o barge0 -p udp -m udp --dport 53 "
                   "-j ACCEPT", False)]),
])
def test_port_rules(port, hairpin, expected):
    assert lines(port_rules(port, hairpin)) == expected


def test_chain_prefix_for_a_test_daemon():
    c = Chains("BT-080b3c90")
    assert c.iso1 == "BT-080b3c90-ISOLATION-1" and len(Chains("A" * 16).iso1) == 28


def test_chain_prefix():
    c = Chains("BT1")
    assert lines(base_rules(c))[0] == ("nat", "-A PREROUTING -m addrtype --dst-type LOCAL -j BT1", True)
    assert c.of("filter") == ("BT1-FORWARD", "BT1", "BT1-ISOLATION-1", "BT1-ISOLATION-2")
    assert c.of("nat") == ("BT1", "BT1-POSTROUTING")
    assert dnat_rule(TCP, c=c).chain == "BT1"
    assert network_rules(NetRules("b", "10.0.0.0/8"), c)[0].args[-1] == "BT1-ISOLATION-2"


@pytest.mark.parametrize("prefix", ["", "1BARGE", "A" * 17, "X Y", "DOCKER", "docker-x", "B/C"])
def test_bad_chain_prefix(prefix):
    with pytest.raises(InvalidParameter):
        Chains(prefix)


@pytest.mark.parametrize("net", [
    NetRules("", "10.0.0.0/8"), NetRules("a" * 16, "10.0.0.0/8"), NetRules("br 1", "10.0.0.0/8"),
    NetRules("br-1", "nonsense"), NetRules("br-1", "fd00::/64"), NetRules("br-1", "10.0.0.0/33"),
])
def test_bad_networks(net):
    with pytest.raises(InvalidParameter):
        network_rules(net)


@pytest.mark.parametrize("port", [
    PortRule("icmp", "", 80, "10.0.0.2", 80, "br"),
    PortRule("tcp", "::", 80, "10.0.0.2", 80, "br"),
    PortRule("tcp", "localhost", 80, "10.0.0.2", 80, "br"),
    PortRule("tcp", "", 0, "10.0.0.2", 80, "br"),
    PortRule("tcp", "", 80, "10.0.0.2", 65536, "br"),
    PortRule("tcp", "", 80, "", 80, "br"),
    PortRule("tcp", "", 80, "10.0.0.2", 80, "bad bridge"),
])
def test_bad_ports(port):
    with pytest.raises(InvalidParameter):
        port_rules(port)


@pytest.mark.parametrize("port, hairpin, parsed_bridge", [
    (TCP, True, ""), (TCP, False, "barge0"),
    (PortRule("udp", "127.0.0.1", 5353, "10.1.0.9", 53, "br-abc"), True, ""),
    (PortRule("udp", "127.0.0.1", 5353, "10.1.0.9", 53, "br-abc"), False, "br-abc"),
])
def test_parse_dnat_round_trip(port, hairpin, parsed_bridge):
    line = dnat_rule(port, hairpin).line()
    assert parse_dnat(line) == PortRule(port.proto, port.host_ip, port.host_port,
                                        port.container_ip, port.container_port, parsed_bridge)


@pytest.mark.parametrize("line", [
    "-A BARGE-POSTROUTING -s 10.0.0.0/8 ! -o br -j MASQUERADE",
    "-A BARGE -d 10.0.0.2/32 ! -i br -o br -p tcp -m tcp --dport 80 -j ACCEPT",
    "-A BARGE -i br -j RETURN",
    "-A BARGE -p tcp -m tcp --dport x -j DNAT --to-destination 10.0.0.2:80",
    "-A BARGE -p tcp dangling",
    "-N BARGE",
])
def test_parse_dnat_rejects(line):
    assert parse_dnat(line) is None


def test_parse_accept():
    assert parse_accept(TCP_ACCEPT[1]) == ("tcp", "172.18.0.2", 80, "barge0")
    assert parse_accept("-A BARGE-FORWARD -o br -j BARGE") is None
    assert parse_accept("-A BARGE -p tcp -m tcp --dport 80 -j DNAT --to-destination 1.2.3.4:80") is None


def test_bridges_in():
    assert bridges_in("-A BARGE-FORWARD -i br-1 ! -o br-1 -j ACCEPT") == {"br-1"}
    assert bridges_in("-A BARGE-ISOLATION-1 ! -s 10.0.0.0/8 -o br-2 -j DROP") == {"br-2"}
    assert bridges_in("-A BARGE-FORWARD -j BARGE-ISOLATION-1") == set()


def test_normalized():
    assert normalized(PortRule("tcp", "0.0.0.0", 1, "10.0.0.2", 2, "b")).host_ip == ""
    assert normalized(PortRule("tcp", "127.0.0.1", 1, "10.0.0.2", 2, "b")).host_ip == "127.0.0.1"
