"""Signal names and numbers as Docker accepts them (`KILL`, `SIGKILL`, `9`)."""
from __future__ import annotations

import signal as _signal

from barge.errdefs import InvalidParameter


def parse(s: str | int | None, default: int = _signal.SIGKILL) -> int:
    if s is None or s == "":
        return default
    if isinstance(s, int):
        return s
    t = s.strip().upper()
    if t.isdigit():
        n = int(t)
        if 0 < n < 65:
            return n
        raise InvalidParameter(f"Invalid signal: {s}")
    if not t.startswith("SIG"):
        t = "SIG" + t
    if t.startswith("SIGRTMIN") or t.startswith("SIGRTMAX"):
        base = _signal.SIGRTMIN if t.startswith("SIGRTMIN") else _signal.SIGRTMAX
        off = t[8:]
        try:
            return int(base) + (int(off) if off else 0)
        except ValueError:
            pass
    try:
        return int(getattr(_signal.Signals, t))
    except AttributeError:
        raise InvalidParameter(f"Invalid signal: {s}") from None
