"""Sizes, durations and timestamps, written and read the way Docker does.

Docker's CLI and engine get these from go-units, Go's `strconv` and `time`
packages and `api/types/time`; users and scripts see their exact strings, so
this module reproduces them, error wording included. Pure: no clock, no I/O
(callers pass `now` and the local UTC offset in).
"""
from __future__ import annotations

from barge.errdefs import InvalidParameter
from barge.spec.gostrconv import go_quote, parse_go_float, parse_go_int

_DECIMAL_ABBRS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
_BINARY_ABBRS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
_DECIMAL_UNITS = {"k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4, "p": 1000**5}
_BINARY_UNITS = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}

_NS = 1_000_000_000
_DURATION_UNITS = {
    "ns": 1, "us": 1_000, "\u00b5s": 1_000, "\u03bcs": 1_000,
    "ms": 1_000_000, "s": _NS, "m": 60 * _NS, "h": 3600 * _NS,
}
_MAX_INT64 = (1 << 63) - 1


# Go layouts that Docker's GetTimestamp chooses between (api/types/time).
_RFC3339 = "2006-01-02T15:04:05Z07:00"
_RFC3339_NANO = "2006-01-02T15:04:05.999999999Z07:00"
_RFC3339_LOCAL = "2006-01-02T15:04:05"
_RFC3339_NANO_LOCAL = "2006-01-02T15:04:05.999999999"
_DATE_WITH_ZONE = "2006-01-02Z07:00"
_DATE_LOCAL = "2006-01-02"
_LAYOUT_ELEMENTS = (".999999999", "Z07:00", "2006", "01", "02", "15", "04", "05")
# two-digit layout element -> (field, exclusive upper bound); Go checks the
# day against its month only at the end.
_NUMERIC_ELEMENTS = {"01": ("month", 13), "02": ("day", 100), "15": ("hour", 24),
                     "04": ("minute", 60), "05": ("second", 60)}




# ---------------------------------------------------------------- sizes

def human_size(size: float, precision: int = 3) -> str:
    """go-units HumanSizeWithPrecision: decimal units, `precision` significant
    digits ("1.98MB"). Docker prints image and container sizes with 3;
    `human_size(n, 4)` is go-units HumanSize (`system df`, VirtualSize)."""
    value, unit = _size_and_unit(float(size), 1000.0, _DECIMAL_ABBRS)
    return "%.*g%s" % (precision, value, unit)


def bytes_size(size: float) -> str:
    """go-units BytesSize: binary units, 4 significant digits ("1.5MiB")."""
    value, unit = _size_and_unit(float(size), 1024.0, _BINARY_ABBRS)
    return "%.4g%s" % (value, unit)


def _size_and_unit(size: float, base: float, abbrs: tuple[str, ...]) -> tuple[float, str]:
    i = 0
    while size >= base and i < len(abbrs) - 1:
        size /= base
        i += 1
    return size, abbrs[i]


def parse_size(s: str) -> int:
    """go-units FromHumanSize: "20m" or "20MB" -> 20000000 (decimal units)."""
    return _parse_size(s, _DECIMAL_UNITS)


def ram_in_bytes(s: str) -> int:
    """go-units RAMInBytes: "1g" or "1GiB" -> 1073741824 (binary units)."""
    return _parse_size(s, _BINARY_UNITS)


def _parse_size(s: str, units: dict[str, int]) -> int:
    sep = max(s.rfind(c) for c in "0123456789. ")
    if sep == -1:
        raise InvalidParameter(f"invalid size: '{s}'")
    num, suffix = (s[:sep + 1], s[sep + 1:]) if s[sep] != " " else (s[:sep], s[sep + 1:])
    size = parse_go_float(num)
    if size < 0:
        raise InvalidParameter(f"invalid size: '{s}'")
    if suffix:
        size *= _size_multiplier(suffix, units)
    return int(size)


def _size_multiplier(suffix: str, units: dict[str, int]) -> int:
    if len(suffix) > 3:
        raise InvalidParameter(f"invalid suffix: '{suffix}'")
    sfx = suffix.lower()
    if sfx == "b":
        return 1
    if sfx[0] not in units or (len(sfx) == 2 and sfx[1] != "b") or (len(sfx) == 3 and sfx[1:] != "ib"):
        raise InvalidParameter(f"invalid suffix: '{sfx}'")
    return units[sfx[0]]


