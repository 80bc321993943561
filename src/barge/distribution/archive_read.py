"""Unpack and parse `docker save` archives (what `barge load` reads).

Three layouts are understood:

- Docker before 25: `manifest.json`, `<id>.json` configs, `<id>/layer.tar`.
- Docker 25+: `manifest.json` pointing into an OCI layout (`blobs/sha256/...`),
  plus `index.json`, `oci-layout` and `repositories`.
- A pure OCI image layout (`index.json` only), e.g. from buildkit or skopeo.

When `manifest.json` is present it wins, as it does for Docker's own loader.
"""
from __future__ import annotations

import hashlib
import json
import lzma
import os
import re
import stat
import tarfile
import zlib
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable

from barge.errdefs import BargeError, InvalidParameter, System
from barge.spec import reference
from barge.util.compression import decompressed

from barge.spec.mediatypes import DOCKER_LIST as MEDIA_DOCKER_LIST
from barge.spec.mediatypes import DOCKER_MANIFEST as MEDIA_DOCKER_MANIFEST
from barge.spec.mediatypes import OCI_INDEX as MEDIA_OCI_INDEX
from barge.spec.mediatypes import OCI_MANIFEST as MEDIA_OCI_MANIFEST
ANNOTATION_IMAGE_NAME = "io.containerd.image.name"
ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name"

_INDEX_TYPES = (MEDIA_OCI_INDEX, MEDIA_DOCKER_LIST)
_MANIFEST_TYPES = (MEDIA_OCI_MANIFEST, MEDIA_DOCKER_MANIFEST)
_DIGEST_RE = re.compile(r"^(sha256|sha384|sha512):([a-f0-9]{64,128})$")
# A config file name that embeds its digest: "<hex>.json" (Docker < 25),
# "blobs/sha256/<hex>" (Docker 25+), "sha256:<hex>" (go-containerregistry).
_HEX64_RE = re.compile(r"^[a-f0-9]{64}$")
_NAMED_CONFIG_RE = re.compile(r"^(?:.*/)?(?:sha256[:/])?([a-f0-9]{64})(?:\.json)?$")
_MAX_JSON = 32 << 20
_MAX_INDEX_DEPTH = 4
_COPY_CHUNK = 1 << 20


@dataclass
class ArchiveLayer:
    path: str               # file in the extracted archive dir holding the layer blob
    media_type: str | None  # None when the layout does not say; sniff the blob


@dataclass
class ArchiveImage:
    config: bytes
    config_digest: str      # "sha256:<hex>" of config
    layers: list[ArchiveLayer]  # base first
    repo_tags: list[str]


def _invalid(msg: str) -> InvalidParameter:
    return InvalidParameter(f"invalid archive: {msg}")


# --- extraction -----------------------------------------------------------


class _StrictTarInfo(tarfile.TarInfo):
    """Makes a stream that stops without an end-of-archive (zero) block an error.

    tarfile quietly treats a missing, short or garbled header after the first
    member as the end of the archive, which would let a truncated upload
    load as a smaller image.
    """

    @classmethod
    def fromtarfile(cls, tf):
        try:
            return super().fromtarfile(tf)
        except (tarfile.EmptyHeaderError, tarfile.TruncatedHeaderError):
            msg = "empty archive" if tf.offset == 0 else "unexpected end of data"
            raise tarfile.ReadError(msg) from None
        except tarfile.InvalidHeaderError as e:
            raise tarfile.ReadError(f"invalid tar header: {e}") from None


# digest -> the path of a verified copy the receiver already holds, or None
Known = Callable[[str], "str | None"]


def extract_archive(src: BinaryIO, workdir: str, known: Known | None = None) -> None:
    """Unpack the outer tar stream (plain, gzip, bzip2, xz or zstd) into
    `workdir`, accepting only regular files and directories inside it.
    With `known`, a `blobs/sha256/<hex>` member already held (same size) is
    hard-linked to the held copy and its bytes are read past, not written."""
    root = os.path.realpath(workdir)
    try:
        with tarfile.open(fileobj=decompressed(src), mode="r|*",
                          tarinfo=_StrictTarInfo) as tf:
            for member in tf:
                _extract_member(tf, member, root, known)
    except BargeError:
        raise
    except _BAD_STREAM as e:
        raise _invalid(str(e) or type(e).__name__) from None


# What a corrupt tar, gzip, bzip2 or xz stream raises while being read; errors
# on the writing side are turned into System before they get here.
_BAD_STREAM = (tarfile.TarError, EOFError, OSError, ValueError, zlib.error, lzma.LZMAError)


