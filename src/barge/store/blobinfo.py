"""What is known of a layer's compressed blobs: digest, size, media type,
and the registry repositories that hold them (Docker's v2 metadata). A
pull keeps the compressed blob it fetched so a push can send it as is or
mount it; the blobs go when the last layer with their diff id does."""
from __future__ import annotations

from dataclasses import dataclass

from barge.store.content import ContentStore
from barge.store.metadata import Metadata


@dataclass
class BlobRecord:
    digest: str
    diff_id: str
    size: int
    media_type: str
    source: str          # "registry/repo" that has the blob; "" when only local


class BlobInfo:
    def __init__(self, meta: Metadata, content: ContentStore) -> None:
        self.meta = meta
        self.content = content

    def record(self, rec: BlobRecord) -> None:
        with self.meta.tx() as db:
            db.execute("INSERT OR REPLACE INTO layer_blobs VALUES (?,?,?,?,?)",
                       (rec.digest, rec.diff_id, rec.size, rec.media_type, rec.source))

    def of_diff(self, diff_id: str) -> list[BlobRecord]:
        rows = self.meta.query(
            "SELECT digest, diff_id, size, media_type, source FROM layer_blobs WHERE diff_id=? "
            "ORDER BY source DESC", (diff_id,))
        return [BlobRecord(*r) for r in rows]

    def forget(self, diff_id: str) -> None:
        """Drop the records and the kept blobs of a diff id no layer has any more."""
        digests = {r.digest for r in self.of_diff(diff_id)}
        with self.meta.tx() as db:
            db.execute("DELETE FROM layer_blobs WHERE diff_id=?", (diff_id,))
        for d in digests:
            if d != diff_id and not self.meta.query("SELECT 1 FROM layers WHERE blob=?", (d,)):
                self.content.delete(d)
