"""The local image store, layers as plain tars: a copy source for save and a
destination for load (local.py is the store for pull and push).

Loading needs no staging blob: each layer stream is unpacked as it is
copied (a few side by side, in `.incomplete-*` dirs), and made visible in
layer order; the image record comes last. What a failure leaves unpacked is
discarded, and a crash's leftovers are removed at start."""
from __future__ import annotations

import threading
from typing import BinaryIO

from barge.distribution import manifest as mf
from barge.distribution.copy import CopyResult, LayerRef, Report, Words
from barge.distribution.local import ChainedDestination
from barge.store import Store
from barge.store.images import Image
from barge.store.layers import Unpacked


def _short(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]


class StoreTarSource:
    """An image in the store; each layer is its uncompressed tar (digest = diff id)."""

    def __init__(self, store: Store, image: Image) -> None:
        self.store = store
        self.image = image

    def config(self) -> tuple[mf.Descriptor, bytes]:
        return mf.Descriptor(mf.DOCKER_CONFIG, self.image.id, len(self.image.raw_config)), self.image.raw_config

    def layers(self) -> list[LayerRef]:
        out = []
        for i, chain in enumerate(self.image.chain_ids):
            layer = self.store.layers.get(chain)
            desc = mf.Descriptor(mf.OCI_LAYER, layer.blob, layer.tar_size)
            out.append(LayerRef(i, _short(layer.diff_id), layer.diff_id, desc))
        return out

    def manifest(self) -> None:
        return None

    def get_blob(self, layer: LayerRef) -> tuple[mf.Descriptor, BinaryIO]:
        return layer.desc, self.store.content.open(layer.desc.digest)


class UnpackDestination(ChainedDestination):
    """Load into the store: layers present are kept, others unpacked from
    the stream (verified against the config's diff ids), then committed in
    order. Call `discard()` when done, whatever the outcome."""
    words = Words("Loading layer")
    invalid = "invalid archive: image config has no rootfs.diff_ids"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.chains: list[str] = []
        self.image: Image | None = None
        self._unpacked: dict[int, Unpacked] = {}
        self._lock = threading.Lock()

    def put_blob(self, layer: LayerRef, desc: mf.Descriptor, src: BinaryIO, report: Report) -> mf.Descriptor:
        unpacked = self.store.layers.unpack(src, expected=layer.diff_id)
        with self._lock:
            self._unpacked[layer.index] = unpacked
        return desc

    def apply(self, layer: LayerRef, desc: mf.Descriptor, report: Report) -> None:
        parent = self.chains[layer.index - 1] if layer.index else None
        with self._lock:
            unpacked = self._unpacked.pop(layer.index)
        self.store.layers.commit_unpacked(unpacked, parent)
        report(layer.id, "Loading layer", desc.size, desc.size)

    def commit(self, config: tuple[mf.Descriptor, bytes], layers, original) -> CopyResult:
        self.image = self.store.images.create(config[1])
        return CopyResult(self.image.id, len(config[1]), config[1])

    def discard(self) -> None:
        """Drop what was unpacked but not committed (after a failure)."""
        with self._lock:
            left, self._unpacked = list(self._unpacked.values()), {}
        for u in left:
            self.store.layers.discard(u)
