"""Pure pieces of the daemon, API and client: log lines, /etc files, routing, config, run flags."""
from __future__ import annotations

import io
import json

import pytest

from barge.api.router import Router, split_version
from barge.api.status import status_of
from barge import errdefs
from barge.cli.runopts import create_body, env_values, restart_policy
from barge.client.http import Response, _max_version_from, parse_host
from barge.daemon import config as dconfig
from barge.daemon.containers import logfile
from barge.errdefs import InvalidParameter
from barge.net import files as netfiles


def test_log_line_parsing():
    ll = logfile.parse_line(b"2024-01-02T03:04:05.120000000+00:00 stderr F hello world\n")
    assert (ll.stream, ll.data) == (2, b"hello world\n")
    ll = logfile.parse_line(b"2024-01-02T03:04:05.120000000+00:00 stdout P part\n")
    assert (ll.stream, ll.data) == (1, b"part")
    assert logfile.parse_line(b"garbage\n") is None
    assert logfile.docker_ts(b"2024-01-02T03:04:05.120000000+00:00") == b"2024-01-02T03:04:05.12Z"
    assert logfile.docker_ts(b"2024-01-02T03:04:05.000000000+00:00") == b"2024-01-02T03:04:05Z"


def _write_log(path, lines):
    with open(path, "wb") as f:
        for ln in lines:
            f.write(b"2024-01-02T03:04:05.000000000+00:00 stdout F " + ln + b"\n")


def test_logs_read_across_rotated_files(tmp_path):
    p = str(tmp_path / "c-json.log")
    _write_log(p + ".2", [b"a", b"b"])
    _write_log(p + ".1", [b"c"])
    _write_log(p, [b"d", b"e"])
    with open(p + "", "ab") as f:
        f.write(b"2024-01-02T03:04:05.000000000+00:00 stdout F partial-without-newline")
    cur = logfile.open_current(p)
    assert [ll.data for ll in logfile.read_all(p, cur)] == [b"a\n", b"b\n", b"c\n", b"d\n", b"e\n"]
    cur.close()
    for n, want in [(1, [b"e\n"]), (3, [b"c\n", b"d\n", b"e\n"]), (10, [b"a\n", b"b\n", b"c\n", b"d\n", b"e\n"]), (0, [])]:
        cur = logfile.open_current(p)
        assert [ll.data for ll in logfile.read_all(p, cur, n)] == want
        # a follower goes on right after the last complete line
        assert cur.read().startswith(b"2024-01-02T03:04:05.000000000+00:00 stdout F partial")
        cur.close()


