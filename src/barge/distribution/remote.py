"""A registry repository as a copy source (pull) and destination (push)."""
from __future__ import annotations

import json
from typing import BinaryIO, Callable

from barge import errdefs
from barge.distribution import manifest as mf
from barge.distribution.client import RegistryClient
from barge.distribution.copy import CopyResult, LayerRef, Report, Throttle, Words
from barge.store.blobinfo import BlobRecord


class RegistrySource:
    """`repo` at `ref` (tag or digest); lists and indexes resolved to `platform`."""

    def __init__(self, client: RegistryClient, repo: str, ref: str, platform: mf.Platform) -> None:
        self.client = client
        self.repo = repo
        self.ref = ref
        self.platform = platform
        self.digest = ""                 # of what `ref` names (a list's digest for a list)
        self._manifest: mf.Manifest | None = None
        self._config: bytes | None = None

    def manifest(self) -> mf.Manifest:
        if self._manifest is None:
            raw, media_type, digest = self.client.get_manifest(self.repo, self.ref)
            self.digest = digest
            if media_type in mf.INDEX_TYPES:
                entry = mf.select_platform(raw, self.platform)
                raw, media_type, digest = self.client.get_manifest(self.repo, entry.digest)
            self._manifest = mf.parse_manifest(raw, media_type, digest)
        return self._manifest

    def config(self) -> tuple[mf.Descriptor, bytes]:
        m = self.manifest()
        if self._config is None:
            self._config = self.client.fetch_small(self.repo, m.config)
        return m.config, self._config

    def layers(self) -> list[LayerRef]:
        m = self.manifest()
        try:
            diff_ids = json.loads(self.config()[1])["rootfs"]["diff_ids"] or []
        except (ValueError, KeyError, TypeError):
            raise errdefs.InvalidParameter("invalid image config: no rootfs.diff_ids") from None
        if len(diff_ids) != len(m.layers):
            raise errdefs.InvalidParameter(
                f"invalid image: the manifest has {len(m.layers)} layers, the config {len(diff_ids)} diff ids")
        return [LayerRef(i, d.digest.removeprefix("sha256:")[:12], diff_id, d)
                for i, (d, diff_id) in enumerate(zip(m.layers, diff_ids))]

    def get_blob(self, layer: LayerRef) -> tuple[mf.Descriptor, BinaryIO]:
        return layer.desc, self.client.open_blob(self.repo, layer.desc.digest)


class RegistryDestination:
    """Push into `repo`: blobs it has are skipped, mounted from a sibling
    repository when possible, else uploaded; the manifest goes last."""
    words = Words("Preparing")

    def __init__(self, client: RegistryClient, repo: str, tag: str,
                 candidates: Callable[[str], list[BlobRecord]]) -> None:
        self.client = client
        self.repo = repo
        self.tag = tag
        self.candidates = candidates     # diff id -> known compressed blobs
        self.pushed: list[BlobRecord] = []

    @property
    def source(self) -> str:
        return f"{self.client.domain}/{self.repo}"

    def prepare(self, config) -> None:
        pass

    def reuse(self, layer: LayerRef):
        records = self.candidates(layer.diff_id)
        for r in records:
            if self.client.blob_size(self.repo, r.digest) is not None:
                return "Layer already exists", self._done(layer, r)
        prefix = self.client.domain + "/"
        for r in records:
            if r.source.startswith(prefix) and r.source != self.source:
                from_repo = r.source[len(prefix):]
                if self.client.mount_blob(self.repo, r.digest, from_repo):
                    return f"Mounted from {from_repo}", self._done(layer, r)
        return None

    def _done(self, layer: LayerRef, r: BlobRecord) -> mf.Descriptor:
        self.pushed.append(BlobRecord(r.digest, layer.diff_id, r.size, mf.DOCKER_LAYER_GZIP, self.source))
        return mf.Descriptor(mf.DOCKER_LAYER_GZIP, r.digest, r.size)

    def put_blob(self, layer: LayerRef, desc: mf.Descriptor, src: BinaryIO, report: Report) -> mf.Descriptor:
        progress = Throttle(report, layer.id, "Pushing", desc.size)
        sent = [0]

        def count(n: int) -> None:
            sent[0] += n
            progress(sent[0])
        self.client.upload_blob(self.repo, desc.digest, desc.size, src, count)
        report(layer.id, "Pushed", None, None)
        self.pushed.append(BlobRecord(desc.digest, layer.diff_id, desc.size, desc.media_type, self.source))
        return desc

    def apply(self, layer: LayerRef, desc: mf.Descriptor, report: Report) -> None:
        pass

    def commit(self, config: tuple[mf.Descriptor, bytes], layers: list[mf.Descriptor], original) -> CopyResult:
        desc, raw_config = config
        if self.client.blob_size(self.repo, desc.digest) is None:
            import io
            self.client.upload_blob(self.repo, desc.digest, desc.size, io.BytesIO(raw_config))
        raw = mf.build_manifest(desc, layers)
        digest = self.client.put_manifest(self.repo, self.tag or mf.digest_of(raw), raw, mf.DOCKER_MANIFEST)
        return CopyResult(digest, len(raw), raw)
