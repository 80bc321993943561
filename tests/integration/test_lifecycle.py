"""Restart policies, pause/unpause and top with real runc and conmon."""
from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

DOCKER = "/usr/local/bin/docker"


def _inspect(d, name, fmt):
    return d.out("inspect", "-f", fmt, name).strip()


def _until(pred, timeout=15.0, step=0.05, show=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("condition not reached" + (f": {show()}" if show else ""))


def _events(d, since, name):
    out = d.out("events", "--since", f"{since:.3f}", "--until", f"{time.time():.3f}",
                "--filter", f"container={name}", "--format", "{{json .}}")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_on_failure_restarts_n_times_then_stays_exited(daemon):
    d = daemon
    t0 = time.time() - 1
    d.out("run", "-d", "--name", "of2", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 3")
    _until(lambda: _inspect(d, "of2", "{{.State.Status}} {{.RestartCount}}") == "exited 2")
    time.sleep(1)
    assert _inspect(d, "of2", "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}") == "exited 2 3"
    assert _inspect(d, "of2", "{{.HostConfig.RestartPolicy.Name}}") == "on-failure"
    actions = [e["Action"] for e in _events(d, t0, "of2") if e["Action"] in ("start", "die")]
    assert actions == ["start", "die"] * 3
    d.out("rm", "of2")


def test_on_failure_does_not_restart_a_success(daemon):
    d = daemon
    d.out("run", "-d", "--name", "of0", "--restart", "on-failure", "busybox", "true")
    _until(lambda: _inspect(d, "of0", "{{.State.Status}}") == "exited")
    time.sleep(0.5)
    assert _inspect(d, "of0", "{{.State.Status}} {{.RestartCount}}") == "exited 0"
    d.out("rm", "of0")


def test_always_restarts_until_stopped(daemon):
    d = daemon
    d.out("run", "-d", "--name", "alw", "--restart", "always", "busybox", "sh", "-c", "sleep 0.3; exit 1")
    _until(lambda: int(_inspect(d, "alw", "{{.RestartCount}}")) >= 2)
    d.out("stop", "-t", "1", "alw")
    assert _inspect(d, "alw", "{{.State.Status}}") == "exited"
    count = _inspect(d, "alw", "{{.RestartCount}}")
    time.sleep(1.5)
    assert _inspect(d, "alw", "{{.State.Status}} {{.RestartCount}}") == f"exited {count}"
    d.out("start", "alw")                      # a user's start resets the count
    assert _inspect(d, "alw", "{{.RestartCount}}") == "0"
    d.out("rm", "-f", "alw")


def test_no_cpu_spin_and_restarting_state(daemon):
    d = daemon
    d.out("run", "-d", "--name", "spin", "--restart", "always", "busybox", "true")
    time.sleep(3)
    n = int(_inspect(d, "spin", "{{.RestartCount}}"))
    assert 2 <= n <= 12, n                     # 0.1+0.2+0.4+0.8+1.6 s: a handful, not hundreds
    # the backoff is now seconds long: it waits in "restarting"
    _until(lambda: _inspect(d, "spin", "{{.State.Status}}") == "restarting", timeout=10)
    assert _inspect(d, "spin", "{{.State.Running}} {{.State.Restarting}} {{.State.Pid}}") == "true true 0"
    status = d.out("ps", "--filter", "name=spin", "--format", "{{.Status}}").strip()
    assert status.startswith("Restarting (0) ") and status.endswith(" ago"), status
    t = time.time()
    d.out("stop", "spin")                      # cancels the pending restart at once
    assert time.time() - t < 3
    assert _inspect(d, "spin", "{{.State.Status}}") == "exited"
    time.sleep(1)
    assert _inspect(d, "spin", "{{.State.Status}} {{.RestartCount}}").startswith("exited ")
    d.out("rm", "spin")


def test_kill_and_rm_f_cancel_a_pending_restart(daemon):
    d = daemon
    for name in ("pk", "pr"):
        d.out("run", "-d", "--name", name, "--restart", "always", "busybox", "true")
    for name in ("pk", "pr"):
        _until(lambda: int(_inspect(d, name, "{{.RestartCount}}")) >= 3, timeout=10)
        _until(lambda: _inspect(d, name, "{{.State.Status}}") == "restarting", timeout=10)
    d.out("kill", "pk")
    assert _inspect(d, "pk", "{{.State.Status}}") == "exited"
    d.out("rm", "-f", "pr")
    time.sleep(2)
    assert _inspect(d, "pk", "{{.State.Status}}") == "exited"
    assert "pr" not in d.out("ps", "-a", "--format", "{{.Names}}").split()
    d.out("rm", "pk")


def test_backoff_doubles(daemon):
    d = daemon
    t0 = time.time() - 1
    d.out("run", "-d", "--name", "bo", "--restart", "always", "busybox", "sh", "-c", "exit 1")
    _until(lambda: int(_inspect(d, "bo", "{{.RestartCount}}")) >= 5, timeout=20)
    d.out("rm", "-f", "bo")
    evs = [e for e in _events(d, t0, "bo") if e["Action"] in ("start", "die")]
    gaps, last_die = [], None
    for e in evs:
        if e["Action"] == "die":
            last_die = e["timeNano"]
        elif last_die is not None:
            gaps.append((e["timeNano"] - last_die) / 1e9)
    assert len(gaps) >= 4, evs
    assert 0.08 <= gaps[0] < 0.6, gaps
    for a, b in zip(gaps[1:4], gaps[2:5]):
        assert 1.4 < b / a < 3.0, gaps


def test_policies_across_a_daemon_restart(fresh_daemon):
    d = fresh_daemon
    d.out("run", "-d", "--name", "a-stopped", "--restart", "always", "busybox", "sleep", "300")
    d.out("run", "-d", "--name", "u-stopped", "--restart", "unless-stopped", "busybox", "sleep", "300")
    d.out("run", "-d", "--name", "u-exits", "--restart", "unless-stopped", "busybox", "sh", "-c", "sleep 1; exit 2")
    d.out("run", "-d", "--name", "n-exits", "busybox", "sh", "-c", "sleep 1; exit 2")
    d.out("run", "-d", "--name", "a-runs", "--restart", "always", "busybox", "sleep", "300")
    pid = int(_inspect(d, "a-runs", "{{.State.Pid}}"))
    d.out("stop", "-t", "1", "a-stopped", "u-stopped")
    d.stop()
    time.sleep(1.5)                          # u-exits and n-exits end while nobody watches
    d.start()
    _until(lambda: _inspect(d, "a-stopped", "{{.State.Status}}") == "running")
    _until(lambda: _inspect(d, "u-exits", "{{.State.Status}}") == "running",
           show=lambda: _inspect(d, "u-exits", "{{.State.Status}} {{.State.Error}} {{.RestartCount}}"))
    assert _inspect(d, "u-stopped", "{{.State.Status}}") == "exited"
    assert _inspect(d, "n-exits", "{{.State.Status}} {{.State.ExitCode}}") == "exited 2"
    assert _inspect(d, "a-runs", "{{.State.Status}} {{.State.Pid}}") == f"running {pid}"
    d.out("rm", "-f", "a-stopped", "u-stopped", "u-exits", "n-exits", "a-runs")


def test_restart_pending_when_the_daemon_dies(fresh_daemon):
    d = fresh_daemon
    d.out("run", "-d", "--name", "rp", "--restart", "always", "busybox", "true")
    _until(lambda: int(_inspect(d, "rp", "{{.RestartCount}}")) >= 4, timeout=10)
    _until(lambda: _inspect(d, "rp", "{{.State.Status}}") == "restarting", timeout=10)
    import signal
    d.stop(signal.SIGKILL)
    d.start()
    # started again at boot (a fresh count, as Docker's restore), and restarting afterwards
    _until(lambda: _inspect(d, "rp", "{{.State.Status}}") in ("running", "restarting"))
    assert _inspect(d, "rp", "{{.State.ExitCode}}") == "0"
    d.out("stop", "rp")
    assert _inspect(d, "rp", "{{.State.Status}}") == "exited"
    d.out("rm", "rp")


def _freezer_state(cid):
    for p in (f"/sys/fs/cgroup/freezer/barge/{cid}/freezer.state",):
        if os.path.exists(p):
            return open(p).read().strip()
    p = f"/sys/fs/cgroup/unified/barge/{cid}/cgroup.freeze"
    return {"1": "FROZEN", "0": "THAWED"}.get(open(p).read().strip()) if os.path.exists(p) else None


def test_pause_unpause(daemon):
    d = daemon
    t0 = time.time() - 1
    cid = d.out("run", "-d", "--name", "pz", "busybox", "sleep", "300").strip()
    assert d.out("pause", "pz") == "pz\n"
    assert _inspect(d, "pz", "{{.State.Status}} {{.State.Paused}} {{.State.Running}}") == "paused true true"
    assert _freezer_state(cid) == "FROZEN"
    assert d.out("ps", "--filter", "name=pz", "--format", "{{.Status}}").strip().endswith("(Paused)")
    r = d.cli("pause", "pz")
    assert r.returncode == 1
    assert r.stderr.decode().strip() == f"Error response from daemon: Container {cid} is already paused"
    assert d.out("unpause", "pz") == "pz\n"
    assert _inspect(d, "pz", "{{.State.Status}} {{.State.Paused}}") == "running false"
    assert _freezer_state(cid) == "THAWED"
    r = d.cli("unpause", "pz")
    assert r.returncode == 1
    assert r.stderr.decode().strip() == f"Error response from daemon: Container {cid} is not paused"
    actions = [e["Action"] for e in _events(d, t0, "pz")]
    assert "pause" in actions and "unpause" in actions
    d.out("rm", "-f", "pz")


def test_pause_errors_on_stopped_and_missing(daemon):
    d = daemon
    cid = d.out("create", "--name", "pc", "busybox", "true").strip()
    r = d.cli("pause", "pc")
    assert r.returncode == 1
    assert r.stderr.decode().strip() == f"Error response from daemon: Container {cid} is not running"
    r = d.cli("unpause", "pc")
    assert r.stderr.decode().strip() == f"Error response from daemon: Container {cid} is not paused"
    r = d.cli("pause", "nosuchthing")
    assert r.returncode == 1 and "No such container: nosuchthing" in r.stderr.decode()
    d.out("rm", "pc")


@pytest.mark.parametrize("verb", ["stop", "kill", "rm"])
def test_stopping_a_paused_container(daemon, verb):
    d = daemon
    name = f"ps-{verb}"
    d.out("run", "-d", "--name", name, "busybox", "sleep", "300")
    d.out("pause", name)
    t = time.time()
    if verb == "stop":
        d.out("stop", "-t", "1", name)
    elif verb == "kill":
        d.out("kill", name)
        d.out("wait", name)
    else:
        d.out("rm", "-f", name)
        assert name not in d.out("ps", "-a", "--format", "{{.Names}}").split()
        return
    assert time.time() - t < 5
    assert _inspect(d, name, "{{.State.Status}} {{.State.ExitCode}}") == "exited 137"
    d.out("rm", name)


def test_top(daemon):
    d = daemon
    d.out("run", "-d", "--name", "tp", "busybox", "sleep", "300")
    pid = _inspect(d, "tp", "{{.State.Pid}}")
    lines = d.out("top", "tp").splitlines()
    assert lines[0].split() == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    assert lines[0].startswith("UID                 PID                 ")
    assert len(lines) == 2 and lines[1].split()[1] == pid and lines[1].endswith("sleep 300")
    lines = d.out("top", "tp", "-o", "pid,comm").splitlines()
    assert lines[0].split() == ["PID", "COMMAND"]
    assert [pid, "sleep"] in [ln.split() for ln in lines[1:]]
    r = d.cli("top", "tp", "-o", "bogus")
    assert r.returncode == 1 and "ps: error: unknown user-defined format specifier" in r.stderr.decode()
    d.out("stop", "-t", "0", "tp")
    r = d.cli("top", "tp")
    cid = _inspect(d, "tp", "{{.Id}}")
    assert r.returncode == 1
    assert r.stderr.decode().strip() == f"Error response from daemon: Container {cid} is not running"
    d.out("rm", "tp")


def _docker(d, *args):
    env = dict(os.environ, DOCKER_HOST=d.host)
    return subprocess.run([DOCKER, *args], capture_output=True, env=env, timeout=60)


@pytest.mark.skipif(not os.path.exists(DOCKER), reason="no docker CLI")
def test_stock_docker_cli(daemon):
    d = daemon
    assert _docker(d, "run", "-d", "--name", "dk", "busybox", "sleep", "300").returncode == 0
    assert _docker(d, "pause", "dk").stdout == b"dk\n"
    ps = _docker(d, "ps", "--filter", "name=dk", "--format", "{{.Status}}").stdout.decode()
    assert "(Paused)" in ps
    assert _docker(d, "unpause", "dk").stdout == b"dk\n"
    top = _docker(d, "top", "dk").stdout.decode().splitlines()
    assert top[0].split()[:2] == ["UID", "PID"] and top[1].endswith("sleep 300")
    top = _docker(d, "top", "dk", "-o", "pid,args").stdout.decode().splitlines()
    assert top[0].split() == ["PID", "COMMAND"] and top[1].endswith("sleep 300")
    _docker(d, "rm", "-f", "dk")
    r = _docker(d, "run", "-d", "--name", "dkr", "--restart", "on-failure:1", "busybox", "false")
    assert r.returncode == 0, r.stderr
    _until(lambda: _docker(d, "inspect", "-f", "{{.State.Status}} {{.RestartCount}}", "dkr").stdout == b"exited 1\n")
    _docker(d, "rm", "-f", "dkr")
