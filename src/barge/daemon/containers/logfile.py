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


def read_all(log_path: str, tail: int = -1) -> Iterator[LogLine]:
    if tail == 0:
        return iter(())
    if tail > 0:
        return iter(_tail(log_path, tail))
    return _all(log_path)


def _all(log_path: str) -> Iterator[LogLine]:
    for p in files(log_path):
        try:
            with open(p, "rb") as f:
                yield from iter_file(f)
        except FileNotFoundError:
            continue


def _tail(log_path: str, n: int) -> list[LogLine]:
    """The last n log lines, read backwards so a big log costs little."""
    out: deque[LogLine] = deque(maxlen=n)
    complete = 0
    for p in reversed(files(log_path)):
        chunk_lines = list(_read_back(p, n - complete + 1))
        for ll in reversed(chunk_lines):
            out.appendleft(ll)
        complete = len(out)
        if complete >= n:
            break
    return list(out)[-n:]


def _read_back(path: str, want: int) -> list[LogLine]:
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return []
    with f:
        size = f.seek(0, os.SEEK_END)
        block = 64 * 1024
        pos = size
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
