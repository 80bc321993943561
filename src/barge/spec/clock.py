"""Timestamps as Docker writes them (RFC 3339 with nanoseconds, UTC)."""
from __future__ import annotations

import time
from datetime import datetime

ZERO = "0001-01-01T00:00:00Z"


def rfc3339nano(ns: int | None = None) -> str:
    if ns is None:
        ns = time.time_ns()
    sec, frac = divmod(ns, 1_000_000_000)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
    f = f"{frac:09d}".rstrip("0")
    return f"{base}.{f}Z" if f else f"{base}Z"


def rfc3339_seconds(t: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if t is None else t))


def parse_rfc3339(s: str) -> float:
    """Seconds since the epoch; 0 for Docker's zero time or ''."""
    if not s or s.startswith("0001-01-01"):
        return 0.0
    main, frac = s, ""
    tz = "+00:00"
    if main.endswith("Z"):
        main = main[:-1]
    elif len(main) > 6 and main[-6] in "+-" and main[-3] == ":":
        main, tz = main[:-6], main[-6:]
    if "." in main:
        main, frac = main.split(".", 1)
    dt = datetime.fromisoformat(main + tz)
    return dt.timestamp() + (float("0." + frac) if frac else 0.0)


def unix(ts: str) -> int:
    return int(parse_rfc3339(ts))
