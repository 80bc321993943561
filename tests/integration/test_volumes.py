"""Volumes and mounts against a real barged: named, anonymous, binds, tmpfs,
copy-up, --volumes-from, in-use protection, prune, and data across restarts."""
from __future__ import annotations

import json
import os
import signal
import time
import uuid

import pytest


def name(prefix="v"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def volumes(daemon) -> set[str]:
    return set(daemon.out("volume", "ls", "-q").split())


@pytest.fixture
def vol(daemon):
    n = name()
    yield n
    daemon.cli("volume", "rm", "-f", n)


def test_seed_workflow_data_outlives_container(daemon, vol):
    db = name("db")
    daemon.out("run", "-d", "--name", db, "-v", f"{vol}:/var/lib/data", "busybox",
               "sh", "-c", "echo precious > /var/lib/data/f; sleep 1d")
    for _ in range(100):
        if daemon.cli("exec", db, "test", "-s", "/var/lib/data/f").returncode == 0:
            break
        time.sleep(0.05)
    mounts = json.loads(daemon.out("inspect", "-f", "{{json .Mounts}}", db))
    assert mounts == [{"Type": "volume", "Name": vol, "Source": os.path.join(daemon.data_root, "volumes", vol, "_data"),
                       "Destination": "/var/lib/data", "Driver": "local", "Mode": "z", "RW": True,
                       "Propagation": ""}]
    r = daemon.cli("volume", "rm", vol)
    assert r.returncode == 1 and f"remove {vol}: volume is in use - [" in r.stderr.decode()
    daemon.out("rm", "-f", "-v", db)                      # -v removes anonymous volumes only
    assert vol in volumes(daemon)
    assert daemon.out("run", "--rm", "-v", f"{vol}:/d", "busybox", "cat", "/d/f") == "precious\n"


def test_named_volume_survives_daemon_restart(fresh_daemon):
    d = fresh_daemon
    d.out("run", "--rm", "-v", "keep:/d", "busybox", "sh", "-c", "echo kept > /d/f")
    d.stop()
    d.start()
    assert d.out("run", "--rm", "-v", "keep:/d", "busybox", "cat", "/d/f") == "kept\n"
    assert json.loads(d.out("volume", "inspect", "keep"))[0]["Name"] == "keep"


def test_copy_up_from_image_keeps_owner_and_mode(daemon, vol):
    img = name("img")
    c = name("mk")
    daemon.out("run", "--name", c, "busybox", "sh", "-c",
               "mkdir -p /srv/app/sub && echo cfg > /srv/app/conf && chown -R 1000:1001 /srv/app "
               "&& chmod 750 /srv/app && chmod 600 /srv/app/conf")
    daemon.out("commit", c, img)
    daemon.out("rm", c)
    try:
        got = daemon.out("run", "--rm", "-v", f"{vol}:/srv/app", img, "sh", "-c",
                         "stat -c '%u:%g %a %n' /srv/app /srv/app/conf; cat /srv/app/conf")
        assert got.splitlines() == ["1000:1001 750 /srv/app", "1000:1001 600 /srv/app/conf", "cfg"]
        # the volume is no longer empty: a different image's content is not copied over it
        assert daemon.out("run", "--rm", "-v", f"{vol}:/etc", "busybox", "ls", "/etc").split() == \
            ["conf", "hostname", "hosts", "resolv.conf", "sub"]
        other = name()
        assert daemon.out("run", "--rm", "--mount", f"type=volume,src={other},dst=/srv/app,volume-nocopy",
                          img, "ls", "-A", "/srv/app") == ""
        daemon.out("volume", "rm", other)
    finally:
        daemon.cli("rmi", img)


def test_anonymous_volumes_rm_v_and_run_rm(daemon):
    before = volumes(daemon)
    daemon.out("run", "--rm", "-v", "/scratch", "busybox", "touch", "/scratch/x")
    assert volumes(daemon) == before                     # --rm takes its anonymous volumes
    c = name("anon")
    daemon.out("create", "--name", c, "-v", "/scratch", "busybox")
    anon = volumes(daemon) - before
    assert len(anon) == 1
    (v,) = anon
    assert json.loads(daemon.out("volume", "inspect", v))[0]["Labels"] == {"com.docker.volume.anonymous": ""}
    assert v not in daemon.out("volume", "ls", "-q", "--filter", "dangling=true").split()
    daemon.out("rm", c)                                  # without -v the volume stays, dangling
    assert v in daemon.out("volume", "ls", "-q", "--filter", "dangling=true").split()
    daemon.out("volume", "rm", v)
    daemon.out("create", "--name", c, "-v", "/scratch", "busybox")
    anon = volumes(daemon) - before
    daemon.out("rm", "-v", c)
    assert not (anon & volumes(daemon))


def test_image_volume_instruction_makes_anonymous_volume(daemon):
    img = name("vimg")
    c = name("mk")
    daemon.out("run", "--name", c, "busybox", "sh", "-c", "mkdir /vol && echo seed > /vol/s")
    daemon.out("commit", "-c", "VOLUME /vol", c, img)
    daemon.out("rm", c)
    try:
        before = volumes(daemon)
        c2 = name("user")
        daemon.out("run", "--name", c2, img, "cat", "/vol/s")
        mounts = json.loads(daemon.out("inspect", "-f", "{{json .Mounts}}", c2))
        assert [(m["Type"], m["Destination"], m["Mode"]) for m in mounts] == [("volume", "/vol", "")]
        assert daemon.out("logs", c2) == "seed\n"
        assert mounts[0]["Name"] in volumes(daemon) - before
        daemon.out("rm", "-v", c2)
        assert volumes(daemon) == before
    finally:
        daemon.cli("rmi", img)


def test_bind_mounts(daemon, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "in").write_text("from host")
    f = tmp_path / "single"
    f.write_text("one file")
    out = daemon.out("run", "--rm", "-v", f"{src}:/b", "-v", f"{f}:/etc/single:ro", "busybox", "sh", "-c",
                     "cat /b/in; echo; cat /etc/single; echo; echo made > /b/out; echo x > /etc/single || echo ro")
    assert out.splitlines() == ["from host", "one file", "ro"]
    assert (src / "out").read_text() == "made\n"
    missing = tmp_path / "made" / "by" / "v"
    daemon.out("run", "--rm", "-v", f"{missing}:/m", "busybox", "true")
    assert missing.is_dir()                               # -v creates a missing host directory
    r = daemon.cli("run", "--rm", "--mount", f"type=bind,src={tmp_path}/absent,dst=/m", "busybox", "true")
    assert r.returncode == 125
    assert f"bind source path does not exist: {tmp_path}/absent" in r.stderr.decode()
    assert not (tmp_path / "absent").exists()
    r = daemon.cli("run", "--rm", "-v", f"{daemon.data_root}/volumes:/x", "busybox", "true")
    assert r.returncode == 125 and "inside barge's data root" in r.stderr.decode()


def test_mount_flag_types(daemon, tmp_path, vol):
    (tmp_path / "ro").mkdir()
    out = daemon.out(
        "run", "--rm",
        "--mount", "type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770",
        "--mount", f"type=bind,src={tmp_path}/ro,dst=/r,readonly",
        "--mount", f"type=volume,src={vol},dst=/v,volume-label=team=db",
        "busybox", "sh", "-c",
        "df -k /t | tail -1 | awk '{print $2}'; stat -c %a /t; touch /r/x 2>/dev/null || echo ro; "
        "grep ' /v ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1")
    assert out.splitlines() == ["1024", "1770", "ro", "rw"]
    assert json.loads(daemon.out("volume", "inspect", vol))[0]["Labels"] == {"team": "db"}


def test_volumes_from_stopped_container(daemon, vol):
    store = name("store")
    daemon.out("create", "--name", store, "-v", f"{vol}:/shared", "-v", "/anon", "busybox")
    try:
        daemon.out("run", "--rm", "--volumes-from", store, "busybox", "sh", "-c",
                   "echo hi > /shared/x && echo there > /anon/y")
        assert daemon.out("run", "--rm", "--volumes-from", store, "busybox", "cat", "/shared/x", "/anon/y") == \
            "hi\nthere\n"
        r = daemon.cli("run", "--rm", "--volumes-from", f"{store}:ro", "busybox", "touch", "/shared/z")
        assert r.returncode == 1 and b"Read-only file system" in r.stderr
        r = daemon.cli("run", "--rm", "--volumes-from", "no-such-container-x", "busybox", "true")
        assert r.returncode == 125 and b"No such container: no-such-container-x" in r.stderr
    finally:
        daemon.cli("rm", "-v", store)


def test_volume_options_tmpfs_mounted_while_used(daemon, vol):
    daemon.out("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=2m", vol)
    out = daemon.out("run", "--rm", "-v", f"{vol}:/x", "busybox", "sh", "-c", "df -k /x | tail -1 | awk '{print $2}'")
    assert out == "2048\n"
    mp = json.loads(daemon.out("volume", "inspect", vol))[0]["Mountpoint"]
    with open("/proc/self/mountinfo") as f:
        assert not any(line.split()[4] == mp for line in f)     # unmounted once nobody uses it


def test_prune_only_unused_and_anonymous_by_default(daemon):
    keep, named, used = name("keep"), name("named"), name("used")
    for n in (keep, named, used):
        daemon.out("volume", "create", "--label", f"t={n}", n)
    c = name("user")
    daemon.out("create", "--name", c, "-v", f"{used}:/u", "-v", "/anon", "busybox")
    anon = [m["Name"] for m in json.loads(daemon.out("inspect", "-f", "{{json .Mounts}}", c)) if m["Destination"] == "/anon"][0]
    try:
        daemon.out("volume", "prune", "-f")
        assert {keep, named, used, anon} <= volumes(daemon)     # named ones stay, used ones too
        daemon.out("rm", c)
        daemon.out("volume", "prune", "-f", "--filter", f"label!=t={keep}")
        assert anon not in volumes(daemon)                       # the anonymous one went
        assert {keep, named, used} <= volumes(daemon)
        out = daemon.out("volume", "prune", "-a", "-f", "--filter", f"label=t={named}")
        assert named in out and named not in volumes(daemon) and keep in volumes(daemon)
    finally:
        daemon.cli("rm", "-f", c)
        daemon.cli("volume", "rm", "-f", keep, named, used, anon)


def test_volume_errors(daemon):
    r = daemon.cli("volume", "create", "..")
    assert r.returncode == 1 and b'create ..: ".." includes invalid characters' in r.stderr
    r = daemon.cli("run", "--rm", "-v", "foo/bar:/x", "busybox", "true")
    assert r.returncode == 125 and b"If you intended to pass a host directory, use absolute path" in r.stderr
    r = daemon.cli("volume", "inspect", "nope-nope")
    assert r.returncode == 1 and b"no such volume" in r.stderr
    r = daemon.cli("run", "--rm", "-v", "/tmp:/x", "-v", "/etc:/x", "busybox", "true")
    assert r.returncode == 125 and b"Duplicate mount point: /x" in r.stderr
    assert not [v for v in volumes(daemon) if v.startswith("nope")]


def test_system_df_counts_volumes(daemon, vol):
    daemon.out("run", "--rm", "-v", f"{vol}:/d", "busybox", "sh", "-c", "head -c 5000 /dev/zero > /d/f")
    df = json.loads(daemon.cli("system", "df", "--format", "{{json .}}").stdout.decode().splitlines()[2])
    assert df["Type"] == "Local Volumes"
    rows = daemon.out("system", "df", "-v")
    line = [ln for ln in rows.splitlines() if ln.startswith(vol + " ")][0]
    assert line.split()[1:] == ["0", "5kB"]


def test_ps_filter_volume(daemon, vol):
    c = name("pf")
    daemon.out("create", "--name", c, "-v", f"{vol}:/data", "busybox")
    try:
        assert daemon.out("ps", "-a", "--filter", f"volume={vol}", "--format", "{{.Names}}") == c + "\n"
        assert c in daemon.out("ps", "-a", "--filter", "volume=/data", "--format", "{{.Names}}")
    finally:
        daemon.cli("rm", c)


def _big_image(d, img):
    c = name("big")
    d.out("run", "--name", c, "busybox", "sh", "-c",
          "mkdir /big && i=0; while [ $i -lt 4000 ]; do head -c 16384 /dev/urandom > /big/f$i; i=$((i+1)); done",
          timeout=300)
    d.out("commit", c, img, timeout=300)
    d.out("rm", c)


def test_kill_during_copy_up_is_complete_or_retried(fresh_daemon):
    d = fresh_daemon
    _big_image(d, "bigdata")
    import subprocess
    from barge_testlib import BARGE
    data = os.path.join(d.data_root, "volumes", "cu", "_data")
    p = subprocess.Popen([BARGE, "create", "-v", "cu:/big", "bigdata"], env=d.env(),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not os.path.exists(os.path.join(data, ".barge-copyup")):
        time.sleep(0.002)
    assert os.path.exists(os.path.join(data, ".barge-copyup")), "copy-up never started"
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    d.proc = None
    p.wait(30)
    d.start()
    entries = os.listdir(data)
    assert ".barge-copyup" not in entries
    assert len(entries) in (0, 4000)                      # nothing half-copied is visible
    assert d.out("ps", "-aq") == ""                       # the cut-short create left no container
    out = d.out("run", "--rm", "-v", "cu:/big", "bigdata", "sh", "-c", "ls /big | wc -l")
    assert out.strip() == "4000"