def _member_parts(name: str) -> list[str]:
    if "\x00" in name or name.startswith("/"):
        raise _invalid(f"{name!r}: absolute or malformed path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise _invalid(f"{name!r}: path escapes the archive")
    return parts


def _extract_member(tf: tarfile.TarFile, member: tarfile.TarInfo, root: str,
                    known: Known | None = None) -> None:
    parts = _member_parts(member.name)
    if member.isdir():
        _ensure_dir(root, parts)
        return
    if not member.isreg() or member.issparse():
        raise _invalid(f"{member.name!r}: {_kind(member)} entries are not allowed")
    if not parts:
        raise _invalid(f"{member.name!r}: file entry without a name")
    parent = _ensure_dir(root, parts[:-1])
    path = os.path.join(parent, parts[-1])
    if known and _link_known(known, parts, member.size, path):
        return      # the stream reads past the member's data
    src = tf.extractfile(member)
    _write_file(path, src, member.name)


def _link_known(known: Known, parts: list[str], size: int, path: str) -> bool:
    if len(parts) != 3 or parts[:2] != ["blobs", "sha256"] or not _HEX64_RE.match(parts[2]):
        return False
    held = known(f"sha256:{parts[2]}")
    try:
        if held is None or os.path.getsize(held) != size:
            return False
        os.link(held, path)
    except OSError:         # gone meanwhile, another file system, a duplicate name: write it
        return False
    return True


def _kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return "symbolic link"
    if member.islnk():
        return "hard link"
    if member.isdev():
        return "device or fifo"
    if member.issparse():
        return "sparse file"
    return f"type {member.type!r}"


def _ensure_dir(root: str, parts: list[str]) -> str:
    path = root
    for part in parts:
        path = os.path.join(path, part)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            _sys_call(os.mkdir, path, 0o755)
            continue
        if not stat.S_ISDIR(st.st_mode):
            raise _invalid(f"{'/'.join(parts)}: conflicts with a file in the archive")
    return path


def _write_file(path: str, src: BinaryIO, name: str) -> None:
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):
            raise _invalid(f"{name}: conflicts with a directory in the archive")
        # a later member of the same name wins; the earlier file is unlinked,
        # not truncated, as it may be a link to a blob the store holds
        _sys_call(os.unlink, path)
    except FileNotFoundError:
        pass
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = _sys_call(os.open, path, flags, 0o644)
    with os.fdopen(fd, "wb") as out:
        while chunk := src.read(_COPY_CHUNK):
            _sys_call(out.write, chunk)


def _sys_call(fn, *args):
    """Runs a write-side call; its OSError is the host's fault, not the archive's."""
    try:
        return fn(*args)
    except OSError as e:
        raise System(f"writing archive contents: {e}") from None


# --- reading --------------------------------------------------------------


def read_archive(workdir: str, platform: str = "linux/amd64") -> list[ArchiveImage]:
    """Parse an extracted archive. `platform` picks the manifest from a
    multi-platform index in a pure OCI layout."""
    root = os.path.realpath(workdir)
    if os.path.lexists(os.path.join(root, "manifest.json")):
        return _read_docker_manifest(root)
    if os.path.lexists(os.path.join(root, "index.json")):
        return _read_oci_layout(root, platform)
    raise _invalid("neither manifest.json nor index.json found")


def _resolve(root: str, rel: Any, what: str) -> str:
    """Path of the regular file `rel` inside `root`, or InvalidParameter."""
    if not isinstance(rel, str) or not rel:
        raise _invalid(f"{what}: bad path {rel!r}")
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if rel.startswith("/") or ".." in parts or "\x00" in rel or not parts:
        raise _invalid(f"{what}: path {rel!r} escapes the archive")
    path = os.path.join(root, *parts)
    real = os.path.realpath(path)
    if not real.startswith(root + os.sep):
        raise _invalid(f"{what}: path {rel!r} escapes the archive")
    try:
        st = os.stat(real)
    except OSError:
        raise _invalid(f"{what}: {rel} is missing from the archive") from None
    if not stat.S_ISREG(st.st_mode):
        raise _invalid(f"{what}: {rel} is not a regular file")
    return real


def _read_small(path: str, what: str) -> bytes:
    if os.path.getsize(path) > _MAX_JSON:
        raise _invalid(f"{what}: too large")
    with open(path, "rb") as f:
        return f.read()


def _parse_json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise _invalid(f"{what}: {e}") from None


def _expect(value: Any, kind: type, what: str) -> Any:
    if not isinstance(value, kind):
        raise _invalid(f"{what}: expected a JSON {_JSON_NAMES[kind]}")
    return value


