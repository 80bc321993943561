"""Write `docker save` archives (what `barge save` produces).

The layout is Docker 25+'s: an OCI image layout (`blobs/sha256/...`,
`index.json`, `oci-layout`) with Docker's `manifest.json` and `repositories`
beside it, so both Docker's classic loader (20.10 included, which only follows
the paths in manifest.json) and OCI/containerd importers accept it. Layers are
stored uncompressed, so a layer's blob digest is its diff_id.

The output is a stream: nothing is seeked, layers are copied in chunks, and
every member's size is known before it is written. Members come in the order
Docker's directory walk produces (sorted), and timestamps are fixed, so the
same images always give the same bytes.
"""
from __future__ import annotations

import contextlib
import datetime
import hashlib
import io
import json
import re
import tarfile
from dataclasses import dataclass, field
from typing import BinaryIO, Callable

from barge.errdefs import InvalidParameter, System
from barge.spec import reference

MEDIA_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
ANNOTATION_IMAGE_NAME = "io.containerd.image.name"
ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name"
# Docker writes this exact text (note the space), with no trailing newline.
OCI_LAYOUT = b'{"imageLayoutVersion": "1.0.0"}'

_DIFF_ID_RE = re.compile(r"^sha256:([a-f0-9]{64})$")
_CREATED_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$")
_COPY_CHUNK = 1 << 20


@dataclass
class SaveLayer:
    diff_id: str                    # "sha256:<hex>" of the uncompressed layer tar
    size: int                       # byte size of that tar
    open: Callable[[], BinaryIO]    # opens the uncompressed layer tar


@dataclass
class SaveImage:
    config: bytes
    layers: list[SaveLayer]
    repo_tags: list[str]            # may be empty (saved by id)


@dataclass
class _Blob:
    hex: str
    size: int
    mtime: int
    data: bytes | None = None       # small JSON blobs are held; layers are streamed
    layer: SaveLayer | None = None


@dataclass
class _Plan:
    """Everything known before the first byte is written."""
    blobs: dict[str, _Blob] = field(default_factory=dict)
    manifest_entries: list[dict] = field(default_factory=list)
    index_descriptors: list[dict] = field(default_factory=list)
    repositories: dict[str, dict[str, str]] = field(default_factory=dict)

    def add_blob(self, blob: _Blob) -> None:
        self.blobs.setdefault(blob.hex, blob)


def write_archive(out: BinaryIO, images: list[SaveImage]) -> None:
    """Stream the archive of `images` to `out`. Raises InvalidParameter for
    inconsistent input (before writing anything) and System when a layer's
    bytes do not match its diff_id."""
    plan = _plan(_merge_same_config(images))
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tf:
        _add_dir(tf, "blobs")
        _add_dir(tf, "blobs/sha256")
        for hex_ in sorted(plan.blobs):
            _add_blob(tf, plan.blobs[hex_])
        _add_bytes(tf, "index.json", _go_json(_index(plan.index_descriptors)))
        _add_bytes(tf, "manifest.json", _go_json(plan.manifest_entries) + b"\n")
        _add_bytes(tf, "oci-layout", OCI_LAYOUT)
        if plan.repositories:
            _add_bytes(tf, "repositories", _go_json(_repositories(plan.repositories)) + b"\n")


def oci_manifest(image: SaveImage) -> bytes:
    """The OCI manifest the archive holds for `image`, byte for byte."""
    return _go_json(_oci_manifest(hashlib.sha256(image.config).hexdigest(), image))


# --- planning -------------------------------------------------------------


def _merge_same_config(images: list[SaveImage]) -> list[SaveImage]:
    """One entry per image, as Docker keys its save by image id."""
    merged: dict[str, SaveImage] = {}
    for img in images:
        key = hashlib.sha256(img.config).hexdigest()
        if key in merged:
            merged[key].repo_tags.extend(img.repo_tags)
        else:
            merged[key] = SaveImage(img.config, img.layers, list(img.repo_tags))
    return list(merged.values())


def _plan(images: list[SaveImage]) -> _Plan:
    plan = _Plan()
    for img in images:
        _check_layers(img)
        created = _created_seconds(img.config)
        config_hex = hashlib.sha256(img.config).hexdigest()
        plan.add_blob(_Blob(config_hex, len(img.config), created, data=img.config))
        for layer in img.layers:
            plan.add_blob(_Blob(_hex(layer.diff_id), layer.size, created, layer=layer))
        manifest = _go_json(_oci_manifest(config_hex, img))
        manifest_hex = hashlib.sha256(manifest).hexdigest()
        plan.add_blob(_Blob(manifest_hex, len(manifest), 0, data=manifest))
        refs = _tagged_refs(img.repo_tags)
        plan.index_descriptors.extend(_index_descriptors(manifest_hex, len(manifest), refs))
        plan.manifest_entries.append(_manifest_entry(config_hex, img, refs))
        if img.layers:
            for ref in refs:
                plan.repositories.setdefault(ref.repository, {})[ref.tag] = \
                    _hex(img.layers[-1].diff_id)
    return plan


def _hex(diff_id: str) -> str:
    return diff_id.partition(":")[2]


