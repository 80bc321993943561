"""Images and tags. An image is its config blob (id = its digest) plus the
layers its `rootfs.diff_ids` name; tags map familiar references to ids."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from barge.errdefs import InvalidParameter, NotFound
from barge.spec import reference
from barge.store.content import ContentStore
from barge.store.layers import LayerStore, chain_id
from barge.store.metadata import Metadata


@dataclass
class Image:
    id: str
    config: dict
    raw_config: bytes
    size: int
    chain_ids: list[str]
    repo_tags: list[str] = field(default_factory=list)
    repo_digests: list[str] = field(default_factory=list)
    parent: str = ""
    stored_at: float = 0.0

    @property
    def diff_ids(self) -> list[str]:
        return list(self.config.get("rootfs", {}).get("diff_ids") or [])


def chain_ids_of(diff_ids: list[str]) -> list[str]:
    out: list[str] = []
    for d in diff_ids:
        out.append(chain_id(out[-1] if out else None, d))
    return out


class ImageStore:
    def __init__(self, content: ContentStore, layers: LayerStore, meta: Metadata) -> None:
        self.content = content
        self.layers = layers
        self.meta = meta

    def create(self, raw_config: bytes, parent: str = "") -> Image:
        try:
            config = json.loads(raw_config)
            diff_ids = list(config.get("rootfs", {}).get("diff_ids") or [])
        except (ValueError, AttributeError):
            raise InvalidParameter("invalid image config") from None
        chains = chain_ids_of(diff_ids)
        for c in chains:
            if not self.layers.exists(c):
                raise InvalidParameter(f"image config names a layer that is not present: {c}")
        size = sum(self.layers.get(c).size for c in chains)
        digest = self.content.write_bytes(raw_config)
        with self.meta.tx() as db:
            db.execute("INSERT OR IGNORE INTO images VALUES (?,?,?,?,?)",
                       (digest, chains[-1] if chains else None, size, time.time(), parent))
        return self.get_by_id(digest)

    def children(self, parent: str) -> list[str]:
        """Images made on top of `parent` (builds and commits), newest first."""
        return [r[0] for r in self.meta.query(
            "SELECT id FROM images WHERE parent=? ORDER BY stored_at DESC", (parent,))]

    def ids(self) -> list[str]:
        return [r[0] for r in self.meta.query("SELECT id FROM images ORDER BY stored_at")]

    def get_by_id(self, image_id: str) -> Image:
        rows = self.meta.query("SELECT size, stored_at, parent FROM images WHERE id=?", (image_id,))
        if not rows:
            raise NotFound(f"No such image: {image_id}")
        size, stored_at, parent = rows[0]
        raw = self.content.read(image_id)
        config = json.loads(raw)
        tags = [r[0] for r in self.meta.query(
            "SELECT ref FROM tags WHERE image_id=? ORDER BY seq", (image_id,))]
        digests = [r[0] for r in self.meta.query(
            "SELECT ref FROM digests WHERE image_id=? ORDER BY ref", (image_id,))]
        diff_ids = list(config.get("rootfs", {}).get("diff_ids") or [])
        return Image(image_id, config, raw, size, chain_ids_of(diff_ids), tags, digests,
                     parent, stored_at)

    def list(self) -> list[Image]:
        return [self.get_by_id(i) for i in self.ids()]

    def resolve(self, name: str) -> Image:
        """Find an image by reference, full id or unique id prefix, as Docker does."""
        found = self._by_id(name)
        if found:
            return self.get_by_id(found)
        try:
            ref = reference.parse(name).with_default_tag()
        except InvalidParameter:
            ref = None
        if ref is not None:
            rows = self.meta.query("SELECT image_id FROM tags WHERE ref=?", (ref.familiar(),))
            if not rows and ref.digest:
                rows = self.meta.query("SELECT image_id FROM digests WHERE ref=?",
                                       (f"{ref.repository}@{ref.digest}",))
            if rows:
                return self.get_by_id(rows[0][0])
        prefix = self._by_prefix(name)
        if prefix:
            return self.get_by_id(prefix)
        shown = ref.familiar() if ref is not None else name
        raise NotFound(f"No such image: {shown}")

    def _by_id(self, name: str) -> str | None:
        h = name.removeprefix("sha256:")
        if len(h) == 64 and all(c in "0123456789abcdef" for c in h):
            if self.meta.query("SELECT 1 FROM images WHERE id=?", ("sha256:" + h,)):
                return "sha256:" + h
        return None

    def _by_prefix(self, name: str) -> str | None:
        h = name.removeprefix("sha256:")
        if not h or len(h) > 64 or any(c not in "0123456789abcdef" for c in h):
            return None
        rows = self.meta.query("SELECT id FROM images WHERE id LIKE ?", (f"sha256:{h}%",))
        return rows[0][0] if len(rows) == 1 else None

    def tag(self, image_id: str, ref: str) -> str:
        name = reference.normalize(ref)
        with self.meta.tx() as db:
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM tags").fetchone()[0]
            db.execute("INSERT OR REPLACE INTO tags VALUES (?,?,?)", (name, image_id, seq))
        return name

    def add_digest(self, image_id: str, ref: str) -> None:
        """Record a repo digest (`localhost:5000/x@sha256:...`) of a pulled or pushed image."""
        with self.meta.tx() as db:
            db.execute("INSERT OR REPLACE INTO digests VALUES (?,?)", (ref, image_id))

    def untag(self, ref: str) -> str | None:
        """Remove a tag; return the image id it pointed at, or None."""
        name = reference.normalize(ref)
        with self.meta.tx() as db:
            row = db.execute("SELECT image_id FROM tags WHERE ref=?", (name,)).fetchone()
            if not row:
                return None
            db.execute("DELETE FROM tags WHERE ref=?", (name,))
        return row[0]

    def remove_digest(self, ref: str) -> None:
        with self.meta.tx() as db:
            db.execute("DELETE FROM digests WHERE ref=?", (ref,))

    def tag_image(self, ref: str) -> str | None:
        rows = self.meta.query("SELECT image_id FROM tags WHERE ref=?", (reference.normalize(ref),))
        return rows[0][0] if rows else None

    def delete(self, image_id: str, keep: set[str] = frozenset()) -> list[str]:
        """Remove an image record, then the layers nothing uses any more (`keep`:
        chain ids containers still run on); return the deleted chain ids, top first."""
        self.get_by_id(image_id)
        with self.meta.tx() as db:
            db.execute("DELETE FROM tags WHERE image_id=?", (image_id,))
            db.execute("DELETE FROM digests WHERE image_id=?", (image_id,))
            db.execute("DELETE FROM images WHERE id=?", (image_id,))
        self.content.delete(image_id)
        return self.gc_layers(keep)

    def gc_layers(self, keep: set[str] = frozenset()) -> list[str]:
        """Delete layers no image names and no container (`keep`) runs on."""
        in_use = set(keep)
        for other in self.ids():
            in_use.update(self.get_by_id(other).chain_ids)
        # a layer's parents are in use when it is, so delete children first
        unused = [c for c in self.layers.all_chain_ids() if c not in in_use]
        depth = {c: self.layers.depth(c) for c in unused}
        deleted = []
        for c in sorted(unused, key=lambda c: -depth[c]):
            self.layers.delete(c)
            deleted.append(c)
        return deleted

    def chains_of_lowerdirs(self, lowerdirs: list[str]) -> set[str]:
        return {c for d in lowerdirs if (c := self.layers.chain_of_link(d))}

    def lowerdirs(self, img: Image) -> list[str]:
        """Overlay lower dirs, topmost first."""
        if not img.chain_ids:
            return [self.layers.empty_dir()]
        return [self.layers.get(c).link for c in reversed(img.chain_ids)]