_JSON_NAMES = {dict: "object", list: "array", str: "string", int: "number"}


def _digest_of(data: bytes, algorithm: str = "sha256") -> str:
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def _config_diff_ids(config: bytes, what: str) -> list[str]:
    doc = _expect(_parse_json(config, what), dict, what)
    rootfs = _expect(doc.get("rootfs"), dict, f"{what}: rootfs")
    diff_ids = _expect(rootfs.get("diff_ids") or [], list, f"{what}: rootfs.diff_ids")
    for d in diff_ids:
        _expect(d, str, f"{what}: rootfs.diff_ids")
    return diff_ids


def _check_layer_count(config: bytes, n_layers: int, what: str) -> list[str]:
    diff_ids = _config_diff_ids(config, what)
    if len(diff_ids) != n_layers:
        raise _invalid(f"{what}: config lists {len(diff_ids)} layers but the "
                       f"manifest lists {n_layers}")
    return diff_ids


# --- manifest.json (docker save) ------------------------------------------


def _read_docker_manifest(root: str) -> list[ArchiveImage]:
    path = _resolve(root, "manifest.json", "manifest.json")
    doc = _parse_json(_read_small(path, "manifest.json"), "manifest.json")
    entries = _expect(doc, list, "manifest.json")
    if not entries:
        raise _invalid("manifest.json: no images")
    return [_docker_entry(root, e, i) for i, e in enumerate(entries)]


def _docker_entry(root: str, entry: Any, i: int) -> ArchiveImage:
    what = f"manifest.json: image {i}"
    entry = _expect(entry, dict, what)
    config_name = _expect(entry.get("Config"), str, f"{what}: Config")
    config = _read_small(_resolve(root, config_name, f"{what}: Config"), what)
    digest = _digest_of(config)
    named = _NAMED_CONFIG_RE.match(config_name)
    if named and digest != f"sha256:{named.group(1)}":
        raise _invalid(f"{what}: config {config_name} does not match its digest "
                       f"(got {digest})")
    layer_names = _expect(entry.get("Layers") or [], list, f"{what}: Layers")
    diff_ids = _check_layer_count(config, len(layer_names), f"{what}: config {config_name}")
    sources = _expect(entry.get("LayerSources") or {}, dict, f"{what}: LayerSources")
    layers = [
        ArchiveLayer(_resolve(root, name, f"{what}: layer"),
                     _source_media_type(sources.get(diff_id)))
        for name, diff_id in zip(layer_names, diff_ids)
    ]
    tags = _expect(entry.get("RepoTags") or [], list, f"{what}: RepoTags")
    for t in tags:
        _expect(t, str, f"{what}: RepoTags")
    return ArchiveImage(config, digest, layers, list(tags))


def _source_media_type(source: Any) -> str | None:
    if isinstance(source, dict) and isinstance(source.get("mediaType"), str):
        return source["mediaType"] or None
    return None


# --- index.json (OCI image layout) ----------------------------------------


@dataclass
class _Descriptor:
    media_type: str | None
    digest: str
    size: int | None
    annotations: dict[str, str]
    platform: dict[str, Any] | None


def _descriptor(raw: Any, what: str) -> _Descriptor:
    raw = _expect(raw, dict, what)
    digest = raw.get("digest")
    if not isinstance(digest, str) or not _DIGEST_RE.match(digest):
        raise _invalid(f"{what}: bad digest {digest!r}")
    size = raw.get("size")
    if size is not None and (not isinstance(size, int) or size < 0):
        raise _invalid(f"{what}: bad size {size!r}")
    media_type = raw.get("mediaType")
    annotations = raw.get("annotations") or {}
    platform = raw.get("platform")
    return _Descriptor(media_type if isinstance(media_type, str) else None, digest, size,
                       annotations if isinstance(annotations, dict) else {},
                       platform if isinstance(platform, dict) else None)


def _blob_path(root: str, desc: _Descriptor, what: str) -> str:
    algorithm, _, encoded = desc.digest.partition(":")
    path = _resolve(root, f"blobs/{algorithm}/{encoded}", what)
    if desc.size is not None and os.path.getsize(path) != desc.size:
        raise _invalid(f"{what} {desc.digest}: size {os.path.getsize(path)} "
                       f"does not match the descriptor's {desc.size}")
    return path


