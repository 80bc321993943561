"""net.firewall against a fake iptables that keeps tables in memory and
applies restore scripts the way iptables-restore --noflush does (each table
section all or nothing)."""
from __future__ import annotations

import pytest

from barge.errdefs import InvalidParameter, System
from barge.net.firewall import Firewall, parse_listing, plan_add, script
from barge.net.rules import Chains, NetRules, PortRule, base_rules, network_rules, port_rules

BUILTIN = {"filter": ("INPUT", "FORWARD", "OUTPUT"),
           "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING")}
TARGETS = {"ACCEPT", "DROP", "RETURN", "MASQUERADE", "DNAT"}
DOCKER = {"filter": {"FORWARD": ["-j DOCKER-USER", "-o docker0 -j DOCKER"],
                     "DOCKER": [], "DOCKER-USER": ["-j RETURN"]},
          "nat": {"PREROUTING": ["-m addrtype --dst-type LOCAL -j DOCKER"], "DOCKER": []}}


def _target(rule: str) -> str:
    words = rule.split()
    return words[words.index("-j") + 1]


class FakeIptables:
    def __init__(self, foreign: dict | None = None) -> None:
        self.tables = {t: {ch: [] for ch in chains} for t, chains in BUILTIN.items()}
        for t, chains in (foreign or {}).items():
            for ch, rules in chains.items():
                self.tables[t].setdefault(ch, []).extend(rules)
        self.scripts: list[str] = []
        self.listings = 0
        self.fail_next = 0          # restores to fail before applying anything

    def list_rules(self, table, chain=None):
        self.listings += 1
        t = self.tables[table]
        return ([f"-P {ch} ACCEPT" for ch in t if ch in BUILTIN[table]]
                + [f"-N {ch}" for ch in t if ch not in BUILTIN[table]]
                + [f"-A {ch} {r}" for ch, rules in t.items() for r in rules])

    def restore(self, text):
        self.scripts.append(text)
        if self.fail_next:
            self.fail_next -= 1
            raise System("iptables-restore: line 2 failed: Chain already exists.")
        table, work = None, None
        for ln in text.splitlines():
            if ln.startswith("*"):
                table = ln[1:]
                work = {ch: list(rs) for ch, rs in self.tables[table].items()}
            elif ln == "COMMIT":
                self.tables[table] = work
            else:
                self._op(work, table, ln.split())

    def _op(self, t, table, w):
        op, ch, rest = w[0], w[1], w[2:]
        if op == "-N":
            assert ch not in t, f"chain {ch} exists"
            t[ch] = []
            return
        assert ch in t, f"no chain {ch}"
        if op in ("-A", "-I"):
            if op == "-I":
                assert rest[0] == "1"
                rest = rest[1:]
            target = _target(" ".join(rest))
            assert target in TARGETS or target in t, f"no target {target}"
            t[ch].insert(0 if op == "-I" else len(t[ch]), " ".join(rest))
        elif op == "-D":
            t[ch].remove(" ".join(rest))
        elif op == "-F":
            t[ch] = []
        elif op == "-X":
            assert not t[ch] and ch not in BUILTIN[table]
            assert not any(_target(r) == ch for rs in t.values() for r in rs), f"{ch} in use"
            del t[ch]
        else:
            raise AssertionError(f"unexpected op {op}")

    def chain(self, table, ch):
        return self.tables[table].get(ch)


A = NetRules("barge0", "172.30.0.0/16")
B = NetRules("br-bbb", "172.31.0.0/16", icc=False)
INT = NetRules("br-int", "172.29.0.0/16", internal=True)
P1 = PortRule("tcp", "", 8080, "172.30.0.2", 80, "barge0")
P2 = PortRule("udp", "127.0.0.1", 5353, "172.30.0.2", 53, "barge0")
P3 = PortRule("tcp", "0.0.0.0", 8081, "172.30.0.2", 80, "barge0")     # shares P1's container port
PB = PortRule("tcp", "", 9090, "172.31.0.5", 90, "br-bbb")


@pytest.fixture
def fake():
    return FakeIptables(DOCKER)


@pytest.fixture
def fw(fake):
    return Firewall(fake)


def snapshot(fake):
    return {t: {ch: list(rs) for ch, rs in chains.items()} for t, chains in fake.tables.items()}