# ---------------------------------------------------------------- durations

def human_duration(seconds: float) -> str:
    """go-units HumanDuration: "Less than a second", "About a minute", "3 weeks"."""
    secs = int(seconds)
    if secs < 1:
        return "Less than a second"
    if secs == 1:
        return "1 second"
    if secs < 60:
        return f"{secs} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


def parse_duration(s: str) -> float:
    """Go's time.ParseDuration ("1m30s", "1.5h", "-300ms"), in seconds."""
    return parse_duration_ns(s) / _NS


def parse_duration_ns(s: str) -> int:
    """Go's time.ParseDuration, in integer nanoseconds (the API's unit)."""
    invalid = InvalidParameter(f"time: invalid duration {_time_quote(s)}")
    rest, neg = s, False
    if rest[:1] in ("+", "-"):
        neg, rest = rest[0] == "-", rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise invalid
    total = 0
    while rest:
        value, rest = _duration_term(s, rest, invalid)
        total += value
        if total > 1 << 63:
            raise invalid
    if not neg and total > _MAX_INT64:
        raise invalid
    return -total if neg else total


def _duration_term(orig: str, s: str, invalid: InvalidParameter) -> tuple[int, str]:
    """One `<number><unit>` term of a Go duration -> (nanoseconds, rest)."""
    whole, rest = _leading_digits(s)
    frac = ""
    if rest[:1] == ".":
        frac, rest = _leading_digits(rest[1:])
    if not whole and not frac:
        raise invalid
    unit_len = next((i for i, c in enumerate(rest) if c == "." or _is_digit(c)), len(rest))
    unit, rest = rest[:unit_len], rest[unit_len:]
    if not unit:
        raise InvalidParameter(f"time: missing unit in duration {_time_quote(orig)}")
    if unit not in _DURATION_UNITS:
        raise InvalidParameter(
            f"time: unknown unit {_time_quote(unit)} in duration {_time_quote(orig)}")
    scale = _DURATION_UNITS[unit]
    v = int(whole or "0")
    if v > (1 << 63) // scale:
        raise invalid
    v *= scale
    f, f_scale = _leading_fraction(frac)
    if f:
        v += int(f * (scale / f_scale))  # float, as Go does
        if v > 1 << 63:
            raise invalid
    return v, rest


def _leading_digits(s: str) -> tuple[str, str]:
    n = next((i for i, c in enumerate(s) if not _is_digit(c)), len(s))
    return s[:n], s[n:]


def _leading_fraction(digits: str) -> tuple[int, int]:
    """Go's leadingFraction: digits past int64 precision are dropped."""
    f, scale = 0, 1
    for c in digits:
        if f > _MAX_INT64 // 10 or f * 10 + int(c) > 1 << 63:
            break
        f, scale = f * 10 + int(c), scale * 10
    return f, scale


def _is_digit(c: str) -> bool:
    return "0" <= c <= "9"


def _is_digits(s: str) -> bool:
    return bool(s) and all("0" <= c <= "9" for c in s)


def _time_quote(s: str) -> str:
    """The `time` package's own quoting: non-ASCII and control bytes as \\xNN."""
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif " " <= ch < "\x80":
            out.append(ch)
        else:
            raw = ch.encode("utf-8", "surrogateescape")
            out.append("".join(f"\\x{b:02x}" for b in raw))
    out.append('"')
    return "".join(out)


def format_duration(ns: int) -> str:
    """Go's time.Duration.String: "1h0m0s", "1m30s", "1.5s", "500ms", "0s"."""
    u = abs(ns)
    if u == 0:
        return "0s"
    if u < _NS:
        unit, prec = ("ns", 0) if u < 1_000 else ("\u00b5s", 3) if u < 1_000_000 else ("ms", 6)
        text = _with_fraction(u, prec) + unit
    else:
        secs = u // _NS
        text = f"{secs % 60}{_fraction(u % _NS, 9)}s"
        if secs >= 60:
            text = f"{secs // 60 % 60}m" + text
        if secs >= 3600:
            text = f"{secs // 3600}h" + text
    return "-" + text if ns < 0 else text


def _with_fraction(u: int, prec: int) -> str:
    whole, frac = divmod(u, 10**prec)
    return f"{whole}{_fraction(frac, prec)}"


def _fraction(frac: int, prec: int) -> str:
    digits = f"{frac:0{prec}d}".rstrip("0") if frac else ""
    return "." + digits if digits else ""


