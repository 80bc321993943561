"""Bad input and faults (issue 2): a clear error, a non-zero exit, Docker's
status codes and wording, and the store and other containers intact.

Every test ends by checking the daemon is still up, busybox is still listed,
a container started before the test still runs, and nothing half-written is
left in the store (no `.incomplete-*` layer, nothing in content/ingest, no new
image, layer or blob).
"""
from __future__ import annotations

import glob
import hashlib
import http.client
import io
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import uuid

import pytest

from barge_testlib import BARGE, Daemon, needs_root

# --- raw HTTP over the unix socket -------------------------------------------


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 30) -> None:
        super().__init__("localhost", timeout=timeout)
        self._unix_path = path

    def connect(self) -> None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self._unix_path)
        self.sock = s


def api(d: Daemon, method: str, path: str, body: bytes | None = None,
        content_type: str | None = "application/json") -> tuple[int, dict, bytes]:
    conn = UnixHTTPConnection(d.sock)
    try:
        headers = {}
        if body is not None and content_type:
            headers["Content-Type"] = content_type
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def api_error(d: Daemon, method: str, path: str, body: bytes | None = None,
              content_type: str | None = "application/json") -> tuple[int, str]:
    """Status and the `message` of Docker's JSON error body."""
    status, headers, data = api(d, method, path, body, content_type)
    assert status >= 400, (status, data)
    assert "application/json" in headers.get("content-type", ""), (headers, data)
    doc = json.loads(data)
    assert isinstance(doc, dict) and isinstance(doc.get("message"), str), data
    assert doc["message"], data
    return status, doc["message"]


# --- store state ----------------------------------------------------------------


def layer_dirs(d: Daemon) -> set[str]:
    root = os.path.join(d.data_root, "layers")
    return {n for n in os.listdir(root) if n not in ("l", "empty")}


def blobs(d: Daemon) -> set[str]:
    return set(os.listdir(os.path.join(d.data_root, "content", "blobs", "sha256")))


def image_ids(d: Daemon) -> dict[str, list[str]]:
    status, _, data = api(d, "GET", "/images/json?all=1")
    assert status == 200, data
    return {i["Id"]: sorted(i.get("RepoTags") or []) for i in json.loads(data)}