def test_setup_creates_chains_and_jumps_once(fake, fw):
    fw.setup()
    assert fake.chain("filter", "FORWARD") == ["-j BARGE-FORWARD", "-j DOCKER-USER", "-o docker0 -j DOCKER"]
    assert fake.chain("filter", "BARGE-FORWARD") == ["-j BARGE-ISOLATION-1"]
    assert fake.chain("filter", "BARGE-ISOLATION-1") == ["-j RETURN"]
    assert fake.chain("filter", "BARGE-ISOLATION-2") == ["-j RETURN"]
    assert fake.chain("filter", "BARGE") == []
    assert fake.chain("nat", "PREROUTING")[0] == "-m addrtype --dst-type LOCAL -j BARGE"
    assert fake.chain("nat", "OUTPUT") == ["-m addrtype --dst-type LOCAL -j BARGE"]
    assert fake.chain("nat", "POSTROUTING") == ["-j BARGE-POSTROUTING"]
    assert len(fake.scripts) == 1
    before = snapshot(fake)
    fw.setup()
    assert len(fake.scripts) == 1 and snapshot(fake) == before


def test_setup_repairs_a_lost_jump(fake, fw):
    fw.setup()
    fake.tables["filter"]["FORWARD"].remove("-j BARGE-FORWARD")
    fw.setup()
    assert fake.chain("filter", "FORWARD")[0] == "-j BARGE-FORWARD"
    assert "-N" not in fake.scripts[-1]     # existing chains are never re-declared


def test_one_batch_per_operation(fake, fw):
    fw.add_network(A)
    fw.add_ports([P1, P2, P3])
    assert len(fake.scripts) == 2
    assert fake.listings == 4       # nat and filter, once per operation


def test_add_network_twice_adds_nothing(fake, fw):
    fw.add_network(A)
    before, n = snapshot(fake), len(fake.scripts)
    fw.add_network(A)
    fw.setup()
    assert snapshot(fake) == before and len(fake.scripts) == n
    assert fake.chain("filter", "BARGE-FORWARD") == [
        "-j BARGE-ISOLATION-1",
        "-o barge0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        "-o barge0 -j BARGE",
        "-i barge0 ! -o barge0 -j ACCEPT",
        "-i barge0 -o barge0 -j ACCEPT",
    ]
    assert fake.chain("nat", "BARGE-POSTROUTING") == [
        "-s 172.30.0.0/16 ! -o barge0 -j MASQUERADE",
        "-o barge0 -m addrtype --src-type LOCAL -j MASQUERADE",
    ]


@pytest.mark.parametrize("order", [(A, B, INT), (INT, B, A), (B, A, INT)])
def test_isolation_both_ways_in_any_order(fake, fw, order):
    for n in order:
        fw.add_network(n)
    iso1, iso2 = fake.chain("filter", "BARGE-ISOLATION-1"), fake.chain("filter", "BARGE-ISOLATION-2")
    assert iso1[-1] == "-j RETURN" and iso2[-1] == "-j RETURN"
    assert sorted(iso1[:-1]) == sorted([
        "-i barge0 ! -o barge0 -j BARGE-ISOLATION-2",
        "-i br-bbb ! -o br-bbb -j BARGE-ISOLATION-2",
        "! -s 172.29.0.0/16 -o br-int -j DROP",
        "! -d 172.29.0.0/16 -i br-int -j DROP",
    ])
    assert sorted(iso2[:-1]) == ["-o barge0 -j DROP", "-o br-bbb -j DROP"]
    assert fake.chain("filter", "BARGE-FORWARD")[0] == "-j BARGE-ISOLATION-1"


def test_internal_rules_keep_their_order(fake, fw):
    fw.add_network(INT)
    assert fake.chain("filter", "BARGE-ISOLATION-1") == [
        "! -s 172.29.0.0/16 -o br-int -j DROP", "! -d 172.29.0.0/16 -i br-int -j DROP", "-j RETURN"]


def test_remove_network_leaves_the_others(fake, fw):
    fw.add_network(A)
    only_a = snapshot(fake)
    fw.add_network(B)
    fw.add_ports([PB])
    fw.remove_network(B)
    assert snapshot(fake) == only_a
    n = len(fake.scripts)
    fw.remove_network(B)
    assert len(fake.scripts) == n      # nothing to do, nothing sent


