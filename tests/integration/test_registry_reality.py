"""barge against registries for real: barge's own registry over TLS, many
layers and a 200 MB layer, a manifest list, an OCI index and a zstd layer
made by hand, skopeo as a peer; and the faults (a registry that is down,
one killed mid-push, barged killed mid-pull, a download cut short). All
traffic stays on 127.0.0.1."""
from __future__ import annotations

import hashlib
import http.client
import http.server
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import threading
import time
import uuid

import pytest

from barge_testlib import untag_new, BARGE, BargeRegistry, barge_registry

CERTS_D = "/etc/barge/certs.d"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"


@pytest.fixture(autouse=True)
def _leave_no_tags(daemon):
    with untag_new(daemon):
        yield


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _uid() -> str:
    return uuid.uuid4().hex[:8]


def cli(d, *args, timeout: float = 120, input: bytes | None = None) -> subprocess.CompletedProcess:
    return d.cli(*args, timeout=timeout, input=input)


def ok(d, *args, timeout: float = 120) -> str:
    r = cli(d, *args, timeout=timeout)
    assert r.returncode == 0, f"barge {' '.join(args)}: {r.stderr.decode()[-2000:]}"
    return r.stdout.decode()


def image_id(d, ref: str) -> str:
    return ok(d, "image", "inspect", "-f", "{{.Id}}", ref).strip()


def build(d, tmp_path, tag: str, dockerfile: str, timeout: float = 180) -> str:
    ctx = tmp_path / f"ctx-{_uid()}"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(dockerfile)
    ok(d, "build", "-q", "-t", tag, str(ctx), timeout=timeout)
    return image_id(d, tag)


def rmi(d, *refs: str) -> None:
    for ref in refs:
        cli(d, "rmi", "-f", ref)