# ---------------------------------------------------------------- timestamps

def format_rfc3339nano(ts: float | tuple[int, int]) -> str:
    """Go's time.RFC3339Nano in UTC: "2024-01-02T03:04:05.123456789Z"."""
    sec, nsec = ts if isinstance(ts, tuple) else _split_float_seconds(ts)
    sec, nsec = sec + nsec // _NS, nsec % _NS
    days, rem = divmod(sec, 86400)
    year, month, day = _civil_from_days(days)
    hh, rem = divmod(rem, 3600)
    mm, ss = divmod(rem, 60)
    return f"{year:04d}-{month:02d}-{day:02d}T{hh:02d}:{mm:02d}:{ss:02d}{_fraction(nsec, 9)}Z"


def _split_float_seconds(ts: float) -> tuple[int, int]:
    # Use the float's shortest decimal form so 1.1 gives .1, not .100000000000000088.
    text = repr(float(ts))
    if "e" in text or "n" in text:
        text = f"{ts:.9f}"
    whole, _, frac = text.partition(".")
    nsec = int((frac + "000000000")[:9])
    sec = int(whole)
    if text.startswith("-"):
        return sec, -nsec
    return sec, nsec


def parse_unix_timestamp(value: str) -> tuple[int, int]:
    """Docker's "seconds[.nanoseconds]" form -> (sec, nsec) (ParseTimestamps)."""
    sec_text, dot, frac = value.partition(".")
    sec = parse_go_int(sec_text, 10)
    if not dot:
        return sec, 0
    nsec = parse_go_int(frac, 10)
    return sec, int(float(nsec) * 10.0 ** (9 - len(frac)))


