"""The registry client's pure parts: challenges, names, manifest selection,
progress messages, verified blob writes, the copy algorithm's order."""
from __future__ import annotations

import base64
import io
import json

import pytest

from barge import errdefs
from barge.daemon.images import auth as login_mod, pull as pull_mod, push as push_mod, search as search_mod
from barge.distribution import auth, manifest as mf, transport
from barge.distribution.client import registry_host, _next_link
from barge.distribution.copy import CopyResult, LayerRef, Words, copy, store_verified
from barge.spec import progress as pm
from barge.spec import reference
from barge.store.content import ContentStore

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


# --- challenges and credentials --------------------------------------------------------


def test_bearer_challenge():
    [ch] = auth.parse_challenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/busybox:pull"')
    assert ch.scheme == "bearer"
    assert ch.params == {"realm": "https://auth.docker.io/token", "service": "registry.docker.io",
                         "scope": "repository:library/busybox:pull"}


def test_basic_challenge_and_several():
    chs = auth.parse_challenges('Basic realm="barge test", Bearer realm="http://127.0.0.1:1/t",error="x\\"y"')
    assert [c.scheme for c in chs] == ["basic", "bearer"]
    assert chs[0].params["realm"] == "barge test"
    assert chs[1].params["error"] == 'x"y'


def test_token_query():
    ch = auth.Challenge("bearer", {"realm": "https://a/t", "service": "reg"})
    q = auth.token_query(ch, ["repository:x:pull,push", "repository:y:pull"], auth.Credentials("bob", "pw"))
    assert q == ("service=reg&scope=repository%3Ax%3Apull%2Cpush&scope=repository%3Ay%3Apull"
                 "&account=bob&client_id=docker")
    assert auth.token_from_response(b'{"access_token":"abc"}') == "abc"
    with pytest.raises(ValueError):
        auth.token_from_response(b"{}")


def test_registry_auth_header():
    doc = {"username": "a", "password": "p", "serveraddress": "localhost:5000"}
    enc = base64.urlsafe_b64encode(json.dumps(doc).encode()).decode()
    assert auth.decode_registry_auth(enc) == auth.Credentials("a", "p")
    assert auth.decode_registry_auth(enc.rstrip("=")) == auth.Credentials("a", "p")
    tok = base64.urlsafe_b64encode(b'{"identitytoken":"t"}').decode()
    assert auth.decode_registry_auth(tok).identity_token == "t"
    assert auth.decode_registry_auth("e30=").anonymous
    assert auth.decode_registry_auth("!!not base64").anonymous
    assert auth.basic_header(auth.Credentials("a", "p")) == "Basic " + base64.b64encode(b"a:p").decode()


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name,host,path,tag,digest", [
    ("busybox", "registry-1.docker.io", "library/busybox", "latest", None),
    ("me/app:1", "registry-1.docker.io", "me/app", "1", None),
    ("localhost:5000/x", "localhost:5000", "x", "latest", None),
    ("host.example:443/ns/repo@" + D1, "host.example:443", "ns/repo", None, D1),
])
def test_reference_to_registry(name, host, path, tag, digest):
    ref = reference.parse(name).with_default_tag()
    assert (registry_host(ref.domain), ref.path, ref.tag, ref.digest) == (host, path, tag, digest)


def test_http_allowed_for_loopback_and_insecure_registries():
    assert transport.allows_http("localhost:5000")
    assert transport.allows_http("127.0.0.7:5000")
    assert transport.allows_http("[::1]:5000")
    assert not transport.allows_http("registry-1.docker.io")
    assert transport.allows_http("reg.lan:5000", ["reg.lan:5000"])
    assert transport.allows_http("reg.lan:5000", ["reg.lan"])
    assert transport.allows_http("10.1.2.3:5000", ["10.0.0.0/8"])
    assert not transport.allows_http("11.1.2.3:5000", ["10.0.0.0/8"])


def test_pull_plan():
    assert pull_mod.plan("busybox", "latest", None).ref.familiar() == "busybox:latest"
    assert pull_mod.plan("localhost:5000/x", "", None).all_tags
    assert pull_mod.plan("localhost:5000/x:1", None, None).ref.tag == "1"
    p = pull_mod.plan("x", D1, "linux/arm64")
    assert p.ref.digest == D1 and p.platform == mf.Platform("linux", "arm64", "v8")
    with pytest.raises(errdefs.InvalidParameter):
        pull_mod.plan("UPPER", "latest", None)


def test_push_plan():
    assert push_mod.plan("localhost:5000/x", "v1").familiar() == "localhost:5000/x:v1"
    assert push_mod.plan("localhost:5000/x", "").tag is None
    with pytest.raises(errdefs.InvalidParameter):
        push_mod.plan("x@" + D1, "")


