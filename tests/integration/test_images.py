"""Images through the barge CLI: import, tag, rmi, history, inspect, save, load, prune."""
from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import tarfile
import time
import uuid

import pytest


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def legacy_save_archive(tag: str, base_layer: bytes, extra: bytes) -> bytes:
    """A `docker save` tar in the pre-25 layout (<id>/layer.tar, <config>.json)."""
    diffs = ["sha256:" + hashlib.sha256(x).hexdigest() for x in (base_layer, extra)]
    config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
                         "config": {"Cmd": ["sh"], "Env": ["PATH=/usr/bin:/bin"]},
                         "history": [{"created": "2024-01-02T03:04:05Z", "created_by": "base"},
                                     {"created": "2024-01-02T03:04:06Z", "created_by": "extra"}],
                         "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
    chex = hashlib.sha256(config).hexdigest()
    files = {f"{chex}.json": config}
    ids = []
    for i, layer in enumerate((base_layer, extra)):
        lid = hashlib.sha256(b"%d" % i + layer).hexdigest()
        ids.append(lid)
        files[f"{lid}/VERSION"] = b"1.0"
        files[f"{lid}/json"] = json.dumps({"id": lid}).encode()
        files[f"{lid}/layer.tar"] = layer
    repo, t = tag.rsplit(":", 1)
    files["manifest.json"] = json.dumps([{"Config": f"{chex}.json", "RepoTags": [tag],
                                          "Layers": [f"{i}/layer.tar" for i in ids]}]).encode()
    files["repositories"] = json.dumps({repo: {t: ids[-1]}}).encode()
    return _tar(files)


@pytest.fixture
def busybox_layer(daemon, tmp_path) -> bytes:
    """busybox's one layer, as barge saves it."""
    out = tmp_path / "bb.tar"
    daemon.out("save", "-o", str(out), "busybox")
    with tarfile.open(out) as t:
        manifest = json.load(t.extractfile("manifest.json"))
        return t.extractfile(manifest[0]["Layers"][0]).read()


def test_images_table_and_tag_rmi(daemon):
    lines = daemon.out("images").splitlines()
    assert re.split(r"\s{2,}", lines[0]) == ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]
    assert any(re.match(r"busybox\s+latest\s+[0-9a-f]{12}\s+.+\s+\d+(\.\d+)?[kM]B$", ln) for ln in lines[1:])
    daemon.out("tag", "busybox", "mybox:1")
    try:
        assert "mybox:1" in json.loads(daemon.out("image", "inspect", "busybox"))[0]["RepoTags"]
        assert daemon.out("images", "-q", "mybox") == daemon.out("images", "-q", "busybox")
    finally:
        assert daemon.out("rmi", "mybox:1") == "Untagged: mybox:1\n"
    assert daemon.cli("image", "inspect", "mybox:1").returncode == 1


def test_rmi_refuses_an_image_in_use(daemon):
    tag = f"inuse-{uuid.uuid4().hex[:6]}:1"
    daemon.out("tag", "busybox", tag)
    c = daemon.out("create", tag, "true").strip()
    try:
        # the image has two names: removing one is only an untag
        assert daemon.out("rmi", tag) == f"Untagged: {tag}\n"
        r = daemon.cli("rmi", daemon.out("images", "-q", "busybox").strip())
        assert r.returncode == 1 and b"must be forced" in r.stderr
    finally:
        daemon.cli("rm", "-f", c)


def test_history_and_inspect(daemon):
    lines = daemon.out("history", "busybox").splitlines()
    assert re.split(r"\s{2,}", lines[0].strip()) == ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]
    assert "Imported from -" in lines[1]
    assert daemon.out("history", "-q", "busybox").strip() == daemon.out("images", "-q", "busybox").strip()
    info = json.loads(daemon.out("image", "inspect", "busybox"))[0]
    assert info["Config"]["Cmd"] == ["sh"] and info["RootFS"]["Type"] == "layers"
    assert daemon.out("image", "inspect", "-f", "{{.Os}}/{{.Architecture}}", "busybox") == "linux/amd64\n"


