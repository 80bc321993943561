"""Docker's detach key sequence (default ctrl-p ctrl-q): parsing and spotting it in stdin (pure)."""
from __future__ import annotations

from barge.errdefs import InvalidParameter

DEFAULT_DETACH_KEYS = b"\x10\x11"     # ctrl-p, ctrl-q


class DetachMatcher:
    """Find the detach key sequence in stdin, holding back a partial match."""

    def __init__(self, keys: bytes) -> None:
        self.keys = keys
        self.held = b""

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        if not self.keys:
            return data, False
        out = bytearray()
        for b in data:
            self.held += bytes([b])
            if self.keys.startswith(self.held):
                if self.held == self.keys:
                    return bytes(out), True
                continue
            out += self.held
            self.held = b""
        return bytes(out), False


def parse_detach_keys(spec: str) -> bytes:
    """Docker's --detach-keys: "ctrl-p,ctrl-q", "a,ctrl-x", …"""
    if not spec:
        return DEFAULT_DETACH_KEYS
    out = bytearray()
    for part in spec.split(","):
        p = part.strip().lower()
        if len(p) == 1:
            out.append(ord(part.strip()))
        elif p.startswith("ctrl-") and len(p) == 6:
            ch = p[5]
            if "a" <= ch <= "z":
                out.append(ord(ch) - ord("a") + 1)
            elif ch in "@[\\]^_":
                out.append({"@": 0, "[": 27, "\\": 28, "]": 29, "^": 30, "_": 31}[ch])
            else:
                raise InvalidParameter(f"Unknown character: '{part}'")
        else:
            raise InvalidParameter(f"Unknown character: '{part}'")
    return bytes(out)
