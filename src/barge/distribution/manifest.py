"""Image manifests as registries serve them: Docker schema 2 manifests and
manifest lists, OCI manifests and indexes. Pure: parse, pick a platform,
build the manifest a push sends."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

from barge.errdefs import InvalidParameter, NotFound

from barge.spec.mediatypes import (  # noqa: F401 - re-exported for the client modules
    DOCKER_CONFIG, DOCKER_FOREIGN_LAYER, DOCKER_LAYER_GZIP, DOCKER_LIST, DOCKER_MANIFEST, DOCKER_SCHEMA1,
    INDEX_TYPES, MANIFEST_TYPES, OCI_CONFIG, OCI_INDEX, OCI_LAYER, OCI_MANIFEST,
)
ACCEPT = ", ".join((DOCKER_MANIFEST, DOCKER_LIST, OCI_MANIFEST, OCI_INDEX))

_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386", "ppc64le": "ppc64le",
         "s390x": "s390x", "riscv64": "riscv64"}


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    urls: tuple[str, ...] = ()
    platform: dict = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def from_json(cls, d: dict) -> "Descriptor":
        try:
            digest, size = d["digest"], int(d["size"])
        except (KeyError, TypeError, ValueError):
            raise InvalidParameter("invalid manifest: a descriptor lacks digest or size") from None
        if not isinstance(digest, str) or not digest.startswith("sha256:") or size < 0:
            raise InvalidParameter(f"invalid manifest: unsupported digest {digest!r}")
        return cls(d.get("mediaType") or "", digest, size, tuple(d.get("urls") or ()),
                   d.get("platform") or {})

    def to_json(self) -> dict:
        return {"mediaType": self.media_type, "size": self.size, "digest": self.digest}


@dataclass
class Manifest:
    media_type: str
    config: Descriptor
    layers: list[Descriptor]
    raw: bytes
    digest: str


@dataclass(frozen=True)
class Platform:
    os: str = "linux"
    architecture: str = "amd64"
    variant: str = ""

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


def host_platform() -> Platform:
    arch = _ARCH.get(os.uname().machine, os.uname().machine)
    return Platform("linux", arch, "v8" if arch == "arm64" else "")


def parse_platform(s: str | None) -> Platform:
    """`linux/amd64`, `linux/arm64/v8`, `amd64`; empty = the host's."""
    if not s:
        return host_platform()
    parts = s.lower().split("/")
    if len(parts) == 1:
        return Platform("linux", _ARCH.get(parts[0], parts[0]))
    if len(parts) > 3 or not all(parts):
        raise InvalidParameter(f'"{s}": unknown operating system or architecture: invalid argument')
    arch = _ARCH.get(parts[1], parts[1])
    variant = parts[2] if len(parts) == 3 else ("v8" if arch == "arm64" else "")
    return Platform(parts[0], arch, variant)


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def media_type_of(raw: bytes, header: str = "") -> str:
    """The manifest's own mediaType field, else the Content-Type header."""
    try:
        doc = json.loads(raw)
    except ValueError:
        raise InvalidParameter("invalid manifest: not JSON") from None
    if not isinstance(doc, dict):
        raise InvalidParameter("invalid manifest: not a JSON object")
    mt = doc.get("mediaType") or header.split(";")[0].strip()
    if not mt or mt in ("application/json", "application/octet-stream"):
        if doc.get("schemaVersion") == 1:
            return DOCKER_SCHEMA1
        mt = OCI_INDEX if "manifests" in doc else OCI_MANIFEST
    return mt


def select_platform(raw: bytes, want: Platform) -> Descriptor:
    """The entry of a manifest list / OCI index for `want`."""
    doc = json.loads(raw)
    entries = [Descriptor.from_json(m) for m in doc.get("manifests") or []]
    for exact in (True, False):
        for d in entries:
            p = d.platform
            if p.get("os") != want.os or p.get("architecture") != want.architecture:
                continue
            if d.media_type and d.media_type not in MANIFEST_TYPES + INDEX_TYPES:
                continue
            if not exact or (p.get("variant") or "") == want.variant or not want.variant:
                return d
    raise NotFound(f"no matching manifest for {want} in the manifest list entries")


def parse_manifest(raw: bytes, media_type: str, digest: str) -> Manifest:
    if media_type == DOCKER_SCHEMA1:
        raise InvalidParameter("unsupported manifest format: Docker image manifest schema 1 "
                               "(push the image again with a current client)")
    if media_type not in MANIFEST_TYPES:
        raise InvalidParameter(f"unsupported manifest media type {media_type}")
    doc = json.loads(raw)
    try:
        config = Descriptor.from_json(doc["config"])
        layers = [Descriptor.from_json(x) for x in doc.get("layers") or []]
    except (KeyError, TypeError):
        raise InvalidParameter("invalid manifest: no config") from None
    return Manifest(media_type, config, layers, raw, digest)


def build_manifest(config: Descriptor, layers: list[Descriptor]) -> bytes:
    """The Docker schema 2 manifest a push sends (Docker's field order, indented as Docker does)."""
    doc = {"schemaVersion": 2, "mediaType": DOCKER_MANIFEST, "config": config.to_json(),
           "layers": [d.to_json() for d in layers]}
    return json.dumps(doc, indent=3).encode()