def test_login_server_and_search_terms():
    assert login_mod.server_domain("https://index.docker.io/v1/") == "docker.io"
    assert login_mod.server_domain("") == "docker.io"
    assert login_mod.server_domain("http://localhost:5000") == "localhost:5000"
    assert login_mod.server_domain("127.0.0.1:5000") == "127.0.0.1:5000"
    assert search_mod.split_term("localhost:5000/foo") == ("localhost:5000", "foo")
    assert search_mod.split_term("foo") == ("docker.io", "foo")
    assert search_mod.split_term("me/foo") == ("docker.io", "me/foo")
    assert search_mod.check_limit(None) == 25
    with pytest.raises(errdefs.InvalidParameter, match=r"limit 101 is outside the range of \[1, 100\]"):
        search_mod.check_limit(101)
    rs = [search_mod.shape({"name": "a", "star_count": 3, "is_official": True}),
          search_mod.shape({"name": "b"})]
    assert [r["name"] for r in search_mod.apply_filters(rs, {"is-official": ["true"]})] == ["a"]
    assert [r["name"] for r in search_mod.apply_filters(rs, {"stars": ["1"]})] == ["a"]
    assert list(rs[0]) == ["star_count", "is_official", "name", "is_automated", "description"]


# --- errors ---------------------------------------------------------------------------------


def test_registry_error_texts():
    body = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}'
    assert transport.error_text(404, "Not Found", body) == ("MANIFEST_UNKNOWN", "manifest unknown: manifest unknown")
    assert transport.error_text(401, "Unauthorized", b"") == ("UNAUTHORIZED", "unauthorized: authentication required")
    assert transport.error_text(401, "Unauthorized", b'{"details":"incorrect username or password"}')[1] == \
        "unauthorized: incorrect username or password"
    assert transport.error_text(500, "Internal Server Error", b"oops")[1] == \
        "received unexpected HTTP status: 500 Internal Server Error"
    err = transport.status_error(404, "x", "MANIFEST_UNKNOWN")
    assert isinstance(err, errdefs.NotFound) and err.code == "MANIFEST_UNKNOWN"


def test_pull_error_translation():
    ref = reference.parse("localhost:5000/x:latest")

    def e(code, text):
        return transport.status_error(404, text, code)
    assert pull_mod.translate(e("MANIFEST_UNKNOWN", "manifest unknown: manifest unknown"), ref) == \
        "manifest for localhost:5000/x:latest not found: manifest unknown: manifest unknown"
    assert pull_mod.translate(e("DENIED", "denied: requested access to the resource is denied"),
                              reference.parse("nope:latest")) == (
        "pull access denied for nope, repository does not exist or may require 'docker login': "
        "denied: requested access to the resource is denied")
    assert pull_mod.translate(e("NAME_UNKNOWN", "name unknown: r"), ref) == \
        "repository localhost:5000/x not found: name unknown: r"


def test_next_link():
    assert _next_link('</v2/x/tags/list?last=b&n=2>; rel="next"') == "/v2/x/tags/list?last=b&n=2"
    assert _next_link("") is None


# --- manifests --------------------------------------------------------------------------------


def _index(*platforms):
    return json.dumps({"schemaVersion": 2, "mediaType": mf.OCI_INDEX, "manifests": [
        {"mediaType": mf.OCI_MANIFEST, "digest": "sha256:" + str(i) * 64, "size": 10, "platform": p}
        for i, p in enumerate(platforms, 1)]}).encode()


def test_select_platform():
    raw = _index({"os": "linux", "architecture": "arm", "variant": "v7"},
                 {"os": "linux", "architecture": "arm64", "variant": "v8"},
                 {"os": "linux", "architecture": "amd64"})
    assert mf.select_platform(raw, mf.Platform()).digest == "sha256:" + "3" * 64
    assert mf.select_platform(raw, mf.parse_platform("linux/arm64")).digest == "sha256:" + "2" * 64
    assert mf.select_platform(raw, mf.parse_platform("linux/arm/v7")).digest == "sha256:" + "1" * 64
    with pytest.raises(errdefs.NotFound, match="no matching manifest for linux/s390x in the manifest list entries"):
        mf.select_platform(raw, mf.parse_platform("linux/s390x"))


def test_media_types_and_parse():
    assert mf.media_type_of(_index(), "") == mf.OCI_INDEX
    raw = json.dumps({"schemaVersion": 2, "mediaType": mf.DOCKER_MANIFEST,
                      "config": {"mediaType": mf.DOCKER_CONFIG, "digest": D1, "size": 5},
                      "layers": [{"mediaType": mf.DOCKER_LAYER_GZIP, "digest": D2, "size": 7}]}).encode()
    assert mf.media_type_of(raw, "application/json") == mf.DOCKER_MANIFEST
    m = mf.parse_manifest(raw, mf.DOCKER_MANIFEST, mf.digest_of(raw))
    assert m.config.digest == D1 and [d.size for d in m.layers] == [7]
    assert mf.media_type_of(b'{"schemaVersion":1}', "") == mf.DOCKER_SCHEMA1
    with pytest.raises(errdefs.InvalidParameter, match="schema 1"):
        mf.parse_manifest(b'{"schemaVersion":1}', mf.DOCKER_SCHEMA1, D1)


