"""`exec` end to end: barge CLI, stock docker CLI and docker-py against a real barged."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid

import pytest

DOCKER = "/usr/local/bin/docker"


def name(prefix="x"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def ctr(daemon):
    n = name("exec")
    daemon.out("run", "-d", "--name", n, "busybox", "sleep", "1d")
    yield n
    daemon.cli("rm", "-f", n)


def test_echo_and_exit_codes(daemon, ctr):
    r = daemon.cli("exec", ctr, "echo", "hello")
    assert (r.returncode, r.stdout) == (0, b"hello\n")
    r = daemon.cli("exec", ctr, "sh", "-c", "echo out; echo err >&2; exit 7")
    assert (r.returncode, r.stdout, r.stderr) == (7, b"out\n", b"err\n")
    r = daemon.cli("exec", ctr, "nosuchcmd")          # Docker: 126, the error on stdout
    assert r.returncode == 126
    assert b'exec: "nosuchcmd": executable file not found in $PATH' in r.stdout + r.stderr
    r = daemon.cli("exec", ctr, "/etc")
    assert r.returncode == 126 and b"permission denied" in r.stdout + r.stderr
    r = daemon.cli("exec", "-u", "nosuchuser", ctr, "true")
    assert r.returncode == 126 and b"unable to find user nosuchuser" in r.stdout + r.stderr


def test_env_workdir_user(daemon, ctr, tmp_path):
    envfile = tmp_path / "env"
    envfile.write_text("# c\nFROMFILE=f\n")
    r = daemon.cli("exec", "-e", "A=1", "--env-file", str(envfile), "-w", "/tmp", "-u", "nobody", ctr,
                   "sh", "-c", "echo $A $FROMFILE; pwd; id -u; id -g; echo $HOME")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().split("\n") == ["1 f", "/tmp", "65534", "65534", "/home", ""]
    r = daemon.cli("exec", "-u", "0:65534", ctr, "id", "-g")
    assert r.stdout == b"65534\n"


def test_flags_are_not_interspersed(daemon, ctr):
    r = daemon.cli("exec", ctr, "echo", "-t", "-e", "x")
    assert r.stdout == b"-t -e x\n"


def test_privileged(daemon, ctr):
    r = daemon.cli("exec", ctr, "grep", "CapBnd", "/proc/self/status")
    normal = int(r.stdout.split()[1], 16)
    r = daemon.cli("exec", "--privileged", ctr, "grep", "CapBnd", "/proc/self/status")
    assert int(r.stdout.split()[1], 16) > normal


def test_stdin_pipe(daemon, ctr):
    r = daemon.cli("exec", "-i", ctr, "sh", "-c", "cat; echo done", input=b"line1\nline2\n")
    assert (r.returncode, r.stdout) == (0, b"line1\nline2\ndone\n")
    r = daemon.cli("exec", ctr, "cat", input=b"ignored\n")       # no -i: stdin is not passed
    assert (r.returncode, r.stdout) == (0, b"")


def test_tty(daemon, ctr):
    r = daemon.cli("exec", "-t", ctr, "sh", "-c", "tty; echo $TERM")
    assert r.returncode == 0
    assert r.stdout.startswith(b"/dev/pts/") and b"xterm" in r.stdout
    r = daemon.cli("exec", ctr, "sh", "-c", "tty")
    assert b"not a tty" in r.stdout
    r = daemon.cli("exec", "-it", ctr, "sh", input=b"")
    assert r.returncode == 1 and b"the input device is not a TTY" in r.stderr


def test_detached(daemon, ctr):
    r = daemon.cli("exec", "-d", ctr, "sh", "-c", "sleep 0.5; touch /tmp/bg")
    assert (r.returncode, r.stdout) == (0, b"")
    assert daemon.cli("exec", ctr, "test", "-e", "/tmp/bg").returncode == 1
    deadline = time.time() + 10
    while daemon.cli("exec", ctr, "test", "-e", "/tmp/bg").returncode != 0:
        assert time.time() < deadline
        time.sleep(0.2)


def test_stopped_and_missing_container(daemon):
    n = name("stopped")
    cid = daemon.out("create", "--name", n, "busybox", "true").strip()
    try:
        r = daemon.cli("exec", n, "true")
        assert r.returncode == 1
        assert r.stderr.decode().strip() == f"Error response from daemon: Container {cid} is not running"
    finally:
        daemon.cli("rm", "-f", n)
    r = daemon.cli("exec", "nosuchcontainer", "true")
    assert r.returncode == 1 and b"No such container: nosuchcontainer" in r.stderr


def test_container_dies_mid_session(daemon, ctr):
    p = subprocess.Popen([daemon_barge(), "exec", ctr, "sh", "-c", "echo started; sleep 1000"],
                         env=daemon.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout.readline() == b"started\n"
    daemon.out("kill", ctr)
    assert p.wait(timeout=10) == 137
    r = daemon.cli("exec", ctr, "true")
    assert r.returncode == 1 and b"is not running" in r.stderr


def test_exec_api_inspect_and_events(daemon, ctr):
    import docker
    c = docker.APIClient(base_url=daemon.host)
    since = int(time.time()) - 1
    eid = c.exec_create(ctr, ["sh", "-c", "echo hi; exit 4"], user="0")["Id"]
    info = c.exec_inspect(eid)
    assert info["Running"] is False and info["ExitCode"] is None and info["Pid"] == 0
    assert info["ProcessConfig"] == {"tty": False, "entrypoint": "sh", "arguments": ["-c", "echo hi; exit 4"],
                                     "privileged": False, "user": "0"}
    assert info["OpenStdout"] and info["OpenStderr"] and not info["OpenStdin"]
    assert info["ContainerID"] == c.inspect_container(ctr)["Id"]
    assert c.exec_start(eid) == b"hi\n"
    info = c.exec_inspect(eid)
    assert info["ExitCode"] == 4 and info["Pid"] > 0 and info["Running"] is False
    with pytest.raises(docker.errors.APIError) as e:
        c.exec_start(eid)
    assert e.value.status_code == 409
    with pytest.raises(docker.errors.NotFound):
        c.exec_inspect("nosuchexec")
    with pytest.raises(docker.errors.APIError) as e:
        c.exec_create(ctr, [])
    assert e.value.status_code == 400
    events = c.events(since=since, until=int(time.time()) + 1, decode=True,
                      filters={"container": ctr})
    actions = [ev["Action"] for ev in events]
    assert "exec_create: sh -c echo hi; exit 4" in actions
    assert "exec_start: sh -c echo hi; exit 4" in actions
    assert "exec_die" in actions


def test_exec_resize_api(daemon, ctr):
    import docker
    c = docker.APIClient(base_url=daemon.host)
    eid = c.exec_create(ctr, ["sh", "-c", "sleep 0.5; stty size"], tty=True)["Id"]
    sock = c.exec_start(eid, tty=True, socket=True)
    time.sleep(0.2)
    c.exec_resize(eid, height=33, width=101)
    out = b""
    raw = getattr(sock, "_sock", sock)
    raw.settimeout(10)
    while chunk := raw.recv(4096):
        out += chunk
    assert b"33 101" in out


def test_docker_py_exec_run(daemon, ctr):
    import docker
    client = docker.DockerClient(base_url=daemon.host)
    c = client.containers.get(ctr)
    assert tuple(c.exec_run("sh -c 'echo hi; exit 2'")) == (2, b"hi\n")
    assert tuple(c.exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True)) == (0, (b"o\n", b"e\n"))
    code, out = c.exec_run("env", environment={"X": "y"}, workdir="/tmp", user="nobody")
    assert code == 0 and b"X=y\n" in out and b"HOME=/home\n" in out
    code, out = c.exec_run("tty", tty=True)
    assert code == 0 and out.startswith(b"/dev/pts/")


@pytest.mark.skipif(not os.path.exists(DOCKER), reason="no stock docker CLI")
def test_stock_docker_cli(daemon, ctr):
    env = dict(daemon.env(), DOCKER_CLI_HINTS="false")

    def docker(*args, input=None):
        return subprocess.run([DOCKER, *args], input=input, capture_output=True, env=env, timeout=30)
    r = docker("exec", ctr, "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (r.returncode, r.stdout, r.stderr) == (3, b"out\n", b"err\n")
    r = docker("exec", "-i", ctr, "cat", input=b"piped\n")
    assert (r.returncode, r.stdout) == (0, b"piped\n")
    r = docker("exec", "-t", ctr, "tty")
    assert r.returncode == 0 and r.stdout.startswith(b"/dev/pts/")
    r = docker("exec", "-d", ctr, "true")
    assert r.returncode == 0
    r = docker("exec", "-e", "K=V", "-w", "/tmp", ctr, "sh", "-c", "echo $K; pwd")
    assert r.stdout == b"V\n/tmp\n"
    r = docker("exec", ctr, "nosuchcmd")
    assert r.returncode == 126


@pytest.mark.skipif(not shutil.which("tmux"), reason="no tmux")
def test_interactive_shell_with_resize(daemon, ctr, tmp_path):
    session = name("tmux")
    done = tmp_path / "rc"
    cmd = f"{daemon_barge()} exec -it {ctr} sh; echo $? > {done}; sleep 30"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30",
                    "env", f"BARGE_HOST={daemon.host}", "sh", "-c", cmd], check=True)
    try:
        def screen():
            return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                  text=True).stdout

        def wait_for(text):
            deadline = time.time() + 10
            while text not in screen():
                assert time.time() < deadline, screen()
                time.sleep(0.1)
        wait_for("/ #")
        subprocess.run(["tmux", "send-keys", "-t", session, "stty size; tty", "Enter"], check=True)
        wait_for("30 100")
        subprocess.run(["tmux", "resize-window", "-t", session, "-x", "120", "-y", "40"], check=True)
        time.sleep(0.5)
        subprocess.run(["tmux", "send-keys", "-t", session, "stty size", "Enter"], check=True)
        wait_for("40 120")
        subprocess.run(["tmux", "send-keys", "-t", session, "exit 42", "Enter"], check=True)
        deadline = time.time() + 10
        while not done.exists() or not done.read_text().strip():
            assert time.time() < deadline, screen()
            time.sleep(0.1)
        assert done.read_text().strip() == "42"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def daemon_barge() -> str:
    from barge_testlib import BARGE
    return BARGE