def timestamp_param(value: str, now: float, utc_offset: int = 0) -> str:
    """Docker's GetTimestamp: a --since/--until value as the API's
    "sec.nsec" string. Accepts Go durations relative to `now` ("10m"),
    RFC 3339 (with or without zone, fraction, seconds), dates and unix
    timestamps; zoneless values are read at `utc_offset` seconds east of UTC."""
    if value != "0":
        try:
            d_ns = parse_duration_ns(value)
        except InvalidParameter:
            pass
        else:
            return str((round(now * _NS) - d_ns) // _NS)
    layout, local = _timestamp_layout(value)
    try:
        sec, nsec = _go_parse(layout, value, utc_offset if local else None)
    except InvalidParameter:
        if "-" in value:
            raise
        try:
            parse_unix_timestamp(value)
        except InvalidParameter:
            raise InvalidParameter(
                f"failed to parse value as time or duration: {go_quote(value)}") from None
        return value
    return f"{sec}.{nsec:09d}"


def parse_timestamp(value: str, now: float, utc_offset: int = 0) -> float:
    """`timestamp_param` as float unix seconds."""
    sec, nsec = parse_unix_timestamp(timestamp_param(value, now, utc_offset))
    return sec + nsec / _NS


def _timestamp_layout(value: str) -> tuple[str, bool]:
    local = not any(c in value for c in "zZ+") and value.count("-") != 3
    if "." in value:
        return (_RFC3339_NANO_LOCAL if local else _RFC3339_NANO), local
    if "T" in value:
        colons = value.count(":")
        if not local and not any(c in value for c in "zZ") and colons > 0:
            colons -= 1  # the zone offset's colon
        if local:
            return ("2006-01-02T15", "2006-01-02T15:04", _RFC3339_LOCAL)[min(colons, 2)], local
        return ("2006-01-02T15Z07:00", "2006-01-02T15:04Z07:00", _RFC3339)[min(colons, 2)], local
    return (_DATE_LOCAL if local else _DATE_WITH_ZONE), local


# A small subset of Go's time.Parse: the layout elements GetTimestamp uses,
# with Go's error messages.

def _layout_chunks(layout: str) -> list[tuple[str, str]]:
    """Split a Go layout into (literal prefix, element) pairs; the last element is ""."""
    chunks, literal, i = [], "", 0
    while i < len(layout):
        elem = next((e for e in _LAYOUT_ELEMENTS if layout.startswith(e, i)), None)
        if elem is None:
            literal += layout[i]
            i += 1
            continue
        chunks.append((literal, elem))
        literal, i = "", i + len(elem)
    chunks.append((literal, ""))
    return chunks


def _parse_error(layout: str, value: str, elem: str, rest: str) -> InvalidParameter:
    return InvalidParameter(
        f"parsing time {_time_quote(value)} as {_time_quote(layout)}: "
        f"cannot parse {_time_quote(rest)} as {_time_quote(elem)}")


def _range_error(value: str, what: str) -> InvalidParameter:
    return InvalidParameter(f"parsing time {_time_quote(value)}: {what} out of range")


class _TimeFields:
    """Fields of a time being parsed (a plain class: dataclasses is slow to import)."""
    __slots__ = ("year", "month", "day", "hour", "minute", "second", "nsec", "offset")

    def __init__(self, offset: int = 0) -> None:
        self.year, self.month, self.day = 0, 1, 1
        self.hour = self.minute = self.second = self.nsec = 0
        self.offset = offset   # seconds east of UTC


def _go_parse(layout: str, value: str, local_offset: int | None) -> tuple[int, int]:
    f = _TimeFields(offset=local_offset or 0)
    rest = value
    chunks = _layout_chunks(layout)
    for index, (literal, elem) in enumerate(chunks):
        if not rest.startswith(literal):
            raise _parse_error(layout, value, literal, rest)
        rest = rest[len(literal):]
        if not elem:
            break
        next_elem = chunks[index + 1][1]
        rest = _parse_element(elem, next_elem, rest, f, layout, value)
    if rest:
        raise InvalidParameter(f"parsing time {_time_quote(value)}: extra text: {_time_quote(rest)}")
    if not 1 <= f.day <= _days_in_month(f.year, f.month):
        raise _range_error(value, "day")
    days = _days_from_civil(f.year, f.month, f.day)
    sec = days * 86400 + f.hour * 3600 + f.minute * 60 + f.second - f.offset
    return sec, f.nsec


def _parse_element(elem: str, next_elem: str, rest: str, f: _TimeFields,
                   layout: str, value: str) -> str:
    bad = _parse_error(layout, value, elem, rest)
    if elem == "2006":
        if not _is_digits(rest[:4]):
            raise bad
        f.year = int(rest[:4])
        return rest[4:]
    if elem == ".999999999":
        if len(rest) < 2 or rest[0] not in ".," or not _is_digit(rest[1]):
            return rest
        return _parse_fraction(rest, f)
    if elem == "Z07:00":
        return _parse_zone(rest, f, bad, value)
    num, after = _getnum(rest, fixed=elem != "15")
    if num is None:
        raise bad
    name, limit = _NUMERIC_ELEMENTS[elem]
    if num >= limit or (name == "month" and num == 0):
        raise _range_error(value, name)
    setattr(f, name, num)
    # Go reads a fraction after the seconds even when the layout has none.
    if elem == "05" and next_elem != ".999999999" and len(after) >= 2 \
            and after[0] in ".," and _is_digit(after[1]):
        return _parse_fraction(after, f)
    return after


def _getnum(s: str, fixed: bool) -> tuple[int | None, str]:
    if not _is_digit(s[:1] or "x"):
        return None, s
    if not _is_digit(s[1:2] or "x"):
        return (None, s) if fixed else (int(s[0]), s[1:])
    return int(s[:2]), s[2:]


def _parse_fraction(rest: str, f: _TimeFields) -> str:
    n = 1
    while n < len(rest) and _is_digit(rest[n]):
        n += 1
    digits = rest[1:min(n, 10)]
    f.nsec = int(digits) * 10 ** (9 - len(digits))
    return rest[n:]


def _parse_zone(rest: str, f: _TimeFields, bad: InvalidParameter, value: str) -> str:
    if rest[:1] == "Z":
        f.offset = 0
        return rest[1:]
    if len(rest) < 6 or rest[3] != ":":
        raise bad
    hh, _ = _getnum(rest[1:3], fixed=True)
    mm, _ = _getnum(rest[4:6], fixed=True)
    if hh is None or mm is None:
        raise bad
    if hh > 24:
        raise _range_error(value, "time zone offset hour")
    if mm > 60:
        raise _range_error(value, "time zone offset minute")
    if rest[0] not in "+-":
        raise bad
    offset = (hh * 60 + mm) * 60
    f.offset = -offset if rest[0] == "-" else offset
    return rest[6:]


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if _is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z: int) -> tuple[int, int, int]:
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (m <= 2), m, d
