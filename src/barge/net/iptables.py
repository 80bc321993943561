"""The one wrapper around the iptables programs (`iptables`, and its
`iptables-restore` for batches). No rule logic here: `net.rules` says what
the rules are, `net.firewall` decides what to add or delete.

Every call waits for the xtables lock (`-w`). Failures become
`errdefs.System` carrying iptables' own stderr. Calls block (a few ms each);
asyncio callers run them in a worker thread.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

from barge.errdefs import System

IPTABLES = "iptables"
IPTABLES_RESTORE = "iptables-restore"

# What iptables says when the rule or chain asked about is not there.
_ABSENT = ("does a matching rule exist", "No chain/target/match by that name",
           "does not exist", "is incompatible")


@dataclass(frozen=True)
class Result:
    rc: int
    out: str
    err: str


def _absent(res: Result) -> bool:
    return res.rc in (1, 2) and any(s in res.err for s in _ABSENT)


def _failed_line(err: str, script: str) -> str:
    """The input line iptables-restore names in "line N failed", if any."""
    m = re.search(r"line (\d+) failed", err)
    lines = script.splitlines()
    if m and 0 < int(m.group(1)) <= len(lines):
        return f" (in: {lines[int(m.group(1)) - 1]})"
    return ""


class Iptables:
    """Thin, stateless access to the host's (or the calling thread's netns')
    IPv4 tables."""

    def __init__(self, binary: str | None = None, restore_binary: str | None = None) -> None:
        self.binary = binary or shutil.which(IPTABLES) or "/usr/sbin/iptables"
        self.restore_binary = (restore_binary or shutil.which(IPTABLES_RESTORE)
                               or "/usr/sbin/iptables-restore")

    def _exec(self, argv: list[str], stdin: str | None = None) -> Result:
        try:
            r = subprocess.run(argv, input=stdin, capture_output=True, text=True,
                               stdin=None if stdin is not None else subprocess.DEVNULL)
        except OSError as e:
            raise System(f"{argv[0]}: {e.strerror or e}") from e
        return Result(r.returncode, r.stdout, r.stderr.strip())

    def run(self, table: str, *args: str, check: bool = True) -> Result:
        """`iptables -w -t TABLE ARGS…`; raises System on failure if check."""
        res = self._exec([self.binary, "-w", "-t", table, *args])
        if check and res.rc != 0:
            raise System(f"iptables -t {table} {' '.join(args)}: {res.err}")
        return res

    def chain_exists(self, table: str, chain: str) -> bool:
        res = self.run(table, "-S", chain, check=False)
        if res.rc == 0:
            return True
        if res.rc == 1:
            return False
        raise System(f"iptables -t {table} -S {chain}: {res.err}")

    def ensure_chain(self, table: str, chain: str) -> None:
        if not self.chain_exists(table, chain):
            res = self.run(table, "-N", chain, check=False)
            if res.rc != 0 and "already exists" not in res.err:
                raise System(f"iptables -t {table} -N {chain}: {res.err}")

    def rule_exists(self, table: str, chain: str, args: tuple[str, ...] | list[str]) -> bool:
        res = self.run(table, "-C", chain, *args, check=False)
        if res.rc == 0:
            return True
        if _absent(res):
            return False
        raise System(f"iptables -t {table} -C {chain} {' '.join(args)}: {res.err}")

    def ensure_rule(self, table: str, chain: str, args: tuple[str, ...] | list[str],
                    insert: bool = False) -> bool:
        """Add the rule unless `-C` finds it; True if it was added."""
        if self.rule_exists(table, chain, args):
            return False
        where = ("-I", chain, "1") if insert else ("-A", chain)
        self.run(table, *where, *args)
        return True

    def delete_rule(self, table: str, chain: str, args: tuple[str, ...] | list[str]) -> None:
        """Delete one copy of the rule; a missing rule or chain is fine."""
        res = self.run(table, "-D", chain, *args, check=False)
        if res.rc != 0 and not _absent(res):
            raise System(f"iptables -t {table} -D {chain} {' '.join(args)}: {res.err}")

    def delete_chain(self, table: str, chain: str) -> None:
        """Flush and delete a chain (nothing may jump to it); missing is fine."""
        for op in ("-F", "-X"):
            res = self.run(table, op, chain, check=False)
            if res.rc != 0 and not _absent(res):
                raise System(f"iptables -t {table} {op} {chain}: {res.err}")

    def list_rules(self, table: str, chain: str | None = None) -> list[str]:
        """`iptables -S` lines (`-P`, `-N`, `-A …`) of a table or one chain;
        an absent chain lists as []."""
        res = self.run(table, "-S", *([chain] if chain else []), check=False)
        if res.rc == 1 and chain:
            return []
        if res.rc != 0:
            raise System(f"iptables -t {table} -S {chain or ''}: {res.err}")
        return [ln for ln in res.out.splitlines() if ln]

    def restore(self, script: str) -> None:
        """Apply an `iptables-restore` script (`*table … COMMIT` sections)
        with --noflush: each table's section is one atomic transaction."""
        res = self._exec([self.restore_binary, "-w", "--noflush"], stdin=script)
        if res.rc != 0:
            raise System(f"iptables-restore: {res.err}{_failed_line(res.err, script)}")
