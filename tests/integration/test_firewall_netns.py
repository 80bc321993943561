"""The real iptables wrapper and Firewall, inside a throwaway network
namespace: a thread unshares its netns (iptables started from it land
there too) and the namespace goes away with the thread. The host's tables
are never touched."""
from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import threading

import pytest

from barge.errdefs import System
from barge.net.firewall import Firewall
from barge.net.iptables import Iptables
from barge.net.rules import Chains, NetRules, PortRule, base_rules, network_rules, port_rules

CLONE_NEWNET = 0x40000000

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("iptables") or not shutil.which("iptables-restore"),
    reason="needs root and iptables")


def in_new_netns(fn):
    """Run fn() in a thread of its own in a new, empty network namespace."""
    box = {}

    def body():
        try:
            if ctypes.CDLL("libc.so.6", use_errno=True).unshare(CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET)")
            here = os.readlink("/proc/thread-self/ns/net")
            assert here != os.readlink("/proc/self/ns/net"), "still in the host netns"
            box["v"] = fn()
        except BaseException as e:
            box["e"] = e
    t = threading.Thread(target=body, name="test-netns")
    t.start()
    t.join()
    if "e" in box:
        raise box["e"]
    return box.get("v")


def dump(ipt: Iptables) -> dict[str, list[str]]:
    return {t: ipt.list_rules(t) for t in ("nat", "filter")}


def rule_lines(ipt: Iptables) -> list[tuple[str, str]]:
    return sorted((t, ln) for t, lines in dump(ipt).items() for ln in lines if ln.startswith("-A"))


A = NetRules("bgt0", "172.30.0.0/16")
B = NetRules("bgt-b", "172.31.0.0/16", icc=False)
INT = NetRules("bgt-int", "172.29.0.0/24", internal=True)
PORTS = [PortRule("tcp", "", 18080, "172.30.0.2", 80, "bgt0"),
         PortRule("tcp", "127.0.0.1", 18081, "172.30.0.2", 80, "bgt0"),
         PortRule("udp", "0.0.0.0", 15353, "172.30.0.3", 53, "bgt0"),
         PortRule("tcp", "10.1.2.3", 19090, "172.31.0.5", 90, "bgt-b")]


def test_firewall_in_a_netns():
    def body():
        ipt = Iptables()
        # A foreign chain and jump, as Docker's: they must survive everything.
        ipt.ensure_chain("filter", "OTHER-USER")
        ipt.ensure_rule("filter", "OTHER-USER", ("-j", "RETURN"))
        ipt.ensure_rule("filter", "FORWARD", ("-j", "OTHER-USER"))
        pristine = dump(ipt)
        fw = Firewall(ipt)
        for _ in range(2):
            fw.setup()
            for n in (A, B, INT):
                fw.add_network(n)
            fw.add_ports(PORTS)
        full = dump(ipt)
        fw.remove_ports(PORTS[:2])
        fw.remove_ports(PORTS[:2])
        after_ports = dump(ipt)
        ports_left = fw.ports()
        fw.remove_network(B)
        fw.remove_network(B)
        after_b = dump(ipt)
        fw.teardown()
        fw.teardown()
        return pristine, full, after_ports, ports_left, after_b, dump(ipt)

    pristine, full, after_ports, ports_left, after_b, final = in_new_netns(body)
    # Everything barge generated is listed back exactly as generated, once.
    want = base_rules() + [r for n in (A, B, INT) for r in network_rules(n)]
    want += [r for p in PORTS for r in port_rules(p)]
    got = sorted((t, ln) for t, lines in full.items() for ln in lines if ln.startswith("-A"))
    foreign = [("filter", "-A FORWARD -j OTHER-USER"), ("filter", "-A OTHER-USER -j RETURN")]
    assert got == sorted({(r.table, r.line()) for r in want} | set(foreign))
    assert full["filter"].index("-A FORWARD -j BARGE-FORWARD") < full["filter"].index("-A FORWARD -j OTHER-USER")
    for chain in ("BARGE-ISOLATION-1", "BARGE-ISOLATION-2"):
        assert [ln for ln in full["filter"] if ln.startswith(f"-A {chain} ")][-1] == f"-A {chain} -j RETURN"
    # Removing two ports (one sharing its container port with a third) kept the third's rules.
    assert "-A BARGE -p udp -m udp --dport 15353 -j DNAT --to-destination 172.30.0.3:53" in after_ports["nat"]
    assert not any("1808" in ln for ln in after_ports["nat"])
    assert not any("--dport 80 " in ln for ln in after_ports["filter"])
    assert ports_left == [PortRule("udp", "", 15353, "172.30.0.3", 53, "bgt0"), PORTS[3]]
    assert not any("bgt-b" in ln or "172.31." in ln for t in after_b.values() for ln in t)
    assert any("bgt0" in ln for ln in after_b["filter"])
    assert final == pristine


