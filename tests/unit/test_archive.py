"""docker save / docker load archives: reading Docker's layouts, writing
Docker 25+'s, and refusing unsafe or broken input."""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile

import pytest

from barge.distribution.archive import (
    SaveImage,
    SaveLayer,
    extract_archive,
    read_archive,
    write_archive,
)
from barge.errdefs import InvalidParameter, System
from barge_testlib import layer_tar


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def config_for(layers: list[bytes], cmd: str = "sh") -> bytes:
    return json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05.123456789Z",
        "config": {"Cmd": [cmd]},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{sha(lt)}" for lt in layers]},
    }, separators=(",", ":")).encode()


def outer_tar(members: dict[str, bytes | None]) -> bytes:
    """A tar of `members`; None makes a directory entry."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def load(tmp_path, data: bytes):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    extract_archive(io.BytesIO(data), str(work))
    return read_archive(str(work))


def layer_bytes(image, i: int) -> bytes:
    with open(image.layers[i].path, "rb") as f:
        return f.read()


BASE = layer_tar({"bin/sh": b"#!shell\n", "etc/hostname": b"box\n"})
TOP = layer_tar({"app/hello.txt": b"hello\n"})


# --- layouts written by Docker ----------------------------------------------


def legacy_archive() -> bytes:
    """Docker < 25: <config-hex>.json, <v1-id>/layer.tar, VERSION, json."""
    config = config_for([BASE, TOP])
    ids = ["a" * 64, "b" * 64]
    members: dict[str, bytes | None] = {}
    for layer_id, data in zip(ids, [BASE, TOP]):
        members[f"{layer_id}/"] = None
        members[f"{layer_id}/VERSION"] = b"1.0"
        members[f"{layer_id}/json"] = json.dumps({"id": layer_id}).encode()
        members[f"{layer_id}/layer.tar"] = data
    members[f"{sha(config)}.json"] = config
    members["manifest.json"] = json.dumps([{
        "Config": f"{sha(config)}.json", "RepoTags": ["busybox:latest", "me/app:1"],
        "Layers": [f"{i}/layer.tar" for i in ids]}]).encode() + b"\n"
    members["repositories"] = json.dumps({"busybox": {"latest": ids[-1]}}).encode()
    return outer_tar(members)


def docker25_archive() -> bytes:
    """Docker 25+: manifest.json over an OCI layout, with LayerSources."""
    config = config_for([BASE])
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": f"sha256:{sha(config)}", "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": f"sha256:{sha(BASE)}", "size": len(BASE)}]}).encode()
    source = {"mediaType": "application/vnd.oci.image.layer.v1.tar", "size": len(BASE),
              "digest": f"sha256:{sha(BASE)}"}
    return outer_tar({
        "blobs/": None, "blobs/sha256/": None,
        f"blobs/sha256/{sha(BASE)}": BASE,
        f"blobs/sha256/{sha(config)}": config,
        f"blobs/sha256/{sha(manifest)}": manifest,
        "index.json": json.dumps({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": f"sha256:{sha(manifest)}", "size": len(manifest),
            "annotations": {"io.containerd.image.name": "docker.io/library/busybox:latest",
                            "org.opencontainers.image.ref.name": "latest"}}]}).encode(),
        "manifest.json": json.dumps([{
            "Config": f"blobs/sha256/{sha(config)}", "RepoTags": ["busybox:latest"],
            "Layers": [f"blobs/sha256/{sha(BASE)}"],
            "LayerSources": {f"sha256:{sha(BASE)}": source}}]).encode(),
        "oci-layout": b'{"imageLayoutVersion": "1.0.0"}',
        "repositories": json.dumps({"busybox": {"latest": sha(BASE)}}).encode(),
    })


def oci_blobs(*blobs: bytes) -> dict[str, bytes | None]:
    return {f"blobs/sha256/{sha(b)}": b for b in blobs}


def oci_manifest(config: bytes, layers: list[bytes]) -> bytes:
    return json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": f"sha256:{sha(config)}", "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": f"sha256:{sha(lt)}", "size": len(lt)} for lt in layers],
    }).encode()


def descriptor(blob: bytes, media_type: str, **extra) -> dict:
    return {"mediaType": media_type, "digest": f"sha256:{sha(blob)}", "size": len(blob), **extra}


def oci_archive() -> bytes:
    """A pure OCI layout (no manifest.json) with gzip layers: one image named by
    containerd's annotation, one by a full ref.name behind a multi-platform index."""
    gz_base, gz_top = gzip.compress(BASE, mtime=0), gzip.compress(TOP, mtime=0)
    config1 = config_for([BASE])
    manifest1 = oci_manifest(config1, [gz_base])
    config2 = config_for([BASE, TOP], cmd="app")
    manifest2 = oci_manifest(config2, [gz_base, gz_top])
    arm_config = config_for([TOP], cmd="arm")
    arm_manifest = oci_manifest(arm_config, [gz_top])
    nested = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                         "manifests": [
        descriptor(arm_manifest, "application/vnd.oci.image.manifest.v1+json",
                   platform={"os": "linux", "architecture": "arm64"}),
        descriptor(manifest2, "application/vnd.oci.image.manifest.v1+json",
                   platform={"os": "linux", "architecture": "amd64"}),
    ]}).encode()
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [
        descriptor(manifest1, "application/vnd.oci.image.manifest.v1+json", annotations={
            "io.containerd.image.name": "docker.io/library/busybox:1.36",
            "org.opencontainers.image.ref.name": "1.36"}),
        descriptor(nested, "application/vnd.oci.image.index.v1+json", annotations={
            "org.opencontainers.image.ref.name": "registry.example:5000/team/app:v2"}),
        descriptor(manifest1, "application/vnd.oci.image.manifest.v1+json", annotations={
            "org.opencontainers.image.ref.name": "just-a-tag"}),
    ]}
    return outer_tar({
        "oci-layout": b'{"imageLayoutVersion":"1.0.0"}',
        "index.json": json.dumps(index).encode(),
        **oci_blobs(gz_base, gz_top, config1, manifest1, config2, manifest2,
                    arm_config, arm_manifest, nested),
    })


