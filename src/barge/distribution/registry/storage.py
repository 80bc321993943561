"""Filesystem storage for the registry.

Layout under the root:
  blobs/<alg>/<hex>                                   content, written only by rename
  repositories/<name>/_layers/<digest>                a blob belongs to the repository
  repositories/<name>/_manifests/revisions/<digest>   a manifest of the repository (JSON: mediaType)
  repositories/<name>/_manifests/tags/<tag>           the tag's manifest digest
  _uploads/<uuid>/data, state                         an upload session (state: name, offset)

Every write goes to a temp file that is verified, fsynced and renamed, so a
SIGKILL at any point leaves either nothing or the complete object.  An upload's
`offset` in its state file is authoritative: bytes past it (a chunk cut short)
are truncated before the next write.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid as uuidlib

from barge.distribution.registry import manifests as mf
from barge.distribution.registry.errors import RegistryError
from barge.util.atomic import fsync_dir, write_bytes

HASH_CHUNK = 1 << 20


def paginate(items: list[str], n: int | None, last: str | None) -> tuple[list[str], bool]:
    """Items after `last` (exclusive), at most `n`; and whether more follow."""
    if last:
        items = [x for x in items if x > last]
    if n is None:
        return items, False
    if n <= 0:
        return [], False
    return items[:n], len(items) > n


def hash_file(path: str, algorithm: str) -> tuple[str, int]:
    h = hashlib.new(algorithm)
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(HASH_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return f"{algorithm}:{h.hexdigest()}", size


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _unlink(path: str) -> bool:
    try:
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False


class Storage:
    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        for d in ("blobs", "repositories", "_uploads"):
            os.makedirs(os.path.join(self.root, d), exist_ok=True)

    # ---- paths
    def blob_path(self, digest: str) -> str:
        alg, hexd = mf.check_digest(digest).split(":", 1)
        return os.path.join(self.root, "blobs", alg, hexd)

    def repo_dir(self, name: str) -> str:
        return os.path.join(self.root, "repositories", mf.check_name(name))

    def _layer_link(self, name: str, digest: str) -> str:
        return os.path.join(self.repo_dir(name), "_layers", mf.check_digest(digest))

    def _revision(self, name: str, digest: str) -> str:
        return os.path.join(self.repo_dir(name), "_manifests", "revisions", mf.check_digest(digest))

    def _tag(self, name: str, tag: str) -> str:
        return os.path.join(self.repo_dir(name), "_manifests", "tags", mf.check_tag(tag))

    def _upload_dir(self, upload_id: str) -> str:
        try:
            uuidlib.UUID(upload_id)
        except ValueError:
            raise RegistryError("BLOB_UPLOAD_UNKNOWN", detail={"uuid": upload_id}) from None
        return os.path.join(self.root, "_uploads", upload_id)

    # ---- blobs
    def blob_size(self, digest: str) -> int | None:
        try:
            return os.stat(self.blob_path(digest)).st_size
        except FileNotFoundError:
            return None

    def repo_exists(self, name: str) -> bool:
        return os.path.isdir(self.repo_dir(name))

    def repo_blob_size(self, name: str, digest: str) -> int | None:
        """The blob's size if it exists and belongs to the repository (as a layer or a manifest)."""
        if not (os.path.exists(self._layer_link(name, digest)) or os.path.exists(self._revision(name, digest))):
            return None
        return self.blob_size(digest)

    def link_blob(self, name: str, digest: str) -> None:
        path = self._layer_link(name, digest)
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_bytes(path, digest.encode())

    def unlink_blob(self, name: str, digest: str) -> bool:
        return _unlink(self._layer_link(name, digest))

    def put_blob_bytes(self, data: bytes, algorithm: str = "sha256") -> str:
        digest = f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"
        path = self.blob_path(digest)
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = os.path.join(self.root, "_uploads", f".tmp-{uuidlib.uuid4()}")
            write_bytes(tmp, data)
            os.rename(tmp, path)
            fsync_dir(os.path.dirname(path))
        return digest

    # ---- uploads
    def start_upload(self, name: str) -> str:
        mf.check_name(name)
        upload_id = str(uuidlib.uuid4())
        d = self._upload_dir(upload_id)
        os.makedirs(d)
        open(os.path.join(d, "data"), "wb").close()
        self._save_state(upload_id, {"name": name, "offset": 0, "started": time.time()})
        return upload_id

    def _save_state(self, upload_id: str, state: dict) -> None:
        write_bytes(os.path.join(self._upload_dir(upload_id), "state"), json.dumps(state).encode())

    def upload_state(self, name: str, upload_id: str) -> dict:
        raw = _read_text(os.path.join(self._upload_dir(upload_id), "state"))
        state = json.loads(raw) if raw else None
        if not state or state.get("name") != name:
            raise RegistryError("BLOB_UPLOAD_UNKNOWN", detail={"uuid": upload_id})
        return state

    def open_chunk(self, name: str, upload_id: str, start: int | None):
        """Open the upload's data for appending at its offset (which `start` must equal)."""
        state = self.upload_state(name, upload_id)
        offset = state["offset"]
        if start is not None and start != offset:
            raise RegistryError("RANGE_INVALID", f"chunk starts at {start}, upload is at {offset}",
                                detail={"offset": offset})
        f = open(os.path.join(self._upload_dir(upload_id), "data"), "r+b")
        f.truncate(offset)
        f.seek(offset)
        return f, state

    def record_chunk(self, upload_id: str, f, state: dict, written: int) -> int:
        """Make a finished chunk durable, then advance the offset."""
        f.flush()
        os.fsync(f.fileno())
        state = dict(state, offset=state["offset"] + written)
        self._save_state(upload_id, state)
        return state["offset"]

    def commit_upload(self, name: str, upload_id: str, digest: str) -> int:
        """Verify the upload against `digest` (and its recorded size), move it into blobs."""
        mf.check_digest(digest)
        state = self.upload_state(name, upload_id)
        data = os.path.join(self._upload_dir(upload_id), "data")
        with open(data, "r+b") as f:
            f.truncate(state["offset"])
            os.fsync(f.fileno())
        got, size = hash_file(data, digest.split(":", 1)[0])
        if size != state["offset"]:
            raise RegistryError("SIZE_INVALID", detail={"expected": state["offset"], "got": size})
        if got != digest:
            raise RegistryError("DIGEST_INVALID", detail={"expected": digest, "got": got})
        path = self.blob_path(digest)
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.rename(data, path)
            fsync_dir(os.path.dirname(path))
        self.link_blob(name, digest)
        self.cancel_upload(name, upload_id)
        return size

    def cancel_upload(self, name: str, upload_id: str) -> None:
        self.upload_state(name, upload_id)
        d = self._upload_dir(upload_id)
        _unlink(os.path.join(d, "state"))
        shutil.rmtree(d, ignore_errors=True)

    # ---- manifests and tags
    def put_manifest(self, name: str, ref: str, data: bytes, media_type: str, tags=()) -> str:
        algorithm = ref.split(":", 1)[0] if mf.is_digest(ref) else "sha256"
        digest = self.put_blob_bytes(data, algorithm)
        if mf.is_digest(ref) and ref != digest:
            raise RegistryError("DIGEST_INVALID", detail={"expected": ref, "got": digest})
        rev = self._revision(name, digest)
        os.makedirs(os.path.dirname(rev), exist_ok=True)
        write_bytes(rev, json.dumps({"mediaType": media_type}).encode())
        for tag in ([] if mf.is_digest(ref) else [ref]) + list(tags):
            path = self._tag(name, tag)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_bytes(path, digest.encode())
        return digest

    def resolve(self, name: str, ref: str) -> tuple[str, str]:
        """(digest, media type) of a manifest by tag or digest."""
        if not self.repo_exists(name):
            raise RegistryError("NAME_UNKNOWN", detail={"name": name})
        digest = ref if mf.is_digest(ref) else _read_text(self._tag(name, ref))
        raw = _read_text(self._revision(name, digest)) if digest and mf.is_digest(digest) else None
        if raw is None or self.blob_size(digest) is None:
            raise RegistryError("MANIFEST_UNKNOWN", detail={"name": name, "reference": ref})
        return digest, json.loads(raw)["mediaType"]

    def read_blob(self, digest: str) -> bytes:
        with open(self.blob_path(digest), "rb") as f:
            return f.read()

    def has_manifest(self, name: str, digest: str) -> bool:
        return os.path.exists(self._revision(name, digest)) and self.blob_size(digest) is not None

    def delete_manifest(self, name: str, ref: str) -> None:
        """By tag: untag.  By digest: remove the revision and every tag that points at it."""
        digest, _ = self.resolve(name, ref)
        if not mf.is_digest(ref):
            _unlink(self._tag(name, ref))
            return
        for tag in self.tags(name):
            if _read_text(self._tag(name, tag)) == digest:
                _unlink(self._tag(name, tag))
        _unlink(self._revision(name, digest))

    def tags(self, name: str) -> list[str]:
        if not self.repo_exists(name):
            raise RegistryError("NAME_UNKNOWN", detail={"name": name})
        d = os.path.join(self.repo_dir(name), "_manifests", "tags")
        return sorted(t for t in (os.listdir(d) if os.path.isdir(d) else []) if mf.TAG_RE.match(t))

    def revisions(self, name: str) -> list[str]:
        d = os.path.join(self.repo_dir(name), "_manifests", "revisions")
        return sorted(x for x in (os.listdir(d) if os.path.isdir(d) else []) if mf.is_digest(x))

    def repositories(self) -> list[str]:
        base = os.path.join(self.root, "repositories")
        out = []
        for dirpath, dirnames, _ in os.walk(base):
            if "_manifests" in dirnames:
                out.append(os.path.relpath(dirpath, base))
            dirnames[:] = [d for d in dirnames if not d.startswith("_")]
        return sorted(x for x in out if mf.valid_name(x))

    def referrers(self, name: str, subject: str, artifact_type: str | None) -> list[dict]:
        mf.check_digest(subject)
        if not self.repo_exists(name):
            return []
        out = []
        for digest in self.revisions(name):
            try:
                data = self.read_blob(digest)
                obj = json.loads(data)
                media_type = json.loads(_read_text(self._revision(name, digest)) or "{}")["mediaType"]
            except (OSError, ValueError, KeyError):
                continue
            if isinstance(obj, dict) and mf.subject_of(obj) == subject:
                d = mf.referrer_descriptor(obj, media_type, digest, len(data))
                if artifact_type is None or d.get("artifactType") == artifact_type:
                    out.append(d)
        return out