class Http:
    """Plain HTTP to a registry on 127.0.0.1 (what a test uses to craft content)."""

    def __init__(self, addr: str) -> None:
        self.host, port = addr.rsplit(":", 1)
        self.port = int(port)

    def req(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, dict(r.headers), r.read()
        finally:
            conn.close()

    def blob(self, repo: str, data: bytes) -> dict:
        status, _, body = self.req("POST", f"/v2/{repo}/blobs/uploads/?digest={sha(data)}", data,
                                   {"Content-Type": "application/octet-stream"})
        assert status == 201, body
        return {"digest": sha(data), "size": len(data)}

    def manifest(self, repo: str, ref: str, media_type: str) -> bytes:
        status, _, body = self.req("GET", f"/v2/{repo}/manifests/{ref}", headers={"Accept": media_type})
        assert status == 200, body
        return body

    def put_manifest(self, repo: str, ref: str, doc: dict, media_type: str) -> dict:
        raw = json.dumps(doc).encode()
        status, _, body = self.req("PUT", f"/v2/{repo}/manifests/{ref}", raw, {"Content-Type": media_type})
        assert status == 201, body
        return {"mediaType": media_type, "digest": sha(raw), "size": len(raw)}


def registry_is_sound(root: str) -> None:
    """Every committed blob's content matches its name; every manifest's blobs are there."""
    blobs = os.path.join(root, "blobs", "sha256")
    for name in os.listdir(blobs):
        h = hashlib.sha256()
        with open(os.path.join(blobs, name), "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
        assert h.hexdigest() == name, f"corrupt blob {name}"
    for repo, _, files in os.walk(os.path.join(root, "repositories")):
        if repo.endswith("/_manifests/revisions"):
            for digest in files:
                doc = json.load(open(os.path.join(blobs, digest.removeprefix("sha256:"))))
                for desc in [doc.get("config")] + (doc.get("layers") or []) + (doc.get("manifests") or []):
                    if desc:
                        assert os.path.exists(os.path.join(blobs, desc["digest"][7:])), desc


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def reg(tmp_path_factory):
    with barge_registry(str(tmp_path_factory.mktemp("reg") / "root")) as r:
        yield r


# --- TLS ------------------------------------------------------------------------------------------

def test_tls_push_rmi_pull_run_with_certs_d(daemon, tmp_path):
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    made_dirs = [d for d in (CERTS_D, os.path.dirname(CERTS_D)) if not os.path.exists(d)]
    with barge_registry(str(tmp_path / "root"), "--tls-cert", cert, "--tls-key", key) as r:
        certs = os.path.join(CERTS_D, r.addr)
        ref = f"{r.addr}/tls/bb:{_uid()}"
        ok(daemon, "tag", "busybox", ref)
        try:
            # no CA: a clear certificate error, not a fallback to plain HTTP's confusion
            p = cli(daemon, "push", ref)
            assert p.returncode != 0
            assert "x509" in p.stderr.decode() or "certificate" in p.stderr.decode(), p.stderr
            os.makedirs(certs)
            shutil.copy(cert, os.path.join(certs, "ca.crt"))
            assert "digest: sha256:" in ok(daemon, "push", ref)
            want = image_id(daemon, ref)
            ok(daemon, "rmi", ref)
            assert "Downloaded newer image" in ok(daemon, "pull", ref)
            assert image_id(daemon, ref) == want
            assert ok(daemon, "run", "--rm", ref, "echo", "over tls") == "over tls\n"
            ok(daemon, "rmi", ref)
            shutil.rmtree(certs)
            p = cli(daemon, "pull", ref)
            err = p.stderr.decode()
            assert p.returncode == 1 and "x509: certificate signed by unknown authority" in err, err
        finally:
            shutil.rmtree(certs, ignore_errors=True)
            rmi(daemon, ref)
    for made in made_dirs:                  # only the dirs this test created
        if os.path.isdir(made) and not os.listdir(made):
            os.rmdir(made)


# --- many layers, a big layer -------------------------------------------------------------------------

def _round_trip(d, reg, tag: str) -> str:
    """push, rmi, pull: the same image id comes back."""
    ref = f"{reg.addr}/{tag}"
    ok(d, "tag", tag, ref)
    want = image_id(d, ref)
    assert "digest: sha256:" in ok(d, "push", ref, timeout=180)
    rmi(d, ref, tag)
    assert not cli(d, "image", "inspect", want).returncode == 0, "rmi left the image"
    out = ok(d, "pull", ref, timeout=180)
    assert "Downloaded newer image" in out
    assert image_id(d, ref) == want
    return ref


def test_thirty_layers(daemon, reg, tmp_path):
    tag = f"many-{_uid()}:1"
    steps = "".join(f"RUN echo {i} > /f{i}\n" for i in range(30))
    build(daemon, tmp_path, tag, "FROM busybox\n" + steps)
    ref = tag
    try:
        ref = _round_trip(daemon, reg, tag)
        layers = json.loads(ok(daemon, "image", "inspect", "-f", "{{json .RootFS.Layers}}", ref))
        assert len(layers) == 31
        assert ok(daemon, "run", "--rm", ref, "cat", "/f0", "/f17", "/f29") == "0\n17\n29\n"
    finally:
        rmi(daemon, ref, tag)


@pytest.mark.slow
def test_one_200mb_layer(daemon, reg, tmp_path):
    """Slow on purpose (~30 s): a single 200 MB layer of random bytes."""
    tag = f"big-{_uid()}:1"
    build(daemon, tmp_path, tag, "FROM busybox\nRUN head -c 209715200 /dev/urandom > /big && md5sum /big > /big.md5\n")
    ref = tag
    try:
        t0 = time.monotonic()
        ref = _round_trip(daemon, reg, tag)
        assert time.monotonic() - t0 < 60
        assert ok(daemon, "run", "--rm", ref, "sh", "-c", "md5sum -c /big.md5 && stat -c %s /big") == \
            "/big: OK\n209715200\n"
    finally:
        rmi(daemon, ref, tag)


# --- a manifest list, an OCI index, a zstd layer ----------------------------------------------------

def test_manifest_list_and_oci_index_resolve_to_amd64(daemon, reg):
    repo = f"multi/bb{_uid()}"
    src = f"{reg.addr}/{repo}:single"
    ok(daemon, "tag", "busybox", src)
    want = image_id(daemon, src)
    try:
        ok(daemon, "push", src)
        h = Http(reg.addr)
        raw = h.manifest(repo, "single", DOCKER_MANIFEST)
        amd64 = {"mediaType": DOCKER_MANIFEST, "digest": sha(raw), "size": len(raw)}
        # the arm64 entry: an image with a config saying arm64 and no layers, listed first
        cfg = h.blob(repo, json.dumps({"architecture": "arm64", "os": "linux", "config": {},
                                       "rootfs": {"type": "layers", "diff_ids": []}}).encode())
        arm = h.put_manifest(repo, "arm", {"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
                                           "config": {"mediaType": DOCKER_CONFIG, **cfg}, "layers": []},
                             DOCKER_MANIFEST)
        entries = [dict(arm, platform={"architecture": "arm64", "os": "linux", "variant": "v8"}),
                   dict(amd64, platform={"architecture": "amd64", "os": "linux"})]
        lst = h.put_manifest(repo, "list", {"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": entries},
                             DOCKER_LIST)
        idx = h.put_manifest(repo, "index", {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries},
                             OCI_INDEX)
        for tag, desc in (("list", lst), ("index", idx)):
            ref = f"{reg.addr}/{repo}:{tag}"
            out = ok(daemon, "pull", ref)
            assert f"Digest: {desc['digest']}" in out
            assert image_id(daemon, ref) == want
            digests = json.loads(ok(daemon, "image", "inspect", "-f", "{{json .RepoDigests}}", ref))
            assert f"{reg.addr}/{repo}@{desc['digest']}" in digests
            assert ok(daemon, "run", "--rm", ref, "uname", "-m") == "x86_64\n"
        # asking for arm64 picks the other entry
        ref = f"{reg.addr}/{repo}:list"
        ok(daemon, "rmi", ref)
        ok(daemon, "pull", "--platform", "linux/arm64", ref)
        assert image_id(daemon, ref) == cfg["digest"]
    finally:
        rmi(daemon, src, f"{reg.addr}/{repo}:list", f"{reg.addr}/{repo}:index")


def _rootfs_tar(hello: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name in ("bin", "etc"):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            t.addfile(info)
        with open("/bin/busybox", "rb") as f:
            data = f.read()
        info = tarfile.TarInfo("bin/busybox")
        info.size, info.mode = len(data), 0o755
        t.addfile(info, io.BytesIO(data))
        for applet in ("sh", "cat"):
            info = tarfile.TarInfo(f"bin/{applet}")
            info.type, info.linkname = tarfile.SYMTYPE, "busybox"
            t.addfile(info)
        info = tarfile.TarInfo("etc/hello.txt")
        info.size = len(hello)
        t.addfile(info, io.BytesIO(hello))
    return buf.getvalue()


def test_zstd_layer(daemon, reg):
    import zstandard
    repo = f"zstd/img{_uid()}"
    ref = f"{reg.addr}/{repo}:1"
    hello = f"zstd says hello {_uid()}\n".encode()
    tar = _rootfs_tar(hello)
    h = Http(reg.addr)
    layer = h.blob(repo, zstandard.ZstdCompressor(level=3).compress(tar))
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Cmd": ["cat", "/etc/hello.txt"], "Env": ["PATH=/bin"]},
                         "rootfs": {"type": "layers", "diff_ids": [sha(tar)]}}).encode()
    cfg = h.blob(repo, config)
    h.put_manifest(repo, "1", {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                               "config": {"mediaType": OCI_CONFIG, **cfg},
                               "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd", **layer}]},
                   OCI_MANIFEST)
    try:
        ok(daemon, "pull", ref)
        assert image_id(daemon, ref) == sha(config)
        assert ok(daemon, "run", "--rm", ref).encode() == hello
    finally:
        rmi(daemon, ref)