def test_reads_legacy_layout(tmp_path):
    [image] = load(tmp_path, legacy_archive())
    assert image.config == config_for([BASE, TOP])
    assert image.config_digest == f"sha256:{sha(image.config)}"
    assert image.repo_tags == ["busybox:latest", "me/app:1"]
    assert [layer_bytes(image, i) for i in range(2)] == [BASE, TOP]
    assert [layer.media_type for layer in image.layers] == [None, None]
    assert image.layers[0].path.endswith(f"{'a' * 64}/layer.tar")


def test_reads_docker25_layout_with_layer_sources(tmp_path):
    [image] = load(tmp_path, docker25_archive())
    assert image.repo_tags == ["busybox:latest"]
    assert layer_bytes(image, 0) == BASE
    assert image.layers[0].media_type == "application/vnd.oci.image.layer.v1.tar"


def test_reads_pure_oci_layout(tmp_path):
    images = load(tmp_path, oci_archive())
    assert [img.repo_tags for img in images] == [["busybox:1.36"],
                                                 ["registry.example:5000/team/app:v2"]]
    first, second = images
    assert json.loads(second.config)["config"]["Cmd"] == ["app"]   # amd64, not arm64
    assert gzip.decompress(layer_bytes(second, 1)) == TOP
    assert {layer.media_type for layer in first.layers + second.layers} == {
        "application/vnd.oci.image.layer.v1.tar+gzip"}


