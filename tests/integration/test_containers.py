"""Container lifecycle through the barge CLI against a real barged."""
from __future__ import annotations

import json
import os
import re
import subprocess
import time
import uuid

import pytest

from barge_testlib import BARGE


def name(prefix="t"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def sleepy(daemon):
    n = name("sleepy")
    daemon.out("run", "-d", "--name", n, "busybox", "sleep", "1d")
    yield n
    daemon.cli("rm", "-f", n)


def test_exit_codes_and_streams(daemon):
    r = daemon.cli("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (r.returncode, r.stdout, r.stderr) == (3, b"out\n", b"err\n")
    r = daemon.cli("run", "--rm", "busybox", "nosuchcmd")
    assert r.returncode == 127 and b"executable file not found" in r.stderr
    r = daemon.cli("run", "--rm", "busybox", "/etc")
    assert r.returncode == 126 and b"permission denied" in r.stderr


def test_stdin_pipe(daemon):
    r = daemon.cli("run", "-i", "--rm", "busybox", "cat", input=b"hi\n")
    assert r.returncode == 0 and r.stdout == b"hi\n"


def test_tty_is_a_real_terminal(daemon):
    r = daemon.cli("run", "--rm", "-t", "busybox", "sh", "-c", "tty; stty size")
    assert r.returncode == 0
    assert r.stdout.splitlines()[0] == b"/dev/pts/0"


def test_ps_variants(daemon, sleepy):
    lines = daemon.out("ps").splitlines()
    assert re.split(r"\s{2,}", lines[0]) == ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
    row = next(ln for ln in lines if ln.endswith(sleepy))
    assert '"sleep 1d"' in row and "Up " in row and "busybox" in row
    cid = daemon.out("inspect", "-f", "{{.Id}}", sleepy).strip()
    assert cid[:12] in daemon.out("ps", "-q").split()
    assert daemon.out("ps", "-l", "--format", "{{.Names}}").strip() == sleepy
    fmt = daemon.out("ps", "--format", "{{.Names}} {{.Status}}", "--filter", f"name={sleepy}")
    assert re.fullmatch(rf"{sleepy} Up (Less than a second|\d+ seconds?)\n", fmt)


def test_lifecycle_verbs(daemon, sleepy):
    assert daemon.out("stop", "-t", "1", sleepy) == sleepy + "\n"
    st = json.loads(daemon.out("inspect", sleepy))[0]["State"]
    assert st["Status"] == "exited" and st["ExitCode"] == 137 and not st["Running"]
    assert re.search(r"Exited \(137\) (Less than a second|\d+ seconds?) ago",
                     daemon.out("ps", "-a", "--filter", f"name={sleepy}"))
    assert daemon.out("start", sleepy) == sleepy + "\n"
    assert daemon.out("inspect", "-f", "{{.State.Running}} {{.Config.Image}}", sleepy) == "true busybox\n"
    t0 = time.time()
    daemon.out("restart", "-t", "1", sleepy)
    assert 0.9 < time.time() - t0 < 5
    assert daemon.out("inspect", "-f", "{{.State.Running}}", sleepy) == "true\n"
    daemon.out("kill", "-s", "KILL", sleepy)
    assert daemon.out("wait", sleepy) == "137\n"
    new = sleepy + "-2"
    daemon.out("rename", sleepy, new)
    assert daemon.cli("inspect", sleepy).returncode == 1
    daemon.out("rename", new, sleepy)


def test_stop_grace_then_kill_and_signal(daemon):
    n = name()
    daemon.out("run", "-d", "--name", n, "busybox", "sh", "-c", "trap 'exit 42' TERM; while true; do sleep 0.1; done")
    try:
        time.sleep(0.3)
        daemon.out("stop", n)
        assert daemon.out("inspect", "-f", "{{.State.ExitCode}}", n) == "42\n"
        assert daemon.cli("stop", n).returncode == 0       # already stopped: 304, not an error
        r = daemon.cli("kill", n)
        assert r.returncode == 1 and b"is not running" in r.stderr
    finally:
        daemon.cli("rm", "-f", n)


def test_logs(daemon):
    n = name()
    daemon.out("run", "--name", n, "busybox", "sh", "-c", "for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done")
    try:
        r = daemon.cli("logs", n)
        assert r.stdout == b"".join(b"out%d\n" % i for i in range(1, 6))
        assert r.stderr == b"".join(b"err%d\n" % i for i in range(1, 6))
    finally:
        daemon.cli("rm", n)
    n = name()
    daemon.out("run", "--name", n, "busybox", "sh", "-c", "for i in 1 2 3 4 5; do echo out$i; done")
    try:
        assert daemon.cli("logs", "--tail", "2", n).stdout == b"out4\nout5\n"
        assert daemon.cli("logs", "--tail", "0", n).stdout == b""
        r = daemon.cli("logs", "-t", "--tail", "1", n)
        assert re.fullmatch(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z out5\n", r.stdout)
        since = daemon.cli("logs", "--since", "1h", n).stdout
        assert since.count(b"\n") == 5
        assert daemon.cli("logs", "--until", "2000-01-01T00:00:00Z", n).stdout == b""
    finally:
        daemon.cli("rm", n)


def test_logs_follow_ends_with_the_container(daemon):
    n = name()
    daemon.out("run", "-d", "--name", n, "busybox", "sh", "-c", "for i in $(seq 1 10); do echo l$i; sleep 0.05; done")
    try:
        r = daemon.cli("logs", "-f", n, timeout=20)
        assert r.stdout.split() == [b"l%d" % i for i in range(1, 11)]
    finally:
        daemon.cli("rm", "-f", n)


def test_log_rotation_bounds_disk_and_logs_reads_across_files(daemon):
    n = name()
    daemon.out("run", "-d", "--name", n, "--log-opt", "max-size=100k", "--log-opt", "max-file=3", "busybox",
               "sh", "-c", "i=0; while [ $i -lt 6000 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); "
               "[ $((i % 500)) -eq 0 ] && sleep 0.3; done")
    try:
        assert daemon.out("wait", n, timeout=60) == "0\n"
        info = json.loads(daemon.out("inspect", n))[0]
        path = info["LogPath"]
        assert info["HostConfig"]["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "100k", "max-file": "3"}}
        d = os.path.dirname(path)
        files = [f for f in os.listdir(d) if f.startswith(os.path.basename(path))]
        assert 1 < len(files) <= 3
        total = sum(os.path.getsize(os.path.join(d, f)) for f in files)
        assert total < 3 * 100_000 * 2
        lines = daemon.out("logs", n).split()
        nums = [int(x.split("-")[1]) for x in lines]
        assert nums[-1] == 5999 and nums == list(range(nums[0], 6000))
    finally:
        daemon.cli("rm", "-f", n)


def test_run_flags_reach_the_process(daemon, tmp_path):
    envf = tmp_path / "env"
    envf.write_text("# comment\nFROM_FILE=yes\n")
    r = daemon.cli("run", "--rm", "-e", "FOO=bar", "--env-file", str(envf), "-w", "/tmp/work", "-u", "65534",
                   "--hostname", "box1", "-l", "a=b", "busybox", "sh", "-c",
                   "echo $FOO $FROM_FILE; pwd; id -u; hostname; echo $HOME")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().split("\n")[:5] == ["bar yes", "/tmp/work", "65534", "box1", "/home"]


def test_defaults_match_docker(daemon):
    out = daemon.out("run", "--rm", "busybox", "sh", "-c",
                     "hostname; grep -c . /etc/hosts; grep CapEff /proc/self/status; grep Seccomp: /proc/self/status;"
                     " ls /dev | tr '\\n' ' '; echo; ip -o link | cut -d: -f2")
    lines = out.splitlines()
    assert re.fullmatch(r"[0-9a-f]{12}", lines[0])
    assert lines[2].split()[1] == "00000000a80425fb"      # Docker's default capability set
    assert lines[3].split()[1] == "2"                     # seccomp filter on
    for dev in ("null", "zero", "full", "random", "urandom", "tty", "pts", "shm"):
        assert dev in lines[4].split()
    assert lines[5].strip() == "lo"                       # own network namespace, loopback only


def test_read_only_privileged_caps_and_network_modes(daemon):
    r = daemon.cli("run", "--rm", "--read-only", "busybox", "touch", "/x")
    assert r.returncode == 1 and b"Read-only file system" in r.stderr
    out = daemon.out("run", "--rm", "--cap-drop", "ALL", "--cap-add", "CHOWN", "busybox", "grep", "CapEff",
                     "/proc/self/status")
    assert out.split()[1] == "0000000000000001"
    r = daemon.cli("run", "--rm", "--cap-add", "NOPE", "busybox", "true")
    assert r.returncode == 125 and b"NOPE" in r.stderr
    assert daemon.out("run", "--rm", "--network", "none", "busybox", "sh", "-c", "ip -o link | wc -l").strip() == "1"
    host_links = subprocess.run(["ip", "-o", "link"], capture_output=True).stdout.count(b"\n")
    got = daemon.out("run", "--rm", "--network", "host", "busybox", "sh", "-c", "ip -o link | wc -l").strip()
    assert int(got) == host_links
    out = daemon.out("run", "--rm", "--security-opt", "no-new-privileges", "busybox", "grep", "NoNewPrivs",
                     "/proc/self/status")
    assert out.split()[1] == "1"


def test_cidfile_and_name_conflict(daemon, tmp_path):
    n = name()
    cidfile = tmp_path / "cid"
    cid = daemon.out("create", "--name", n, "--cidfile", str(cidfile), "busybox").strip()
    try:
        assert cidfile.read_text() == cid
        r = daemon.cli("create", "--name", n, "busybox")
        assert r.returncode == 1 and r.stderr.startswith(b"Error response from daemon: Conflict. The container name")
        assert daemon.out("ps", "-a", "--filter", f"name={n}", "--format", "{{.Status}}") == "Created\n"
    finally:
        daemon.cli("rm", n)


def test_rm_rules(daemon, sleepy):
    r = daemon.cli("rm", sleepy)
    assert r.returncode == 1 and b"container is running" in r.stderr
    assert daemon.out("rm", "-f", sleepy) == sleepy + "\n"
    r = daemon.cli("rm", sleepy)
    assert r.returncode == 1 and r.stderr == f"Error response from daemon: No such container: {sleepy}\n".encode()


def test_export_of_a_running_container(daemon, sleepy, tmp_path):
    daemon.out("run", "--rm", "busybox", "true")
    out = tmp_path / "c.tar"
    daemon.out("export", "-o", str(out), sleepy)
    names = subprocess.run(["tar", "tf", str(out)], capture_output=True, check=True).stdout.decode().split()
    assert "bin/busybox" in names and "etc/passwd" in names


def test_init_is_pid_1_and_forwards_signals(daemon):
    out = daemon.out("run", "--rm", "--init", "busybox", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '")
    assert out.startswith("/sbin/docker-init -- sh -c")
    n = name()
    daemon.out("run", "-d", "--init", "--name", n, "busybox", "sleep", "100")
    try:
        t0 = time.time()
        daemon.out("stop", "-t", "10", n)       # tini passes SIGTERM on; a bare `sleep` as PID 1 ignores it
        assert time.time() - t0 < 5
        assert daemon.out("inspect", "-f", "{{.State.ExitCode}} {{.HostConfig.Init}}", n) == "143 true\n"
    finally:
        daemon.cli("rm", "-f", n)


def test_container_prune_filters(daemon):
    keep, go, old = name("keep"), name("go"), name("old")
    daemon.out("create", "--name", keep, "-l", "keep=yes", "busybox", "true")
    daemon.out("create", "--name", go, "-l", "team=a", "busybox", "true")
    running = daemon.out("run", "-d", "-l", "team=a", "busybox", "sleep", "60").strip()
    try:
        out = daemon.out("container", "prune", "-f", "--filter", "label=team=a", "--filter", "label!=keep")
        assert out.startswith("Deleted Containers:\n") and "Total reclaimed space:" in out
        names = daemon.out("ps", "-a", "--format", "{{.Names}}").split()
        assert go not in names and keep in names and running[:12] in daemon.out("ps", "-q")
        daemon.out("create", "--name", old, "busybox", "true")
        assert daemon.out("container", "prune", "-f", "--filter", "until=1h").endswith("Total reclaimed space: 0B\n")
        assert old in daemon.out("ps", "-a", "--format", "{{.Names}}").split()   # younger than an hour: kept
        r = daemon.cli("container", "prune", "-f", "--filter", "bogus=1")
        assert r.returncode == 1 and b"invalid filter 'bogus'" in r.stderr
    finally:
        daemon.cli("rm", "-f", keep, go, old, running)


def test_port_without_published_ports(daemon, sleepy):
    assert daemon.cli("port", sleepy).stdout == b""
    r = daemon.cli("port", sleepy, "80")
    assert r.returncode == 1 and r.stderr == f"Error: No public port '80' published for {sleepy}\n".encode()


def test_run_proxies_signals_to_the_container(daemon):
    import signal as sig
    script = "trap 'echo got-term; exit 9' TERM; echo ready; while true; do sleep 0.1; done"
    p = subprocess.Popen([BARGE, "run", "--rm", "busybox", "sh", "-c", script],
                         env=daemon.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert p.stdout.readline() == b"ready\n"
        p.send_signal(sig.SIGTERM)
        out, _ = p.communicate(timeout=15)
        assert out == b"got-term\n" and p.returncode == 9
    finally:
        if p.poll() is None:
            p.kill()


def test_inspect_health_of_a_container_without_healthcheck(daemon, sleepy):
    assert daemon.out("inspect", "-f", "{{json .State.Health}}", sleepy) == "null\n"
    assert daemon.out("inspect", "-f", "{{.State.Health}}", sleepy) == "<nil>\n"
    assert "Health" not in json.loads(daemon.out("inspect", "-f", "{{json .State}}", sleepy))
    r = daemon.cli("inspect", "-f", "{{.State.Nope}}", sleepy)
    assert r.returncode == 1 and b'map has no entry for key "Nope"' in r.stderr
