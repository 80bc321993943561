"""Content-addressed blobs: `content/blobs/sha256/<hex>`. Writes go to
`content/ingest/`, are verified (digest, size), fsynced and renamed."""
from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from typing import BinaryIO

from barge.errdefs import InvalidParameter, NotFound
from barge.util.atomic import fsync_dir

CHUNK = 1 << 20


class ContentStore:
    def __init__(self, root: str) -> None:
        self.root = root
        self.blobs = os.path.join(root, "blobs", "sha256")
        self.ingest_dir = os.path.join(root, "ingest")
        os.makedirs(self.blobs, exist_ok=True)
        os.makedirs(self.ingest_dir, exist_ok=True)

    def clean_ingest(self) -> None:
        """Remove writes a crash interrupted."""
        shutil.rmtree(self.ingest_dir, ignore_errors=True)
        os.makedirs(self.ingest_dir, exist_ok=True)

    def path(self, digest: str) -> str:
        algo, _, hexd = digest.partition(":")
        if algo != "sha256" or len(hexd) != 64:
            raise InvalidParameter(f"invalid digest: {digest}")
        return os.path.join(self.blobs, hexd)

    def has(self, digest: str) -> bool:
        return os.path.exists(self.path(digest))

    def size(self, digest: str) -> int:
        try:
            return os.stat(self.path(digest)).st_size
        except FileNotFoundError:
            raise NotFound(f"blob {digest} not found") from None

    def open(self, digest: str) -> BinaryIO:
        try:
            return open(self.path(digest), "rb")
        except FileNotFoundError:
            raise NotFound(f"blob {digest} not found") from None

    def read(self, digest: str) -> bytes:
        with self.open(digest) as f:
            return f.read()

    def writer(self) -> "IngestWriter":
        return IngestWriter(self)

    def write_bytes(self, data: bytes) -> str:
        w = self.writer()
        try:
            w.write(data)
            return w.commit()
        finally:
            w.abort()

    def delete(self, digest: str) -> None:
        try:
            os.unlink(self.path(digest))
        except FileNotFoundError:
            pass


class IngestWriter:
    """File-like sink that hashes what it receives and commits it as a blob."""

    def __init__(self, store: ContentStore) -> None:
        self._store = store
        self.tmp = os.path.join(store.ingest_dir, uuid.uuid4().hex)
        self._f = open(self.tmp, "wb")
        self._h = hashlib.sha256()
        self.size = 0

    def write(self, data) -> int:
        self._f.write(data)
        self._h.update(data)
        self.size += len(data)
        return len(data)

    @property
    def digest(self) -> str:
        return "sha256:" + self._h.hexdigest()

    def commit(self, expected: str | None = None, expected_size: int | None = None) -> str:
        digest = self.digest
        if expected and expected != digest:
            raise InvalidParameter(f"digest mismatch: expected {expected}, got {digest}")
        if expected_size is not None and expected_size != self.size:
            raise InvalidParameter(f"size mismatch: expected {expected_size}, got {self.size}")
        self._f.flush()
        os.fsync(self._f.fileno())
        self._f.close()
        os.rename(self.tmp, self._store.path(digest))
        fsync_dir(self._store.blobs)
        return digest

    def abort(self) -> None:
        if not self._f.closed:
            self._f.close()
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass
