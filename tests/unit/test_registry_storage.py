"""Registry storage: uploads, verification, atomicity, manifests, GC, names, pagination."""
from __future__ import annotations

import hashlib
import json
import os

import pytest

from barge.distribution.registry import manifests as mf
from barge.distribution.registry.auth import Auth, Scope, parse_scopes
from barge.distribution.registry.blobs import parse_content_range, parse_range
from barge.distribution.registry.errors import RegistryError
from barge.distribution.registry.storage import Storage, gc, paginate


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def upload(st: Storage, name: str, *chunks: bytes) -> str:
    uid = st.start_upload(name)
    for c in chunks:
        f, state = st.open_chunk(name, uid, None)
        f.write(c)
        st.record_chunk(uid, f, state, len(c))
        f.close()
    st.commit_upload(name, uid, sha(b"".join(chunks)))
    return sha(b"".join(chunks))


def image(st: Storage, name: str, tag: str, layer: bytes, subject: str | None = None) -> str:
    cfg = upload(st, name, b'{"os":"linux"}' + layer[:4])
    lay = upload(st, name, layer)
    man = {"schemaVersion": 2, "mediaType": mf.OCI_MANIFEST,
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": 1},
           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": lay, "size": 1}]}
    if subject:
        man["subject"] = {"mediaType": mf.OCI_MANIFEST, "digest": subject, "size": 1}
        man["artifactType"] = "application/x-sig"
    data = json.dumps(man).encode()
    mf.parse(data, mf.OCI_MANIFEST)
    return st.put_manifest(name, tag, data, mf.OCI_MANIFEST)


@pytest.mark.parametrize("name,ok", [
    ("a", True), ("a/b/c", True), ("library/busy-box", True), ("a__b", True), ("a.b_c--d", True),
    ("A", False), ("a//b", False), ("-a", False), ("a/", False), ("_a", False), ("a___b", False),
    ("a" * 256, False), ("a/_manifests", False),
])
def test_names(name, ok):
    assert mf.valid_name(name) is ok


def test_chunked_upload_and_verification(tmp_path):
    st = Storage(str(tmp_path))
    d = upload(st, "a/b", b"hello ", b"world")
    assert st.repo_blob_size("a/b", d) == 11
    assert st.repo_blob_size("other", d) is None
    with open(st.blob_path(d), "rb") as f:
        assert f.read() == b"hello world"
    assert os.listdir(tmp_path / "_uploads") == []


def test_digest_mismatch_and_out_of_order(tmp_path):
    st = Storage(str(tmp_path))
    uid = st.start_upload("r")
    f, state = st.open_chunk("r", uid, 0)
    f.write(b"abc")
    st.record_chunk(uid, f, state, 3)
    f.close()
    with pytest.raises(RegistryError) as e:
        st.open_chunk("r", uid, 5)
    assert e.value.code == "RANGE_INVALID" and e.value.status == 416
    with pytest.raises(RegistryError) as e:
        st.commit_upload("r", uid, sha(b"abd"))
    assert e.value.code == "DIGEST_INVALID"
    assert st.blob_size(sha(b"abd")) is None and st.blob_size(sha(b"abc")) is None
    with pytest.raises(RegistryError) as e:
        st.upload_state("other", uid)
    assert e.value.code == "BLOB_UPLOAD_UNKNOWN"
    st.commit_upload("r", uid, sha(b"abc"))
    with pytest.raises(RegistryError):
        st.upload_state("r", "not-a-uuid")


def test_unrecorded_bytes_are_discarded(tmp_path):
    """A chunk cut short (the server killed before recording it) never reaches the blob."""
    st = Storage(str(tmp_path))
    uid = st.start_upload("r")
    f, state = st.open_chunk("r", uid, None)
    f.write(b"good")
    st.record_chunk(uid, f, state, 4)
    f.close()
    f, state = st.open_chunk("r", uid, None)
    f.write(b"GARBAGE-NOT-RECORDED")
    f.close()
    st2 = Storage(str(tmp_path))
    assert st2.upload_state("r", uid)["offset"] == 4
    f, state = st2.open_chunk("r", uid, 4)
    f.write(b"!")
    st2.record_chunk(uid, f, state, 1)
    f.close()
    st2.commit_upload("r", uid, sha(b"good!"))
    assert open(st2.blob_path(sha(b"good!")), "rb").read() == b"good!"


def test_manifests_tags_and_delete(tmp_path):
    st = Storage(str(tmp_path))
    d = image(st, "a/b", "v1", b"layer-1")
    st.put_manifest("a/b", "v2", st.read_blob(d), mf.OCI_MANIFEST)
    assert st.resolve("a/b", "v1") == (d, mf.OCI_MANIFEST)
    assert st.tags("a/b") == ["v1", "v2"]
    assert st.repositories() == ["a/b"]
    st.delete_manifest("a/b", "v2")
    assert st.tags("a/b") == ["v1"]
    st.delete_manifest("a/b", d)
    assert st.tags("a/b") == []
    with pytest.raises(RegistryError) as e:
        st.resolve("a/b", d)
    assert e.value.code == "MANIFEST_UNKNOWN"
    with pytest.raises(RegistryError) as e:
        st.tags("nope")
    assert e.value.code == "NAME_UNKNOWN"
    with pytest.raises(RegistryError) as e:
        st.put_manifest("a/b", "sha256:" + "0" * 64, b"{}", mf.OCI_MANIFEST)
    assert e.value.code == "DIGEST_INVALID"


def test_referrers(tmp_path):
    st = Storage(str(tmp_path))
    d = image(st, "r", "v1", b"l1")
    sig = image(st, "r", "sig", b"l2", subject=d)
    refs = st.referrers("r", d, None)
    assert [x["digest"] for x in refs] == [sig] and refs[0]["artifactType"] == "application/x-sig"
    assert st.referrers("r", d, "application/other") == []
    assert st.referrers("missing", d, None) == []


def test_gc_removes_only_unreferenced(tmp_path):
    st = Storage(str(tmp_path))
    keep = image(st, "r", "v1", b"kept-layer")
    gone = image(st, "r", "v2", b"gone-layer")
    orphan = upload(st, "r", b"orphan")
    st.delete_manifest("r", gone)
    dry = gc(str(tmp_path), dry_run=True)
    assert orphan in dry["deleted"] and gone in dry["deleted"] and st.blob_size(orphan) == 6
    report = gc(str(tmp_path))
    assert set(report["deleted"]) == set(dry["deleted"])
    assert st.blob_size(orphan) is None and st.repo_blob_size("r", orphan) is None
    assert st.blob_size(gone) is None
    man = json.loads(st.read_blob(keep))
    assert st.blob_size(keep) and all(st.blob_size(x["digest"]) for x in man["layers"] + [man["config"]])
    assert not os.path.exists(tmp_path / "repositories/r/_layers" / orphan)
    assert gc(str(tmp_path))["deleted"] == []


def test_gc_keeps_index_children(tmp_path):
    st = Storage(str(tmp_path))
    child = image(st, "r", "child", b"c")
    st.delete_manifest("r", "child")
    idx = json.dumps({"schemaVersion": 2, "mediaType": mf.OCI_INDEX, "manifests": [
        {"mediaType": mf.OCI_MANIFEST, "digest": child, "size": 1}]}).encode()
    st.put_manifest("r", "multi", idx, mf.OCI_INDEX)
    gc(str(tmp_path))
    man = json.loads(st.read_blob(child))
    assert st.blob_size(man["layers"][0]["digest"]) is not None


def test_pagination():
    items = ["a", "b", "c", "d"]
    assert paginate(items, None, None) == (items, False)
    assert paginate(items, 2, None) == (["a", "b"], True)
    assert paginate(items, 2, "b") == (["c", "d"], False)
    assert paginate(items, 0, None) == ([], False)
    assert paginate(items, None, "c") == (["d"], False)


def test_manifest_validation():
    good = {"schemaVersion": 2, "config": {"mediaType": "x", "digest": sha(b"c"), "size": 1}, "layers": []}
    assert mf.parse(json.dumps(good).encode(), "application/json")[0] == mf.OCI_MANIFEST
    assert mf.parse(json.dumps(good).encode(), mf.DOCKER_MANIFEST + "; charset=utf-8")[0] == mf.DOCKER_MANIFEST
    bad = [(b"not json", mf.OCI_MANIFEST), (b"[]", mf.OCI_MANIFEST),
           (json.dumps(dict(good, schemaVersion=1)).encode(), mf.OCI_MANIFEST),
           (json.dumps(dict(good, mediaType=mf.OCI_INDEX)).encode(), mf.OCI_MANIFEST),
           (json.dumps(good).encode(), "text/plain"),
           (json.dumps(dict(good, config={"digest": "sha256:zz"})).encode(), mf.OCI_MANIFEST),
           (json.dumps({"schemaVersion": 2, "manifests": {}}).encode(), mf.OCI_INDEX)]
    for data, ct in bad:
        with pytest.raises(RegistryError) as e:
            mf.parse(data, ct)
        assert e.value.code == "MANIFEST_INVALID"


def test_accept_and_ranges():
    assert mf.acceptable(mf.OCI_MANIFEST, [])
    assert mf.acceptable(mf.OCI_MANIFEST, mf.parse_accept([f"{mf.DOCKER_MANIFEST}, {mf.OCI_MANIFEST};q=0.5"]))
    assert not mf.acceptable(mf.OCI_INDEX, mf.parse_accept([mf.DOCKER_MANIFEST]))
    assert parse_range("bytes=2-", 10) == (2, 9)
    assert parse_range("bytes=-3", 10) == (7, 9)
    assert parse_range("bytes=0-100", 10) == (0, 9)
    with pytest.raises(RegistryError):
        parse_range("bytes=10-", 10)
    assert parse_content_range("0-4") == (0, 4) and parse_content_range("bytes 5-9/*") == (5, 9)
    with pytest.raises(RegistryError):
        parse_content_range("5-1")


def test_access_rules_and_tokens():
    auth = Auth(htpasswd="unused", access=[{"user": "alice", "repos": ["team/*"], "actions": ["pull", "push"]},
                                           {"user": "*", "repos": ["public/*"], "actions": ["pull"]}])
    pull = lambda n: Scope("repository", n, frozenset({"pull"}))  # noqa: E731
    push = Scope("repository", "team/x", frozenset({"pull", "push"}))
    assert auth.allows("alice", push) and auth.allows("bob", pull("public/a"))
    assert not auth.allows("bob", push) and not auth.allows(None, pull("public/a"))
    [scope] = parse_scopes(["repository:team/x:pull,push"])
    assert scope == push
    tok = auth.issue("bob", [scope])["token"]
    claims = auth.verify(tok)
    assert claims["access"] == [{"type": "repository", "name": "team/x", "actions": []}]
    assert auth.verify(tok[:-2] + "xx") is None
    assert Auth.token_allows(auth.verify(auth.issue("alice", [scope])["token"]), push)


def test_gc_expires_abandoned_uploads(tmp_path):
    st = Storage(str(tmp_path))
    fresh, old = st.start_upload("r"), st.start_upload("r")
    state = st.upload_state("r", old)
    st._save_state(old, dict(state, started=state["started"] - 30 * 86400))
    (tmp_path / "_uploads" / ".tmp-stale").write_bytes(b"x")
    gc(str(tmp_path))
    assert sorted(os.listdir(tmp_path / "_uploads")) == [fresh]
