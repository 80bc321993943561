"""cp, diff and commit against a real barged: the barge CLI, the stock docker
CLI and docker-py, and symlinks that try to reach the host."""
from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import uuid

import pytest

DOCKER = "/usr/local/bin/docker"
SETUP = ("mkdir -p /d/sub && echo hi > /d/a && echo x > /d/sub/b && ln -s / /escape && "
         "ln -s ../../.. /up && rm /bin/ls && echo new >> /etc/passwd && ")


def name(prefix="f"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def box(daemon):
    n = name("box")
    daemon.out("run", "-d", "--name", n, "busybox", "sh", "-c", SETUP + "sleep 1d")
    for _ in range(100):
        if daemon.cli("exec", n, "test", "-L", "/up").returncode == 0:
            break
    yield n
    daemon.cli("rm", "-f", n)


def docker(daemon, *args, input=None):
    if not os.access(DOCKER, os.X_OK):
        pytest.skip("no docker CLI")
    env = daemon.env()
    env["DOCKER_CLI_HINTS"] = "false"
    return subprocess.run([DOCKER, *args], capture_output=True, env=env, input=input, timeout=60)


def test_cp_out_dirs_files_and_dot(daemon, box, tmp_path):
    daemon.out("cp", f"{box}:/d", str(tmp_path / "x"))
    assert (tmp_path / "x" / "sub" / "b").read_text() == "x\n"
    daemon.out("cp", f"{box}:/d", str(tmp_path / "x"))          # into the existing dir
    assert (tmp_path / "x" / "d" / "a").read_text() == "hi\n"
    daemon.out("cp", f"{box}:/d/.", str(tmp_path / "y"))
    assert sorted(os.listdir(tmp_path / "y")) == ["a", "sub"]
    daemon.out("cp", f"{box}:/d/a", str(tmp_path) + "/")
    assert (tmp_path / "a").read_text() == "hi\n"
    r = daemon.cli("cp", f"{box}:/d", str(tmp_path / "a"))
    assert (r.returncode, r.stderr) == (1, b"cannot copy directory\n")
    r = daemon.cli("cp", f"{box}:/d/a", str(tmp_path / "nodir") + "/")
    assert (r.returncode, r.stderr) == (1, b"no such directory\n")
    r = daemon.cli("cp", f"{box}:/nope", str(tmp_path))
    assert r.returncode == 1
    assert r.stderr == f"Error response from daemon: Could not find the file /nope in container {box}\n".encode()
    r = daemon.cli("cp", str(tmp_path / "a"), str(tmp_path / "b"))
    assert (r.returncode, r.stderr) == (1, b"must specify at least one container source\n")
    r = daemon.cli("cp", f"{box}:/d", f"{box}:/x")
    assert (r.returncode, r.stderr) == (1, b"copying between containers is not supported\n")


def test_cp_in_and_tar_streams(daemon, box, tmp_path):
    src = tmp_path / "src"
    (src / "inner").mkdir(parents=True)
    (src / "inner" / "f").write_text("F")
    os.chown(src / "inner" / "f", 1234, 5678)
    daemon.out("cp", str(src), f"{box}:/tmp/")
    daemon.out("cp", str(src) + "/.", f"{box}:/tmp/copy")
    daemon.out("cp", "-a", str(src / "inner" / "f"), f"{box}:/tmp/owned")
    out = daemon.out("exec", box, "sh", "-c", "cat /tmp/src/inner/f /tmp/copy/inner/f; stat -c %u:%g /tmp/owned")
    assert out == "FF1234:5678\n"
    # "-" out: the daemon's tar; "-" in: a tar from stdin into a directory
    tar = daemon.cli("cp", f"{box}:/d", "-", check=True).stdout
    names = tarfile.open(fileobj=io.BytesIO(tar)).getnames()
    assert names == ["d", "d/a", "d/sub", "d/sub/b"]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        info = tarfile.TarInfo("fromstdin")
        info.size = 3
        t.addfile(info, io.BytesIO(b"abc"))
    daemon.out("cp", "-", f"{box}:/tmp", input=buf.getvalue())
    assert daemon.out("exec", box, "cat", "/tmp/fromstdin") == "abc"
    r = daemon.cli("cp", "-", f"{box}:/d/a", input=buf.getvalue())
    assert (r.returncode, r.stderr) == (1, f'destination "{box}:/d/a" must be a directory\n'.encode())


def test_cp_follow_link(daemon, box, tmp_path):
    daemon.out("exec", box, "ln", "-s", "/d/a", "/tmp/link")
    daemon.out("cp", f"{box}:/tmp/link", str(tmp_path / "nofollow"))
    assert os.path.islink(tmp_path / "nofollow")
    daemon.out("cp", "-L", f"{box}:/tmp/link", str(tmp_path / "follow"))
    assert (tmp_path / "follow").read_text() == "hi\n"


def test_symlinks_never_reach_the_host(daemon, box, tmp_path):
    marker = f"/tmp/barge-escape-{uuid.uuid4().hex[:8]}"
    f = tmp_path / "payload"
    f.write_text("payload")
    for via in ("/escape", "/up", "/up/..", "/escape/../.."):
        daemon.out("cp", str(f), f"{box}:{via}{marker}")
        assert not os.path.exists(marker), via
    inside = daemon.out("exec", box, "cat", marker)
    assert inside == "payload"
    # reading through them reads the container's files, not the host's
    host_secret = tmp_path / "secret"
    host_secret.write_text("host")
    for via in ("/escape", "/up"):
        r = daemon.cli("cp", f"{box}:{via}{host_secret}", str(tmp_path / "got"))
        assert r.returncode == 1 and b"Could not find the file" in r.stderr
    daemon.out("cp", f"{box}:/up/etc/passwd", str(tmp_path / "passwd"))
    assert (tmp_path / "passwd").read_text().endswith("new\n")
    # extracting a tar whose entries climb out, or go through a link, stays inside
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for n in ("../../../../tmp/barge-tar-escape", f"escape{marker}-2"):
            info = tarfile.TarInfo(n)
            info.size = 1
            t.addfile(info, io.BytesIO(b"x"))
    daemon.cli("cp", "-", f"{box}:/", input=buf.getvalue())
    assert not os.path.exists("/tmp/barge-tar-escape") and not os.path.exists(marker + "-2")


def test_cp_stopped_container_and_docker_cli(daemon, box, tmp_path):
    daemon.out("stop", "-t", "0", box)
    f = tmp_path / "f"
    f.write_text("stopped")
    r = docker(daemon, "cp", str(f), f"{box}:/tmp/f")
    assert r.returncode == 0, r.stderr
    r = docker(daemon, "cp", f"{box}:/tmp/f", str(tmp_path / "back"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "back").read_text() == "stopped"
    r = docker(daemon, "cp", str(f), f"{box}:/nodir/x")
    assert r.returncode == 1
    assert r.stderr.decode().strip() == f"Error response from daemon: Could not find the file /nodir in container {box}"
    with open("/proc/self/mountinfo") as m:
        assert "merged" not in "".join(l for l in m if daemon.data_root in l and box in l)


def test_diff(daemon, box):
    out = daemon.out("diff", box).splitlines()
    assert out == ["C /bin", "D /bin/ls", "A /d", "A /d/a", "A /d/sub", "A /d/sub/b", "A /escape",
                   "C /etc", "C /etc/passwd", "A /up"]
    r = docker(daemon, "diff", box)
    assert r.returncode == 0 and r.stdout.decode().splitlines() == out
    r = daemon.cli("diff", "nosuch-x")
    assert (r.returncode, r.stderr) == (1, b"Error response from daemon: No such container: nosuch-x\n")


def test_commit_running_container(daemon, box):
    ref = f"{name('commit')}:v1"
    out = daemon.out("commit", "-m", "msg here", "-a", "Me <me@x>", "-c", 'CMD ["cat", "/d/a"]',
                     "-c", "ENV BAR=2", box, ref).strip()
    assert out.startswith("sha256:") and len(out) == 71
    assert daemon.out("inspect", "-f", "{{.State.Status}}", box).strip() == "running"
    try:
        assert daemon.out("run", "--rm", ref) == "hi\n"
        r = daemon.cli("run", "--rm", ref, "ls")
        assert r.returncode == 127            # the deletion was committed too
        info = json.loads(daemon.out("image", "inspect", ref))[0]
        assert info["Comment"] == "msg here" and info["Author"] == "Me <me@x>"
        assert info["Config"]["Env"][-1] == "BAR=2" and info["Config"]["Cmd"] == ["cat", "/d/a"]
        assert info["Parent"].startswith("sha256:")
        hist = daemon.out("history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Comment}}", ref)
        assert hist.splitlines()[0] == f"sh -c {SETUP}sleep 1d|msg here"
        assert info["Id"] == out
    finally:
        daemon.cli("rmi", ref)
    r = daemon.cli("commit", "-c", "FROM x", box)
    assert (r.returncode, r.stderr) == (1, b"Error response from daemon: from is not a valid change command\n")


def test_docker_py(daemon, box):
    docker_mod = pytest.importorskip("docker")
    client = docker_mod.DockerClient(base_url=daemon.host, version="auto")
    c = client.containers.get(box)
    stream, st = c.get_archive("/d/a")
    assert st["name"] == "a" and st["size"] == 3
    names = tarfile.open(fileobj=io.BytesIO(b"".join(stream))).getnames()
    assert names == ["a"]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        info = tarfile.TarInfo("put")
        info.size = 2
        t.addfile(info, io.BytesIO(b"ok"))
    assert c.put_archive("/tmp", buf.getvalue()) is True
    assert {"Path": "/tmp/put", "Kind": 1} in c.diff()
    with pytest.raises(docker_mod.errors.NotFound):
        c.get_archive("/nope")
    img = c.commit(repository=name("dpy"), tag="t", message="py", conf={"Env": ["Z=1"]})
    try:
        assert "Z=1" in img.attrs["Config"]["Env"] and img.attrs["Comment"] == "py"
    finally:
        client.images.remove(img.id)