def test_build_manifest():
    raw = mf.build_manifest(mf.Descriptor(mf.DOCKER_CONFIG, D1, 5), [mf.Descriptor(mf.DOCKER_LAYER_GZIP, D2, 7)])
    doc = json.loads(raw)
    assert list(doc) == ["schemaVersion", "mediaType", "config", "layers"]
    assert doc["layers"] == [{"mediaType": mf.DOCKER_LAYER_GZIP, "size": 7, "digest": D2}]


# --- progress ---------------------------------------------------------------------------------


def test_progress_messages():
    assert pm.status("Pulling from library/busybox", "latest") == \
        {"status": "Pulling from library/busybox", "id": "latest"}
    assert pm.update("abc", "Pull complete") == {"status": "Pull complete", "progressDetail": {}, "id": "abc"}
    m = pm.update("abc", "Downloading", 1048576, 9434000)
    assert m["progressDetail"] == {"current": 1048576, "total": 9434000}
    assert m["progress"] == "[=====>" + " " * 45 + "]  1.049MB/9.434MB"
    assert pm.progress_bar(10, 10).startswith("[" + "=" * 50 + ">]")
    assert pm.encode(pm.error("boom")) == b'{"errorDetail":{"message":"boom"},"error":"boom"}\r\n'
    assert pm.aux({"Tag": "t"}) == {"progressDetail": {}, "aux": {"Tag": "t"}}


# --- verified writes and the copy algorithm ---------------------------------------------------


def test_store_verified(tmp_path):
    cs = ContentStore(str(tmp_path))
    data = b"layer bytes"
    desc = mf.Descriptor(mf.DOCKER_LAYER_GZIP, mf.digest_of(data), len(data))
    for bad, why in ((data[:-1], "unexpected EOF"), (data + b"!", "more data"),
                     (b"LAYER BYTES", "verification failed")):
        w = cs.writer()
        with pytest.raises(errdefs.System, match=why):
            store_verified(io.BytesIO(bad), desc, w)
        w.abort()
        assert not cs.has(desc.digest)
    assert not list((tmp_path / "ingest").iterdir())
    w = cs.writer()
    assert store_verified(io.BytesIO(data), desc, w) == desc.digest
    assert cs.read(desc.digest) == data


class _Src:
    def __init__(self, n):
        self.n = n

    def config(self):
        return mf.Descriptor(mf.DOCKER_CONFIG, D1, 2), b"{}"

    def layers(self):
        return [LayerRef(i, f"id{i}", f"diff{i}", mf.Descriptor("t", D2, 1)) for i in range(self.n)]

    def manifest(self):
        return None

    def get_blob(self, layer):
        return layer.desc, io.BytesIO(b"x")


class _Dst:
    words = Words("Pulling fs layer")

    def __init__(self):
        self.applied = []

    def prepare(self, config):
        pass

    def reuse(self, layer):
        return ("Already exists", layer.desc) if layer.index == 1 else None

    def put_blob(self, layer, desc, src, report):
        report(layer.id, "Download complete", None, None)
        return desc

    def apply(self, layer, desc, report):
        self.applied.append(layer.index)

    def commit(self, config, layers, original):
        return CopyResult("d", len(layers), b"")


def test_copy_order_and_reuse():
    events = []
    dst = _Dst()
    res = copy(_Src(5), dst, lambda i, s, c, t: events.append((i, s)), parallel=2)
    assert res.size == 5
    assert dst.applied == [0, 2, 3, 4]                # in order, the reused one skipped
    assert events[:5] == [(f"id{i}", "Pulling fs layer") for i in range(5)]
    assert events[5:8] == [(f"id{i}", "Waiting") for i in (2, 3, 4)]
    assert ("id1", "Already exists") in events


def test_incompressible_layers_are_stored_not_deflated():
    import os
    from barge.distribution.local import gzip_level
    assert gzip_level(os.urandom(2 << 20)) == 0
    assert gzip_level(b"hello world\n" * 200_000) == 1
    assert gzip_level(b"tiny") == 1


def test_pull_shows_only_already_exists_for_present_layers():
    """dockerd's pull: a present layer never shows "Pulling fs layer"; push keeps "Preparing" for all."""
    events = []
    dst = _Dst()
    dst.words = Words("Pulling fs layer", start_reused=False)
    copy(_Src(4), dst, lambda i, s, c, t: events.append((i, s)), parallel=2)
    assert [s for i, s in events if i == "id1"] == ["Already exists"]
    assert events[:4] == [("id0", "Pulling fs layer"), ("id1", "Already exists"), ("id2", "Pulling fs layer"),
                          ("id3", "Pulling fs layer")]
    assert ("id3", "Waiting") in events and ("id2", "Waiting") not in events
    assert dst.applied == [0, 2, 3]