# --- skopeo as a peer --------------------------------------------------------------------------------

@pytest.mark.skipif(not shutil.which("skopeo"), reason="skopeo is not installed")
def test_skopeo_copies_out_and_back_in(daemon, reg, tmp_path):
    tag = f"sk-{_uid()}:1"
    build(daemon, tmp_path, tag, f"FROM busybox\nRUN echo {tag} > /who\n")
    src, dst = f"{reg.addr}/sk/src:1", f"{reg.addr}/sk/dst:2"
    layout = str(tmp_path / "layout")
    env = dict(os.environ, HOME=str(tmp_path))
    try:
        ok(daemon, "tag", tag, src)
        want = ok(daemon, "image", "inspect", "-f", "{{json .RootFS.Layers}}", src)
        ok(daemon, "push", src)
        subprocess.run(["skopeo", "copy", "--src-tls-verify=false", f"docker://{src}", f"oci:{layout}:x"],
                       check=True, capture_output=True, timeout=120, env=env)
        subprocess.run(["skopeo", "copy", "--dest-tls-verify=false", f"oci:{layout}:x", f"docker://{dst}"],
                       check=True, capture_output=True, timeout=120, env=env)
        rmi(daemon, src, tag)
        assert "Downloaded newer image" in ok(daemon, "pull", dst)
        # skopeo rewrites the config as an OCI one (a new image id); the layers are the same
        assert ok(daemon, "image", "inspect", "-f", "{{json .RootFS.Layers}}", dst) == want
        assert ok(daemon, "run", "--rm", dst, "cat", "/who") == f"{tag}\n"
    finally:
        rmi(daemon, src, dst, tag)


