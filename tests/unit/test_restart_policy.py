"""Restart policies as pure decisions: moby restartmanager's backoff and choices; top's parsing."""
from __future__ import annotations

import pytest

from barge.daemon.containers.restart import (MAX_TIMEOUT, next_timeout, policy_of, ran_for,
                                             restart_at_boot, should_restart)
from barge.daemon.containers.top import parse_ps_output, validate_ps_args
from barge.errdefs import InvalidParameter, System


@pytest.mark.parametrize("prev, ran, want", [
    (0, 0.0, 0.1),           # first restart: 100 ms
    (0.1, 0.5, 0.2),         # doubles
    (0.2, 0.5, 0.4),
    (0.4, 9.9, 0.8),
    (0.8, 10.0, 0.1),        # ran 10 s: starts over
    (12.8, 30.0, 0.1),
    (51.2, 1.0, 60.0),       # capped at one minute
    (60.0, 1.0, 60.0),
])
def test_next_timeout(prev, ran, want):
    assert next_timeout(prev, ran) == pytest.approx(want)


def test_backoff_sequence_grows_to_the_cap():
    t, seq = 0.0, []
    for _ in range(12):
        t = next_timeout(t, 0.01)
        seq.append(t)
    assert seq[:5] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6])
    assert max(seq) == MAX_TIMEOUT and seq[-1] == MAX_TIMEOUT


@pytest.mark.parametrize("policy, max_retries, code, manual, count, want", [
    ("no", 0, 1, False, 0, False),
    ("", 0, 1, False, 0, False),
    ("always", 0, 0, False, 0, True),
    ("always", 0, 1, False, 99, True),
    ("always", 0, 0, True, 0, False),          # an explicit stop/kill
    ("unless-stopped", 0, 0, False, 0, True),
    ("unless-stopped", 0, 137, True, 0, False),
    ("on-failure", 0, 0, False, 0, False),     # success: no restart
    ("on-failure", 0, 1, False, 1000, True),   # no maximum
    ("on-failure", 2, 1, False, 0, True),
    ("on-failure", 2, 1, False, 1, True),
    ("on-failure", 2, 1, False, 2, False),     # N restarts done
    ("on-failure", 2, 1, True, 0, False),
    ("bogus", 0, 1, False, 0, False),
])
def test_should_restart(policy, max_retries, code, manual, count, want):
    assert should_restart(policy, max_retries, code, manual, count) is want


@pytest.mark.parametrize("policy, code, manual, started, want", [
    ("always", 0, False, True, True),
    ("always", 137, True, True, True),          # always comes back with the daemon, even after stop
    ("unless-stopped", 0, False, True, True),
    ("unless-stopped", 137, True, True, False),
    ("on-failure", 1, False, True, True),
    ("on-failure", 0, False, True, False),
    ("no", 1, False, True, False),
    ("always", 0, False, False, False),         # never started: stays created
])
def test_restart_at_boot(policy, code, manual, started, want):
    assert restart_at_boot(policy, 0, code, manual, 0, started) is want


def test_policy_of_and_ran_for():
    assert policy_of({}) == ("no", 0)
    assert policy_of({"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3}}) == ("on-failure", 3)
    assert ran_for("2024-01-01T00:00:00Z", "2024-01-01T00:00:12.5Z") == pytest.approx(12.5)
    assert ran_for("0001-01-01T00:00:00Z", "garbage") == 0.0


PS_EF = """UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 13:41 ?        00:00:16 /sbin/init
root        6021    6000  0 15:01 ?        00:00:00 sleep 300
root        6030    6021  0 15:01 ?        00:00:00 sh -c echo  two  spaces
"""


def test_parse_ps_output_keeps_the_containers_rows():
    out = parse_ps_output(PS_EF, [6021, 6030])
    assert out["Titles"] == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    assert out["Processes"] == [
        ["root", "6021", "6000", "0", "15:01", "?", "00:00:00", "sleep 300"],
        ["root", "6030", "6021", "0", "15:01", "?", "00:00:00", "sh -c echo two spaces"],
    ]


def test_parse_ps_output_threads_and_errors():
    threads = "PID TID CMD\n10 - app\n- 11 app\n20 - other\n- 21 other\n"
    assert parse_ps_output(threads, [10])["Processes"] == [["10", "-", "app"], ["-", "11", "app"]]
    with pytest.raises(System, match="Couldn't find PID field"):
        parse_ps_output("USER CMD\nroot x\n", [1])
    assert parse_ps_output("PID\n", [1]) == {"Titles": ["PID"], "Processes": []}


@pytest.mark.parametrize("args, ok", [
    ("-ef", True), ("aux", True), ("-o pid=PID", True), ("-o pid,comm", True),
    ("-o user=PID", False), ("-o pid,comm= PIDX", False),
])
def test_validate_ps_args(args, ok):
    if ok:
        validate_ps_args(args)
    else:
        with pytest.raises(InvalidParameter, match="is not allowed"):
            validate_ps_args(args)


def test_top_table_matches_docker_cli():
    from barge.cli.commands.lifecycle import top_table
    out = top_table([["UID", "PID", "CMD"], ["root", "6021", "sleep 300"]])
    assert out == ("UID                 PID                 CMD\n"
                   "root                6021                sleep 300\n")
    wide = top_table([["PID", "COMMAND"], ["1", "x" * 30]])
    assert wide.splitlines()[0] == "PID                 COMMAND"


def test_container_pids_from_init_pids_cgroup(tmp_path):
    from barge.sys.cgroups import container_pids
    proc, root = tmp_path / "proc", tmp_path / "cg"
    (proc / "42").mkdir(parents=True)
    (proc / "42" / "cgroup").write_text("8:pids:/barge/abc\n6:freezer:/barge/abc\n0::/\n")
    (root / "pids" / "barge" / "abc").mkdir(parents=True)
    (root / "pids" / "barge" / "abc" / "cgroup.procs").write_text("42\n57\n")
    assert container_pids("/barge/abc", 42, str(root), str(proc)) == [42, 57]


def test_container_pids_v2_layouts(tmp_path):
    from barge.sys.cgroups import container_pids
    for sub in ("unified", ""):
        root = tmp_path / (sub or "pure")
        d = root / sub / "barge" / "abc" if sub else root / "barge" / "abc"
        d.mkdir(parents=True)
        (d / "cgroup.procs").write_text("7\n9\n")
        assert container_pids("/barge/abc", 0, str(root), str(tmp_path / "noproc")) == [7, 9]
    assert container_pids("/barge/none", 5, str(tmp_path / "x"), str(tmp_path / "noproc")) == [5]
