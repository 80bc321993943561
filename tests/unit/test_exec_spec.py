"""Exec: the process spec, the API body, the CLI body, detach keys (pure)."""
from __future__ import annotations

import pytest

from barge.cli.commands.exec import exec_body
from barge.spec.detachkeys import DetachMatcher, parse_detach_keys
from barge.errdefs import InvalidParameter
from barge.oci.conmon_exec import ConmonExecOptions, build_args, exec_error
from barge.oci.defaults import ALL_CAPABILITIES, DEFAULT_CAPABILITIES
from barge.oci.exec_process import ExecConfig, build_exec_process, exec_env
from barge.spec.container import ContainerSpec, HostDefaults, ProcessUser

HOST = HostDefaults(rlimit_nofile=(1024, 4096))
ROOT = ProcessUser(uid=0, gid=0, home="/root")
NOBODY = ProcessUser(uid=65534, gid=65534, home="/home")


def spec(**kw) -> ContainerSpec:
    base = dict(image="busybox", cmd=["sleep", "1"], hostname="abc", env=["PATH=/bin", "A=1"])
    base.update(kw)
    return ContainerSpec(**base)


def test_minimal_process():
    p = build_exec_process(spec(), ExecConfig(cmd=["echo", "hi"]), ROOT, HOST)
    assert p == {
        "terminal": False,
        "user": {"uid": 0, "gid": 0, "additionalGids": [0]},
        "args": ["echo", "hi"],
        "env": ["PATH=/bin", "HOSTNAME=abc", "A=1", "HOME=/root"],
        "cwd": "/",
        "capabilities": {"bounding": list(DEFAULT_CAPABILITIES), "effective": list(DEFAULT_CAPABILITIES),
                         "permitted": list(DEFAULT_CAPABILITIES)},
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 1024}],
    }


@pytest.mark.parametrize("ctr_tty,exec_tty,env_extra,expected", [
    (False, False, [], ["PATH=/bin", "HOSTNAME=abc", "A=1", "HOME=/root"]),
    (False, True, [], ["PATH=/bin", "HOSTNAME=abc", "TERM=xterm", "A=1", "HOME=/root"]),
    (True, False, [], ["PATH=/bin", "HOSTNAME=abc", "A=1", "HOME=/root"]),   # TERM follows the exec's TTY
    (False, False, ["A=2", "B=3"], ["PATH=/bin", "HOSTNAME=abc", "A=2", "B=3", "HOME=/root"]),
    (False, False, ["HOME=/x"], ["PATH=/bin", "HOSTNAME=abc", "A=1", "HOME=/x"]),
    (False, True, ["TERM=dumb"], ["PATH=/bin", "HOSTNAME=abc", "TERM=dumb", "A=1", "HOME=/root"]),
])
def test_env(ctr_tty, exec_tty, env_extra, expected):
    assert exec_env(spec(tty=ctr_tty), ExecConfig(cmd=["x"], tty=exec_tty, env=env_extra), ROOT) == expected


def test_home_of_exec_user_and_container_home_wins():
    assert exec_env(spec(), ExecConfig(cmd=["x"]), NOBODY)[-1] == "HOME=/home"
    assert exec_env(spec(env=["HOME=/data"]), ExecConfig(cmd=["x"]), NOBODY)[-1] == "HOME=/data"


def test_cwd_and_terminal():
    p = build_exec_process(spec(working_dir="/srv"), ExecConfig(cmd=["x"], tty=True), ROOT, HOST)
    assert p["cwd"] == "/srv" and p["terminal"] is True
    p = build_exec_process(spec(working_dir="/srv"), ExecConfig(cmd=["x"], working_dir="/tmp"), ROOT, HOST)
    assert p["cwd"] == "/tmp"


def test_capabilities():
    p = build_exec_process(spec(), ExecConfig(cmd=["x"], privileged=True), ROOT, HOST)
    assert p["capabilities"]["bounding"] == list(ALL_CAPABILITIES)
    p = build_exec_process(spec(cap_drop=["CHOWN"], cap_add=["NET_ADMIN"]), ExecConfig(cmd=["x"]), ROOT, HOST)
    assert "CAP_CHOWN" not in p["capabilities"]["bounding"] and "CAP_NET_ADMIN" in p["capabilities"]["effective"]
    p = build_exec_process(spec(), ExecConfig(cmd=["x"]), NOBODY, HOST)      # non-root: bounding only
    assert set(p["capabilities"]) == {"bounding"}
    assert p["user"] == {"uid": 65534, "gid": 65534, "additionalGids": [65534]}
    p = build_exec_process(spec(privileged=True), ExecConfig(cmd=["x"]), ROOT, HOST, ("CAP_CHOWN",))
    assert p["capabilities"]["bounding"] == ["CAP_CHOWN"]