def test_oci_layout_for_another_platform(tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    extract_archive(io.BytesIO(oci_archive()), str(work))
    images = read_archive(str(work), platform="linux/arm64")
    assert json.loads(images[1].config)["config"]["Cmd"] == ["arm"]


def test_gzip_compressed_outer_stream(tmp_path):
    [image] = load(tmp_path, gzip.compress(legacy_archive()))
    assert image.repo_tags == ["busybox:latest", "me/app:1"]


# --- writing ------------------------------------------------------------------


class Pipe:
    """A write-only sink: no seek, no tell, like a socket."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def value(self) -> bytes:
        return b"".join(self.chunks)


def save_layer(data: bytes, opened: list | None = None) -> SaveLayer:
    def open_() -> io.BytesIO:
        if opened is not None:
            opened.append(sha(data))
        return io.BytesIO(data)
    return SaveLayer(f"sha256:{sha(data)}", len(data), open_)


def saved(images: list[SaveImage]) -> bytes:
    pipe = Pipe()
    write_archive(pipe, images)
    return pipe.value()


def two_images(opened: list | None = None) -> list[SaveImage]:
    base, top = save_layer(BASE, opened), save_layer(TOP, opened)
    return [SaveImage(config_for([BASE]), [base], ["busybox:latest"]),
            SaveImage(config_for([BASE, TOP], cmd="app"), [base, top], ["me/app:1", "me/app"])]


def test_write_then_read_round_trip(tmp_path):
    images = load(tmp_path, saved(two_images()))
    assert [img.repo_tags for img in images] == [["busybox:latest"], ["me/app:1", "me/app:latest"]]
    assert images[1].config == config_for([BASE, TOP], cmd="app")
    assert [layer_bytes(images[1], i) for i in range(2)] == [BASE, TOP]
    assert images[1].layers[0].path == images[0].layers[0].path
    assert images[1].layers[0].media_type == "application/vnd.oci.image.layer.v1.tar"


def test_written_archive_also_reads_as_pure_oci(tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    extract_archive(io.BytesIO(saved(two_images())), str(work))
    os.remove(work / "manifest.json")
    images = read_archive(str(work))
    assert [img.repo_tags for img in images] == [["busybox:latest"], ["me/app:1", "me/app:latest"]]
    assert layer_bytes(images[1], 1) == TOP


def test_write_members_and_json_shapes():
    config = config_for([BASE])
    data = saved([SaveImage(config, [save_layer(BASE)], ["busybox"])])
    tf = tarfile.open(fileobj=io.BytesIO(data))
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": f"sha256:{sha(config)}", "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": f"sha256:{sha(BASE)}", "size": len(BASE)}],
    }, separators=(",", ":")).encode()
    blobs = sorted([sha(config), sha(BASE), sha(manifest)])
    assert tf.getnames() == ["blobs", "blobs/sha256", *[f"blobs/sha256/{h}" for h in blobs],
                             "index.json", "manifest.json", "oci-layout", "repositories"]

    def text(name: str) -> str:
        return tf.extractfile(name).read().decode()

    assert text(f"blobs/sha256/{sha(manifest)}") == manifest.decode()
    assert text("index.json") == (
        '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",'
        '"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",'
        f'"digest":"sha256:{sha(manifest)}","size":{len(manifest)},"annotations":'
        '{"io.containerd.image.name":"docker.io/library/busybox:latest",'
        '"org.opencontainers.image.ref.name":"latest"}}]}')
    assert text("manifest.json") == (
        f'[{{"Config":"blobs/sha256/{sha(config)}","RepoTags":["busybox:latest"],'
        f'"Layers":["blobs/sha256/{sha(BASE)}"],"LayerSources":{{"sha256:{sha(BASE)}":'
        f'{{"mediaType":"application/vnd.oci.image.layer.v1.tar","size":{len(BASE)},'
        f'"digest":"sha256:{sha(BASE)}"}}}}}}]\n')
    assert text("oci-layout") == '{"imageLayoutVersion": "1.0.0"}'
    assert text("repositories") == f'{{"busybox":{{"latest":"{sha(BASE)}"}}}}\n'
    times = {m.name: m.mtime for m in tf.getmembers()}
    created = 1704164645   # 2024-01-02T03:04:05Z, the config's created
    assert times[f"blobs/sha256/{sha(config)}"] == times[f"blobs/sha256/{sha(BASE)}"] == created
    assert times["manifest.json"] == times["index.json"] == times[f"blobs/sha256/{sha(manifest)}"] == 0


def test_write_untagged_image():
    data = saved([SaveImage(config_for([BASE]), [save_layer(BASE)], [])])
    tf = tarfile.open(fileobj=io.BytesIO(data))
    assert "repositories" not in tf.getnames()
    assert json.loads(tf.extractfile("manifest.json").read())[0]["RepoTags"] is None
    [desc] = json.loads(tf.extractfile("index.json").read())["manifests"]
    assert "annotations" not in desc


def test_write_is_deterministic_and_writes_shared_layers_once():
    opened: list[str] = []
    first = saved(two_images(opened))
    assert sorted(opened) == sorted([sha(BASE), sha(TOP)])
    assert saved(two_images()) == first
    names = tarfile.open(fileobj=io.BytesIO(first)).getnames()
    assert names.count(f"blobs/sha256/{sha(BASE)}") == 1


def test_write_merges_images_with_the_same_config():
    base = save_layer(BASE)
    data = saved([SaveImage(config_for([BASE]), [base], ["a:1"]),
                  SaveImage(config_for([BASE]), [base], ["b:2"])])
    entries = json.loads(tarfile.open(fileobj=io.BytesIO(data)).extractfile("manifest.json").read())
    assert [e["RepoTags"] for e in entries] == [["a:1", "b:2"]]


def test_write_refuses_config_that_does_not_match_layers():
    with pytest.raises(InvalidParameter, match="diff_ids"):
        saved([SaveImage(config_for([BASE]), [save_layer(TOP)], [])])


def test_write_detects_a_layer_whose_bytes_changed():
    layer = SaveLayer(f"sha256:{sha(BASE)}", len(BASE), lambda: io.BytesIO(TOP.ljust(len(BASE), b"\0")))
    with pytest.raises(System, match="does not match"):
        saved([SaveImage(config_for([BASE]), [layer], [])])


def test_write_detects_a_short_layer():
    layer = SaveLayer(f"sha256:{sha(BASE)}", len(BASE), lambda: io.BytesIO(BASE[:100]))
    with pytest.raises(System):
        saved([SaveImage(config_for([BASE]), [layer], [])])


# --- unsafe or broken archives ------------------------------------------------


def extract(tmp_path, data: bytes) -> None:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    extract_archive(io.BytesIO(data), str(work))


def tar_with(info: tarfile.TarInfo, data: bytes = b"") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data) if data else None)
    return buf.getvalue()


@pytest.mark.parametrize("name", ["../evil", "a/../../evil", "/etc/evil"])
def test_rejects_escaping_paths(tmp_path, name):
    with pytest.raises(InvalidParameter, match="invalid archive"):
        extract(tmp_path, tar_with(tarfile.TarInfo(name), b"x"))
    assert not (tmp_path / "evil").exists()


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE])
def test_rejects_links_and_special_files(tmp_path, kind):
    info = tarfile.TarInfo("manifest.json")
    info.type = kind
    info.linkname = "/etc/passwd"
    with pytest.raises(InvalidParameter, match="not allowed"):
        extract(tmp_path, tar_with(info))


def test_rejects_file_over_directory(tmp_path):
    with pytest.raises(InvalidParameter, match="conflicts"):
        extract(tmp_path, outer_tar({"blobs/": None, "blobs/sha256": b"x", "blobs/sha256/y": b"z"}))


@pytest.mark.parametrize("cut", [700, 512 * 3, 512 * 3 + 100])
def test_rejects_truncated_tar(tmp_path, cut):
    data = outer_tar({"a": b"x" * 600, "b": b"y" * 10})   # a: header 0, data 512-1535; b: 1536
    with pytest.raises(InvalidParameter, match="invalid archive"):
        extract(tmp_path, data[:cut])


def test_rejects_truncated_gzip(tmp_path):
    data = gzip.compress(legacy_archive())
    with pytest.raises(InvalidParameter, match="invalid archive"):
        extract(tmp_path, data[: len(data) // 2])


@pytest.mark.parametrize("data", [b"", b"this is not a tar file" * 100, os.urandom(4096)])
def test_rejects_garbage(tmp_path, data):
    with pytest.raises(InvalidParameter, match="invalid archive"):
        extract(tmp_path, data)


def test_rejects_garbage_after_first_member(tmp_path):
    data = outer_tar({"a": b"x"})
    with pytest.raises(InvalidParameter, match="invalid archive"):
        extract(tmp_path, data[:1024] + b"\xff" * 2048)


def test_rejects_manifest_that_is_not_json(tmp_path):
    with pytest.raises(InvalidParameter, match="manifest.json"):
        load(tmp_path, outer_tar({"manifest.json": b"{not json"}))


def test_rejects_archive_without_manifest_or_index(tmp_path):
    with pytest.raises(InvalidParameter, match="neither manifest.json nor index.json"):
        load(tmp_path, outer_tar({"repositories": b"{}"}))


def rewrite(data: bytes, drop: str = "", replace: dict[str, bytes] | None = None) -> bytes:
    src = tarfile.open(fileobj=io.BytesIO(data))
    members: dict[str, bytes | None] = {}
    for m in src.getmembers():
        if m.name == drop:
            continue
        members[m.name] = None if m.isdir() else src.extractfile(m).read()
    members.update(replace or {})
    return outer_tar(members)


def test_rejects_missing_layer_blob(tmp_path):
    data = rewrite(legacy_archive(), drop=f"{'b' * 64}/layer.tar")
    with pytest.raises(InvalidParameter, match="missing from the archive"):
        load(tmp_path, data)


def test_rejects_missing_oci_blob(tmp_path):
    data = rewrite(oci_archive(), drop=f"blobs/sha256/{sha(gzip.compress(TOP, mtime=0))}")
    with pytest.raises(InvalidParameter, match="missing from the archive"):
        load(tmp_path, data)


def test_rejects_config_digest_mismatch(tmp_path):
    config = config_for([BASE, TOP])
    data = rewrite(legacy_archive(), replace={f"{sha(config)}.json": config + b" "})
    with pytest.raises(InvalidParameter, match="does not match its digest"):
        load(tmp_path, data)


def test_rejects_oci_config_digest_mismatch(tmp_path):
    config = config_for([BASE])
    tampered = config.replace(b'"sh"', b'"zz"')
    data = rewrite(oci_archive(), replace={f"blobs/sha256/{sha(config)}": tampered})
    with pytest.raises(InvalidParameter, match="digest mismatch"):
        load(tmp_path, data)


def test_rejects_oci_blob_size_mismatch(tmp_path):
    gz = gzip.compress(BASE, mtime=0)
    data = rewrite(oci_archive(), replace={f"blobs/sha256/{sha(gz)}": gz + b"\0"})
    with pytest.raises(InvalidParameter, match="does not match the descriptor"):
        load(tmp_path, data)


def test_rejects_layer_count_mismatch(tmp_path):
    manifest = json.loads(rewrite_source(legacy_archive(), "manifest.json"))
    manifest[0]["Layers"].pop()
    data = rewrite(legacy_archive(), replace={"manifest.json": json.dumps(manifest).encode()})
    with pytest.raises(InvalidParameter, match="config lists 2 layers but the manifest lists 1"):
        load(tmp_path, data)


def test_rejects_manifest_paths_outside_the_archive(tmp_path):
    manifest = json.loads(rewrite_source(legacy_archive(), "manifest.json"))
    manifest[0]["Layers"][0] = "../../etc/passwd"
    data = rewrite(legacy_archive(), replace={"manifest.json": json.dumps(manifest).encode()})
    with pytest.raises(InvalidParameter, match="escapes the archive"):
        load(tmp_path, data)


def rewrite_source(data: bytes, name: str) -> bytes:
    return tarfile.open(fileobj=io.BytesIO(data)).extractfile(name).read()
