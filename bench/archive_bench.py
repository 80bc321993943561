"""`save` and `load` of a 200 MB, 5-layer image through the CLI, against a
running barged (or any Docker-compatible daemon: --host).

    python bench/archive_bench.py [--host unix:///run/barge/barge.sock] [-n 3] [--mb 200]

The image (busybox plus five layers of random files, made offline and loaded
once) is saved to a file, removed and loaded again (cold: its layers are
unpacked), and piped `save | load` into the same daemon (warm: the layers are
there already). Prints MB/s of the archive's size."""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import subprocess
import tarfile
import tempfile
import time
import uuid

from common import Env, find_barge, find_host, fmt_stats, stats

LAYERS = 5
FILES_PER_LAYER = 8


def _layer(path: str, size: int, seed: int) -> str:
    """A layer tar of FILES_PER_LAYER random files; returns its diff id."""
    per = size // FILES_PER_LAYER
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:
        for i in range(FILES_PER_LAYER):
            info = tarfile.TarInfo(f"data/l{seed}/f{i}")
            info.size, info.mode, info.mtime = per, 0o644, 1700000000
            tf.addfile(info, io.BytesIO(os.urandom(per)))
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def make_archive(work: str, tag: str, total_mb: int) -> str:
    """A Docker-25 style archive of a LAYERS-layer image (no base: self-contained)."""
    paths, diffs = [], []
    for i in range(LAYERS):
        p = os.path.join(work, f"layer{i}.tar")
        diffs.append(_layer(p, (total_mb << 20) // LAYERS, i))
        paths.append(p)
    config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
                         "config": {"Cmd": ["sh"]},
                         "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
    chex = hashlib.sha256(config).hexdigest()
    out = os.path.join(work, "seed.tar")
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        add(f"blobs/sha256/{chex}", config)
        for p, d in zip(paths, diffs):
            tf.add(p, f"blobs/sha256/{d.split(':')[1]}")
            os.unlink(p)
        add("manifest.json", json.dumps([{"Config": f"blobs/sha256/{chex}", "RepoTags": [tag],
                                          "Layers": [f"blobs/sha256/{d.split(':')[1]}" for d in diffs]}]).encode())
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--barge")
    ap.add_argument("--host")
    ap.add_argument("-n", type=int, default=3)
    ap.add_argument("--mb", type=int, default=200)
    a = ap.parse_args()
    env = Env(barge=find_barge(a.barge), host=find_host(a.host))
    tag = f"bench-archive-{uuid.uuid4().hex[:6]}:1"
    with tempfile.TemporaryDirectory(prefix="barge-archive-bench-") as work:
        seed = make_archive(work, tag, a.mb)
        env.run("load", "-i", seed, timeout=600)
        os.unlink(seed)
        saved = os.path.join(work, "saved.tar")
        saves, loads, pipes = [], [], []
        try:
            for _ in range(a.n):
                t0 = time.perf_counter()
                env.run("save", "-o", saved, tag, timeout=600)
                saves.append(time.perf_counter() - t0)
                size = os.path.getsize(saved)
                env.run("rmi", tag)
                t0 = time.perf_counter()
                env.run("load", "-i", saved, timeout=600)
                loads.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                sh = f"{env.barge} save {tag} | {env.barge} load"
                subprocess.run(sh, shell=True, check=True, env=env.environ(), stdout=subprocess.DEVNULL)
                pipes.append(time.perf_counter() - t0)
        finally:
            env.run("rmi", tag, check=False)
    mb = size / 1e6
    for what, vals in (("save -o FILE", saves), ("load -i FILE (cold)", loads),
                       ("save | load (warm)", pipes)):
        st = stats(vals)
        print(f"{what:22} {fmt_stats(st, 's', 1.0, 2)}  median {mb / st['median']:.0f} MB/s")
    print(f"archive {mb:.0f} MB, {LAYERS} layers")


if __name__ == "__main__":
    main()