def test_no_new_privileges():
    p = build_exec_process(spec(security_opt=["no-new-privileges"]), ExecConfig(cmd=["x"]), ROOT, HOST)
    assert p["noNewPrivileges"] is True


def test_from_api():
    ec = ExecConfig.from_api({"Cmd": ["sh", "-c", "x"], "Env": ["A=b"], "User": "nobody", "WorkingDir": "/w",
                              "Tty": True, "Privileged": True, "AttachStdin": True, "AttachStdout": True,
                              "DetachKeys": "ctrl-x"})
    assert (ec.cmd, ec.env, ec.user, ec.working_dir, ec.tty, ec.privileged) == (
        ["sh", "-c", "x"], ["A=b"], "nobody", "/w", True, True)
    assert ec.attach_stdin and ec.attach_stdout and not ec.attach_stderr and ec.detach_keys == "ctrl-x"
    assert ExecConfig.from_api({"Cmd": "ls"}).cmd == ["ls"]
    assert ExecConfig.from_api({"Cmd": ["ls"]}).effective_user(spec(user="daemon")) == "daemon"


@pytest.mark.parametrize("body,msg", [
    ({}, "No exec command specified"),
    ({"Cmd": []}, "No exec command specified"),
    ({"Cmd": None}, "No exec command specified"),
    ({"Cmd": [1]}, "invalid Cmd"),
    ({"Cmd": ["x"], "Env": ["=x"]}, "invalid environment variable: =x"),
    ([], "exec config must be an object"),
])
def test_from_api_errors(body, msg):
    with pytest.raises(InvalidParameter, match=msg):
        ExecConfig.from_api(body)


def test_cli_body():
    o = {"detach": False, "detach-keys": "", "env": ["A=1", "FROMHOST"], "env-file": ["f"], "interactive": True,
         "privileged": False, "tty": True, "user": "nobody", "workdir": "/tmp"}
    body = exec_body(o, ["sh"], {"FROMHOST": "h"}, {"f": "# comment\nB=2\n"})
    assert body == {"User": "nobody", "Privileged": False, "Tty": True, "AttachStdin": True,
                    "AttachStdout": True, "AttachStderr": True, "Detach": False, "DetachKeys": "",
                    "Env": ["B=2", "A=1", "FROMHOST=h"], "WorkingDir": "/tmp", "Cmd": ["sh"]}
    detached = exec_body(dict(o, detach=True, env=None, **{"env-file": None}), ["true"], {}, {})
    assert not detached["AttachStdin"] and not detached["AttachStdout"] and detached["Detach"]
    assert detached["Env"] is None


def test_detach_keys():
    assert parse_detach_keys("") == b"\x10\x11"
    assert parse_detach_keys("ctrl-a,x") == b"\x01x"
    with pytest.raises(InvalidParameter):
        parse_detach_keys("ctrl-aa")
    m = DetachMatcher(b"\x10\x11")
    assert m.feed(b"ab\x10") == (b"ab", False)      # a partial match is held back
    assert m.feed(b"c") == (b"\x10c", False)        # …and let through when it breaks
    assert m.feed(b"d\x10\x11e") == (b"d", True)
    assert DetachMatcher(b"").feed(b"\x10\x11") == (b"\x10\x11", False)


def test_conmon_args_and_error():
    o = ConmonExecOptions(cid="c", exec_id="e" * 64, bundle="/b", process_spec="/b/process.json",
                          runtime="/usr/sbin/runc", runtime_root="/r", socket_dir="/s", tty=True, stdin=True)
    args = build_args(o, "conmon")
    assert args[:1] == ["conmon"] and "-e" in args and "--exec-attach" in args
    assert args[args.index("--exec-process-spec") + 1] == "/b/process.json"
    assert args[args.index("-c") + 1] == "c" and args[-2:] == ["-t", "-i"]
    raw = ('time="2024-01-01T00:00:00Z" level=error msg="exec failed: unable to start container process: '
           'exec: \\"nosuch\\": executable file not found in $PATH"\n')
    assert exec_error(raw) == ('OCI runtime exec failed: exec failed: unable to start container process: '
                               'exec: "nosuch": executable file not found in $PATH: unknown')
