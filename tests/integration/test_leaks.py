"""Nothing leaks: after containers go, no mount, conmon, runc state or cgroup of theirs is left."""
from __future__ import annotations

import glob
import os
import signal
import time

from barge_testlib import BARGE


def _conmons_of(cid: str) -> list[int]:
    out = []
    for comm in glob.glob("/proc/[0-9]*/comm"):
        try:
            if open(comm).read().strip() != "conmon":
                continue
            cmdline = open(comm.replace("comm", "cmdline"), "rb").read()
        except OSError:
            continue
        if cid.encode() in cmdline:
            out.append(int(comm.split("/")[2]))
    return out


def _traces(d, cid: str) -> list[str]:
    found = []
    with open("/proc/self/mountinfo") as f:
        found += [ln.split()[4] for ln in f if cid in ln]
    found += [f"conmon {p}" for p in _conmons_of(cid)]
    found += glob.glob(f"/sys/fs/cgroup/*/barge/{cid}") + glob.glob(f"/sys/fs/cgroup/unified/barge/{cid}")
    found += glob.glob(os.path.join(d.exec_root, "runc", cid))
    found += [p for p in glob.glob(os.path.join(d.exec_root, "s", cid)) if os.path.lexists(p)]
    found += glob.glob(os.path.join(d.data_root, "containers", cid))
    return found


def _wait_clean(d, cid: str, seconds: float = 5) -> list[str]:
    deadline = time.time() + seconds
    while (left := _traces(d, cid)) and time.time() < deadline:
        time.sleep(0.1)
    return left


def test_no_leaks_after_run_rm_restart_and_exec(fresh_daemon):
    d = fresh_daemon
    ids = [d.out("run", "-d", "busybox", "sleep", "300").strip(),
           d.out("run", "-d", "--restart", "always", "busybox", "sh", "-c", "sleep 0.2; exit 1").strip()]
    rm_now = d.out("create", "busybox", "true").strip()
    d.out("exec", ids[0], "true")
    r = d.cli("run", "--rm", "busybox", "echo", "gone")
    assert r.stdout == b"gone\n"
    d.stop(signal.SIGKILL)                 # a crash while a container restarts
    time.sleep(0.5)
    d.start()
    d.out("rm", "-f", *ids, rm_now)
    for cid in ids + [rm_now]:
        assert _wait_clean(d, cid) == [], cid


def test_sigkill_during_exec_and_log_streaming(fresh_daemon):
    import subprocess
    d = fresh_daemon
    cid = d.out("run", "-d", "--restart", "on-failure:5", "busybox", "sh", "-c",
                "i=0; while [ $i -lt 30 ]; do echo line$i; i=$((i+1)); sleep 0.1; done; exit 1").strip()
    follower = subprocess.Popen([BARGE, "logs", "-f", cid], env=d.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    execer = subprocess.Popen([BARGE, "exec", cid, "sleep", "30"], env=d.env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1)
    d.stop(signal.SIGKILL)
    follower.wait(10)
    execer.wait(10)                        # both clients end when the daemon dies
    time.sleep(3)                          # the container exits (code 1) while nobody watches
    d.start()
    deadline = time.time() + 15
    while time.time() < deadline:          # barged records the exit and restarts it per its policy
        count = int(d.out("inspect", "-f", "{{.RestartCount}}", cid))
        if count >= 1:
            break
        time.sleep(0.2)
    assert count >= 1
    lines = d.out("logs", cid).split()
    assert lines[:30] == [f"line{i}" for i in range(30)]       # the first run's log, whole
    d.out("rm", "-f", cid)
    assert _wait_clean(d, cid) == []