# ---- garbage collection (run with the server stopped or read-only)

def _all_repo_dirs(storage: Storage) -> list[str]:
    base = os.path.join(storage.root, "repositories")
    out = []
    for dirpath, dirnames, _ in os.walk(base):
        if "_manifests" in dirnames or "_layers" in dirnames:
            out.append(os.path.relpath(dirpath, base))
        dirnames[:] = [d for d in dirnames if not d.startswith("_")]
    return [x for x in out if mf.valid_name(x)]


def _mark(storage: Storage) -> set[str]:
    """Every manifest revision, and (recursively) every blob and child manifest it references."""
    marked: set[str] = set()
    stack = [d for name in _all_repo_dirs(storage) for d in storage.revisions(name)]
    while stack:
        digest = stack.pop()
        if digest in marked or storage.blob_size(digest) is None:
            continue
        marked.add(digest)
        try:
            obj = json.loads(storage.read_blob(digest))
        except (OSError, ValueError):
            continue
        if isinstance(obj, dict):
            marked.update(mf.blob_refs(obj))
            stack.extend(mf.child_refs(obj))
    return marked


def _all_blobs(storage: Storage) -> list[tuple[str, str]]:
    out = []
    base = os.path.join(storage.root, "blobs")
    for alg in sorted(os.listdir(base)):
        for hexd in sorted(os.listdir(os.path.join(base, alg))):
            if mf.is_digest(f"{alg}:{hexd}"):
                out.append((f"{alg}:{hexd}", os.path.join(base, alg, hexd)))
    return out


