"""Unpacked layers: `layers/<chain-hex>/diff` is an overlay lower dir; each
has a short link `l/<10 chars>` so a 100-layer `lowerdir=` fits a page.
A layer is unpacked under a `.incomplete-*` name and renamed when done;
leftovers of a crash are removed by `recover()`."""
from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import string
import tempfile
import threading
from dataclasses import dataclass
from typing import BinaryIO

from barge.errdefs import InvalidParameter, NotFound
from barge.store.blobinfo import BlobInfo
from barge.store.content import ContentStore, IngestWriter
from barge.store.metadata import Metadata
from barge.util.compression import TeeReader, decompressed
from barge.util.tarlayer import apply_layer

INCOMPLETE = ".incomplete-"
_LINK_CHARS = string.ascii_uppercase + string.digits


@dataclass
class Layer:
    chain_id: str
    diff_id: str
    parent: str | None
    blob: str          # digest of the uncompressed tar in the content store (== diff_id)
    tar_size: int
    size: int          # bytes of unpacked file content
    link: str          # absolute path of the short link to diff/


@dataclass
class Unpacked:
    """A layer unpacked but not yet committed (see LayerStore.unpack)."""
    tmp: str               # the `.incomplete-*` dir holding diff/
    writer: IngestWriter   # the uncompressed tar, hashed, not yet committed
    diff_id: str
    size: int              # bytes of unpacked file content


def chain_id(parent: str | None, diff_id: str) -> str:
    if not parent:
        return diff_id
    return "sha256:" + hashlib.sha256(f"{parent} {diff_id}".encode()).hexdigest()


class LayerStore:
    def __init__(self, root: str, content: ContentStore, meta: Metadata) -> None:
        self.root = root
        self.links = os.path.join(root, "l")
        self.content = content
        self.meta = meta
        self._lock = threading.Lock()
        os.makedirs(self.links, exist_ok=True)

    def _dir(self, chain: str) -> str:
        return os.path.join(self.root, chain.removeprefix("sha256:"))

    def recover(self) -> None:
        """Drop unfinished unpacks and anything the database does not know."""
        known = {r[0].removeprefix("sha256:") for r in self.meta.query("SELECT chain_id FROM layers")}
        for name in os.listdir(self.root):
            p = os.path.join(self.root, name)
            if name.startswith(INCOMPLETE) or (len(name) == 64 and name not in known):
                shutil.rmtree(p, ignore_errors=True)
        for name in os.listdir(self.links):
            p = os.path.join(self.links, name)
            if not os.path.exists(p):
                os.unlink(p)
        for (chain,) in self.meta.query("SELECT chain_id FROM layers"):
            if not os.path.isdir(self._dir(chain)):
                with self.meta.tx() as db:
                    db.execute("DELETE FROM layers WHERE chain_id=?", (chain,))

    def get(self, chain: str) -> Layer:
        rows = self.meta.query(
            "SELECT chain_id, diff_id, parent, blob, tar_size, size, link FROM layers WHERE chain_id=?",
            (chain,))
        if not rows:
            raise NotFound(f"layer {chain} not found")
        r = rows[0]
        return Layer(r[0], r[1], r[2], r[3], r[4], r[5], os.path.join(self.links, r[6]))

    def exists(self, chain: str) -> bool:
        return bool(self.meta.query("SELECT 1 FROM layers WHERE chain_id=?", (chain,)))

    def register(self, src: BinaryIO, parent: str | None, expected: str | None = None) -> Layer:
        """Unpack a layer tar (plain, gzip or zstd) on top of `parent`; with
        `expected` (a diff id) a layer already present is not unpacked again
        and a tar with other content is refused."""
        if expected and self.exists(chain_id(parent, expected)):
            return self.get(chain_id(parent, expected))
        return self.commit_unpacked(self.unpack(src, expected), parent)

    def unpack(self, src: BinaryIO, expected: str | None = None) -> Unpacked:
        """The first half of `register`, which needs no parent (so layers can
        unpack side by side): the tar unpacked under a `.incomplete-*` dir and
        its blob in the ingest area, neither visible until `commit_unpacked`."""
        tmp = tempfile.mkdtemp(prefix=INCOMPLETE, dir=self.root)
        writer = self.content.writer()
        try:
            tee = TeeReader(decompressed(src), writer)
            os.mkdir(os.path.join(tmp, "diff"), 0o755)
            result = apply_layer(tee, os.path.join(tmp, "diff"))
            tee.drain()
            diff_id = writer.digest
            if expected and diff_id != expected:
                raise InvalidParameter(f"layer content does not match its diff id: expected {expected}, got {diff_id}")
            return Unpacked(tmp, writer, diff_id, result.size)
        except BaseException:
            self.discard(Unpacked(tmp, writer, "", 0))
            raise

    def commit_unpacked(self, u: Unpacked, parent: str | None) -> Layer:
        """Make an unpacked layer visible on top of `parent` (or find it there already)."""
        try:
            chain = chain_id(parent, u.diff_id)
            with self._lock:
                if self.exists(chain):
                    return self.get(chain)
                blob = u.writer.commit()
                return self._commit(u.tmp, chain, u.diff_id, parent, blob, u.writer.size, u.size)
        finally:
            self.discard(u)

    def discard(self, u: Unpacked) -> None:
        u.writer.abort()
        shutil.rmtree(u.tmp, ignore_errors=True)

    def _commit(self, tmp: str, chain: str, diff_id: str, parent: str | None,
                blob: str, tar_size: int, size: int) -> Layer:
        final = self._dir(chain)
        link = "".join(secrets.choice(_LINK_CHARS) for _ in range(10))
        os.rename(tmp, final)
        os.symlink(os.path.join("..", os.path.basename(final), "diff"), os.path.join(self.links, link))
        with self.meta.tx() as db:
            db.execute("INSERT INTO layers VALUES (?,?,?,?,?,?,?)",
                       (chain, diff_id, parent, blob, tar_size, size, link))
        return self.get(chain)

    def depth(self, chain: str) -> int:
        n = 0
        parent = self.get(chain).parent
        while parent:
            n += 1
            rows = self.meta.query("SELECT parent FROM layers WHERE chain_id=?", (parent,))
            parent = rows[0][0] if rows else None
        return n

    def chain_of_link(self, path: str) -> str | None:
        rows = self.meta.query("SELECT chain_id FROM layers WHERE link=?", (os.path.basename(path),))
        return rows[0][0] if rows else None

    def all_chain_ids(self) -> list[str]:
        return [r[0] for r in self.meta.query("SELECT chain_id FROM layers")]

    def delete(self, chain: str) -> None:
        layer = self.get(chain)
        with self.meta.tx() as db:
            db.execute("DELETE FROM layers WHERE chain_id=?", (chain,))
        try:
            os.unlink(layer.link)
        except FileNotFoundError:
            pass
        shutil.rmtree(self._dir(chain), ignore_errors=True)
        if not self.meta.query("SELECT 1 FROM layers WHERE blob=?", (layer.blob,)):
            self.content.delete(layer.blob)
        if not self.meta.query("SELECT 1 FROM layers WHERE diff_id=?", (layer.diff_id,)):
            BlobInfo(self.meta, self.content).forget(layer.diff_id)

    def empty_dir(self) -> str:
        """A lower dir for images with no layers."""
        p = os.path.join(self.root, "empty")
        os.makedirs(p, exist_ok=True)
        return p
