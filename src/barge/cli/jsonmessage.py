"""Docker's pkg/jsonmessage as the docker 28 CLI uses it: a daemon's stream of
JSON progress messages (pull, push, load, build) shown as plain lines off a
terminal, and with per-layer progress bars redrawn in place (ANSI cursor
moves) on one."""
from __future__ import annotations

import time

ERASE_LINE = "\x1b[2K"


class StreamError(Exception):
    """An `errorDetail` message in the stream: docker prints its text alone."""

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def human_size(n: float) -> str:
    from barge.spec.units import human_size as hs
    return hs(n, 4)


def go_duration(ns: int) -> str:
    """Go's time.Duration.String() for a whole number of seconds ("1m5s", "0s")."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    secs = abs(ns) // 1_000_000_000
    h, rest = divmod(secs, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{sign}{h}h{m}m{s}s"
    if m:
        return f"{sign}{m}m{s}s"
    return f"{sign}{s}s"


def progress_string(detail: dict, width: int = 200, now: float | None = None) -> str:
    """JSONProgress.String(): "[===>   ]  1.2MB/5MB 3s" (the bar only wider than 110 columns)."""
    current = int(detail.get("current") or 0)
    total = int(detail.get("total") or 0)
    units = detail.get("units") or ""
    if current <= 0 and total <= 0:
        return ""
    if total <= 0:
        return f"{human_size(current):>8}" if not units else f"{current} {units}"
    percentage = min(int(current / total * 100) // 2, 50)
    bar = ""
    if width > 110:
        bar = "[" + "=" * percentage + ">" + " " * max(50 - percentage, 0) + "] "
    numbers = ""
    if detail.get("hidecounts"):
        pass
    elif not units:
        numbers = f"{human_size(current):>8}" if current > total else f"{human_size(current):>8}/{human_size(total)}"
    else:
        numbers = f"{current} {units}" if current > total else f"{current}/{total} {units}"
    left_box = ""
    start = int(detail.get("start") or 0)
    if width > 50 and current > 0 and start > 0 and percentage < 50:
        now_ns = int((time.time() if now is None else now) * 1_000_000_000)
        per_entry = (now_ns - start * 1_000_000_000) // current
        left = (total - current) * per_entry
        rounded = (abs(left) + 500_000_000) // 1_000_000_000 * 1_000_000_000   # Round: half away from zero
        left_box = " " + go_duration(rounded if left >= 0 else -rounded)
    return bar + numbers + left_box


def rfc3339_fixed(ns: int) -> str:
    """jsonmessage's RFC3339NanoFixed in local time."""
    sec, frac = divmod(int(ns), 1_000_000_000)
    t = time.localtime(sec)
    off = t.tm_gmtoff or 0
    zone = "Z" if off == 0 else f"{'+' if off > 0 else '-'}{abs(off) // 3600:02d}:{abs(off) % 3600 // 60:02d}"
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{frac:09d}" + zone


def message_text(m: dict, terminal: bool = False, width: int = 200, now: float | None = None) -> str:
    """JSONMessage.Display for one (non-error) message: "" for a progress bar
    off a terminal; on one, the line is erased first and ends with "\\r"."""
    progress = m.get("progressDetail")
    if not isinstance(progress, dict):
        progress = None
    out = ""
    endl = ""
    if terminal and not m.get("stream") and progress is not None:
        endl = "\r"
        out = ERASE_LINE + endl
    elif progress is not None and progress_string(progress, width, now) != "":
        return ""
    if m.get("timeNano"):
        out += rfc3339_fixed(m["timeNano"]) + " "
    elif m.get("time"):
        out += rfc3339_fixed(m["time"] * 1_000_000_000) + " "
    if m.get("id"):
        out += f"{m['id']}: "
    if m.get("from"):
        out += f"(from {m['from']}) "
    status = m.get("status") or ""
    if progress is not None and terminal:
        return out + f"{status} {progress_string(progress, width, now)}{endl}"
    if m.get("progress"):
        return out + f"{status} {m['progress']}{endl}"
    if m.get("stream"):
        return out + m["stream"] + endl
    return out + status + endl + "\n"


def error_of(m: dict) -> StreamError | None:
    detail = m.get("errorDetail")
    if isinstance(detail, dict):
        return StreamError(detail.get("message") or "", detail.get("code") or 0)
    if m.get("error"):
        return StreamError(m["error"])
    return None


def display(messages, write, terminal: bool = False, width: int = 200, aux=None) -> None:
    """DisplayJSONMessagesStream: each message through `write`; on a terminal,
    progress lines with an id get a line each, redrawn in place. Raises
    StreamError at an error message; `aux(value)` gets the aux messages."""
    ids: dict[str, int] = {}
    for m in messages:
        if not isinstance(m, dict):
            continue
        if m.get("aux") is not None:
            if aux is not None:
                aux(m["aux"])
            continue
        diff = 0
        mid = m.get("id") or ""
        if mid and (m.get("progressDetail") is not None or m.get("progress")):
            line = ids.get(mid)
            if line is None:
                line = ids[mid] = len(ids)
                if terminal:
                    write("\n")
            diff = len(ids) - line
            if terminal and diff:
                write(f"\x1b[{diff}A")
        else:
            ids = {}
        err = error_of(m)
        if err is None:
            write(message_text(m, terminal, width))
        if mid and terminal and diff:
            write(f"\x1b[{diff}B")
        if err is not None:
            raise err


def terminal_width(fd: int) -> int:
    import os
    try:
        return os.get_terminal_size(fd).columns
    except OSError:
        return 200


def show(resp, stream, quiet: bool = False, aux=None) -> None:
    """Show a response's JSON stream on `stream` (sys.stdout or sys.stderr) as
    docker does: nothing with `quiet`; bars when it is a terminal."""
    if quiet:
        display(resp.iter_json(), lambda _text: None, aux=aux)
        return
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):
        terminal = False
    width = terminal_width(stream.fileno()) if terminal else 200

    def write(text: str) -> None:
        stream.write(text)
        stream.flush()
    display(resp.iter_json(), write, terminal, width, aux)