def db_rows(d: Daemon, sql: str) -> list[tuple]:
    db = sqlite3.connect(f"file:{os.path.join(d.data_root, 'metadata.db')}?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def snapshot(d: Daemon) -> dict:
    return {"images": image_ids(d), "layers": layer_dirs(d), "blobs": blobs(d)}


def assert_no_leftovers(d: Daemon) -> None:
    layers = os.path.join(d.data_root, "layers")
    incomplete = [n for n in os.listdir(layers) if n.startswith(".incomplete-")]
    assert not incomplete, f"unfinished layers left in the store: {incomplete}"
    ingest = os.path.join(d.data_root, "content", "ingest")
    left = os.listdir(ingest) if os.path.isdir(ingest) else []
    assert not left, f"files left in content/ingest: {left}"
    tmp = os.path.join(d.data_root, "tmp")
    left = os.listdir(tmp) if os.path.isdir(tmp) else []
    assert not left, f"work files left in {tmp}: {left}"
    # every layer the database knows is on disk, and every layer dir is known
    known = {r[0].removeprefix("sha256:") for r in db_rows(d, "SELECT chain_id FROM layers")}
    assert known == layer_dirs(d), (known, layer_dirs(d))


def assert_daemon_up(d: Daemon) -> None:
    assert d.proc is not None and d.proc.poll() is None, "barged died"
    r = d.cli("version")
    assert r.returncode == 0, r.stderr
    status, _, body = api(d, "GET", "/_ping")
    assert status == 200 and body == b"OK", (status, body)


def assert_running(d: Daemon, cid: str) -> None:
    out = d.out("inspect", "-f", "{{.State.Running}} {{.State.Pid}}", cid).split()
    assert out[0] == "true", f"container {cid[:12]} is not running: {out}"
    os.kill(int(out[1]), 0)


def assert_intact(d: Daemon, before: dict | None, bystander: str | None) -> None:
    """The daemon answers, busybox is listed and runs, nothing half-written
    is visible, and (with `before`) no image, layer or blob was added."""
    assert_daemon_up(d)
    assert "busybox:latest" in d.out("images", "--format", "{{.Repository}}:{{.Tag}}").split()
    assert_no_leftovers(d)
    if before is not None:
        assert image_ids(d) == before["images"], "the image list changed"
        assert layer_dirs(d) == before["layers"], "a layer was added or removed"
        assert blobs(d) == before["blobs"], "a blob was added or removed"
    if bystander:
        assert_running(d, bystander)


def no_traceback(stderr: bytes) -> str:
    text = stderr.decode(errors="replace")
    assert "Traceback" not in text, text
    return text


# --- archives built in the test ------------------------------------------------


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def tar_bytes(entries: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for info, data in entries:
            if data is not None:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    return buf.getvalue()


def entry(name: str, kind: bytes = tarfile.REGTYPE, data: bytes | None = None,
          linkname: str = "", mode: int = 0o644) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = 0o755 if kind == tarfile.DIRTYPE else mode
    info.mtime = 1700000000
    info.linkname = linkname
    return info, (data if kind == tarfile.REGTYPE else None)


def write_save_archive(path: str, layer_paths: list[str], tags: list[str],
                       manifest: bytes | None = None) -> str:
    """A `docker save` (Docker < 25) layout: manifest.json, <config>.json,
    <diffid>/layer.tar, repositories. Returns the image id."""
    hexes = [_file_sha(p) for p in layer_paths]
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {"Cmd": ["sh"], "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{h}" for h in hexes]},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "test"} for _ in hexes],
    }, separators=(",", ":")).encode()
    cfg = _sha(config)
    if manifest is None:
        manifest = json.dumps([{"Config": f"{cfg}.json", "RepoTags": tags,
                                "Layers": [f"{h}/layer.tar" for h in hexes]}]).encode()
    repos = {}
    for t in tags:
        repo, _, tag = t.rpartition(":")
        repos.setdefault(repo, {})[tag] = hexes[-1] if hexes else cfg
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:
        def add_bytes(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 1700000000
            tf.addfile(info, io.BytesIO(data))
        for h, p in zip(hexes, layer_paths):
            info = tarfile.TarInfo(h)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1700000000
            tf.addfile(info)
            info = tarfile.TarInfo(f"{h}/layer.tar")
            info.size, info.mode, info.mtime = os.path.getsize(p), 0o644, 1700000000
            with open(p, "rb") as f:
                tf.addfile(info, f)
        add_bytes(f"{cfg}.json", config)
        add_bytes("manifest.json", manifest)
        add_bytes("repositories", json.dumps(repos).encode())
    return f"sha256:{cfg}"


def write_layer(path: str, entries: list[tuple[tarfile.TarInfo, bytes | None]]) -> str:
    with open(path, "wb") as f:
        f.write(tar_bytes(entries))
    return path


def write_random_layer(path: str, size: int, name: str = "blob") -> str:
    """A layer holding one file of `size` random bytes, written in chunks."""
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, 0o644, 1700000000

        class _Random(io.RawIOBase):
            def __init__(self) -> None:
                self.left = size

            def readable(self) -> bool:
                return True

            def readinto(self, b) -> int:
                n = min(len(b), self.left)
                b[:n] = os.urandom(n)
                self.left -= n
                return n
        tf.addfile(info, io.BufferedReader(_Random(), 1 << 20))
    return path


def write_many_files_layer(path: str, count: int) -> str:
    """A layer of many small files: slow to unpack, so a kill lands mid-way."""
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tf:
        for i in range(count // 500):
            info = tarfile.TarInfo(f"d{i}")
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1700000000
            tf.addfile(info)
            for j in range(500):
                data = f"{i}-{j}-{uuid.uuid4().hex}\n".encode()
                info = tarfile.TarInfo(f"d{i}/f{j}")
                info.size, info.mode, info.mtime = len(data), 0o644, 1700000000
                tf.addfile(info, io.BytesIO(data))
    return path


# --- fixtures -----------------------------------------------------------------


@pytest.fixture
def scratch():
    p = tempfile.mkdtemp(prefix="barge-faults-")
    try:
        yield p
    finally:
        shutil.rmtree(p, ignore_errors=True)


@pytest.fixture(scope="module")
def bystander(daemon):
    """A container that runs through every test of this module."""
    cid = daemon.out("run", "-d", "--name", f"bystander-{uuid.uuid4().hex[:6]}",
                     "busybox", "sleep", "1d").strip()
    try:
        yield cid
    finally:
        daemon.cli("rm", "-f", cid)


@pytest.fixture
def names(daemon):
    """Unique container names, removed afterwards."""
    made: list[str] = []

    def new(prefix: str = "fault") -> str:
        n = f"{prefix}-{uuid.uuid4().hex[:8]}"
        made.append(n)
        return n
    yield new
    for n in made:
        daemon.cli("rm", "-f", n)


@pytest.fixture
def ctr_guard(daemon):
    """Containers present before the test; any a failing test made are removed."""
    before = daemon.out("ps", "-aq", "--no-trunc").split()
    yield before
    extra = [c for c in daemon.out("ps", "-aq", "--no-trunc").split() if c not in before]
    if extra:
        daemon.cli("rm", "-f", *extra)


# --- API: unknown objects, conflicts, bad bodies, versions -------------------------


def test_create_unknown_image(daemon, bystander):
    before = snapshot(daemon)
    status, msg = api_error(daemon, "POST", "/containers/create",
                            json.dumps({"Image": "nosuch:1", "Cmd": ["true"]}).encode())
    assert status == 404
    assert msg == "No such image: nosuch:1"
    # the CLI: exit 1 (create, unlike run, is not 125) and the daemon's words
    r = daemon.cli("create", "nosuch:1")
    assert r.returncode == 1
    assert "No such image: nosuch:1" in no_traceback(r.stderr) or "nosuch:1" in r.stderr.decode()
    assert_intact(daemon, before, bystander)


@pytest.mark.parametrize("method,path", [
    ("GET", "/containers/{}/json"),
    ("POST", "/containers/{}/start"),
    ("POST", "/containers/{}/stop"),
    ("POST", "/containers/{}/kill"),
    ("DELETE", "/containers/{}"),
    ("GET", "/containers/{}/logs?stdout=1"),
    ("POST", "/containers/{}/wait"),
])
def test_unknown_container(daemon, bystander, method, path):
    name = f"nosuch{uuid.uuid4().hex[:6]}"
    for prefix in ("", "/v1.45", "/v1.24"):
        status, msg = api_error(daemon, method, prefix + path.format(name))
        assert status == 404, (prefix, msg)
        # Docker's kill router wraps every error it returns
        want = f"No such container: {name}"
        assert msg == (f"Cannot kill container: {name}: {want}" if path.endswith("/kill") else want)
    assert_intact(daemon, None, bystander)


@pytest.mark.parametrize("args", [["inspect"], ["start"], ["stop"], ["kill"], ["rm"],
                                  ["logs"], ["wait"]])
def test_unknown_container_cli(daemon, bystander, args):
    r = daemon.cli(*args, "nosuchctr")
    assert r.returncode == 1, r
    assert "No such container: nosuchctr" in no_traceback(r.stderr) or \
        "No such object: nosuchctr" in r.stderr.decode()


def test_name_in_use(daemon, bystander, names):
    name = names()
    cid = daemon.out("create", "--name", name, "busybox", "true").strip()
    body = json.dumps({"Image": "busybox", "Cmd": ["true"]}).encode()
    status, msg = api_error(daemon, "POST", f"/containers/create?name={name}", body)
    assert status == 409
    assert msg == (f'Conflict. The container name "/{name}" is already in use by container '
                   f'"{cid}". You have to remove (or rename) that container to be able to '
                   f'reuse that name.')
    r = daemon.cli("run", "--name", name, "busybox", "true")
    assert r.returncode == 125
    assert f'The container name "/{name}" is already in use' in no_traceback(r.stderr)
    # only the first one exists
    rows = daemon.out("ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}}").splitlines()
    assert [r.split()[0] for r in rows if r.split()[1] == name] == [cid]
    assert_intact(daemon, None, bystander)


def test_rm_running_without_force(daemon, bystander, names):
    name = names()
    cid = daemon.out("run", "-d", "--name", name, "busybox", "sleep", "1d").strip()
    status, msg = api_error(daemon, "DELETE", f"/containers/{name}")
    assert status == 409
    assert "running" in msg and "stop" in msg.lower() and "force" in msg, msg
    r = daemon.cli("rm", name)
    assert r.returncode == 1
    assert "running" in no_traceback(r.stderr)
    assert_running(daemon, cid)
    assert daemon.cli("rm", "-f", name).returncode == 0
    assert_intact(daemon, None, bystander)


@pytest.mark.parametrize("bad", ["bad/name", "-leading", "sp ace", "é"])
def test_invalid_name(daemon, bystander, ctr_guard, bad):
    from urllib.parse import quote
    body = json.dumps({"Image": "busybox", "Cmd": ["true"]}).encode()
    before = ctr_guard
    status, msg = api_error(daemon, "POST", f"/containers/create?name={quote(bad)}", body)
    assert status == 400
    assert msg == f"Invalid container name ({bad}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
    assert daemon.out("ps", "-aq", "--no-trunc").split() == before
    assert_intact(daemon, None, bystander)


@pytest.mark.parametrize("body", [
    b"{not json",
    b'{"Image": "busybox", "Cmd": ["true"]',          # cut short
    b"\xff\xfe\x00garbage",
    b"",
])
def test_malformed_json_body(daemon, bystander, ctr_guard, body):
    before = ctr_guard
    status, msg = api_error(daemon, "POST", "/containers/create", body)
    assert status == 400, msg
    assert daemon.out("ps", "-aq", "--no-trunc").split() == before
    assert_intact(daemon, None, bystander)


@pytest.mark.parametrize("body", [b"[1, 2]", b'"busybox"', b"42", b"null", b"true"])
def test_json_body_not_an_object(daemon, bystander, ctr_guard, body):
    before = ctr_guard
    status, msg = api_error(daemon, "POST", "/containers/create", body)
    assert status == 400, msg
    if body == b"null":
        assert msg.lower() == "config cannot be empty in order to create a container"
    assert daemon.out("ps", "-aq", "--no-trunc").split() == before
    assert_intact(daemon, None, bystander)


@pytest.mark.parametrize("body", [
    b'{"Image": 5}',
    b'{"Image": "busybox", "Cmd": "true", "Env": {"A": 1}}',
    b'{"Image": "busybox", "HostConfig": []}',
    b'{"Image": "busybox", "Labels": ["a"]}',
])
def test_json_body_wrong_field_types(daemon, bystander, ctr_guard, body):
    before = ctr_guard
    status, msg = api_error(daemon, "POST", "/containers/create", body)
    assert status == 400, msg
    assert daemon.out("ps", "-aq", "--no-trunc").split() == before
    assert_intact(daemon, None, bystander)


def test_invalid_cli_flag(daemon, bystander):
    r = daemon.cli("run", "--nope", "busybox", "true")
    assert r.returncode == 125
    err = no_traceback(r.stderr)
    assert "unknown flag: --nope" in err
    assert "run --help" in err
    # Docker answers every flag error with 125, whatever the command
    r = daemon.cli("ps", "--nope")
    assert r.returncode == 125
    err = no_traceback(r.stderr)
    assert "unknown flag: --nope" in err and "ps --help" in err
    assert_intact(daemon, None, bystander)


def test_client_version_too_new(daemon, bystander):
    status, msg = api_error(daemon, "GET", "/v1.99/version")
    assert status == 400
    assert msg == "client version 1.99 is too new. Maximum supported API version is 1.45"


def test_client_version_too_old(daemon, bystander):
    status, msg = api_error(daemon, "GET", "/v1.12/version")
    assert status == 400
    assert msg == ("client version 1.12 is too old. Minimum supported API version is 1.24, "
                   "please upgrade your client to a newer version")
    assert_intact(daemon, None, bystander)


# --- load ------------------------------------------------------------------------


def _load_fails(d: Daemon, path: str) -> str:
    r = d.cli("load", "-i", path)
    err = no_traceback(r.stderr)
    assert r.returncode != 0, (r.stdout, err)
    assert err.strip(), "no error message"
    assert "Loaded image" not in r.stdout.decode()
    return err


def test_load_garbage(daemon, bystander, scratch):
    before = snapshot(daemon)
    p = os.path.join(scratch, "garbage.tar")
    with open(p, "wb") as f:
        f.write(b"this is not a tar archive\n" * 40 + os.urandom(20000))
    err = _load_fails(daemon, p)
    assert "invalid" in err.lower() or "tar" in err.lower(), err
    # empty input too
    empty = os.path.join(scratch, "empty.tar")
    open(empty, "wb").close()
    _load_fails(daemon, empty)
    assert_intact(daemon, before, bystander)


def test_load_truncated(daemon, bystander, scratch):
    before = snapshot(daemon)
    layer = write_random_layer(os.path.join(scratch, "layer.tar"), 1 << 20)
    full = os.path.join(scratch, "full.tar")
    write_save_archive(full, [layer], [f"trunc{uuid.uuid4().hex[:6]}:1"])
    size = os.path.getsize(full)
    with tarfile.open(full) as tf:
        last = tf.getmembers()[-1]
    # in the layer; one byte short of the last file's data; inside a header
    for cut in (size // 2, last.offset_data + last.size - 1, 700):
        p = os.path.join(scratch, f"cut{cut}.tar")
        with open(full, "rb") as src, open(p, "wb") as dst:
            dst.write(src.read(cut))
        err = _load_fails(daemon, p)
        assert "unexpected" in err.lower() or "truncated" in err.lower() or "EOF" in err, err
    assert_intact(daemon, before, bystander)


def test_load_manifest_not_json(daemon, bystander, scratch):
    before = snapshot(daemon)
    layer = write_random_layer(os.path.join(scratch, "layer.tar"), 4096)
    for i, manifest in enumerate([b"{this is not json", b'{"Config": "x"}', b"[]",
                                  b'[{"Config": "../../etc/passwd", "Layers": []}]']):
        p = os.path.join(scratch, f"m{i}.tar")
        write_save_archive(p, [layer], ["badmanifest:1"], manifest=manifest)
        err = _load_fails(daemon, p)
        assert "manifest" in err.lower() or "json" in err.lower(), err
    assert_intact(daemon, before, bystander)


def _evil_paths(d: Daemon, target: str) -> list[str]:
    """Where a `../../etc/evil` entry could land from any directory barge unpacks in."""
    rel = target.lstrip("/")
    out = [os.path.join("/", rel)]
    for root in (d.data_root, os.path.join(d.data_root, "layers"),
                 os.path.join(d.data_root, "tmp"), os.path.join(d.data_root, "content")):
        out.append(os.path.join(root, rel))
    return out


def _outside_layers(d: Daemon, name: str) -> list[str]:
    """Files called `name` anywhere under the data root but inside no layer."""
    hits = glob.glob(os.path.join(d.data_root, "**", name), recursive=True)
    layers = os.path.join(d.data_root, "layers")
    inside = re.compile(re.escape(layers) + r"/([0-9a-f]{64}/diff|l/[A-Z0-9]+)/")
    return [h for h in hits if not inside.match(h)]


@pytest.mark.parametrize("case", ["dotdot", "deep-dotdot", "symlink-relative", "symlink-absolute",
                                  "hardlink", "outer-dotdot"])
def test_load_path_traversal(daemon, bystander, scratch, case):
    """Hostile layer entries: refused with a clear error, nothing written
    outside the layer, no image or layer added.

    Docker (which unpacks in a chroot) loads `../../etc/evil` as `/etc/evil`
    inside the layer, and fails the symlink cases with "open /esc/evil: no such
    file or directory" because the link's target is not in the layer; barge's
    design and this issue ask for a refusal, so a refusal is what is checked.
    """
    before = snapshot(daemon)
    tag = uuid.uuid4().hex[:8]
    ref = f"evil{tag}:1"
    host_dir = f"/tmp/barge-evil-{tag}"       # exists: a naive write-through would land in it
    host_file = f"/tmp/barge-evil-{tag}.txt"  # must never appear
    os.mkdir(host_dir)
    try:
        ok = entry("ok.txt", data=b"fine\n")
        watch = [host_file, os.path.join(host_dir, "evil")]
        if case == "dotdot":
            entries = [ok, entry("../../etc/evil", data=b"pwned\n")]
            watch += _evil_paths(daemon, "etc/evil")
        elif case == "deep-dotdot":
            entries = [ok, entry("../" * 20 + host_file.lstrip("/"), data=b"pwned\n")]
        elif case == "symlink-relative":
            entries = [ok, entry("esc", tarfile.SYMTYPE, linkname="../" * 20 + host_dir.lstrip("/")),
                       entry("esc/evil", data=b"pwned\n")]
        elif case == "symlink-absolute":
            entries = [ok, entry("esc", tarfile.SYMTYPE, linkname=host_dir),
                       entry("esc/evil", data=b"pwned\n")]
        elif case == "hardlink":
            entries = [ok, entry("pw", tarfile.LNKTYPE, linkname="../../../../../../etc/passwd")]
        else:
            entries = [ok]
        layer = write_layer(os.path.join(scratch, "layer.tar"), entries)
        archive = os.path.join(scratch, "evil.tar")
        write_save_archive(archive, [layer], [ref])
        if case == "outer-dotdot":
            # an entry of the outer archive itself climbs out
            with tarfile.open(archive, "a") as tf:
                info = tarfile.TarInfo("../" * 20 + host_file.lstrip("/"))
                info.size = 6
                tf.addfile(info, io.BytesIO(b"pwned\n"))
        passwd = open("/etc/passwd", "rb").read()
        r = daemon.cli("load", "-i", archive)
        err = no_traceback(r.stderr)
        # nothing on the host, whatever the outcome
        for p in watch:
            assert not os.path.lexists(p), f"{case}: {p} was written outside the layer"
        assert os.listdir(host_dir) == []
        assert open("/etc/passwd", "rb").read() == passwd
        assert not _outside_layers(daemon, "evil")
        assert not _outside_layers(daemon, os.path.basename(host_file))
        # a clear refusal
        assert r.returncode != 0, f"{case}: loaded: {r.stdout!r}"
        assert "Loaded image" not in r.stdout.decode()
        assert any(w in err.lower() for w in ("escape", "outside", "breakout", "invalid")), err
        assert_intact(daemon, before, bystander)
    finally:
        daemon.cli("rmi", "-f", ref)
        shutil.rmtree(host_dir, ignore_errors=True)
        if os.path.lexists(host_file):
            os.unlink(host_file)


def test_load_symlink_write_through_stays_inside(daemon, bystander, scratch):
    """Symlinks (absolute and climbing) to a directory the layer itself holds,
    then writes through them: Docker loads this, resolving each link inside
    the layer root. The files land in the layer, never on the host."""
    tag = uuid.uuid4().hex[:8]
    host_dir = f"/tmp/barge-evil-{tag}"
    os.mkdir(host_dir)
    ref = f"inlink{tag}:1"
    try:
        entries = [entry("tmp", tarfile.DIRTYPE), entry(host_dir.lstrip("/"), tarfile.DIRTYPE),
                   entry("abs", tarfile.SYMTYPE, linkname=host_dir),
                   entry("abs/evil", data=b"one\n"),
                   entry("rel", tarfile.SYMTYPE, linkname="../" * 20 + host_dir.lstrip("/")),
                   entry("rel/evil2", data=b"two\n")]
        layer = write_layer(os.path.join(scratch, "layer.tar"), entries)
        archive = os.path.join(scratch, "in.tar")
        write_save_archive(archive, [layer], [ref])
        r = daemon.cli("load", "-i", archive)
        no_traceback(r.stderr)
        assert os.listdir(host_dir) == [], "a write went through a symlink to the host"
        assert r.returncode == 0, r.stderr
        assert r.stdout.decode() == f"Loaded image: {ref}\n"
        diffs = glob.glob(os.path.join(daemon.data_root, "layers", "*", "diff", host_dir.lstrip("/")))
        found = {n for d in diffs for n in os.listdir(d)}
        assert {"evil", "evil2"} <= found, diffs
        assert_intact(daemon, None, bystander)
    finally:
        daemon.cli("rmi", "-f", ref)
        shutil.rmtree(host_dir, ignore_errors=True)


def test_load_layer_digest_mismatch(daemon, bystander, scratch):
    """A layer whose content is not what the config's diff_ids say."""
    before = snapshot(daemon)
    good = write_random_layer(os.path.join(scratch, "good.tar"), 4096)
    archive = os.path.join(scratch, "mismatch.tar")
    write_save_archive(archive, [good], ["mismatch:1"])
    # swap the layer's bytes for another valid tar of the same size
    other = write_random_layer(os.path.join(scratch, "other.tar"), 4096)
    with tarfile.open(archive) as tf:
        members = [(m, tf.extractfile(m).read() if m.isfile() else None) for m in tf.getmembers()]
    with tarfile.open(archive, "w") as tf:
        for m, data in members:
            if m.name.endswith("layer.tar"):
                data = open(other, "rb").read()
            tf.addfile(m, io.BytesIO(data) if data is not None else None)
    err = _load_fails(daemon, archive)
    assert "diff" in err.lower() or "digest" in err.lower() or "match" in err.lower(), err
    assert_intact(daemon, before, bystander)


# --- import ------------------------------------------------------------------------


def test_import_truncated(daemon, bystander, scratch):
    before = snapshot(daemon)
    full = tar_bytes([entry("etc", tarfile.DIRTYPE), entry("etc/a", data=os.urandom(300000)),
                      entry("etc/b", data=b"b\n")])
    p = os.path.join(scratch, "trunc.tar")
    with open(p, "wb") as f:
        f.write(full[: len(full) // 2])
    ref = f"imptrunc{uuid.uuid4().hex[:6]}:1"
    r = daemon.cli("import", p, ref)
    err = no_traceback(r.stderr)
    assert r.returncode != 0, (r.stdout, err)
    assert "unexpected" in err.lower() or "truncated" in err.lower() or "EOF" in err, err
    # and from stdin
    r = daemon.cli("import", "-", ref, input=full[: len(full) // 3])
    assert r.returncode != 0
    no_traceback(r.stderr)
    assert daemon.cli("image", "inspect", ref).returncode != 0
    assert_intact(daemon, before, bystander)


def test_import_garbage(daemon, bystander, scratch):
    before = snapshot(daemon)
    p = os.path.join(scratch, "garbage.tar")
    with open(p, "wb") as f:
        f.write(b"\x00not a tar" + os.urandom(5000))
    ref = f"impgarbage{uuid.uuid4().hex[:6]}:1"
    r = daemon.cli("import", p, ref)
    err = no_traceback(r.stderr)
    assert r.returncode != 0, (r.stdout, err)
    assert err.strip()
    r = daemon.cli("import", "-", ref, input=b"gzip? no." * 1000)
    assert r.returncode != 0
    no_traceback(r.stderr)
    assert daemon.cli("image", "inspect", ref).returncode != 0
    assert_intact(daemon, before, bystander)


def test_import_path_traversal(daemon, bystander, scratch):
    before = snapshot(daemon)
    tag = uuid.uuid4().hex[:8]
    host_file = f"/tmp/barge-evil-{tag}.txt"
    p = write_layer(os.path.join(scratch, "evil.tar"),
                    [entry("ok", data=b"ok\n"), entry("../" * 20 + host_file.lstrip("/"), data=b"x")])
    try:
        r = daemon.cli("import", p, f"impevil{tag}:1")
        no_traceback(r.stderr)
        assert r.returncode != 0
        assert not os.path.lexists(host_file)
        assert_intact(daemon, before, bystander)
    finally:
        if os.path.lexists(host_file):
            os.unlink(host_file)


# --- disk full -----------------------------------------------------------------------


@pytest.fixture
def tmpfs_daemon():
    """A daemon whose data root is a 24 MiB tmpfs, with busybox imported."""
    needs_root()
    mnt = tempfile.mkdtemp(prefix="barge-tmpfs-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m,mode=0711", "tmpfs", mnt], check=True)
    d = Daemon(data_root=mnt)
    try:
        d.start()
        d.make_busybox()
        yield d
    finally:
        try:
            d.destroy()
        finally:
            if os.path.ismount(mnt):
                subprocess.run(["umount", "-l", mnt], check=False)
            shutil.rmtree(mnt, ignore_errors=True)


def _free(path: str) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


# 40 MiB: fails while the archive is received; 3/4 of the free space: the
# archive fits, the layer's unpack and blob then fill the disk.
@pytest.mark.parametrize("size", ["bigger-than-disk", "fills-during-unpack"])
def test_disk_full_during_load(tmpfs_daemon, scratch, size):
    d = tmpfs_daemon
    ctr = d.out("run", "-d", "busybox", "sleep", "1d").strip()
    before = snapshot(d)
    free = _free(d.data_root)
    n = (40 << 20) if size == "bigger-than-disk" else int(free * 0.75)
    layer = write_random_layer(os.path.join(scratch, "layer.tar"), n)
    archive = os.path.join(scratch, "big.tar")
    write_save_archive(archive, [layer], ["toobig:1"])
    os.unlink(layer)
    err = _load_fails(d, archive)
    assert "no space left on device" in err.lower(), err
    assert d.cli("image", "inspect", "toobig:1").returncode != 0
    assert_intact(d, before, ctr)
    # the space is given back, and the daemon still works on this disk
    assert _free(d.data_root) >= free - (1 << 20), (free, _free(d.data_root))
    r = d.cli("run", "--rm", "busybox", "echo", "still here")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"still here\n"
    d.cli("rm", "-f", ctr)


# --- SIGKILL of barged ------------------------------------------------------------------


def _wait_for(pred, timeout: float, what: str, interval: float = 0.005):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def _check_after_crash(d: Daemon, before: dict, new_ref: str, ctr: str) -> None:
    assert_daemon_up(d)
    assert_no_leftovers(d)
    after = snapshot(d)
    added = set(after["images"]) - set(before["images"])
    assert set(before["images"]) <= set(after["images"])
    if added:
        # the whole new image, never half of one: it inspects, saves and has its layers
        assert len(added) == 1, added
        out = json.loads(d.out("image", "inspect", new_ref))
        assert out[0]["Id"] in added
        r = subprocess.run([BARGE, "save", new_ref], capture_output=True, env=d.env(), timeout=60)
        assert r.returncode == 0, r.stderr
        d.cli("rmi", new_ref, check=True)
    else:
        assert after["layers"] == before["layers"]
        assert d.cli("image", "inspect", new_ref).returncode != 0
    assert "busybox:latest" in d.out("images", "--format", "{{.Repository}}:{{.Tag}}").split()
    assert d.out("ps", "--filter", f"id={ctr}", "--format", "{{.Status}}").startswith("Up")
    assert_running(d, ctr)
    r = d.cli("run", "--rm", "busybox", "echo", "alive")
    assert r.returncode == 0 and r.stdout == b"alive\n", r.stderr


def test_sigkill_during_load_upload(fresh_daemon, scratch):
    """Killed while the archive is still arriving (a client sending slowly)."""
    d = fresh_daemon
    ctr = d.out("run", "-d", "busybox", "sleep", "1d").strip()
    before = snapshot(d)
    layer = write_random_layer(os.path.join(scratch, "layer.tar"), 8 << 20)
    archive = os.path.join(scratch, "big.tar")
    write_save_archive(archive, [layer], ["crashload:1"])
    size = os.path.getsize(archive)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(d.sock)
    try:
        s.sendall(b"POST /v1.45/images/load?quiet=1 HTTP/1.1\r\nHost: localhost\r\n"
                  b"Content-Type: application/x-tar\r\n"
                  + f"Content-Length: {size}\r\n\r\n".encode())
        with open(archive, "rb") as f:
            s.sendall(f.read(size // 2))
        tmp = os.path.join(d.data_root, "tmp")
        _wait_for(lambda: os.path.isdir(tmp) and any(os.scandir(tmp)), 10, "the load to start")
        time.sleep(0.2)
        d.stop(signal.SIGKILL)
    finally:
        s.close()
    d.start()
    _check_after_crash(d, before, "crashload:1", ctr)
    assert d.cli("image", "inspect", "crashload:1").returncode != 0
    d.cli("rm", "-f", ctr)


def test_sigkill_during_layer_unpack(fresh_daemon, scratch):
    """Killed while a layer is unpacked (a `.incomplete-*` dir exists)."""
    d = fresh_daemon
    ctr = d.out("run", "-d", "busybox", "sleep", "1d").strip()
    before = snapshot(d)
    layer = write_many_files_layer(os.path.join(scratch, "layer.tar"), 15000)
    archive = os.path.join(scratch, "many.tar")
    write_save_archive(archive, [layer], ["crashunpack:1"])
    layers = os.path.join(d.data_root, "layers")
    loader = subprocess.Popen([BARGE, "load", "-i", archive], env=d.env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        def unpacking():
            for n in os.listdir(layers):
                if n.startswith(".incomplete-") and os.path.isdir(os.path.join(layers, n, "diff", "d2")):
                    return True
            return loader.poll() is not None and "done"
        got = _wait_for(unpacking, 30, "the layer unpack to start")
        assert got is True, "the load finished before the kill; make the layer bigger"
        d.stop(signal.SIGKILL)
        out, err = loader.communicate(timeout=30)
    finally:
        if loader.poll() is None:
            loader.kill()
            loader.wait()
    assert any(n.startswith(".incomplete-") for n in os.listdir(layers)), "kill missed the unpack"
    d.start()
    _check_after_crash(d, before, "crashunpack:1", ctr)
    d.cli("rm", "-f", ctr)
    # the client saw the daemon go away mid-answer: Docker's CLI says
    # "unexpected EOF" and exits 1
    assert b"Traceback" not in err, err
    assert loader.returncode != 0, f"the load claimed success though the daemon died: {out!r} {err!r}"
    assert err.strip(), "no error message"


def test_sigkill_with_running_containers(fresh_daemon):
    d = fresh_daemon
    script = ("trap 'echo bye; exit 7' TERM; i=0; "
              "while true; do echo line$i; i=$((i+1)); sleep 0.1; done")
    runner = d.out("run", "-d", "--name", "runner", "busybox", "sh", "-c", script).strip()
    quitter = d.out("run", "-d", "--name", "quitter", "busybox", "sh", "-c",
                    "sleep 1; echo done; exit 3").strip()
    pid = int(d.out("inspect", "-f", "{{.State.Pid}}", runner))
    qpid = int(d.out("inspect", "-f", "{{.State.Pid}}", quitter))
    _wait_for(lambda: "line3" in d.out("logs", runner), 10, "the first log lines")

    d.stop(signal.SIGKILL)
    os.kill(pid, 0)      # the container outlives its daemon

    def gone(p: int) -> bool:
        try:
            os.kill(p, 0)
            return False
        except ProcessLookupError:
            return True
    _wait_for(lambda: gone(qpid), 10, "quitter to exit while the daemon is down", 0.05)
    time.sleep(0.3)      # runner keeps logging with no daemon
    os.kill(pid, 0)
    d.start()

    # re-adopted: Up, same pid
    status = d.out("ps", "--filter", "name=runner", "--format", "{{.Status}}").strip()
    assert status.startswith("Up"), status
    assert int(d.out("inspect", "-f", "{{.State.Pid}}", runner)) == pid
    # the one that died meanwhile: Exited with its real code
    assert d.out("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}",
                 quitter).split() == ["exited", "3", "false"]
    st = d.out("ps", "-a", "--filter", "name=quitter", "--format", "{{.Status}}").strip()
    assert st.startswith("Exited (3)"), st
    assert d.out("logs", quitter) == "done\n"
    assert d.out("wait", quitter).strip() == "3"

    # logs continue, with what was written while the daemon was down
    def last_n() -> int:
        lines = [x for x in d.out("logs", runner).split() if x.startswith("line")]
        nums = [int(x[4:]) for x in lines]
        assert nums == list(range(len(nums))), "log lines lost or out of order"
        return nums[-1]
    n0 = last_n()
    _wait_for(lambda: last_n() > n0 + 2, 10, "new log lines after the restart", 0.05)

    # wait, then stop: the trap's exit code comes back
    waiter = subprocess.Popen([BARGE, "wait", runner], env=d.env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(0.3)
        r = d.cli("stop", "-t", "5", runner)
        assert r.returncode == 0, r.stderr
        out, err = waiter.communicate(timeout=15)
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.wait()
    assert waiter.returncode == 0, err
    assert out.decode().strip() == "7"
    assert d.out("inspect", "-f", "{{.State.ExitCode}}", runner).strip() == "7"
    assert "bye" in d.out("logs", "--tail", "1", runner)
    assert gone(pid)
    assert_no_leftovers(d)
    d.cli("rm", "-f", runner, quitter)
