"""Table tests of the pure spec pieces."""
from __future__ import annotations

import pytest

from barge.errdefs import InvalidParameter
from barge.spec import apiconv, changes, clock, filters, framing, ids, reference, signals, users


@pytest.mark.parametrize("given,familiar,full", [
    ("busybox", "busybox:latest", "docker.io/library/busybox"),
    ("busybox:1.36", "busybox:1.36", "docker.io/library/busybox"),
    ("me/app", "me/app:latest", "docker.io/me/app"),
    ("docker.io/library/busybox:2", "busybox:2", "docker.io/library/busybox"),
    ("localhost:5000/a/b:c", "localhost:5000/a/b:c", "localhost:5000/a/b"),
    ("example.com/x", "example.com/x:latest", "example.com/x"),
    ("busybox@sha256:" + "a" * 64, "busybox@sha256:" + "a" * 64, "docker.io/library/busybox"),
])
def test_reference_normalise(given, familiar, full):
    r = reference.parse(given)
    assert reference.normalize(given) == familiar
    assert r.full_repository == full


@pytest.mark.parametrize("bad", ["", "UPPER", "a//b", "a:", ":tag", "a@sha256:xyz", "f" * 64])
def test_reference_rejects(bad):
    with pytest.raises(InvalidParameter):
        reference.parse(bad)


def test_ids_and_names():
    i = ids.new_id()
    assert len(i) == 64 and ids.short(i) == i[:12] and ids.short("sha256:" + i) == i[:12]
    assert ids.validate_name("/web_1.a-b") == "web_1.a-b"
    for bad in ("a", "-x", "x/y", "x y", ""):
        with pytest.raises(InvalidParameter, match="Invalid container name"):
            ids.validate_name(bad)


def test_merge_config_follows_docker():
    img = {"Cmd": ["sh"], "Env": ["PATH=/bin", "A=1"], "WorkingDir": "/w", "Labels": {"x": "1"},
           "Entrypoint": None, "ExposedPorts": {"80/tcp": {}}}
    c = apiconv.merge_config({"Image": "bb", "Env": ["A=2", "B=3"], "Labels": {"y": "2"}}, img, "ab" * 32)
    assert c["Cmd"] == ["sh"] and c["Env"] == ["PATH=/bin", "A=2", "B=3"]
    assert c["Hostname"] == "ab" * 6 and c["WorkingDir"] == "/w"
    assert c["Labels"] == {"x": "1", "y": "2"} and c["ExposedPorts"] == {"80/tcp": {}}
    c = apiconv.merge_config({"Image": "bb", "Entrypoint": ["echo"]}, img, "ab" * 32)
    assert c["Entrypoint"] == ["echo"] and c["Cmd"] is None     # a new entrypoint drops the image's CMD
    c = apiconv.merge_config({"Image": "bb", "Cmd": ["ls"]}, {"Entrypoint": ["/e"], "Cmd": ["x"]}, "ab" * 32)
    assert c["Entrypoint"] == ["/e"] and c["Cmd"] == ["ls"]
    c = apiconv.merge_config({"Image": "bb", "Cmd": ["x"]}, {}, "ab" * 32)
    assert c["Env"][0].startswith("PATH=")
    for body in ({"Image": "bb"}, {"Image": "bb", "Entrypoint": [], "Cmd": []}):
        with pytest.raises(InvalidParameter, match="No command specified"):
            apiconv.merge_config(body, {}, "ab" * 32)


def test_host_config_defaults_and_errors():
    hc = apiconv.fill_host_config(None)
    assert hc["NetworkMode"] == "default" and hc["RestartPolicy"] == {"Name": "no", "MaximumRetryCount": 0}
    assert hc["LogConfig"] == {"Type": "json-file", "Config": {}} and hc["ShmSize"] == 67108864
    with pytest.raises(InvalidParameter, match="no log driver named 'syslog2'"):
        apiconv.fill_host_config({"LogConfig": {"Type": "syslog2"}})
    with pytest.raises(InvalidParameter, match="invalid restart policy"):
        apiconv.fill_host_config({"RestartPolicy": {"Name": "sometimes"}})
    with pytest.raises(InvalidParameter, match="AutoRemove"):
        apiconv.fill_host_config({"AutoRemove": True, "RestartPolicy": {"Name": "always"}})
    with pytest.raises(InvalidParameter, match="invalid network mode"):
        apiconv.fill_host_config({"NetworkMode": "container:"})
    assert apiconv.fill_host_config({"NetworkMode": "mynet"})["NetworkMode"] == "mynet"   # the daemon resolves it


