"""Read conmon's k8s-file logs (`<ts> <stream> <F|P> <data>`) across
rotated files (`log.N` … `log.1`, `log`)."""
from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass
from typing import Iterator

from barge.spec import clock


@dataclass
class LogLine:
    ts: bytes          # conmon's timestamp
    stream: int        # 1 stdout, 2 stderr
    data: bytes        # with "\n" when the line was complete (F)


def files(log_path: str) -> list[str]:
    """Oldest first."""
    out = []
    n = 1
    while os.path.exists(f"{log_path}.{n}"):
        out.append(f"{log_path}.{n}")
        n += 1
    out.reverse()
    if os.path.exists(log_path):
        out.append(log_path)
    return out


def parse_line(line: bytes) -> LogLine | None:
    try:
        ts, stream, tag, data = line.split(b" ", 3)
    except ValueError:
        try:
            ts, stream, tag = line.split(b" ", 2)
            data = b""
        except ValueError:
            return None
    if data.endswith(b"\n"):
        data = data[:-1]
    if tag == b"F":
        data += b"\n"
    return LogLine(ts, 2 if stream == b"stderr" else 1, data)


def iter_file(f, stop_at: int | None = None) -> Iterator[LogLine]:
    for raw in f:
        if not raw.endswith(b"\n"):
            f.seek(-len(raw), os.SEEK_CUR)   # partial write: leave it for the next read
            return
        ll = parse_line(raw)
        if ll:
            yield ll


def open_current(log_path: str):
    """The live log file, opened before reading so a follower goes on from
    exactly where the read stops (None when there is no log yet)."""
    try:
        return open(log_path, "rb")
    except FileNotFoundError:
        return None


def read_all(log_path: str, cur, tail: int = -1) -> Iterator[LogLine]:
    """Lines of the rotated files, then of `cur` (left positioned after the
    last complete line read); the last `tail` lines when tail >= 0."""
    if tail >= 0:
        return iter(_tail(log_path, cur, tail))
    return _all(log_path, cur)


def _rotated_files(log_path: str) -> list[str]:
    return [p for p in files(log_path) if p != log_path]


def _all(log_path: str, cur) -> Iterator[LogLine]:
    for p in _rotated_files(log_path):
        try:
            with open(p, "rb") as f:
                yield from iter_file(f)
        except FileNotFoundError:
            continue
    if cur is not None:
        yield from iter_file(cur)


def _tail(log_path: str, cur, n: int) -> list[LogLine]:
    """The last n log lines, read backwards so a big log costs little."""
    if n == 0:
        if cur is not None:
            cur.seek(_last_line_end(cur))
        return []
    out: deque[LogLine] = deque(maxlen=n)
    if cur is not None:
        end = _last_line_end(cur)
        out.extendleft(reversed(_read_back(cur, end, n)))
        cur.seek(end)
    for p in reversed(_rotated_files(log_path)):
        if len(out) >= n:
            break
        try:
            with open(p, "rb") as f:
                got = _read_back(f, f.seek(0, os.SEEK_END), n - len(out))
        except FileNotFoundError:
            continue
        out.extendleft(reversed(got))
    return list(out)[-n:]


def _last_line_end(f) -> int:
    """Offset just after the last newline (a partial last line is left for later)."""
    size = f.seek(0, os.SEEK_END)
    pos = size
    while pos > 0:
        step = min(4096, pos)
        f.seek(pos - step)
        block = f.read(step)
        k = block.rfind(b"\n")
        if k >= 0:
            return pos - step + k + 1
        pos -= step
    return 0


def _read_back(f, end: int, want: int) -> list[LogLine]:
    """The last `want` complete lines before offset `end`."""
    block = 64 * 1024
    pos = end
    data = b""
    while pos > 0 and data.count(b"\n") <= want:
        step = min(block, pos)
        pos -= step
        f.seek(pos)
        data = f.read(step) + data
    lines = data.split(b"\n")
    if pos > 0:
        lines = lines[1:]
    parsed = [parse_line(ln + b"\n") for ln in lines if ln]
    return [p for p in parsed if p][-want:]


def ts_seconds(ts: bytes) -> float:
    return clock.parse_rfc3339(ts.decode())


def docker_ts(ts: bytes) -> bytes:
    """conmon's `2024-01-02T03:04:05.123456789+00:00` as Docker prints it (UTC, `Z`)."""
    s = ts.decode()
    if s.endswith("+00:00"):
        main, _, frac = s[:-6].partition(".")
        frac = frac.rstrip("0")
        return (f"{main}.{frac}Z" if frac else f"{main}Z").encode()
    return clock.rfc3339nano(int(ts_seconds(ts) * 1e9)).encode()
