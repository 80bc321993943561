"""`barge registry serve` end to end: the real server in a subprocess, driven over loopback."""
from __future__ import annotations

import base64
import gzip
import hashlib
import http.client
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from contextlib import contextmanager

import bcrypt
import pytest

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    def __init__(self, proc: subprocess.Popen, port: int, root: str, log: str) -> None:
        self.proc, self.port, self.root, self.log = proc, port, root, log
        self.auth: str | None = None

    def req(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            auth: str | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = dict(headers or {})
        if auth or self.auth:
            h["Authorization"] = auth or self.auth
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, r, data

    def push_blob(self, name: str, data: bytes) -> str:
        status, r, body = self.req("POST", f"/v2/{name}/blobs/uploads/?digest={sha(data)}", data)
        assert status == 201, body
        return sha(data)

    def push_image(self, name: str, tag: str, layer: bytes, **extra) -> tuple[str, bytes]:
        cfg = self.push_blob(name, b'{"os":"linux","n":"%s"}' % layer[:8])
        lay = self.push_blob(name, layer)
        man = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
               "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": 1},
               "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": lay,
                           "size": len(layer)}], **extra}
        data = json.dumps(man).encode()
        status, r, body = self.req("PUT", f"/v2/{name}/manifests/{tag}", data, {"Content-Type": OCI_MANIFEST})
        assert status == 201, body
        assert r.headers["Docker-Content-Digest"] == sha(data)
        return sha(data), data


@contextmanager
def serve(tmp_path, *extra: str, root: str | None = None):
    root = root or str(tmp_path / "root")
    log = str(tmp_path / f"log-{time.monotonic_ns()}")
    with open(log, "wb") as logf:
        proc = subprocess.Popen([sys.executable, "-m", "barge.cli.main", "registry", "serve",
                                 "--addr", "127.0.0.1:0", "--root", root, *extra],
                                stdout=subprocess.DEVNULL, stderr=logf)
    try:
        deadline = time.monotonic() + 20
        port = None
        while port is None:
            assert proc.poll() is None, open(log).read()
            assert time.monotonic() < deadline, "registry did not start"
            for line in open(log):
                if '"listening"' in line:
                    port = int(json.loads(line)["addr"].rsplit(":", 1)[1])
            time.sleep(0.05)
        yield Registry(proc, port, root, log)
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)


@pytest.fixture
def reg(tmp_path):
    with serve(tmp_path) as r:
        yield r


def errcode(body: bytes) -> str:
    return json.loads(body)["errors"][0]["code"]


def test_base_and_access_log(reg):
    status, r, body = reg.req("GET", "/v2/")
    assert status == 200 and r.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    deadline = time.monotonic() + 5
    while not (lines := [json.loads(x) for x in open(reg.log) if '"method"' in x]):
        assert time.monotonic() < deadline, "no access log line"
        time.sleep(0.05)
    assert {"time", "method", "path", "status", "bytes", "duration", "user", "remote"} <= set(lines[-1])
    assert lines[-1]["path"] == "/v2/" and lines[-1]["status"] == 200


def test_monolithic_blob_head_get_range_delete(reg):
    data = os.urandom(300_000)
    d = reg.push_blob("a/b/c", data)
    status, r, _ = reg.req("HEAD", f"/v2/a/b/c/blobs/{d}")
    assert status == 200 and r.headers["Content-Length"] == "300000" and r.headers["Docker-Content-Digest"] == d
    status, r, body = reg.req("GET", f"/v2/a/b/c/blobs/{d}")
    assert status == 200 and body == data
    status, r, body = reg.req("GET", f"/v2/a/b/c/blobs/{d}", headers={"Range": "bytes=10-19"})
    assert status == 206 and body == data[10:20] and r.headers["Content-Range"] == "bytes 10-19/300000"
    status, _, body = reg.req("GET", f"/v2/a/b/c/blobs/{d}", headers={"Range": "bytes=400000-"})
    assert status == 416 and errcode(body) == "RANGE_INVALID"
    assert reg.req("GET", f"/v2/other/blobs/{d}")[0] == 404
    status, _, body = reg.req("POST", f"/v2/a/blobs/uploads/?digest={sha(b'x')}", b"y")
    assert status == 400 and errcode(body) == "DIGEST_INVALID"
    assert reg.req("DELETE", f"/v2/a/b/c/blobs/{d}")[0] == 202
    status, _, body = reg.req("GET", f"/v2/a/b/c/blobs/{d}")
    assert status == 404 and errcode(body) == "BLOB_UNKNOWN"
    status, _, body = reg.req("GET", "/v2/a/b/c/blobs/sha256:nothex")
    assert status == 400 and errcode(body) == "DIGEST_INVALID"
    status, _, body = reg.req("GET", "/v2/Bad_Name/tags/list")
    assert status == 400 and errcode(body) == "NAME_INVALID"


