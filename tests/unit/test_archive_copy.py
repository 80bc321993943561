"""save and load through copy(): a store in a temp dir, archives in memory."""
from __future__ import annotations

import hashlib
import io
import json
import os

import pytest

from barge.daemon.images.load import _held_blobs, load_dir
from barge.distribution.archive import SaveImage, SaveLayer, extract_archive, write_archive
from barge.distribution.archive_copy import SaveArchive
from barge.distribution.copy import copy
from barge.distribution.local_tar import StoreTarSource
from barge.errdefs import InvalidParameter
from barge.store import open_store
from barge_testlib import layer_tar


BASE = layer_tar({"bin/sh": b"#!shell\n"})
TOP = layer_tar({"app/hello.txt": b"hello\n"})


def config_for(layers: list[bytes]) -> bytes:
    return json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
                       "rootfs": {"type": "layers", "diff_ids": [
                           "sha256:" + hashlib.sha256(x).hexdigest() for x in layers]}}).encode()


def archive(images: list[tuple[list[bytes], list[str]]]) -> bytes:
    out = io.BytesIO()
    write_archive(out, [SaveImage(config_for(ls), [SaveLayer("sha256:" + hashlib.sha256(x).hexdigest(),
                                                                len(x), lambda x=x: io.BytesIO(x))
                                                    for x in ls], tags) for ls, tags in images])
    return out.getvalue()


def load(store, data: bytes, work) -> list:
    work.mkdir(exist_ok=True)
    extract_archive(io.BytesIO(data), str(work), _held_blobs(store))
    return load_dir(store, str(work))


def leftovers(root) -> list[str]:
    layers = [n for n in os.listdir(root / "layers") if n.startswith(".incomplete-")]
    return layers + os.listdir(root / "content" / "ingest")


def test_load_then_save_gives_the_same_bytes(tmp_path):
    store = open_store(str(tmp_path / "data"))
    data = archive([([BASE], ["busybox:latest"]), ([BASE, TOP], ["me/app:1"])])
    loaded = load(store, data, tmp_path / "w1")
    assert [tags for _, tags in loaded] == [["busybox:latest"], ["me/app:1"]]
    assert len(store.layers.all_chain_ids()) == 2          # the shared base once
    saved = SaveArchive()
    for img, tags in loaded:
        copy(StoreTarSource(store, img), saved.destination(tags), lambda *a: None)
    out = io.BytesIO()
    saved.write(out)
    assert out.getvalue() == data
    assert leftovers(tmp_path / "data") == []


def test_load_again_links_held_blobs_and_keeps_them_intact(tmp_path):
    store = open_store(str(tmp_path / "data"))
    data = archive([([BASE, TOP], ["me/app:1"])])
    load(store, data, tmp_path / "w1")
    [(img, _)] = load(store, data, tmp_path / "w2")
    top = store.content.path("sha256:" + hashlib.sha256(TOP).hexdigest())
    linked = tmp_path / "w2" / "blobs" / "sha256" / os.path.basename(top)
    assert os.stat(linked).st_ino == os.stat(top).st_ino
    # a later member of that name replaces the link, never writes through it
    extract_archive(io.BytesIO(layer_tar({f"blobs/sha256/{os.path.basename(top)}": b"x" * len(TOP)})),
                    str(tmp_path / "w2"))
    assert open(top, "rb").read() == TOP


def test_a_bad_layer_leaves_nothing_half_done(tmp_path):
    store = open_store(str(tmp_path / "data"))
    good = archive([([BASE, TOP], ["me/app:1"])])
    bad = good.replace(b"hello\n", b"HELLO\n")          # same size, other content
    with pytest.raises(InvalidParameter, match="diff id"):
        load(store, bad, tmp_path / "w")
    assert leftovers(tmp_path / "data") == []
    assert store.images.ids() == []