def _read_blob(root: str, desc: _Descriptor, what: str) -> bytes:
    data = _read_small(_blob_path(root, desc, what), f"{what} {desc.digest}")
    algorithm = desc.digest.partition(":")[0]
    actual = _digest_of(data, algorithm)
    if actual != desc.digest:
        raise _invalid(f"{what} {desc.digest}: digest mismatch (got {actual})")
    return data


def _read_oci_layout(root: str, platform: str) -> list[ArchiveImage]:
    path = _resolve(root, "index.json", "index.json")
    index = _expect(_parse_json(_read_small(path, "index.json"), "index.json"), dict,
                    "index.json")
    manifests = _expect(index.get("manifests") or [], list, "index.json: manifests")
    if not manifests:
        raise _invalid("index.json: no manifests")
    by_digest: dict[str, ArchiveImage] = {}
    for i, raw in enumerate(manifests):
        top = _descriptor(raw, f"index.json: manifests[{i}]")
        desc, manifest = _resolve_manifest(root, top, platform, 0)
        image = by_digest.get(desc.digest)
        if image is None:
            image = by_digest[desc.digest] = _oci_image(root, desc, manifest)
        tag = _annotation_tag(top.annotations)
        if tag and tag not in image.repo_tags:
            image.repo_tags.append(tag)
    return list(by_digest.values())


def _resolve_manifest(root: str, desc: _Descriptor, platform: str,
                      depth: int) -> tuple[_Descriptor, dict]:
    """Follow `desc` through nested indexes to an image manifest."""
    if depth > _MAX_INDEX_DEPTH:
        raise _invalid(f"index {desc.digest}: indexes nested too deeply")
    doc = _expect(_parse_json(_read_blob(root, desc, "manifest"), f"manifest {desc.digest}"),
                  dict, f"manifest {desc.digest}")
    media_type = desc.media_type or doc.get("mediaType")
    if media_type in _INDEX_TYPES or (media_type is None and "manifests" in doc):
        child = _pick_platform(doc, desc.digest, platform)
        return _resolve_manifest(root, child, platform, depth + 1)
    if media_type not in _MANIFEST_TYPES and not (media_type is None and "config" in doc):
        raise _invalid(f"manifest {desc.digest}: unsupported media type {media_type!r}")
    return desc, doc


def _pick_platform(index: dict, digest: str, platform: str) -> _Descriptor:
    what = f"index {digest}"
    entries = [_descriptor(m, f"{what}: manifests")
               for m in _expect(index.get("manifests") or [], list, f"{what}: manifests")]
    want_os, _, want_arch = platform.partition("/")
    want_arch, _, want_variant = want_arch.partition("/")
    for e in entries:
        p = e.platform or {}
        if p.get("os") == want_os and p.get("architecture") == want_arch and (
                not want_variant or p.get("variant") == want_variant):
            return e
    unlabelled = [e for e in entries if e.platform is None]
    if len(unlabelled) == 1:
        return unlabelled[0]
    raise _invalid(f"{what}: no manifest for platform {platform}")


def _oci_image(root: str, desc: _Descriptor, manifest: dict) -> ArchiveImage:
    what = f"manifest {desc.digest}"
    config_desc = _descriptor(manifest.get("config"), f"{what}: config")
    config = _read_blob(root, config_desc, "config")
    raw_layers = _expect(manifest.get("layers") or [], list, f"{what}: layers")
    _check_layer_count(config, len(raw_layers), f"{what}: config {config_desc.digest}")
    layers = []
    for i, raw in enumerate(raw_layers):
        layer = _descriptor(raw, f"{what}: layers[{i}]")
        layers.append(ArchiveLayer(_blob_path(root, layer, "layer"), layer.media_type))
    return ArchiveImage(config, _digest_of(config), layers, [])


def _annotation_tag(annotations: dict[str, Any]) -> str | None:
    """The familiar `name:tag` an index entry names, if it names a repository.

    Docker and containerd write the full name in io.containerd.image.name and
    only the tag in org.opencontainers.image.ref.name; other tools put a full
    reference in ref.name. A bare tag names no repository, so it is skipped.
    """
    name = annotations.get(ANNOTATION_IMAGE_NAME)
    if not isinstance(name, str) or not name:
        name = annotations.get(ANNOTATION_REF_NAME)
        if not isinstance(name, str) or not name or _is_bare_tag(name):
            return None
    try:
        ref = reference.parse(name)
    except InvalidParameter:
        raise _invalid(f"index.json: invalid image name {name!r}") from None
    if ref.digest and not ref.tag:
        return None
    return reference.Reference(ref.domain, ref.path, ref.tag).with_default_tag().familiar()


def _is_bare_tag(name: str) -> bool:
    return not any(c in name for c in "/:@")