def test_remove_network_takes_its_ports_along(fake, fw):
    fw.add_network(A)
    fw.add_network(B)
    fw.add_ports([P1, P2, PB])
    fw.remove_network(A)
    assert fw.ports() == [PB]
    assert not any("barge0" in r or "172.30." in r
                   for t in fake.tables.values() for rs in t.values() for r in rs)


def test_remove_bridge_by_name_only(fake, fw):
    fw.add_network(A)
    fw.add_network(INT)
    fw.add_ports([P1])
    assert fw.bridges() == {"barge0", "br-int"}
    fw.remove_bridge("br-int")
    fw.remove_bridge("barge0")
    fw.setup()
    fresh = FakeIptables(DOCKER)
    Firewall(fresh).setup()
    assert snapshot(fake) == snapshot(fresh)


def test_ports_add_twice_remove_and_absent(fake, fw):
    fw.add_network(A)
    base = snapshot(fake)
    fw.add_ports([P1, P2])
    once = snapshot(fake)
    fw.add_ports([P1, P2])
    fw.add_ports([P2])
    assert snapshot(fake) == once
    assert fake.chain("nat", "BARGE") == [
        "-p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.30.0.2:80",
        "-d 127.0.0.1/32 -p udp -m udp --dport 5353 -j DNAT --to-destination 172.30.0.2:53",
    ]
    fw.remove_ports([P1, P2])
    assert snapshot(fake) == base
    fw.remove_ports([P1, PB])
    assert snapshot(fake) == base


def test_shared_rules_go_with_the_last_port(fake, fw):
    fw.add_network(A)
    fw.add_ports([P1, P3])
    accept = "-d 172.30.0.2/32 ! -i barge0 -o barge0 -p tcp -m tcp --dport 80 -j ACCEPT"
    assert fake.chain("filter", "BARGE") == [accept]
    fw.remove_ports([P1])
    assert fake.chain("filter", "BARGE") == [accept]
    assert len(fake.chain("nat", "BARGE-POSTROUTING")) == 3
    fw.remove_ports([P3])
    assert fake.chain("filter", "BARGE") == [] and fake.chain("nat", "BARGE") == []
    assert len(fake.chain("nat", "BARGE-POSTROUTING")) == 2


def test_remove_finishes_a_half_removed_port(fake, fw):
    fw.add_network(A)
    fw.add_ports([P1])
    fake.tables["nat"]["BARGE"].clear()         # nat committed, filter did not
    fw.remove_ports([P1])
    assert fake.chain("filter", "BARGE") == []


def test_stale_and_prune(fake, fw):
    fw.add_network(A)
    fw.add_network(B)
    fw.add_ports([P1, P2, P3, PB])
    assert fw.ports() == [P1, P2, PortRule("tcp", "", 8081, "172.30.0.2", 80, "barge0"), PB]
    assert fw.stale_ports([P1, P2, P3, PB]) == []
    assert fw.stale_ports([P1, P3]) == [P2, PB]
    assert fw.prune_ports([P1, P3]) == [P2, PB]
    assert fw.ports() == [P1, PortRule("tcp", "", 8081, "172.30.0.2", 80, "barge0")]
    assert fw.prune_ports([P1, P3]) == []


def test_no_hairpin_mode(fake):
    fw = Firewall(fake, hairpin=False)
    fw.add_network(A)
    fw.add_ports([P1])
    assert fake.chain("nat", "BARGE") == [
        "! -i barge0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.30.0.2:80"]
    assert len(fake.chain("nat", "BARGE-POSTROUTING")) == 2
    assert fw.ports() == [P1]
    fw.remove_ports([P1])
    assert fake.chain("nat", "BARGE") == [] and fake.chain("filter", "BARGE") == []


def test_remove_ports_made_in_the_other_hairpin_mode(fake):
    Firewall(fake, hairpin=True).add_ports([P1])
    Firewall(fake, hairpin=False).remove_ports([P1])
    assert fake.chain("nat", "BARGE") == [] and fake.chain("filter", "BARGE") == []
    assert fake.chain("nat", "BARGE-POSTROUTING") == []


