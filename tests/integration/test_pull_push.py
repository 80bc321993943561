"""Pull and push against Debian's docker-registry (the Go reference registry)
on 127.0.0.1: push -> rmi -> pull -> run, basic auth, corrupt and missing
blobs, and a Docker Hub name failing fast. All traffic stays on loopback."""
from __future__ import annotations

import base64
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

from barge_testlib import untag_new

from barge.client.http import Client

REGISTRY_BIN = shutil.which("docker-registry")


@pytest.fixture(autouse=True)
def _leave_no_tags(daemon):
    with untag_new(daemon):
        yield


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    def __init__(self, htpasswd: str | None = None) -> None:
        self.base = tempfile.mkdtemp(prefix="barge-reg-")
        self.port = _free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.root = os.path.join(self.base, "data")
        cfg = {"version": 0.1, "log": {"level": "error"},
               "storage": {"filesystem": {"rootdirectory": self.root}, "delete": {"enabled": True}},
               "http": {"addr": self.host}}
        if htpasswd:
            path = os.path.join(self.base, "htpasswd")
            with open(path, "w") as f:
                f.write(htpasswd)
            cfg["auth"] = {"htpasswd": {"realm": "barge-test", "path": path}}
        self.config = os.path.join(self.base, "config.yml")
        with open(self.config, "w") as f:
            json.dump(cfg, f)           # JSON is YAML
        self.log = open(os.path.join(self.base, "registry.log"), "wb")
        self.proc = subprocess.Popen([REGISTRY_BIN, "serve", self.config], stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("docker-registry did not come up")

    def blob_path(self, digest: str) -> str:
        hexd = digest.removeprefix("sha256:")
        return os.path.join(self.root, "docker/registry/v2/blobs/sha256", hexd[:2], hexd, "data")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="module")
def registry():
    if not REGISTRY_BIN:
        pytest.skip("docker-registry is not installed")
    r = Registry()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def auth_registry():
    if not REGISTRY_BIN:
        pytest.skip("docker-registry is not installed")
    bcrypt = pytest.importorskip("bcrypt")
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode()
    r = Registry(htpasswd=f"alice:{hashed}\n")
    yield r
    r.stop()