def test_image_id_is_the_config_digest(daemon, tmp_path):
    out = tmp_path / "bb.tar"
    daemon.out("save", "-o", str(out), "busybox")
    with tarfile.open(out) as t:
        manifest = json.load(t.extractfile("manifest.json"))
        config = t.extractfile(manifest[0]["Config"]).read()
        layer = t.extractfile(manifest[0]["Layers"][0]).read()
    iid = daemon.out("image", "inspect", "-f", "{{.Id}}", "busybox").strip()
    assert iid == "sha256:" + hashlib.sha256(config).hexdigest()
    assert json.loads(config)["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(layer).hexdigest()]


def test_save_load_round_trip(daemon, tmp_path):
    tag = f"rt-{uuid.uuid4().hex[:6]}:1"
    daemon.out("tag", "busybox", tag)
    out = tmp_path / "x.tar"
    daemon.out("save", "-o", str(out), tag)
    daemon.out("rmi", tag)
    r = daemon.cli("load", "-i", str(out))
    assert r.returncode == 0 and r.stdout.decode() == f"Loaded image: {tag}\n"
    assert daemon.out("run", "--rm", tag, "echo", "ok") == "ok\n"
    daemon.out("rmi", tag)
    # through stdin
    r = daemon.cli("load", input=out.read_bytes())
    assert r.returncode == 0 and f"Loaded image: {tag}" in r.stdout.decode()
    daemon.out("rmi", tag)


def test_load_docker_legacy_layout(daemon, busybox_layer):
    tag = f"legacy-{uuid.uuid4().hex[:6]}:2"
    extra = _tar({"hello.txt": b"from a docker-layout archive\n"})
    r = daemon.cli("load", input=legacy_save_archive(tag, busybox_layer, extra))
    assert r.returncode == 0, r.stderr
    try:
        assert daemon.out("run", "--rm", tag, "cat", "/hello.txt") == "from a docker-layout archive\n"
        hist = daemon.out("history", "--format", "{{.CreatedBy}}", tag).split()
        assert hist == ["extra", "base"]
        # the base layer is shared with busybox, not unpacked twice
        bb = json.loads(daemon.out("image", "inspect", "busybox"))[0]["GraphDriver"]["Data"]["UpperDir"]
        lower = json.loads(daemon.out("image", "inspect", tag))[0]["GraphDriver"]["Data"]["LowerDir"]
        assert lower == bb
    finally:
        daemon.cli("rmi", tag)


def test_import_with_changes_and_from_stdin(daemon, busybox_layer):
    tag = f"imp-{uuid.uuid4().hex[:6]}:1"
    r = daemon.cli("import", "-c", 'CMD ["echo", "imported"]', "-c", "ENV A=b", "-c", "WORKDIR /srv",
                   "-m", "hello", "-", tag, input=busybox_layer)
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(rb"sha256:[0-9a-f]{64}\n", r.stdout)
    try:
        assert daemon.out("run", "--rm", tag) == "imported\n"
        assert daemon.out("run", "--rm", tag, "sh", "-c", "echo $A; pwd") == "b\n/srv\n"
        r = daemon.cli("import", "-c", "BOGUS x", "-", "bad:1", input=busybox_layer)
        assert r.returncode == 1 and b"bogus is not a valid change command" in r.stderr
    finally:
        daemon.cli("rmi", tag)


def test_export_import_round_trip(daemon, tmp_path):
    c = daemon.out("run", "-d", "busybox", "sh", "-c", "echo data > /made-here; sleep 60").strip()
    tag = f"exp-{uuid.uuid4().hex[:6]}:1"
    try:
        daemon.out("export", "-o", str(tmp_path / "c.tar"), c)
        daemon.out("import", str(tmp_path / "c.tar"), tag)
        assert daemon.out("run", "--rm", tag, "cat", "/made-here") == "data\n"
    finally:
        daemon.cli("rm", "-f", c)
        daemon.cli("rmi", tag)


def test_image_prune_and_filters(daemon, busybox_layer):
    r = daemon.cli("import", "-", input=busybox_layer)  # untagged: dangling
    iid = r.stdout.decode().strip()
    dangling = daemon.out("images", "-q", "--no-trunc", "--filter", "dangling=true").split()
    assert iid in dangling or iid.removeprefix("sha256:") in [d.removeprefix("sha256:") for d in dangling]
    assert "busybox" not in daemon.out("images", "--filter", "dangling=true")
    assert daemon.out("images", "--format", "{{.Repository}}", "--filter", "reference=busy*").split() == ["busybox"]
    out = daemon.out("image", "prune", "-f")
    assert out.endswith("B\n") and "Total reclaimed space" in out
    assert daemon.out("images", "-q", "--filter", "dangling=true") == ""
    assert daemon.out("run", "--rm", "busybox", "true") == ""


def test_unknown_image(daemon):
    r = daemon.cli("run", "--rm", "nosuch:1", "true")
    assert r.returncode == 125
    assert b"Unable to find image 'nosuch:1' locally" in r.stderr
    r = daemon.cli("image", "inspect", "nosuch:1")
    assert r.returncode == 1 and b"No such image: nosuch:1" in r.stderr
    r = daemon.cli("rmi", "nosuch:1")
    assert r.returncode == 1 and r.stderr == b"Error response from daemon: No such image: nosuch:1\n"


def many_layer_archive(tag: str, base_layer: bytes, n: int) -> bytes:
    """A Docker-25 style archive (blobs/sha256) of busybox plus n one-file layers."""
    layers = [base_layer] + [_tar({f"layer{i:03d}": b"%d\n" % i}) for i in range(n)]
    diffs = ["sha256:" + hashlib.sha256(x).hexdigest() for x in layers]
    config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
                         "config": {"Cmd": ["sh"], "Env": ["PATH=/usr/bin:/bin"]},
                         "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
    files = {"blobs/sha256/" + hashlib.sha256(config).hexdigest(): config}
    for layer, d in zip(layers, diffs):
        files["blobs/sha256/" + d.split(":")[1]] = layer
    files["manifest.json"] = json.dumps([{
        "Config": "blobs/sha256/" + hashlib.sha256(config).hexdigest(), "RepoTags": [tag],
        "Layers": ["blobs/sha256/" + d.split(":")[1] for d in diffs]}]).encode()
    return _tar(files)


def test_a_hundred_layers_mount(daemon, busybox_layer):
    """101 lower dirs: the overlay options pass a page with this test's long data root,
    so barge mounts them by short relative names."""
    tag = f"deep-{uuid.uuid4().hex[:6]}:1"
    r = daemon.cli("load", input=many_layer_archive(tag, busybox_layer, 100))
    assert r.returncode == 0, r.stderr
    try:
        lower = json.loads(daemon.out("image", "inspect", tag))[0]["GraphDriver"]["Data"]["LowerDir"]
        assert len(lower.split(":")) == 100
        out = daemon.out("run", "--rm", tag, "sh", "-c", "cat /layer000 /layer099; ls / | grep -c layer")
        assert out == "0\n99\n100\n"
    finally:
        daemon.cli("rmi", tag)


def test_system_df(daemon):
    c = daemon.out("run", "-d", "busybox", "sh", "-c", "head -c 3000 /dev/zero > /blob; sleep 60").strip()
    try:
        time.sleep(0.3)
        lines = daemon.out("system", "df").splitlines()
        assert re.split(r"\s{2,}", lines[0]) == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
        assert [ln.split()[0] for ln in lines[1:]] == ["Images", "Containers", "Local", "Build"]
        row = json.loads(daemon.out("system", "df", "--format", "{{json .}}").splitlines()[1])
        assert row["Type"] == "Containers" and int(row["Active"]) >= 1 and row["Size"].endswith("kB")
        v = daemon.out("system", "df", "-v")
        assert "Images space usage:" in v and c[:12] in v and "3kB" in v
    finally:
        daemon.cli("rm", "-f", c)
