"""One copy algorithm between an image source and an image destination,
behind pull (registry -> store), push (store -> registry), save (store ->
archive) and load (archive -> store).

The source names the config and the layers; for each layer the destination
first tries to reuse what it has (a present layer, a blob the registry has
or can mount), else the blob is copied. Copies run a few at a time; layers
are applied in order as their copies finish (a store unpacks layer 1 while
layer 3 downloads). The destination commits last (image record / manifest).
"""
from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO, Callable, Protocol

from barge import errdefs
from barge.distribution.manifest import Descriptor, Manifest
from barge.store.content import IngestWriter

CHUNK = 1 << 20
# report(id, status, current, total): one progress event; may raise to cancel
Report = Callable[[str, str, "int | None", "int | None"], None]


@dataclass
class LayerRef:
    index: int
    id: str                         # what progress lines show (12 hex)
    diff_id: str                    # from the image config
    desc: Descriptor | None         # the blob as the source has it, when known


@dataclass
class Words:
    """A direction's vocabulary: ("Pulling fs layer", "Waiting") or ("Preparing", "Waiting")."""
    start: str
    waiting: str = "Waiting"
    start_reused: bool = True       # False: a layer already there shows only its reuse (dockerd's pull)


@dataclass
class CopyResult:
    digest: str                     # the manifest's digest
    size: int                       # the manifest's size
    manifest: bytes


class ImageSource(Protocol):
    def config(self) -> tuple[Descriptor, bytes]: ...
    def layers(self) -> list[LayerRef]: ...
    def manifest(self) -> Manifest | None: ...          # the original, kept byte for byte
    def get_blob(self, layer: LayerRef) -> tuple[Descriptor, BinaryIO]: ...


class ImageDestination(Protocol):
    words: Words
    def prepare(self, config: tuple[Descriptor, bytes]) -> None: ...
    def reuse(self, layer: LayerRef) -> tuple[str, Descriptor] | None: ...
    def put_blob(self, layer: LayerRef, desc: Descriptor, src: BinaryIO,
                 report: Report) -> Descriptor: ...
    def apply(self, layer: LayerRef, desc: Descriptor, report: Report) -> None: ...
    def commit(self, config: tuple[Descriptor, bytes], layers: list[Descriptor],
               original: Manifest | None) -> CopyResult: ...


class DeferringDestination(ImageDestination, Protocol):
    """A destination that writes every blob at its end (save's sorted tar):
    for a layer whose descriptor the source knows it takes a way to open the
    blob rather than an open stream."""
    def put_blob_later(self, layer: LayerRef, desc: Descriptor,
                       open_blob: Callable[[], BinaryIO], report: Report) -> Descriptor: ...


def copy(src: ImageSource, dst: ImageDestination, report: Report, parallel: int = 3) -> CopyResult:
    config = src.config()
    layers = src.layers()
    dst.prepare(config)
    early = {} if dst.words.start_reused else {l.index: r for l in layers if (r := dst.reuse(l))}
    for layer in layers:
        status = early[layer.index][0] if layer.index in early else dst.words.start
        report(layer.id, status, None, None)
    for layer in [l for l in layers if l.index not in early][parallel:]:
        report(layer.id, dst.words.waiting, None, None)
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="barge-copy") as pool:
        futures = [pool.submit(_copy_layer, src, dst, layer, report, early.get(layer.index)) for layer in layers]
        try:
            descs = [_apply_in_order(dst, layer, fut, report) for layer, fut in zip(layers, futures)]
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
    return dst.commit(config, descs, src.manifest())


def _copy_layer(src: ImageSource, dst: ImageDestination, layer: LayerRef,
                report: Report, early=None) -> tuple[Descriptor, bool]:
    """(the blob's descriptor at the destination, whether it still needs applying)."""
    if early:                       # already reported as reused
        return early[1], False
    reused = dst.reuse(layer)
    if reused:
        status, desc = reused
        report(layer.id, status, None, None)
        return desc, False
    later = getattr(dst, "put_blob_later", None)
    if later is not None and layer.desc is not None:
        return later(layer, layer.desc, lambda: src.get_blob(layer)[1], report), True
    desc, stream = src.get_blob(layer)
    try:
        return dst.put_blob(layer, desc, stream, report), True
    finally:
        stream.close()


def _apply_in_order(dst: ImageDestination, layer: LayerRef, fut: Future,
                    report: Report) -> Descriptor:
    desc, fresh = fut.result()
    if fresh:
        dst.apply(layer, desc, report)
    return desc


class Throttle:
    """Progress at most every `interval` seconds (and always at the end)."""

    def __init__(self, report: Report, id_: str, status: str, total: int, interval: float = 0.1) -> None:
        self.report, self.id, self.status, self.total = report, id_, status, total
        self.interval = interval
        self._last = 0.0
        self._sent = -1

    def __call__(self, current: int) -> None:
        now = time.monotonic()
        done = current >= self.total
        if (done and self._sent < current) or (not done and now - self._last >= self.interval):
            self._last, self._sent = now, current
            self.report(self.id, self.status, current, self.total)


def store_verified(src: BinaryIO, desc: Descriptor, writer: IngestWriter,
                   progress: Callable[[int], None] | None = None) -> str:
    """Copy `src` into `writer` and commit it only if size and digest match
    `desc`; a short, long or corrupt stream stores nothing."""
    got = 0
    while chunk := src.read(CHUNK):
        got += len(chunk)
        if got > desc.size:
            break
        writer.write(chunk)
        if progress:
            progress(got)
    if got != desc.size:
        what = "unexpected EOF" if got < desc.size else "more data than its descriptor's size"
        raise errdefs.System(f"error pulling blob {desc.digest}: {what} (got {got} of {desc.size} bytes)")
    try:
        return writer.commit(expected=desc.digest, expected_size=desc.size)
    except errdefs.InvalidParameter:
        raise errdefs.System(f"filesystem layer verification failed for digest {desc.digest}") from None