# --- faults ------------------------------------------------------------------------------------------

def test_registry_down_fails_fast_and_clearly(daemon):
    port = _free_port()
    t0 = time.monotonic()
    r = cli(daemon, "pull", f"127.0.0.1:{port}/nobody/home:1", timeout=30)
    err = r.stderr.decode()
    assert r.returncode == 1
    assert f"dial tcp 127.0.0.1:{port}: connect: connection refused" in err, err
    ok(daemon, "tag", "busybox", f"127.0.0.1:{port}/nobody/home:1")
    try:
        r = cli(daemon, "push", f"127.0.0.1:{port}/nobody/home:1", timeout=30)
        assert r.returncode == 1 and "connection refused" in r.stderr.decode(), r.stderr
    finally:
        rmi(daemon, f"127.0.0.1:{port}/nobody/home:1")
    assert time.monotonic() - t0 < 5


@pytest.fixture(scope="module")
def big_image(daemon, tmp_path_factory):
    """busybox plus one 96 MB layer of random bytes."""
    tag = f"bigfault-{_uid()}:1"
    build(daemon, tmp_path_factory.mktemp("bigctx"), tag,
          "FROM busybox\nRUN head -c 100663296 /dev/urandom > /big && md5sum /big > /big.md5\n")
    yield tag
    rmi(daemon, tag)


def _wait_for(pred, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.002)


def _biggest_file(d: str) -> int:
    sizes = [0]
    for base, _, files in os.walk(d):
        for f in files:
            try:
                sizes.append(os.path.getsize(os.path.join(base, f)))
            except OSError:
                pass
    return max(sizes)