def _auth(user: str, password: str, server: str) -> str:
    raw = json.dumps({"username": user, "password": password, "serveraddress": server}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _stream(daemon, method: str, path: str, params: dict, auth: str | None = None) -> list[dict]:
    c = Client(daemon.host)
    headers = {"X-Registry-Auth": auth} if auth else None
    return list(c.request(method, path, params, headers=headers).iter_json())


def pull(daemon, image: str, tag: str = "latest", auth: str | None = None) -> list[dict]:
    return _stream(daemon, "POST", "/images/create", {"fromImage": image, "tag": tag}, auth)


def push(daemon, image: str, tag: str | None = "latest", auth: str | None = None) -> list[dict]:
    return _stream(daemon, "POST", f"/images/{image}/push", {"tag": tag}, auth)


def errors(msgs: list[dict]) -> list[str]:
    return [m["error"] for m in msgs if "error" in m]


def statuses(msgs: list[dict]) -> list[str]:
    return [m.get("status", "") for m in msgs]


def _image_with_layer(daemon, name: str, content: str) -> None:
    """busybox plus one layer of our own (a fresh diff id per call)."""
    cname = "mk-" + uuid.uuid4().hex[:8]
    daemon.out("run", "--name", cname, "busybox", "sh", "-c", f"echo {content} > /hello")
    daemon.out("commit", cname, name)
    daemon.out("rm", cname)


def test_push_rmi_pull_run(daemon, registry):
    name = f"{registry.host}/app"
    _image_with_layer(daemon, name, "from-the-registry")
    msgs = push(daemon, name)
    assert not errors(msgs), msgs
    assert msgs[0]["status"] == f"The push refers to repository [{name}]"
    assert "Pushed" in statuses(msgs)
    aux = [m["aux"] for m in msgs if "aux" in m][0]
    assert aux["Tag"] == "latest" and aux["Digest"].startswith("sha256:")
    assert f"latest: digest: {aux['Digest']} size: {aux['Size']}" in statuses(msgs)

    again = push(daemon, name)                  # everything is there now
    assert "Pushed" not in statuses(again)
    assert "Layer already exists" in statuses(again)

    daemon.out("rmi", name)
    msgs = pull(daemon, name)
    assert not errors(msgs), msgs
    st = statuses(msgs)
    assert st[0] == "Pulling from app"
    assert "Already exists" in st                 # busybox's layer is still here
    assert "Pull complete" in st and "Download complete" in st
    assert f"Digest: {aux['Digest']}" in st
    assert st[-1] == f"Status: Downloaded newer image for {name}:latest"
    assert daemon.out("run", "--rm", name, "cat", "/hello").strip() == "from-the-registry"
    info = json.loads(daemon.out("image", "inspect", name))[0]
    assert f"{name}@{aux['Digest']}" in info["RepoDigests"]

    again = pull(daemon, name)
    assert statuses(again)[-1] == f"Status: Image is up to date for {name}:latest"

    by_digest = pull(daemon, f"{name}@{aux['Digest']}", tag="")
    assert not errors(by_digest), by_digest


def test_cross_repository_mount(daemon, registry):
    first, second = f"{registry.host}/one", f"{registry.host}/two"
    _image_with_layer(daemon, first, "mounted")
    assert not errors(push(daemon, first))
    daemon.out("tag", first, second)
    msgs = push(daemon, second)
    assert not errors(msgs), msgs
    assert any(s.startswith("Mounted from one") or s == "Layer already exists" for s in statuses(msgs))
    assert "Pushed" not in statuses(msgs)


def test_manifest_unknown(daemon, registry):
    msgs = pull(daemon, f"{registry.host}/nothing-here")
    assert errors(msgs)
    assert f"{registry.host}/nothing-here:latest not found" in errors(msgs)[0] or \
        "not found" in errors(msgs)[0]


def test_corrupt_blob_is_refused_then_next_pull_completes(daemon, registry):
    name = f"{registry.host}/corrupt"
    _image_with_layer(daemon, name, "precious")
    msgs = push(daemon, name)
    assert not errors(msgs)
    manifest = _manifest(registry, "corrupt")
    top = manifest["layers"][-1]["digest"]
    path = registry.blob_path(top)
    good = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(good[:-1] + bytes([good[-1] ^ 0xFF]))
    daemon.out("rmi", name)
    bad = pull(daemon, name)
    assert errors(bad) and top in errors(bad)[0], bad
    assert "verification failed" in errors(bad)[0]
    assert daemon.cli("image", "inspect", name).returncode != 0
    assert not glob.glob(os.path.join(daemon.data_root, "content/blobs/sha256", top[7:]))
    with open(path, "wb") as f:
        f.write(good)
    ok = pull(daemon, name)
    assert not errors(ok), ok
    assert daemon.out("run", "--rm", name, "cat", "/hello").strip() == "precious"


def test_manifest_referencing_missing_blob(daemon, registry):
    name = f"{registry.host}/missing"
    _image_with_layer(daemon, name, "gone")
    assert not errors(push(daemon, name))
    top = _manifest(registry, "missing")["layers"][-1]["digest"]
    shutil.rmtree(os.path.dirname(registry.blob_path(top)))
    daemon.out("rmi", name)
    msgs = pull(daemon, name)
    assert errors(msgs), msgs
    assert daemon.cli("image", "inspect", name).returncode != 0


def test_basic_auth(daemon, auth_registry):
    name = f"{auth_registry.host}/private"
    daemon.out("tag", "busybox", name)
    anonymous = push(daemon, name)
    assert errors(anonymous) and "no basic auth credentials" in errors(anonymous)[0]
    wrong = _auth("alice", "nope", auth_registry.host)
    assert errors(push(daemon, name, auth=wrong))
    right = _auth("alice", "s3cret", auth_registry.host)
    assert not errors(push(daemon, name, auth=right))
    daemon.out("rmi", name)
    assert errors(pull(daemon, name))
    assert not errors(pull(daemon, name, auth=right))

    c = Client(daemon.host)
    ok = c.post("/auth", json_body={"username": "alice", "password": "s3cret",
                                    "serveraddress": auth_registry.host}).json()
    assert ok == {"Status": "Login Succeeded", "IdentityToken": ""}
    with pytest.raises(Exception) as e:
        c.post("/auth", json_body={"username": "alice", "password": "nope",
                                   "serveraddress": auth_registry.host})
    assert getattr(e.value, "status", None) == 401
    assert "401 Unauthorized" in str(e.value)


def test_push_missing_tag(daemon, registry):
    msgs = push(daemon, f"{registry.host}/never-made")
    assert errors(msgs) == [f"An image does not exist locally with the tag: {registry.host}/never-made"]


def _manifest(registry: Registry, repo: str) -> dict:
    import urllib.request
    req = urllib.request.Request(f"http://{registry.host}/v2/{repo}/manifests/latest", headers={
        "Accept": "application/vnd.docker.distribution.manifest.v2+json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


# --- the Bearer token flow, against a tiny token-auth registry on loopback --------------------


class _TokenRegistry:
    """/v2/ behind Bearer auth; /token hands out tokens to alice:pw (or anyone, anonymous pull)."""

    def __init__(self) -> None:
        import http.server
        import threading
        outer = self
        self.token_queries: list[str] = []

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code, body=b"", headers=()):
                self.send_response(code)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path.startswith("/token"):
                    return outer.token(self)
                if self.headers.get("Authorization", "") not in ("Bearer good", "Bearer anon"):
                    realm = f'Bearer realm="http://{outer.host}/token",service="tiny"'
                    return self._send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                                      [("WWW-Authenticate", realm)])
                if self.path == "/v2/":
                    return self._send(200, b"{}")
                if self.path == "/v2/app/manifests/latest":
                    return self._send(200, outer.manifest, [("Content-Type", "application/vnd.oci.image.manifest.v1+json")])
                self._send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}')

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                    "config": {"mediaType": "x", "digest": "sha256:" + "1" * 64, "size": 1},
                                    "layers": []}).encode()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, h) -> None:
        self.token_queries.append(h.path)
        authz = h.headers.get("Authorization", "")
        if not authz:
            return h._send(200, b'{"token":"anon"}')
        if authz == "Basic " + base64.b64encode(b"alice:pw").decode():
            return h._send(200, b'{"access_token":"good"}')
        h._send(401, b'{"details":"incorrect username or password"}')

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def token_registry():
    r = _TokenRegistry()
    yield r
    r.close()


def test_bearer_token_flow(token_registry):
    from barge.distribution.auth import Credentials
    from barge.distribution.client import RegistryClient
    host = token_registry.host
    c = RegistryClient(host, Credentials(), ["repository:app:pull"])
    raw, media_type, digest = c.get_manifest("app", "latest")
    assert raw == token_registry.manifest and media_type.endswith("manifest.v1+json")
    assert "scope=repository%3Aapp%3Apull" in token_registry.token_queries[-1]
    assert "service=tiny" in token_registry.token_queries[-1]

    RegistryClient(host, Credentials("alice", "pw")).login()
    with pytest.raises(Exception) as e:
        RegistryClient(host, Credentials("alice", "nope")).login()
    assert str(e.value) == f'Get "http://{host}/v2/": unauthorized: incorrect username or password'