def test_chunked_upload_status_416_and_cancel(reg):
    status, r, _ = reg.req("POST", "/v2/chunky/blobs/uploads/", b"")
    assert status == 202 and r.headers["Range"] == "0-0"
    loc, uid = r.headers["Location"], r.headers["Docker-Upload-UUID"]
    assert uid in loc
    status, r, _ = reg.req("PATCH", loc, b"hello ", {"Content-Range": "0-5", "Content-Type": "application/octet-stream"})
    assert status == 202 and r.headers["Range"] == "0-5"
    status, r, body = reg.req("PATCH", loc, b"later", {"Content-Range": "10-14"})
    assert status == 416 and errcode(body) == "RANGE_INVALID" and r.headers["Range"] == "0-5"
    status, r, _ = reg.req("GET", loc)
    assert status == 204 and r.headers["Range"] == "0-5" and r.headers["Location"] == loc
    status, r, _ = reg.req("PATCH", loc, b"world", {"Content-Range": "6-10"})
    assert status == 202 and r.headers["Range"] == "0-10"
    status, r, body = reg.req("PUT", f"{loc}?digest={sha(b'hello world!')}", b"!", {"Content-Range": "11-11"})
    assert status == 201, body
    assert reg.req("GET", f"/v2/chunky/blobs/{sha(b'hello world!')}")[2] == b"hello world!"
    status, _, body = reg.req("GET", loc)
    assert status == 404 and errcode(body) == "BLOB_UPLOAD_UNKNOWN"
    # a stream PATCH without Content-Range, then a mismatched digest, then cancel
    _, r, _ = reg.req("POST", "/v2/chunky/blobs/uploads/", b"")
    loc = r.headers["Location"]
    assert reg.req("PATCH", loc, b"abc")[0] == 202
    status, _, body = reg.req("PUT", f"{loc}?digest={sha(b'xyz')}")
    assert status == 400 and errcode(body) == "DIGEST_INVALID"
    assert reg.req("DELETE", loc)[0] == 204
    assert reg.req("GET", loc)[0] == 404


def test_cross_repo_mount(reg):
    d = reg.push_blob("src", b"shared layer")
    status, r, _ = reg.req("POST", f"/v2/dst/blobs/uploads/?mount={d}&from=src")
    assert status == 201 and r.headers["Location"] == f"/v2/dst/blobs/{d}"
    assert reg.req("GET", f"/v2/dst/blobs/{d}")[2] == b"shared layer"
    status, r, _ = reg.req("POST", f"/v2/dst2/blobs/uploads/?mount={sha(b'none')}&from=src")
    assert status == 202 and "Docker-Upload-UUID" in r.headers


def test_manifests_accept_delete(reg):
    d, data = reg.push_image("app", "v1", b"layer one")
    status, r, body = reg.req("GET", "/v2/app/manifests/v1", headers={"Accept": OCI_MANIFEST})
    assert status == 200 and body == data and r.headers["Content-Type"] == OCI_MANIFEST
    assert r.headers["Docker-Content-Digest"] == d
    status, r, body = reg.req("HEAD", f"/v2/app/manifests/{d}")
    assert status == 200 and body == b"" and r.headers["Content-Length"] == str(len(data))
    status, _, body = reg.req("GET", "/v2/app/manifests/v1", headers={"Accept": DOCKER_MANIFEST})
    assert status == 404 and errcode(body) == "MANIFEST_UNKNOWN"
    missing = json.loads(data)
    missing["layers"][0]["digest"] = sha(b"never pushed")
    status, _, body = reg.req("PUT", "/v2/app/manifests/bad", json.dumps(missing).encode(),
                              {"Content-Type": OCI_MANIFEST})
    assert status == 400 and errcode(body) == "MANIFEST_BLOB_UNKNOWN"
    status, _, body = reg.req("PUT", "/v2/app/manifests/bad", b"{nope", {"Content-Type": OCI_MANIFEST})
    assert status == 400 and errcode(body) == "MANIFEST_INVALID"
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": d, "size": len(data)}]}).encode()
    status, _, _ = reg.req("PUT", "/v2/app/manifests/multi", index, {"Content-Type": OCI_INDEX})
    assert status == 201
    bad_index = index.replace(d.encode(), sha(b"zz").encode())
    status, _, body = reg.req("PUT", "/v2/app/manifests/multi2", bad_index, {"Content-Type": OCI_INDEX})
    assert status == 400 and errcode(body) == "MANIFEST_BLOB_UNKNOWN"
    status, r, _ = reg.req("PUT", f"/v2/app/manifests/{d}?tag=a&tag=b", data, {"Content-Type": OCI_MANIFEST})
    assert status == 201 and r.headers.get_all("OCI-Tag") == ["a", "b"]
    assert reg.req("DELETE", f"/v2/app/manifests/{d}")[0] == 202
    status, _, body = reg.req("GET", "/v2/app/manifests/v1")
    assert status == 404 and errcode(body) == "MANIFEST_UNKNOWN"
    status, _, body = reg.req("GET", "/v2/nope/manifests/v1")
    assert status == 404 and errcode(body) == "NAME_UNKNOWN"


