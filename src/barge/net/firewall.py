"""Applies `net.rules` to the host's tables through an iptables runner.

Each operation lists the nat and filter tables (`iptables -S`), works out
what is missing or present, and sends the difference as one
`iptables-restore --noflush` batch. So every call is idempotent and costs
three short processes whatever the number of rules. Chains are created
with `-N` (never `:CHAIN`, which would flush an existing one), so a batch
that meets a chain created or a rule deleted since the listing fails as a
whole and is planned again from a fresh listing. (Two appends of one rule
racing each other are not caught: one process, one Firewall, one lock.)
Deleting costs the kernel ~10-15 ms per table transaction here (nf_tables
commit), adding ~1 ms: batching is what keeps container exit cheap.

Only barge's own chains, and barge's jumps into them from the built-in
chains, are ever changed. Calls block; asyncio code runs them in a thread.
"""
from __future__ import annotations

import dataclasses

import threading
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Protocol

from barge.errdefs import System
from barge.net.rules import (DEFAULT_CHAINS, FILTER, NAT, Chains, NetRules, PortRule, Rule,
                             base_rules, bridges_in, network_rules, normalized,
                             parse_accept, parse_dnat, port_rules, shared_port_rules)

TABLES = (NAT, FILTER)
ATTEMPTS = 3
PortKey = tuple[str, str, int, str, int]


class Runner(Protocol):
    """What the firewall needs of `net.iptables.Iptables` (fakes in tests)."""

    def list_rules(self, table: str, chain: str | None = None) -> list[str]: ...

    def restore(self, script: str) -> None: ...


@dataclass(frozen=True)
class TableState:
    builtin: frozenset[str]      # chains with a policy (-P)
    chains: frozenset[str]       # user chains (-N)
    rules: tuple[str, ...]       # "-A CHAIN …" lines, in listed order


def parse_listing(lines: Iterable[str]) -> TableState:
    builtin, chains, rules = set(), set(), []
    for ln in lines:
        words = ln.split()
        if len(words) >= 2 and words[0] == "-P":
            builtin.add(words[1])
        elif len(words) == 2 and words[0] == "-N":
            chains.add(words[1])
        elif len(words) >= 2 and words[0] == "-A":
            rules.append(ln.strip())
    return TableState(frozenset(builtin), frozenset(chains), tuple(rules))


States = dict[str, TableState]
Ops = dict[str, list[str]]


def plan_add(states: States, rules: list[Rule], c: Chains = DEFAULT_CHAINS) -> Ops:
    """Create the missing barge chains, then add the missing rules: `top`
    ones inserted at position 1 (in reverse, so they end up in list
    order), the others appended in order."""
    ops: Ops = {}
    for table in TABLES:
        st = states[table]
        new = [f"-N {ch}" for ch in c.of(table) if ch not in st.chains]
        have, todo = set(st.rules), []
        for r in rules:
            if r.table == table and r.line() not in have:
                have.add(r.line())
                todo.append(r)
        tops = [" ".join(("-I", r.chain, "1", *r.args)) for r in reversed(todo) if r.top]
        ends = [" ".join(("-A", r.chain, *r.args)) for r in todo if not r.top]
        if new or tops or ends:
            ops[table] = new + tops + ends
    return ops


def plan_delete(states: States, lines: dict[str, Iterable[str]]) -> Ops:
    """Delete those of the listed rules (`-A …` lines) that are present."""
    ops: Ops = {}
    for table, wanted in lines.items():
        have, todo = set(states[table].rules), []
        for ln in wanted:
            if ln in have and ("-D" + ln[2:]) not in todo:
                todo.append("-D" + ln[2:])
        if todo:
            ops[table] = todo
    return ops


def plan_teardown(states: States, c: Chains = DEFAULT_CHAINS) -> Ops:
    """Drop barge's jumps from the built-in chains, flush and delete its chains."""
    ops: Ops = {}
    for table in TABLES:
        st, ours = states[table], c.of(table)
        jumps = [ln for ln in st.rules
                 if ln.split()[1] in st.builtin and _target(ln) in ours]
        present = [ch for ch in ours if ch in st.chains]
        todo = (["-D" + ln[2:] for ln in jumps] + [f"-F {ch}" for ch in present]
                + [f"-X {ch}" for ch in present])
        if todo:
            ops[table] = todo
    return ops


def script(ops: Ops) -> str:
    return "".join(f"*{t}\n" + "".join(f"{op}\n" for op in ops[t]) + "COMMIT\n"
                   for t in TABLES if ops.get(t))


def _target(line: str) -> str:
    words = line.split()
    return words[words.index("-j") + 1] if "-j" in words[:-1] else ""


def port_key(p: PortRule) -> PortKey:
    """A published port's identity: everything but the bridge."""
    n = normalized(p)
    return (n.proto, n.host_ip, n.host_port, n.container_ip, n.container_port)


def listed_ports(states: States, c: Chains = DEFAULT_CHAINS) -> dict[str, PortRule]:
    """The published ports in the tables, by their DNAT line; a port's
    bridge comes from its filter ACCEPT rule when the DNAT doesn't say."""
    bridges = {}
    for ln in states[FILTER].rules:
        if acc := parse_accept(ln, c):
            bridges[acc[:3]] = acc[3]
    out = {}
    for ln in states[NAT].rules:
        if p := parse_dnat(ln, c):
            br = p.bridge or bridges.get((p.proto, p.container_ip, p.container_port), "")
            out[ln] = replace(p, bridge=br)
    return out