def test_registry_killed_mid_push_then_push_again(daemon, big_image, tmp_path):
    root = str(tmp_path / "root")
    r = BargeRegistry(root).start()
    port = r.port
    ref = f"{r.addr}/crash/big:1"
    ok(daemon, "tag", big_image, ref)
    try:
        want = image_id(daemon, ref)
        push = subprocess.Popen([BARGE, "push", ref], env=daemon.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        _wait_for(lambda: _biggest_file(os.path.join(root, "_uploads")) > (8 << 20), 60, "the upload")
        r.stop(signal.SIGKILL)
        out, err = push.communicate(timeout=60)
        assert push.returncode == 1, out
        err = err.decode()
        assert any(w in err for w in ("unexpected EOF", "connection reset", "broken pipe",
                                      "connection refused")), err
        registry_is_sound(root)
        r = BargeRegistry(root, addr=f"127.0.0.1:{port}").start()
        assert "digest: sha256:" in ok(daemon, "push", ref, timeout=180)
        registry_is_sound(root)
        ok(daemon, "rmi", ref)
        # pull back what the registry holds into a daemon with nothing of it
        ok(daemon, "rmi", big_image)
        try:
            ok(daemon, "pull", ref, timeout=180)
            assert image_id(daemon, ref) == want
            assert ok(daemon, "run", "--rm", ref, "md5sum", "-c", "/big.md5") == "/big: OK\n"
        finally:
            ok(daemon, "tag", ref, big_image)
    finally:
        rmi(daemon, ref)
        r.stop()


def test_barged_killed_mid_pull_leaves_nothing_half_stored(daemon, big_image, fresh_daemon, tmp_path):
    with barge_registry(str(tmp_path / "root")) as r:
        ref = f"{r.addr}/crash/pull:1"
        ok(daemon, "tag", big_image, ref)
        try:
            want = image_id(daemon, ref)
            ok(daemon, "push", ref, timeout=180)
        finally:
            rmi(daemon, ref)
        d = fresh_daemon
        layers = os.path.join(d.data_root, "layers")
        ingest = os.path.join(d.data_root, "content", "ingest")

        def busy() -> bool:
            return _biggest_file(ingest) > (4 << 20) or \
                any(n.startswith(".incomplete-") for n in os.listdir(layers))
        pull = subprocess.Popen([BARGE, "pull", ref], env=d.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        _wait_for(busy, 60, "the pull to store something")
        d.stop(signal.SIGKILL)
        pull.communicate(timeout=30)
        assert pull.returncode != 0
        d.start()
        assert want.removeprefix("sha256:")[:12] not in ok(d, "images", "-a", "-q")
        assert cli(d, "image", "inspect", ref).returncode != 0
        assert [n for n in os.listdir(layers) if n.startswith(".incomplete-")] == []
        assert os.listdir(ingest) == []
        assert "Downloaded newer image" in ok(d, "pull", ref, timeout=180)
        assert image_id(d, ref) == want
        assert ok(d, "run", "--rm", ref, "md5sum", "-c", "/big.md5") == "/big: OK\n"


class _CutProxy(http.server.ThreadingHTTPServer):
    """Forwards to the registry; a blob GET promises all its bytes and sends half."""
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.cut = True
        self.cut_blobs: list[str] = []
        super().__init__(("127.0.0.1", 0), _CutHandler)


class _CutHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _forward(self) -> None:
        host, port = self.server.upstream.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        conn.request(self.command, self.path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        cut = (self.server.cut and self.command == "GET" and "/blobs/sha256:" in self.path
               and resp.status == 200 and len(data) > 1 << 20)
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            if cut:
                self.server.cut_blobs.append(self.path.rsplit("/", 1)[1])
                data = data[: len(data) // 2]
            self.wfile.write(data)
        self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _forward


def test_truncated_download_stores_nothing(daemon, reg, tmp_path):
    tag = f"cut-{_uid()}:1"
    build(daemon, tmp_path, tag, "FROM busybox\nRUN head -c 3000000 /dev/urandom > /r && md5sum /r > /r.md5\n")
    repo = f"cut/img{_uid()}"
    ok(daemon, "tag", tag, f"{reg.addr}/{repo}:1")
    want = image_id(daemon, tag)
    ok(daemon, "push", f"{reg.addr}/{repo}:1")
    rmi(daemon, f"{reg.addr}/{repo}:1", tag)
    proxy = _CutProxy(reg.addr)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    ref = f"127.0.0.1:{proxy.server_address[1]}/{repo}:1"
    try:
        r = cli(daemon, "pull", ref)
        err = r.stderr.decode()
        assert r.returncode == 1 and "unexpected EOF" in err, err
        assert proxy.cut_blobs
        assert cli(daemon, "image", "inspect", want).returncode != 0
        content = os.path.join(daemon.data_root, "content")
        assert os.listdir(os.path.join(content, "ingest")) == []
        for blob in proxy.cut_blobs:
            assert not os.path.exists(os.path.join(content, "blobs", "sha256", blob.removeprefix("sha256:")))
        layers = os.path.join(daemon.data_root, "layers")
        assert [n for n in os.listdir(layers) if n.startswith(".incomplete-")] == []
        proxy.cut = False
        assert "Downloaded newer image" in ok(daemon, "pull", ref)
        assert image_id(daemon, ref) == want
        assert ok(daemon, "run", "--rm", ref, "md5sum", "-c", "/r.md5") == "/r: OK\n"
    finally:
        proxy.shutdown()
        proxy.server_close()
        rmi(daemon, ref, tag)