def test_teardown_removes_all_of_barge_and_nothing_else(fake, fw):
    before = snapshot(fake)
    fw.add_network(A)
    fw.add_network(INT)
    fw.add_ports([P1, P2])
    fw.teardown()
    assert snapshot(fake) == before
    n = len(fake.scripts)
    fw.teardown()
    assert len(fake.scripts) == n


def test_teardown_only_its_own_prefix(fake, fw):
    other = Firewall(fake, chains=Chains("BT9"))
    other.add_network(B)
    only_other = snapshot(fake)
    fw.add_network(A)
    fw.teardown()
    assert snapshot(fake) == only_other


def test_foreign_rules_untouched(fake, fw):
    fw.add_network(A)
    fw.add_ports([P1])
    assert fake.chain("filter", "FORWARD")[1:] == DOCKER["filter"]["FORWARD"]
    assert fake.chain("filter", "DOCKER-USER") == ["-j RETURN"]
    assert fake.chain("nat", "PREROUTING")[1:] == DOCKER["nat"]["PREROUTING"]


def test_failed_batch_is_planned_again(fake, fw):
    fake.fail_next = 1
    fw.add_network(A)
    assert len(fake.scripts) == 2 and fake.scripts[0] == fake.scripts[1]
    assert fake.chain("filter", "BARGE-ISOLATION-2") == ["-o barge0 -j DROP", "-j RETURN"]


def test_persistent_failure_raises(fake, fw):
    fake.fail_next = 99
    with pytest.raises(System, match="Chain already exists"):
        fw.setup()
    assert len(fake.scripts) == 3


def test_invalid_input_touches_nothing(fake, fw):
    with pytest.raises(InvalidParameter):
        fw.add_ports([P1, PortRule("tcp", "", 80, "nope", 80, "barge0")])
    with pytest.raises(InvalidParameter):
        fw.add_network(NetRules("br-x", "not-a-subnet"))
    assert fake.scripts == []


def test_plan_add_inserts_top_rules_in_list_order():
    states = {t: parse_listing([f"-P {ch} ACCEPT" for ch in BUILTIN[t]]) for t in BUILTIN}
    text = script(plan_add(states, base_rules() + network_rules(INT)))
    assert text.splitlines()[:7] == [
        "*nat", "-N BARGE", "-N BARGE-POSTROUTING",
        "-I POSTROUTING 1 -j BARGE-POSTROUTING",
        "-I OUTPUT 1 -m addrtype --dst-type LOCAL -j BARGE",
        "-I PREROUTING 1 -m addrtype --dst-type LOCAL -j BARGE",
        "COMMIT"]
    assert "-I BARGE-ISOLATION-1 1 ! -d 172.29.0.0/16 -i br-int -j DROP\n" \
           "-I BARGE-ISOLATION-1 1 ! -s 172.29.0.0/16 -o br-int -j DROP\n" in text


def test_ports_without_setup_bring_the_chains(fake, fw):
    fw.add_ports([P1])
    assert fake.chain("nat", "BARGE") == [r.line()[len("-A BARGE "):] for r in port_rules(P1)[:1]]
    assert fake.chain("filter", "FORWARD")[0] == "-j BARGE-FORWARD"


def test_update_network_swaps_icc_and_masquerade(fake, fw):
    import dataclasses
    fw.add_network(A)
    fw.update_network(dataclasses.replace(A, icc=False, masquerade=False))
    forward = fake.chain("filter", "BARGE-FORWARD")
    assert "-i barge0 -o barge0 -j DROP" in forward and "-i barge0 -o barge0 -j ACCEPT" not in forward
    assert "-s 172.30.0.0/16 ! -o barge0 -j MASQUERADE" not in fake.chain("nat", "BARGE-POSTROUTING")
    fw.update_network(A)
    assert fake.chain("filter", "BARGE-FORWARD")[-1] == "-i barge0 -o barge0 -j ACCEPT"
    assert "-i barge0 -o barge0 -j DROP" not in fake.chain("filter", "BARGE-FORWARD")


def test_teardown_if_unused_keeps_chains_someone_uses(fake, fw):
    fw.add_network(A)
    assert fw.teardown_if_unused() is False
    assert fake.chain("filter", "BARGE-FORWARD")
    fw.remove_network(A)
    assert fw.teardown_if_unused() is True
    assert not any("BARGE" in ch for t in fake.tables.values() for ch in t)