def test_tags_and_catalog_pagination(reg):
    for i, tag in enumerate(["c", "a", "b", "d"]):
        reg.push_image("pg/one", tag, b"layer-%d" % i)
    for name in ("pg/two", "pg/three"):
        reg.push_image(name, "latest", b"x")
    status, r, body = reg.req("GET", "/v2/pg/one/tags/list?n=2")
    assert json.loads(body) == {"name": "pg/one", "tags": ["a", "b"]}
    assert r.headers["Link"] == '</v2/pg/one/tags/list?last=b&n=2>; rel="next"'
    nxt = r.headers["Link"].split(";")[0].strip("<>")
    status, r, body = reg.req("GET", nxt)
    assert json.loads(body)["tags"] == ["c", "d"] and "Link" not in r.headers
    assert json.loads(reg.req("GET", "/v2/pg/one/tags/list?n=0")[2])["tags"] == []
    status, r, body = reg.req("GET", "/v2/_catalog?n=2")
    assert json.loads(body) == {"repositories": ["pg/one", "pg/three"]}
    assert r.headers["Link"] == '</v2/_catalog?last=pg%2Fthree&n=2>; rel="next"'
    assert json.loads(reg.req("GET", "/v2/_catalog?last=pg/three")[2]) == {"repositories": ["pg/two"]}
    status, _, body = reg.req("GET", "/v2/_catalog?n=x")
    assert status == 400
    status, _, body = reg.req("GET", "/v1/search?q=t&n=1&page=2")
    res = json.loads(body)
    assert res["num_results"] == 2 and res["query"] == "t" and res["page"] == 2
    assert res["results"] == [{"name": "pg/two", "description": "", "star_count": 0,
                               "is_official": False, "is_automated": False}]


def test_referrers(reg):
    d, data = reg.push_image("ref", "v1", b"base")
    sig, _ = reg.push_image("ref", "sig", b"sig", subject={"mediaType": OCI_MANIFEST, "digest": d,
                                                          "size": len(data)},
                            artifactType="application/vnd.example.sig", annotations={"k": "v"})
    status, r, body = reg.req("GET", f"/v2/ref/referrers/{d}")
    idx = json.loads(body)
    assert status == 200 and r.headers["Content-Type"] == OCI_INDEX
    assert idx["manifests"] == [{"mediaType": OCI_MANIFEST, "size": idx["manifests"][0]["size"],
                                 "digest": sig, "artifactType": "application/vnd.example.sig",
                                 "annotations": {"k": "v"}}]
    status, r, body = reg.req("GET", f"/v2/ref/referrers/{d}?artifactType=application/other")
    assert json.loads(body)["manifests"] == [] and r.headers["OCI-Filters-Applied"] == "artifactType"
    assert reg.req("GET", "/v2/ref/referrers/notadigest")[0] == 400
    assert reg.req("GET", f"/v2/unknown/referrers/{d}")[0] == 200