def test_hosts_and_resolv():
    assert netfiles.hosts().startswith("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
    host = "nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch lan\noptions edns0\n"
    assert netfiles.resolv_conf(host) == "nameserver 10.0.0.2\nsearch lan\noptions edns0\n"
    assert netfiles.resolv_conf("nameserver 127.0.0.1\n") == "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
    assert netfiles.resolv_conf(host, host_network=True).startswith("nameserver 127.0.0.53\n")
    assert netfiles.resolv_conf(host, dns=["1.1.1.1"], search=["x"], options=["ndots:2"]) == \
        "nameserver 1.1.1.1\nsearch x\noptions ndots:2\n"


def test_router_and_versions():
    r = Router()

    async def h(req, **kw):
        return kw
    r.add("GET", "/containers/{id}/json", h)
    r.add("GET", "/images/{name:.*}/json", h)
    assert r.match("GET", "/containers/abc/json")[1] == {"id": "abc"}
    assert r.match("HEAD", "/containers/abc/json")[1] == {"id": "abc"}
    assert r.match("GET", "/images/localhost:5000/a/b:1/json")[1] == {"name": "localhost:5000/a/b:1"}
    with pytest.raises(errdefs.NotFound):
        r.match("POST", "/nope")
    assert split_version("/v1.41/containers/json") == ((1, 41), "/containers/json")
    assert split_version("/_ping") == ((1, 45), "/_ping")
    with pytest.raises(InvalidParameter, match="client version 1.99 is too new. Maximum supported API version is 1.45"):
        split_version("/v1.99/info")
    with pytest.raises(InvalidParameter, match="is too old. Minimum supported API version is 1.24"):
        split_version("/v1.12/info")


@pytest.mark.parametrize("exc,code", [(errdefs.NotFound, 404), (errdefs.Conflict, 409), (errdefs.NotModified, 304),
                                      (errdefs.InvalidParameter, 400), (errdefs.System, 500), (ValueError, 500)])
def test_status_table(exc, code):
    assert status_of(exc("x")) == code


def test_daemon_config(tmp_path):
    p = tmp_path / "daemon.json"
    p.write_text(json.dumps({"data-root": "/srv/barge", "log-opts": {"max-size": "1m"}, "bip": "10.1.0.1/24"}))
    cfg = dconfig.build(dconfig.load_file(str(p)), {"exec_root": "/run/x", "data_root": None})
    assert (cfg.data_root, cfg.exec_root, cfg.log_opts) == ("/srv/barge", "/run/x", {"max-size": "1m"})
    p.write_text('{"nonsense": 1}')
    with pytest.raises(InvalidParameter, match="don't match any configuration option: nonsense"):
        dconfig.load_file(str(p))
    p.write_text("{bad json")
    with pytest.raises(InvalidParameter, match="unable to configure the daemon"):
        dconfig.load_file(str(p))
    assert dconfig.load_file(str(tmp_path / "missing.json")) == {}


def test_run_flags_to_api_json():
    o = {"tty": True, "interactive": True, "rm": True, "env": ["A=1", "HOME"], "label": ["x=y"],
         "entrypoint": "", "stop-timeout": 3, "restart": "", "log-opt": ["max-size=1m"], "network": "none",
         "cap-add": ["NET_ADMIN"], "read-only": True, "workdir": "/w", "user": "1"}
    b = create_body(o, "busybox", ["sh"], {"HOME": "/root"}, {}, {})
    assert b["Image"] == "busybox" and b["Cmd"] == ["sh"] and b["Entrypoint"] == [""]
    assert b["Env"] == ["A=1", "HOME=/root"] and b["Labels"] == {"x": "y"}
    assert b["Tty"] and b["OpenStdin"] and b["StdinOnce"] and b["AttachStdin"]
    assert b["StopTimeout"] == 3 and b["WorkingDir"] == "/w" and b["User"] == "1"
    hc = b["HostConfig"]
    assert hc["AutoRemove"] and hc["NetworkMode"] == "none" and hc["ReadonlyRootfs"]
    assert hc["LogConfig"] == {"Type": "", "Config": {"max-size": "1m"}} and hc["CapAdd"] == ["NET_ADMIN"]
    s = create_body({"security-opt": ["no-new-privileges", "seccomp=/p.json", "label:disable"]}, "bb", [], {},
                    {}, {}, read_file=lambda p: '{"defaultAction":"SCMP_ACT_ALLOW"}')
    assert s["HostConfig"]["SecurityOpt"] == ["no-new-privileges", 'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}',
                                              "label=disable"]
    with pytest.raises(InvalidParameter, match='Invalid --security-opt: "bogus"'):
        create_body({"security-opt": ["bogus"]}, "bb", [], {}, {}, {})
    d = create_body({"detach": True, "interactive": True}, "bb", [], {}, {}, {})
    assert not d["AttachStdin"] and not d["StdinOnce"] and d["Cmd"] is None
    e = create_body({"env-file": ["f"]}, "bb", [], {"B": "2"}, {"f": "# c\nA=1\n\nB\n"}, {})
    assert e["Env"] == ["A=1", "B=2"]
    with pytest.raises(InvalidParameter):
        env_values(["=x"], {})
    assert restart_policy("on-failure:3") == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert restart_policy("always:3") == {"Name": "always", "MaximumRetryCount": 3}   # the daemon refuses it
    with pytest.raises(InvalidParameter, match="maximum retry count must be an integer"):
        restart_policy("on-failure:x")
    with pytest.raises(InvalidParameter, match="conflicting options: cannot specify both --restart and --rm"):
        create_body({"rm": True, "restart": "always"}, "bb", [], {}, {}, {})


class _Sock:
    def close(self):
        pass


def test_client_response_parsing():
    body = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    r = Response(_Sock(), io.BufferedReader(io.BytesIO(body)), 200, {"transfer-encoding": "chunked"})
    assert r.read() == b"hello world"
    stream = b'{"a": 1}\r\n{"b":\n 2}'
    r = Response(_Sock(), io.BufferedReader(io.BytesIO(stream)), 200, {"content-length": str(len(stream))})
    assert list(r.iter_json()) == [{"a": 1}, {"b": 2}]
    assert _max_version_from("client version 1.45 is too new. Maximum supported API version is 1.41") == "1.41"
    assert parse_host("unix:///run/x.sock").address == "/run/x.sock"
    assert parse_host("tcp://127.0.0.1:2375").address == ("127.0.0.1", 2375)
