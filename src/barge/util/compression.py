"""Sniff and undo a layer's compression (gzip, zstd, or none)."""
from __future__ import annotations

import gzip
import io
from typing import BinaryIO

from barge.errdefs import InvalidParameter

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class _Prefixed(io.RawIOBase):
    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(b))
        b[:len(data)] = data
        return len(data)


def decompressed(src: BinaryIO) -> BinaryIO:
    head = src.read(4)
    stream = io.BufferedReader(_Prefixed(head, src), 1 << 16)
    if head.startswith(GZIP_MAGIC):
        return gzip.GzipFile(fileobj=stream, mode="rb")
    if head.startswith(ZSTD_MAGIC):
        try:
            import zstandard
        except ImportError:
            raise InvalidParameter("zstd layers need the zstandard package") from None
        return zstandard.ZstdDecompressor().stream_reader(stream)
    return stream


class TeeReader(io.RawIOBase):
    """Reads from `src` and copies everything read into `sink`."""

    def __init__(self, src: BinaryIO, sink) -> None:
        self._src = src
        self._sink = sink

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        try:
            data = self._src.read(len(b))
        except (EOFError, OSError, gzip.BadGzipFile) as e:
            raise InvalidParameter(f"invalid layer compression: {e}") from None
        n = len(data)
        b[:n] = data
        if n:
            self._sink.write(data)
        return n

    def drain(self) -> None:
        while self.read(1 << 20):
            pass
