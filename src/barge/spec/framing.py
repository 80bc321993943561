"""Docker's multiplexed stream framing: an 8-byte header (stream, 0, 0, 0,
big-endian uint32 length) before each payload."""
from __future__ import annotations

import struct

STDIN, STDOUT, STDERR, SYSTEMERR = 0, 1, 2, 3
_HDR = struct.Struct(">BxxxL")


def frame(stream: int, data: bytes) -> bytes:
    return _HDR.pack(stream, len(data)) + data


class Demuxer:
    """Feed bytes in, get (stream, payload) frames out."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self._buf += data
        out = []
        while len(self._buf) >= 8:
            stream, size = _HDR.unpack_from(self._buf)
            if len(self._buf) < 8 + size:
                break
            out.append((stream, bytes(self._buf[8:8 + size])))
            del self._buf[:8 + size]
        return out

    @property
    def pending(self) -> int:
        return len(self._buf)
