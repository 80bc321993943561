"""The local image store as a copy source (push) and destination (pull)."""
from __future__ import annotations

import gzip
import json
from typing import BinaryIO, Callable

from barge import errdefs
from barge.distribution import manifest as mf
from barge.distribution.copy import CopyResult, LayerRef, Report, Throttle, Words, store_verified
from barge.store import Store
from barge.store.blobinfo import BlobInfo, BlobRecord
from barge.store.images import Image, chain_ids_of

GZIP_TYPES = (mf.DOCKER_LAYER_GZIP, mf.OCI_LAYER + "+gzip")
GZIP_LEVEL = 1      # layers are compressed once and the result kept: favour speed
SAMPLE = 4 << 20    # what the choice of level looks at


def gzip_level(sample: bytes) -> int:
    """1, or 0 (stored blocks, still gzip) for data that does not compress —
    random or already-compressed files would cost ~57 MB/s of CPU for nothing."""
    if len(sample) < 64 << 10:
        return GZIP_LEVEL
    import zlib
    probe = sample[:1 << 20]
    return 0 if len(zlib.compress(probe, 1)) > 0.97 * len(probe) else GZIP_LEVEL


class _Counting:
    def __init__(self, f: BinaryIO, progress: Callable[[int], None]) -> None:
        self._f, self._progress, self.count = f, progress, 0

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        self.count += len(data)
        self._progress(self.count)
        return data


class ChainedDestination:
    """What the store's destinations share: the image's chain ids from its
    config, and layers already present reused."""
    invalid = "invalid image config: no rootfs.diff_ids"
    store: Store
    chains: list[str]

    def prepare(self, config: tuple[mf.Descriptor, bytes]) -> None:
        try:
            diff_ids = json.loads(config[1])["rootfs"]["diff_ids"] or []
        except (ValueError, KeyError, TypeError):
            raise errdefs.InvalidParameter(self.invalid) from None
        self.chains = chain_ids_of(diff_ids)

    def reuse(self, layer: LayerRef):
        if self.store.layers.exists(self.chains[layer.index]):
            return "Already exists", layer.desc
        return None


class StoreDestination(ChainedDestination):
    """Pull into the store: blobs verified into the content store, then unpacked in order."""
    words = Words("Pulling fs layer", start_reused=False)

    def __init__(self, store: Store, source: str) -> None:
        self.store = store
        self.source = source                 # "host/repo" the blobs come from
        self.info = BlobInfo(store.meta, store.content)
        self.chains: list[str] = []
        self.image: Image | None = None

    def put_blob(self, layer: LayerRef, desc: mf.Descriptor, src: BinaryIO, report: Report) -> mf.Descriptor:
        if not self.store.content.has(desc.digest):
            writer = self.store.content.writer()
            try:
                store_verified(src, desc, writer, Throttle(report, layer.id, "Downloading", desc.size))
            finally:
                writer.abort()
            report(layer.id, "Verifying Checksum", None, None)
        report(layer.id, "Download complete", None, None)
        return desc

    def apply(self, layer: LayerRef, desc: mf.Descriptor, report: Report) -> None:
        parent = self.chains[layer.index - 1] if layer.index else None
        progress = Throttle(report, layer.id, "Extracting", desc.size)
        try:
            with self.store.content.open(desc.digest) as f:
                self.store.layers.register(_Counting(f, progress), parent, expected=layer.diff_id)
        except errdefs.BargeError:
            if desc.digest != layer.diff_id:
                self.store.content.delete(desc.digest)
            raise
        report(layer.id, "Pull complete", None, None)

    def commit(self, config, layers: list[mf.Descriptor], original) -> CopyResult:
        diff_ids = json.loads(config[1])["rootfs"]["diff_ids"] or []
        for desc, diff_id in zip(layers, diff_ids):
            if desc is not None:
                self.info.record(BlobRecord(desc.digest, diff_id, desc.size, desc.media_type, self.source))
        self.image = self.store.images.create(config[1])
        return CopyResult(original.digest, len(original.raw), original.raw)


class StoreSource:
    """Push from the store: each layer as a compressed blob, kept once made."""

    def __init__(self, store: Store, image: Image) -> None:
        self.store = store
        self.image = image
        self.info = BlobInfo(store.meta, store.content)

    def config(self) -> tuple[mf.Descriptor, bytes]:
        return mf.Descriptor(mf.DOCKER_CONFIG, self.image.id, len(self.image.raw_config)), self.image.raw_config

    def layers(self) -> list[LayerRef]:
        return [LayerRef(i, d.removeprefix("sha256:")[:12], d, self._local(d))
                for i, d in enumerate(self.image.diff_ids)]

    def manifest(self):
        return None

    def candidates(self, diff_id: str) -> list[BlobRecord]:
        return [r for r in self.info.of_diff(diff_id) if r.media_type in GZIP_TYPES]

    def _local(self, diff_id: str) -> mf.Descriptor | None:
        for r in self.candidates(diff_id):
            if self.store.content.has(r.digest):
                return mf.Descriptor(mf.DOCKER_LAYER_GZIP, r.digest, r.size)
        return None

    def get_blob(self, layer: LayerRef) -> tuple[mf.Descriptor, BinaryIO]:
        desc = self._local(layer.diff_id) or self._compress(layer)
        return desc, self.store.content.open(desc.digest)

    def _compress(self, layer: LayerRef) -> mf.Descriptor:
        chain = self.image.chain_ids[layer.index]
        writer = self.store.content.writer()
        try:
            with self.store.content.open(self.store.layers.get(chain).blob) as src:
                head = src.read(SAMPLE)
                level = gzip_level(head)
                with gzip.GzipFile(fileobj=writer, mode="wb", compresslevel=level, mtime=0) as gz:
                    gz.write(head)
                    while chunk := src.read(1 << 20):
                        gz.write(chunk)
            size = writer.size
            digest = writer.commit()
        finally:
            writer.abort()
        self.info.record(BlobRecord(digest, layer.diff_id, size, mf.DOCKER_LAYER_GZIP, ""))
        return mf.Descriptor(mf.DOCKER_LAYER_GZIP, digest, size)

