"""Go's strconv, as Docker's messages and flag parsing show it: `%q`
quoting and the Parse{Bool,Int,Uint,Float} rules and error wording. Pure."""
from __future__ import annotations

import math
import re

from barge.errdefs import InvalidParameter

_GO_BOOL = {
    "1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
    "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False,
}
_BASE_PREFIX = {"x": 16, "b": 2, "o": 8}
_DIGITS = {2: "01", 8: "01234567", 10: "0123456789", 16: "0123456789abcdefABCDEF"}
_GO_FLOAT = re.compile(
    r"[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?")
_GO_FLOAT_SPECIAL = re.compile(r"[+-]?(?:inf|infinity)|nan", re.IGNORECASE)


def go_quote(s: str) -> str:
    """Go's strconv.Quote (the `%q` verb) for a string."""
    out = ['"']
    for ch in s:
        out.append(_quote_char(ch))
    out.append('"')
    return "".join(out)


def _quote_char(ch: str) -> str:
    escapes = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f",
               "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
    if ch in escapes:
        return escapes[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable argv byte (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if ch.isprintable():
        return ch
    if code < 0x80:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _num_error(func: str, s: str, reason: str) -> InvalidParameter:
    return InvalidParameter(f"strconv.{func}: parsing {go_quote(s)}: {reason}")


def parse_go_bool(s: str) -> bool:
    """Go's strconv.ParseBool."""
    if s not in _GO_BOOL:
        raise _num_error("ParseBool", s, "invalid syntax")
    return _GO_BOOL[s]


def parse_go_int(s: str, base: int = 0, bits: int = 64) -> int:
    """Go's strconv.ParseInt: base 0 reads 0x/0o/0b/0 prefixes and `_`."""
    sign, body = (s[0], s[1:]) if s[:1] in ("+", "-") else ("", s)
    magnitude = _parse_unsigned(body, base)
    if magnitude is None:
        raise _num_error("ParseInt", s, "invalid syntax")
    value = -magnitude if sign == "-" else magnitude
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise _num_error("ParseInt", s, "value out of range")
    return value


def parse_go_uint(s: str, base: int = 0, bits: int = 64) -> int:
    """Go's strconv.ParseUint (no sign allowed)."""
    value = _parse_unsigned(s, base)
    if value is None:
        raise _num_error("ParseUint", s, "invalid syntax")
    if value >= 1 << bits:
        raise _num_error("ParseUint", s, "value out of range")
    return value


def _parse_unsigned(s: str, base: int) -> int | None:
    if not s:
        return None
    digits = s
    if base == 0:
        if "_" in s and not _underscores_ok(s):
            return None
        base, digits = _split_base_prefix(s)
        digits = digits.replace("_", "")
    if not digits or any(c not in _DIGITS[base] for c in digits):
        return None
    return int(digits, base)


def _split_base_prefix(s: str) -> tuple[int, str]:
    if len(s) >= 2 and s[0] == "0" and s[1].lower() in _BASE_PREFIX:
        return _BASE_PREFIX[s[1].lower()], s[2:]
    if len(s) >= 2 and s[0] == "0":
        return 8, s[1:]
    return 10, s


def _underscores_ok(s: str) -> bool:
    """Go's rule: `_` only between digits, or between a base prefix and a digit."""
    saw, i = "^", 0
    hexa = False
    if len(s) >= 2 and s[0] == "0" and s[1].lower() in _BASE_PREFIX:
        saw, i, hexa = "0", 2, s[1].lower() == "x"
    for c in s[i:]:
        if _is_digit(c) or (hexa and c.lower() in "abcdef"):
            saw = "0"
        elif c == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
    return saw != "_"


def parse_go_float(s: str) -> float:
    """Go's strconv.ParseFloat for decimal literals, Inf and NaN."""
    if _GO_FLOAT_SPECIAL.fullmatch(s):
        return float(s)
    if not _GO_FLOAT.fullmatch(s):
        raise _num_error("ParseFloat", s, "invalid syntax")
    value = float(s.replace("_", ""))
    if math.isinf(value):
        raise _num_error("ParseFloat", s, "value out of range")
    return value


def _is_digit(c: str) -> bool:
    return "0" <= c <= "9"
