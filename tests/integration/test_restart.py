"""Containers outlive the daemon; the daemon re-adopts them when it starts."""
from __future__ import annotations

import json
import os
import signal
import time


def _pid(d, name):
    return int(d.out("inspect", "-f", "{{.State.Pid}}", name))


def test_daemon_restart_keeps_containers_and_logs(fresh_daemon):
    d = fresh_daemon
    d.out("run", "-d", "--name", "ticker", "busybox", "sh", "-c",
          "i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.1; done")
    d.out("run", "-d", "--name", "quick", "busybox", "sh", "-c", "sleep 1; exit 5")
    pid = _pid(d, "ticker")
    d.stop(signal.SIGTERM)
    time.sleep(1.5)                          # "quick" exits while nobody watches
    os.kill(pid, 0)                          # still alive without the daemon
    d.start()
    assert d.out("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "quick") == "exited 5\n"
    assert d.out("inspect", "-f", "{{.State.Running}} {{.State.Pid}}", "ticker") == f"true {pid}\n"
    before = d.out("logs", "ticker").split()
    time.sleep(0.5)
    after = d.out("logs", "ticker").split()
    assert len(after) > len(before) and after[:len(before)] == before
    d.out("stop", "-t", "1", "ticker")
    assert d.out("wait", "ticker") == "137\n"


def test_start_after_restart_and_sigkill_of_the_daemon(fresh_daemon):
    d = fresh_daemon
    d.out("run", "-d", "--name", "s1", "busybox", "sleep", "60")
    d.stop(signal.SIGKILL)
    d.start()
    assert "s1" in d.out("ps", "--format", "{{.Names}}").split()
    d.out("kill", "s1")
    assert d.out("wait", "s1") == "137\n"
    d.out("start", "s1")
    info = json.loads(d.out("inspect", "s1"))[0]
    assert info["State"]["Running"] and info["RestartCount"] == 0
    d.out("rm", "-f", "s1")