def plan_remove_ports(states: States, ports: Iterable[PortRule], hairpin: bool = True,
                      c: Chains = DEFAULT_CHAINS) -> dict[str, list[str]]:
    """The lines to delete to unpublish `ports` (matched without their
    bridge): their DNAT rules, and the ACCEPT/hairpin rules no remaining
    DNAT still needs (two host ports to one container port share them)."""
    ports = list(ports)
    keys = {port_key(p) for p in ports}
    listed = listed_ports(states, c)
    gone = {ln: p for ln, p in listed.items() if port_key(p) in keys}
    kept = [p for ln, p in listed.items() if ln not in gone and p.bridge]
    needed = {r.line() for p in kept for r in shared_port_rules(p, hairpin, c)}
    lines: dict[str, list[str]] = {NAT: list(gone), FILTER: []}
    for p in [*gone.values(), *ports]:
        if p.bridge:
            for r in shared_port_rules(p, True, c):
                if r.line() not in needed:
                    lines[r.table].append(r.line())
    return lines


def plan_remove_bridge(states: States, bridge: str, hairpin: bool = True,
                       c: Chains = DEFAULT_CHAINS) -> dict[str, list[str]]:
    """Every rule in barge's chains naming the bridge, and its ports."""
    ports = [p for p in listed_ports(states, c).values() if p.bridge == bridge]
    lines = plan_remove_ports(states, ports, hairpin, c)
    for table in TABLES:
        ours = c.of(table)
        lines[table] += [ln for ln in states[table].rules
                         if ln.split()[1] in ours and bridge in bridges_in(ln)]
    return lines


class Firewall:
    """barge's iptables rules. One instance per daemon (its lock keeps the
    daemon's own threads from planning over each other)."""

    def __init__(self, ipt: Runner, chains: Chains = DEFAULT_CHAINS, hairpin: bool = True) -> None:
        self.ipt = ipt
        self.chains = chains
        self.hairpin = hairpin
        self._lock = threading.Lock()

    def _states(self) -> States:
        return {t: parse_listing(self.ipt.list_rules(t)) for t in TABLES}

    def _apply(self, plan: Callable[[States], Ops]) -> None:
        """List, plan, restore; on a failed batch plan again from scratch."""
        with self._lock:
            for attempt in range(ATTEMPTS):
                ops = plan(self._states())
                if not ops:
                    return
                try:
                    self.ipt.restore(script(ops))
                    return
                except System:
                    if attempt == ATTEMPTS - 1:
                        raise

    def _ensure(self, rules: list[Rule]) -> None:
        want = base_rules(self.chains) + rules
        self._apply(lambda st: plan_add(st, want, self.chains))

    def setup(self) -> None:
        """barge's chains and the jumps into them (also done by every add)."""
        self._ensure([])

    def add_network(self, n: NetRules) -> None:
        self._ensure(network_rules(n, self.chains))

    def update_network(self, n: NetRules) -> None:
        """add_network after dropping what the bridge's other settings (icc,
        masquerade) would have added: daemon.json may change between starts."""
        keep = {r.line() for r in network_rules(n, self.chains)}
        variants = (dataclasses.replace(n, icc=not n.icc), dataclasses.replace(n, masquerade=not n.masquerade))
        stale = [r for v in variants for r in network_rules(v, self.chains) if r.line() not in keep]

        def plan(st: States) -> Ops:
            lines: dict[str, list[str]] = {t: [] for t in TABLES}
            for r in stale:
                lines[r.table].append(r.line())
            return plan_delete(st, lines)
        self._apply(plan)
        self.add_network(n)

    def remove_network(self, n: NetRules) -> None:
        """The network's rules and anything else of barge naming its bridge."""
        exact = network_rules(n, self.chains)

        def plan(st: States) -> Ops:
            lines = plan_remove_bridge(st, n.bridge, self.hairpin, self.chains)
            for r in exact:
                lines[r.table].append(r.line())
            return plan_delete(st, lines)
        self._apply(plan)

    def remove_bridge(self, bridge: str) -> None:
        """Like remove_network, knowing only the bridge (after a crash)."""
        self._apply(lambda st: plan_delete(
            st, plan_remove_bridge(st, bridge, self.hairpin, self.chains)))

    def add_ports(self, ports: Iterable[PortRule]) -> None:
        self._ensure([r for p in ports for r in port_rules(p, self.hairpin, self.chains)])

    def remove_ports(self, ports: Iterable[PortRule]) -> None:
        ports = list(ports)
        self._apply(lambda st: plan_delete(
            st, plan_remove_ports(st, ports, self.hairpin, self.chains)))

    def ports(self) -> list[PortRule]:
        """The published ports in the tables now ("" host IP = all)."""
        return list(listed_ports(self._states(), self.chains).values())

    def stale_ports(self, known: Iterable[PortRule]) -> list[PortRule]:
        """Published ports in the tables that are not in `known`."""
        keys = {port_key(p) for p in known}
        return [p for p in self.ports() if port_key(p) not in keys]

    def prune_ports(self, known: Iterable[PortRule]) -> list[PortRule]:
        """Remove the stale ports; returns them."""
        stale = self.stale_ports(known)
        if stale:
            self.remove_ports(stale)
        return stale

    def bridges(self) -> set[str]:
        """Interfaces named by rules in barge's chains."""
        st = self._states()
        return {br for t in TABLES for ln in st[t].rules
                if ln.split()[1] in self.chains.of(t) for br in bridges_in(ln)}

    def teardown(self) -> None:
        """Remove every barge chain and jump (when nothing uses them)."""
        self._apply(lambda st: plan_teardown(st, self.chains))

    def teardown_if_unused(self) -> bool:
        """Remove the chains and jumps when no bridge and no port is left in
        them (the last daemon's networks are gone); True if it did."""
        if self.bridges() or self.ports():
            return False
        self.teardown()
        return True