def _check_layers(img: SaveImage) -> None:
    for layer in img.layers:
        if not _DIFF_ID_RE.match(layer.diff_id):
            raise InvalidParameter(f"save: bad layer diff_id {layer.diff_id!r}")
        if layer.size < 0:
            raise InvalidParameter(f"save: bad size for layer {layer.diff_id}")
    try:
        rootfs = json.loads(img.config).get("rootfs") or {}
        diff_ids = rootfs.get("diff_ids") or []
    except (ValueError, AttributeError):
        raise InvalidParameter("save: image config is not a JSON object") from None
    if diff_ids != [layer.diff_id for layer in img.layers]:
        raise InvalidParameter("save: image config's rootfs.diff_ids do not match its layers")


def _created_seconds(config: bytes) -> int:
    """The config's `created` as a Unix time (Docker stamps configs and layers
    with it); 0 when absent or unreadable."""
    created = json.loads(config).get("created")
    m = _CREATED_RE.match(created) if isinstance(created, str) else None
    if not m:
        return 0
    try:
        when = datetime.datetime.fromisoformat(m.group(1) + m.group(2).replace("Z", "+00:00"))
    except ValueError:
        return 0
    return max(0, int(when.timestamp()))


def _tagged_refs(repo_tags: list[str]) -> list[reference.Reference]:
    """Docker's rules: default the tag, drop digest-only names, dedupe."""
    refs: list[reference.Reference] = []
    for name in repo_tags:
        ref = reference.parse(name)
        if ref.digest:
            continue
        ref = ref.with_default_tag()
        if ref not in refs:
            refs.append(ref)
    return refs


def _oci_manifest(config_hex: str, img: SaveImage) -> dict:
    return {
        "schemaVersion": 2,
        "mediaType": MEDIA_OCI_MANIFEST,
        "config": {"mediaType": MEDIA_OCI_CONFIG, "digest": f"sha256:{config_hex}",
                   "size": len(img.config)},
        "layers": [{"mediaType": MEDIA_OCI_LAYER_TAR, "digest": layer.diff_id,
                    "size": layer.size} for layer in img.layers],
    }


def _index_descriptors(manifest_hex: str, size: int,
                       refs: list[reference.Reference]) -> list[dict]:
    base = {"mediaType": MEDIA_OCI_MANIFEST, "digest": f"sha256:{manifest_hex}", "size": size}
    if not refs:
        return [base]
    return [dict(base, annotations={
        ANNOTATION_IMAGE_NAME: f"{ref.full_repository}:{ref.tag}",
        ANNOTATION_REF_NAME: ref.tag,
    }) for ref in refs]


def _index(descriptors: list[dict]) -> dict:
    return {"schemaVersion": 2, "mediaType": MEDIA_OCI_INDEX, "manifests": descriptors}


def _manifest_entry(config_hex: str, img: SaveImage, refs: list[reference.Reference]) -> dict:
    # Docker's distribution.Descriptor puts size before digest here, unlike OCI's.
    sources = {layer.diff_id: {"mediaType": MEDIA_OCI_LAYER_TAR, "size": layer.size,
                               "digest": layer.diff_id} for layer in img.layers}
    entry = {
        "Config": f"blobs/sha256/{config_hex}",
        "RepoTags": [ref.familiar() for ref in refs] or None,
        "Layers": [f"blobs/sha256/{_hex(layer.diff_id)}" for layer in img.layers],
    }
    if sources:
        entry["LayerSources"] = _sorted_map(sources)
    return entry


def _sorted_map(d: dict) -> dict:
    """Go marshals maps with sorted keys (structs keep their field order)."""
    return dict(sorted(d.items()))


def _repositories(repos: dict[str, dict[str, str]]) -> dict:
    return {name: _sorted_map(tags) for name, tags in sorted(repos.items())}


def _go_json(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


# --- tar output -----------------------------------------------------------


def _info(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o644
    info.uname = info.gname = "root"
    return info


def _add_dir(tf: tarfile.TarFile, name: str) -> None:
    info = _info(name, 0, 0)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    tf.addfile(info)


def _add_bytes(tf: tarfile.TarFile, name: str, data: bytes, mtime: int = 0) -> None:
    tf.addfile(_info(name, len(data), mtime), io.BytesIO(data))


def _add_blob(tf: tarfile.TarFile, blob: _Blob) -> None:
    name = f"blobs/sha256/{blob.hex}"
    if blob.data is not None:
        _add_bytes(tf, name, blob.data, blob.mtime)
        return
    layer = blob.layer
    with contextlib.closing(layer.open()) as src:
        reader = _HashingReader(src)
        try:
            tf.addfile(_info(name, blob.size, blob.mtime), reader)
        except OSError as e:
            raise System(f"save: reading layer {layer.diff_id}: {e}") from None
        if reader.read(1) or reader.digest() != layer.diff_id:
            raise System(f"save: layer {layer.diff_id} does not match its content "
                         f"({reader.count} bytes, {reader.digest()})")


class _HashingReader(io.RawIOBase):
    def __init__(self, src: BinaryIO) -> None:
        self._src = src
        self._hash = hashlib.sha256()
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        data = self._src.read(min(len(b), _COPY_CHUNK))
        n = len(data)
        b[:n] = data
        self._hash.update(data)
        self.count += n
        return n

    def digest(self) -> str:
        return f"sha256:{self._hash.hexdigest()}"