def _basic(user: str, pw: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()


def _auth_files(tmp_path, token: bool) -> str:
    hp = tmp_path / "htpasswd"
    hp.write_text("".join(f"{u}:{bcrypt.hashpw(u.encode() + b'pw', bcrypt.gensalt(4)).decode()}\n"
                          for u in ("alice", "bob")))
    cfg = tmp_path / "registry.yml"
    cfg.write_text(json.dumps({"htpasswd": str(hp), "token_auth": token, "access": [
        {"user": "alice", "repos": ["*"], "actions": ["*"]},
        {"user": "bob", "repos": ["team/*"], "actions": ["pull"]}]}))
    return str(cfg)


def test_basic_auth(tmp_path):
    with serve(tmp_path, "--config", _auth_files(tmp_path, False)) as reg:
        status, r, body = reg.req("GET", "/v2/")
        assert status == 401 and errcode(body) == "UNAUTHORIZED"
        assert r.headers["WWW-Authenticate"] == 'Basic realm="barge-registry"'
        assert reg.req("GET", "/v2/", auth=_basic("alice", "wrong"))[0] == 401
        assert reg.req("GET", "/v2/", auth=_basic("alice", "alicepw"))[0] == 200
        reg.auth = _basic("alice", "alicepw")
        reg.push_image("team/app", "v1", b"l")
        reg.push_image("private/app", "v1", b"l")
        reg.auth = _basic("bob", "bobpw")
        assert reg.req("GET", "/v2/team/app/manifests/v1")[0] == 200
        status, _, body = reg.req("POST", "/v2/team/app/blobs/uploads/")
        assert status == 403 and errcode(body) == "DENIED"
        assert reg.req("GET", "/v2/private/app/tags/list")[0] == 403
        assert json.loads(reg.req("GET", "/v2/_catalog")[2]) == {"repositories": ["team/app"]}
        time.sleep(0.2)  # the access log line follows the response
        users = {json.loads(x).get("user") for x in open(reg.log) if '"method"' in x}
        assert {"alice", "bob", None} <= users


def test_token_auth(tmp_path):
    with serve(tmp_path, "--config", _auth_files(tmp_path, True)) as reg:
        status, r, _ = reg.req("GET", "/v2/team/app/tags/list")
        chal = r.headers["WWW-Authenticate"]
        assert status == 401 and chal.startswith(f'Bearer realm="http://127.0.0.1:{reg.port}/auth/token"')
        assert 'service="barge-registry"' in chal and 'scope="repository:team/app:pull"' in chal
        q = "/auth/token?service=barge-registry&scope=repository:team/app:pull,push"
        assert reg.req("GET", q, auth=_basic("alice", "nope"))[0] == 401
        tok = json.loads(reg.req("GET", q, auth=_basic("alice", "alicepw"))[2])["token"]
        reg.auth = f"Bearer {tok}"
        reg.push_image("team/app", "v1", b"l")
        assert reg.req("GET", "/v2/other/tags/list")[0] == 401
        bob = json.loads(reg.req("GET", q, auth=_basic("bob", "bobpw"))[2])["token"]
        reg.auth = f"Bearer {bob}"
        assert reg.req("GET", "/v2/team/app/tags/list")[0] == 200
        status, r, _ = reg.req("POST", "/v2/team/app/blobs/uploads/")
        assert status == 401 and 'error="insufficient_scope"' in r.headers["WWW-Authenticate"]
        assert reg.req("GET", "/v2/", auth="Bearer forged.token")[0] == 401


def test_tls(tmp_path):
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl not installed")
    cert, key = str(tmp_path / "c.pem"), str(tmp_path / "k.pem")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    import ssl
    with serve(tmp_path, "--tls-cert", cert, "--tls-key", key) as reg:
        ctx = ssl.create_default_context(cafile=cert)
        conn = http.client.HTTPSConnection("127.0.0.1", reg.port, context=ctx, timeout=10)
        conn.request("GET", "/v2/")
        assert conn.getresponse().status == 200
        conn.close()


def test_sigkill_mid_upload_then_resume(tmp_path):
    root = str(tmp_path / "root")
    first = os.urandom(1 << 20)
    rest = os.urandom(3 << 20)
    with serve(tmp_path, root=root) as reg:
        _, r, _ = reg.req("POST", "/v2/crash/blobs/uploads/", b"")
        loc = r.headers["Location"]
        assert reg.req("PATCH", loc, first, {"Content-Range": f"0-{len(first) - 1}"})[0] == 202
        conn = http.client.HTTPConnection("127.0.0.1", reg.port, timeout=10)
        conn.putrequest("PATCH", loc)
        conn.putheader("Content-Length", str(len(rest)))
        conn.putheader("Content-Range", f"{len(first)}-{len(first) + len(rest) - 1}")
        conn.endheaders()
        conn.send(rest[: 1 << 20])
        time.sleep(0.3)
        reg.proc.send_signal(signal.SIGKILL)
        reg.proc.wait(10)
        conn.close()
    with serve(tmp_path, root=root) as reg:
        status, r, _ = reg.req("GET", loc)
        assert status == 204 and r.headers["Range"] == f"0-{len(first) - 1}"
        status, _, _ = reg.req("PATCH", loc, rest, {"Content-Range": f"{len(first)}-{len(first) + len(rest) - 1}"})
        assert status == 202
        blob = first + rest
        assert reg.req("PUT", f"{loc}?digest={sha(blob)}")[0] == 201
        status, _, body = reg.req("GET", f"/v2/crash/blobs/{sha(blob)}")
        assert status == 200 and sha(body) == sha(blob)
    leftovers = [p for p in os.listdir(os.path.join(root, "_uploads"))]
    assert leftovers == []


def test_garbage_collect_cli(tmp_path):
    root = str(tmp_path / "root")
    with serve(tmp_path, root=root) as reg:
        keep, _ = reg.push_image("gc", "v1", b"kept")
        orphan = reg.push_blob("gc", b"orphan blob")
    cli = [sys.executable, "-m", "barge.cli.main", "registry", "garbage-collect", "--root", root]
    out = subprocess.run(cli + ["--dry-run"], capture_output=True, text=True, check=True).stdout
    assert f"would delete {orphan}" in out
    assert os.path.exists(os.path.join(root, "blobs", "sha256", orphan[7:]))
    out = subprocess.run(cli, capture_output=True, text=True, check=True).stdout
    assert f"deleted {orphan}" in out and keep not in out
    assert not os.path.exists(os.path.join(root, "blobs", "sha256", orphan[7:]))
    with serve(tmp_path, root=root) as reg:
        assert reg.req("GET", "/v2/gc/manifests/v1")[0] == 200
        assert reg.req("GET", f"/v2/gc/blobs/{orphan}")[0] == 404


def _make_layout(path: str) -> None:
    os.makedirs(f"{path}/blobs/sha256")

    def put(data: bytes) -> dict:
        with open(f"{path}/blobs/sha256/{sha(data)[7:]}", "wb") as f:
            f.write(data)
        return {"digest": sha(data), "size": len(data)}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        info = tarfile.TarInfo("hello.txt")
        info.size = 15
        t.addfile(info, io.BytesIO(b"hello registry\n"))
    layer = put(gzip.compress(buf.getvalue(), mtime=0))
    config = put(json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                             "rootfs": {"type": "layers", "diff_ids": [sha(buf.getvalue())]}}).encode())
    man = put(json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                          "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
                          "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}]}).encode())
    with open(f"{path}/index.json", "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{"mediaType": OCI_MANIFEST, **man,
                   "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}, f)
    with open(f"{path}/oci-layout", "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


@pytest.mark.skipif(not shutil.which("skopeo"), reason="skopeo not installed")
def test_skopeo_copy_in_and_out(reg, tmp_path):
    src, dst = str(tmp_path / "src"), str(tmp_path / "dst")
    _make_layout(src)
    ref = f"docker://127.0.0.1:{reg.port}/skopeo/hello:v1"
    env = dict(os.environ, HOME=str(tmp_path))
    subprocess.run(["skopeo", "copy", "--dest-tls-verify=false", f"oci:{src}:v1", ref],
                   check=True, capture_output=True, timeout=120, env=env)
    subprocess.run(["skopeo", "copy", "--src-tls-verify=false", ref, f"oci:{dst}:v1"],
                   check=True, capture_output=True, timeout=120, env=env)
    assert sorted(os.listdir(f"{src}/blobs/sha256")) == sorted(os.listdir(f"{dst}/blobs/sha256"))
    tags = json.loads(subprocess.run(["skopeo", "list-tags", "--tls-verify=false", ref.rsplit(":", 1)[0]],
                                     check=True, capture_output=True, timeout=60, env=env).stdout)
    assert tags["Tags"] == ["v1"]


def test_streamed_patch_with_chunked_transfer_encoding(reg):
    """What docker push does: PATCH with Transfer-Encoding: chunked and no Content-Range."""
    parts = [os.urandom(70_000) for _ in range(5)]
    _, r, _ = reg.req("POST", "/v2/stream/blobs/uploads/", b"")
    loc = r.headers["Location"]
    conn = http.client.HTTPConnection("127.0.0.1", reg.port, timeout=30)
    conn.request("PATCH", loc, body=iter(parts), encode_chunked=True,
                 headers={"Transfer-Encoding": "chunked", "Content-Type": "application/octet-stream"})
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 202 and resp.headers["Range"] == f"0-{350_000 - 1}"
    conn.request("PUT", f"{loc}?digest={sha(b''.join(parts))}", body=b"")
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 201
    conn.close()
    assert reg.req("GET", f"/v2/stream/blobs/{sha(b''.join(parts))}")[2] == b"".join(parts)
