"""Pure manifest handling: media types, validation, references, Accept negotiation."""
from __future__ import annotations

import json
import re

from barge.distribution.registry.errors import RegistryError

from barge.spec.mediatypes import DOCKER_LIST, DOCKER_MANIFEST, INDEX_TYPES, OCI_INDEX, OCI_MANIFEST  # noqa: F401
from barge.spec.mediatypes import MANIFEST_TYPES as IMAGE_TYPES
SUPPORTED = IMAGE_TYPES + INDEX_TYPES
GENERIC = ("", "application/json", "application/octet-stream")
MAX_MANIFEST = 4 << 20
NONDISTRIBUTABLE = ("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                    "application/vnd.oci.image.layer.nondistributable.v1.tar",
                    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd")

DIGEST_RE = re.compile(r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$")
TAG_RE = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")
NAME_RE = re.compile(r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$")
MAX_NAME = 255


def valid_name(name: str) -> bool:
    return len(name) <= MAX_NAME and bool(NAME_RE.match(name))


def check_name(name: str) -> str:
    if not valid_name(name):
        raise RegistryError("NAME_INVALID", detail={"name": name})
    return name


def is_digest(s: str) -> bool:
    return bool(DIGEST_RE.match(s))


def check_digest(s: str) -> str:
    if not is_digest(s or ""):
        raise RegistryError("DIGEST_INVALID", "invalid digest", detail={"digest": s})
    return s


def check_tag(s: str) -> str:
    if not TAG_RE.match(s):
        raise RegistryError("MANIFEST_INVALID", "invalid tag", detail={"tag": s})
    return s


def bare_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _invalid(msg: str) -> RegistryError:
    return RegistryError("MANIFEST_INVALID", msg)


def parse(data: bytes, content_type: str | None) -> tuple[str, dict]:
    """Validate a pushed manifest; returns (media type, parsed JSON)."""
    if len(data) > MAX_MANIFEST:
        raise RegistryError("MANIFEST_INVALID", "manifest too large", status=413)
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise _invalid(f"invalid JSON: {e}") from None
    if not isinstance(obj, dict):
        raise _invalid("manifest is not a JSON object")
    if obj.get("schemaVersion") != 2:
        raise _invalid("unsupported schemaVersion (only 2)")
    mt = _media_type(obj, bare_type(content_type))
    if mt in IMAGE_TYPES:
        _check_image(obj)
    else:
        _check_index(obj)
    if "subject" in obj:
        _check_descriptor(obj["subject"], "subject")
    return mt, obj


def _media_type(obj: dict, ct: str) -> str:
    body_mt = obj.get("mediaType")
    if body_mt is not None and not isinstance(body_mt, str):
        raise _invalid("mediaType must be a string")
    if ct not in GENERIC:
        if ct not in SUPPORTED:
            raise _invalid(f"unsupported manifest media type {ct!r}")
        if body_mt and body_mt != ct:
            raise _invalid(f"mediaType {body_mt!r} does not match Content-Type {ct!r}")
        return ct
    if body_mt:
        if body_mt not in SUPPORTED:
            raise _invalid(f"unsupported manifest media type {body_mt!r}")
        return body_mt
    if "manifests" in obj:
        return OCI_INDEX
    if "config" in obj:
        return OCI_MANIFEST
    raise _invalid("cannot tell the manifest's media type")


def _check_descriptor(d, where: str) -> None:
    if not isinstance(d, dict):
        raise _invalid(f"{where}: descriptor is not an object")
    if not isinstance(d.get("mediaType"), str) or not d["mediaType"]:
        raise _invalid(f"{where}: descriptor has no mediaType")
    if not isinstance(d.get("size"), int) or isinstance(d["size"], bool) or d["size"] < 0:
        raise _invalid(f"{where}: descriptor has no valid size")
    if not isinstance(d.get("digest"), str) or not is_digest(d["digest"]):
        raise _invalid(f"{where}: descriptor has no valid digest")


def _check_image(obj: dict) -> None:
    _check_descriptor(obj.get("config"), "config")
    layers = obj.get("layers", [])
    if not isinstance(layers, list):
        raise _invalid("layers is not a list")
    for i, d in enumerate(layers):
        _check_descriptor(d, f"layers[{i}]")


def _check_index(obj: dict) -> None:
    children = obj.get("manifests")
    if not isinstance(children, list):
        raise _invalid("manifests is not a list")
    for i, d in enumerate(children):
        _check_descriptor(d, f"manifests[{i}]")


def blob_refs(obj: dict) -> list[str]:
    """Digests of the blobs (config, distributable layers) a manifest needs."""
    out = []
    if isinstance(obj.get("config"), dict):
        out.append(obj["config"].get("digest"))
    for d in obj.get("layers") or []:
        if isinstance(d, dict) and not (d.get("urls") and d.get("mediaType") in NONDISTRIBUTABLE):
            out.append(d.get("digest"))
    return [x for x in out if isinstance(x, str) and is_digest(x)]


def child_refs(obj: dict) -> list[str]:
    """Digests of the manifests an index lists."""
    out = [d.get("digest") for d in obj.get("manifests") or [] if isinstance(d, dict)]
    return [x for x in out if isinstance(x, str) and is_digest(x)]


def subject_of(obj: dict) -> str | None:
    s = obj.get("subject")
    return s.get("digest") if isinstance(s, dict) else None


def referrer_descriptor(obj: dict, media_type: str, digest: str, size: int) -> dict:
    d: dict = {"mediaType": media_type, "size": size, "digest": digest}
    at = obj.get("artifactType")
    if not at and media_type in IMAGE_TYPES and isinstance(obj.get("config"), dict):
        at = obj["config"].get("mediaType")
    if at:
        d["artifactType"] = at
    if isinstance(obj.get("annotations"), dict) and obj["annotations"]:
        d["annotations"] = obj["annotations"]
    return d


def parse_accept(values: list[str]) -> list[str]:
    out = []
    for v in values:
        for part in v.split(","):
            t = bare_type(part)
            if t:
                out.append(t)
    return out


def acceptable(stored: str, accept: list[str]) -> bool:
    """A client that sends no Accept, or `*/*`, gets what is stored; else it must list the type."""
    if not accept or "*/*" in accept or stored in accept:
        return True
    return stored.split("/", 1)[0] + "/*" in accept
