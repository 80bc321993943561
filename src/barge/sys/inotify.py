"""inotify through libc, for watching conmon's exit files."""
from __future__ import annotations

import ctypes
import os
import struct

IN_CLOSE_WRITE = 0x08
IN_MOVED_TO = 0x80
IN_CREATE = 0x100
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
_EVENT = struct.Struct("iIII")


class Inotify:
    def __init__(self) -> None:
        self._libc = ctypes.CDLL("libc.so.6", use_errno=True)
        self.fd = self._libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")

    def watch(self, path: str, mask: int = IN_CLOSE_WRITE | IN_MOVED_TO) -> int:
        wd = self._libc.inotify_add_watch(self.fd, path.encode(), mask)
        if wd < 0:
            raise OSError(ctypes.get_errno(), f"inotify_add_watch {path}")
        return wd

    def read_names(self) -> list[str]:
        """Names from pending events (non-blocking; [] when none)."""
        try:
            buf = os.read(self.fd, 65536)
        except BlockingIOError:
            return []
        names, off = [], 0
        while off < len(buf):
            _wd, _mask, _cookie, length = _EVENT.unpack_from(buf, off)
            off += _EVENT.size
            names.append(buf[off:off + length].rstrip(b"\0").decode())
            off += length
        return names

    def close(self) -> None:
        os.close(self.fd)