def test_to_spec():
    cfg = apiconv.merge_config({"Image": "bb", "Cmd": ["true"], "Tty": True, "User": "1:2"}, {}, "cd" * 32)
    s = apiconv.to_spec(cfg, apiconv.fill_host_config({"ReadonlyRootfs": True, "CapAdd": ["NET_ADMIN"]}))
    assert s.process_args() == ["true"] and s.tty and s.user == "1:2" and s.read_only
    assert s.cap_add == ["NET_ADMIN"] and s.hostname == "cd" * 6


PASSWD = "root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/false\n"
GROUP = "root:x:0:\nwww:x:33:\nextra:x:50:www\n"


@pytest.mark.parametrize("user,uid,gid,extra,home", [
    ("", 0, 0, [], "/root"),
    ("root", 0, 0, [], "/root"),
    ("www", 33, 33, [50], "/var/www"),
    ("33", 33, 33, [50], "/var/www"),
    ("www:root", 33, 0, [50], "/var/www"),
    ("1000", 1000, 0, [], "/"),
    ("1000:1000", 1000, 1000, [], "/"),
])
def test_users(user, uid, gid, extra, home):
    u = users.resolve(user, PASSWD, GROUP)
    assert (u.uid, u.gid, u.additional_gids, u.home) == (uid, gid, extra, home)


def test_users_unknown():
    with pytest.raises(InvalidParameter, match="unable to find user bob: no matching entries in passwd file"):
        users.resolve("bob", PASSWD, GROUP)
    with pytest.raises(InvalidParameter, match="unable to find group nog"):
        users.resolve("root:nog", PASSWD, GROUP)


def test_changes():
    c = changes.apply({"Env": ["A=1"]}, ['CMD ["sh"]', "ENV A=2 B=3", "EXPOSE 80 53/udp", "WORKDIR /x",
                                         "USER me", "LABEL k=v", "ENTRYPOINT echo hi", "VOLUME /data",
                                         "STOPSIGNAL SIGINT"])
    assert c["Cmd"] == ["sh"] and c["Env"] == ["A=2", "B=3"]
    assert changes.apply({"Env": ["A=1", "B=2"]}, ["ENV A=3"])["Env"] == ["A=3", "B=2"]   # in place
    assert c["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}} and c["WorkingDir"] == "/x"
    assert c["Entrypoint"] == ["/bin/sh", "-c", "echo hi"] and c["Volumes"] == {"/data": {}}
    assert c["User"] == "me" and c["Labels"] == {"k": "v"} and c["StopSignal"] == "SIGINT"
    with pytest.raises(InvalidParameter, match="run is not a valid change command"):
        changes.apply({}, ["RUN true"])


def test_filters():
    assert filters.parse('{"status":["running"],"label":{"a=b":true}}') == {"status": ["running"], "label": ["a=b"]}
    assert filters.parse(None) == {}
    with pytest.raises(InvalidParameter):
        filters.parse("{nope")
    assert filters.parse(filters.encode({"name": ["x"]})) == {"name": ["x"]}


@pytest.mark.parametrize("given,num", [("KILL", 9), ("SIGKILL", 9), ("9", 9), ("term", 15), ("SIGRTMIN+1", 35)])
def test_signals(given, num):
    assert signals.parse(given) == num


def test_signals_bad():
    for bad in ("NOPE", "0", "99"):
        with pytest.raises(InvalidParameter, match="Invalid signal"):
            signals.parse(bad)


def test_clock():
    assert clock.rfc3339nano(1_700_000_000_123_000_000) == "2023-11-14T22:13:20.123Z"
    assert clock.rfc3339nano(1_700_000_000_000_000_000) == "2023-11-14T22:13:20Z"
    assert clock.parse_rfc3339("2023-11-14T22:13:20.5Z") == 1_700_000_000.5
    assert clock.parse_rfc3339("2023-11-14T22:13:20.000000000+00:00") == 1_700_000_000
    assert clock.parse_rfc3339(clock.ZERO) == 0


def test_framing_round_trip():
    data = framing.frame(1, b"out") + framing.frame(2, b"err" * 1000) + framing.frame(1, b"")
    d = framing.Demuxer()
    got = []
    for i in range(0, len(data), 7):
        got += d.feed(data[i:i + 7])
    assert got == [(1, b"out"), (2, b"err" * 1000), (1, b"")] and d.pending == 0


def test_healthcheck_merges_with_the_image():
    img = {"Test": ["CMD-SHELL", "true"], "Interval": 30_000_000_000, "Retries": 3}
    assert apiconv.merge_healthcheck({"Interval": 1_000_000_000}, img) == {
        "Interval": 1_000_000_000, "Test": ["CMD-SHELL", "true"], "Retries": 3}
    assert apiconv.merge_healthcheck(None, img) == img
    assert apiconv.merge_healthcheck({"Test": ["NONE"]}, img)["Test"] == ["NONE"]
    assert apiconv.merge_healthcheck(None, None) is None
