"""`docker save` archives as copy endpoints: a source for load (an archive
unpacked by archive_read) and a destination for save (written by
archive_write).

A save archive lists its blobs sorted by digest, so nothing can be written
before every image of the save is known: the destination collects what
copy() hands it (the config, and each layer as a way to open it) and
`SaveArchive.write` streams the tar at the end, verifying each layer."""
from __future__ import annotations

import json
import os
from typing import BinaryIO, Callable

from barge import errdefs
from barge.distribution import manifest as mf
from barge.distribution.archive_read import ArchiveImage, read_archive
from barge.distribution.archive_write import SaveImage, SaveLayer, oci_manifest, write_archive
from barge.distribution.copy import CopyResult, LayerRef, Report, Words


class ArchiveSource:
    """One image of an unpacked archive (see `archive_sources`)."""

    def __init__(self, image: ArchiveImage) -> None:
        self.image = image

    @property
    def repo_tags(self) -> list[str]:
        return self.image.repo_tags

    def config(self) -> tuple[mf.Descriptor, bytes]:
        return mf.Descriptor(mf.OCI_CONFIG, self.image.config_digest, len(self.image.config)), self.image.config

    def layers(self) -> list[LayerRef]:
        # read_archive checked that the config lists one diff id per layer
        diff_ids = json.loads(self.image.config)["rootfs"]["diff_ids"] or []
        return [LayerRef(i, d.removeprefix("sha256:")[:12], d, None) for i, d in enumerate(diff_ids)]

    def manifest(self) -> None:
        return None

    def get_blob(self, layer: LayerRef) -> tuple[mf.Descriptor, BinaryIO]:
        # the archive names no digest for a layer that is not checked by
        # unpacking it against its diff id, so none is given here
        entry = self.image.layers[layer.index]
        f = open(entry.path, "rb")
        size = os.fstat(f.fileno()).st_size
        return mf.Descriptor(entry.media_type or "", "", size), f


def archive_sources(workdir: str, platform: str = "linux/amd64") -> list[ArchiveSource]:
    """The images of an archive unpacked in `workdir` (archive_read.extract_archive)."""
    return [ArchiveSource(image) for image in read_archive(workdir, platform)]


class SaveArchive:
    """A `docker save` archive being planned: one copy() per image into
    `destination(tags)`, then `write(out)`."""

    def __init__(self) -> None:
        self.images: list[SaveImage] = []
        self.layers: dict[str, SaveLayer] = {}      # diff id -> the layer, held once

    def destination(self, repo_tags: list[str]) -> "ArchiveDestination":
        return ArchiveDestination(self, repo_tags)

    def write(self, out: BinaryIO) -> None:
        write_archive(out, self.images)


class ArchiveDestination:
    """One image into a SaveArchive; layers it already holds are not added again."""
    words = Words("Preparing")

    def __init__(self, archive: SaveArchive, repo_tags: list[str]) -> None:
        self.archive = archive
        self.repo_tags = list(repo_tags)
        self._layers: dict[int, SaveLayer] = {}

    def prepare(self, config: tuple[mf.Descriptor, bytes]) -> None:
        pass

    def reuse(self, layer: LayerRef):
        held = self.archive.layers.get(layer.diff_id)
        if held is None:
            return None
        self._layers[layer.index] = held
        return "Already exists", _descriptor(held)

    def put_blob_later(self, layer: LayerRef, desc: mf.Descriptor,
                       open_blob: Callable[[], BinaryIO], report: Report) -> mf.Descriptor:
        held = SaveLayer(diff_id=layer.diff_id, size=desc.size, open=open_blob)
        self._layers[layer.index] = self.archive.layers.setdefault(layer.diff_id, held)
        return _descriptor(held)

    def put_blob(self, layer: LayerRef, desc: mf.Descriptor, src: BinaryIO, report: Report) -> mf.Descriptor:
        raise errdefs.NotImplementedErr("save: a layer must come with its size (an uncompressed tar)")

    def apply(self, layer: LayerRef, desc: mf.Descriptor, report: Report) -> None:
        pass

    def commit(self, config: tuple[mf.Descriptor, bytes], layers, original) -> CopyResult:
        image = SaveImage(config[1], [self._layers[i] for i in range(len(layers))], self.repo_tags)
        self.archive.images.append(image)
        raw = oci_manifest(image)
        return CopyResult(mf.digest_of(raw), len(raw), raw)


def _descriptor(layer: SaveLayer) -> mf.Descriptor:
    return mf.Descriptor(mf.OCI_LAYER, layer.diff_id, layer.size)
