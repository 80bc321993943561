"""Crash-safe file writes: write a temp file beside the target, fsync, rename."""
from __future__ import annotations

import json
import os
import tempfile


def write_bytes(path: str, data: bytes, mode: int = 0o644) -> None:
    d = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(d)


def write_json(path: str, obj, mode: int = 0o644) -> None:
    write_bytes(path, json.dumps(obj, separators=(",", ":")).encode(), mode)


def fsync_dir(d: str) -> None:
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def syncfs(path: str) -> None:
    """Flush the filesystem that holds `path` (cheaper than fsync of every file in a tree)."""
    import ctypes
    fd = os.open(path, os.O_RDONLY)
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).syncfs(fd)
    finally:
        os.close(fd)