def gc(root: str, dry_run: bool = False, upload_max_age: float = 7 * 86400) -> dict:
    """Delete blobs that no manifest references.  Order: mark; drop repository links to
    the doomed blobs (so no link ever points at nothing); then delete the blobs.  A crash
    in between leaves only orphans, which the next run removes."""
    storage = Storage(root)
    marked = _mark(storage)
    doomed = [(d, p) for d, p in _all_blobs(storage) if d not in marked]
    doomed_set = {d for d, _ in doomed}
    freed = sum(os.stat(p).st_size for _, p in doomed)
    links = []
    for name in _all_repo_dirs(storage):
        ldir = os.path.join(storage.repo_dir(name), "_layers")
        for d in (os.listdir(ldir) if os.path.isdir(ldir) else []):
            if d in doomed_set or d.startswith(".tmp-"):
                links.append(os.path.join(ldir, d))
    if not dry_run:
        for path in links:
            _unlink(path)
        for d in {os.path.dirname(p) for p in links}:
            fsync_dir(d)
        for _, path in doomed:
            _unlink(path)
        for d in {os.path.dirname(p) for _, p in doomed}:
            fsync_dir(d)
        _clean_uploads(storage, upload_max_age)
    return {"marked": sorted(marked), "deleted": sorted(doomed_set), "freed": freed, "links": len(links)}


def _clean_uploads(storage: Storage, max_age: float) -> None:
    """Drop temp files, half-created upload dirs and uploads abandoned for longer than `max_age`."""
    base = os.path.join(storage.root, "_uploads")
    for entry in os.listdir(base):
        path = os.path.join(base, entry)
        if entry.startswith(".tmp-"):
            _unlink(path)
            continue
        try:
            started = json.loads(_read_text(os.path.join(path, "state")) or "null")["started"]
        except (ValueError, TypeError, KeyError):
            started = None
        if started is None or time.time() - started > max_age:
            shutil.rmtree(path, ignore_errors=True)