def test_wrapper_primitives_in_a_netns():
    def body():
        ipt, out = Iptables(), {}
        out["exists0"] = ipt.chain_exists("filter", "BGT-X")
        ipt.ensure_chain("filter", "BGT-X")
        ipt.ensure_chain("filter", "BGT-X")
        out["exists1"] = ipt.chain_exists("filter", "BGT-X")
        args = ("-s", "10.0.0.0/8", "-j", "ACCEPT")
        out["added"] = [ipt.ensure_rule("filter", "BGT-X", args) for _ in range(2)]
        ipt.ensure_rule("filter", "BGT-X", ("-j", "DROP"), insert=True)
        out["rules"] = ipt.list_rules("filter", "BGT-X")
        out["has"] = ipt.rule_exists("filter", "BGT-X", args)
        ipt.delete_rule("filter", "BGT-X", args)
        ipt.delete_rule("filter", "BGT-X", args)
        ipt.delete_rule("filter", "NO-SUCH-CHAIN", args)
        out["has_after"] = ipt.rule_exists("filter", "BGT-X", args)
        out["missing_chain_rule"] = ipt.rule_exists("filter", "NO-SUCH-CHAIN", args)
        ipt.delete_chain("filter", "BGT-X")
        ipt.delete_chain("filter", "BGT-X")
        out["exists2"] = ipt.chain_exists("filter", "BGT-X")
        out["missing_list"] = ipt.list_rules("nat", "BGT-X")
        out["errors"] = []
        for call in (lambda: ipt.run("filter", "-A", "FORWARD", "--bogus"),
                     lambda: ipt.restore("*filter\n-A NO-SUCH-CHAIN -j ACCEPT\nCOMMIT\n"),
                     lambda: ipt.rule_exists("filter", "FORWARD", ("--bogus",))):
            try:
                call()
            except System as e:
                out["errors"].append(str(e))
        out["left"] = rule_lines(ipt)
        return out

    out = in_new_netns(body)
    assert (out["exists0"], out["exists1"], out["exists2"]) == (False, True, False)
    assert out["added"] == [True, False]
    assert out["rules"] == ["-N BGT-X", "-A BGT-X -j DROP", "-A BGT-X -s 10.0.0.0/8 -j ACCEPT"]
    assert out["has"] and not out["has_after"] and not out["missing_chain_rule"]
    assert out["missing_list"] == []
    assert len(out["errors"]) == 3
    assert "unknown option" in out["errors"][0]
    assert "line 2 failed" in out["errors"][1] and "NO-SUCH-CHAIN" in out["errors"][1]
    assert out["left"] == []


def test_two_daemons_prefixes_in_a_netns():
    def body():
        ipt = Iptables()
        one, two = Firewall(ipt), Firewall(ipt, chains=Chains("BGT2"))
        one.add_network(A)
        two.add_network(B)
        two.add_ports([PORTS[3]])
        one.teardown()
        left = rule_lines(ipt)
        two.teardown()
        return left, rule_lines(ipt)

    left, final = in_new_netns(body)
    assert left and all("BGT2" in ln or "bgt-b" in ln or "172.31." in ln for _, ln in left)
    assert final == []


def test_iptables_runs_inside_the_namespace_only():
    """Sanity: a rule made in the thread's netns is not in the host's tables."""
    def body():
        ipt = Iptables()
        ipt.ensure_chain("filter", "BGT-PROBE-NS")
        return ipt.chain_exists("filter", "BGT-PROBE-NS")

    assert in_new_netns(body) is True
    host = subprocess.run(["iptables", "-w", "-S"], capture_output=True, text=True).stdout
    assert "BGT-PROBE-NS" not in host
