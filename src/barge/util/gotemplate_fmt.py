"""Go's value printing for the template engine: fmt's %v, Sprint, Sprintln,
Sprintf, strconv.Quote, and the encoding/json output Docker's `json` uses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class _Missing:
    """A missing map key: Go's invalid reflect.Value, printed `<no value>`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<no value>"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()

_INF = float("inf")
_QUOTE_ESC = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
              "\t": "\\t", "\v": "\\v", "\\": "\\\\", '"': '\\"'}


def _json_table(escape_html: bool) -> dict[int, str]:
    table = {i: f"\\u{i:04x}" for i in range(0x20)}
    table.update({ord(c): e for c, e in (("\b", "\\b"), ("\f", "\\f"), ("\n", "\\n"),
                                         ("\r", "\\r"), ("\t", "\\t"))})
    table.update({ord('"'): '\\"', ord("\\"): "\\\\", 0x2028: "\\u2028", 0x2029: "\\u2029"})
    # Lone surrogates are what Go sees as invalid UTF-8.
    table.update({i: "\\ufffd" for i in range(0xD800, 0xE000)})
    if escape_html:
        table.update({ord(c): f"\\u{ord(c):04x}" for c in "<>&"})
    return table


_JSON_PLAIN = _json_table(False)
_JSON_HTML = _json_table(True)


def type_name(v: Any) -> str:
    """The Go type a value of this Python type corresponds to, for messages."""
    if v is None or v is MISSING:
        return "<nil>"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (list, tuple)):
        return "[]interface {}"
    if isinstance(v, Mapping):
        return "map[string]interface {}"
    if isinstance(v, (bytes, bytearray)):
        return "[]uint8"
    return type(v).__name__


def sorted_items(m: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    """Items in Go's map order: sorted by key."""
    items = list(m.items())
    try:
        items.sort(key=lambda kv: kv[0])
    except TypeError:
        items.sort(key=lambda kv: format_value(kv[0]))
    return items


def _dataclass_fields(v: Any) -> Any:
    fields = getattr(type(v), "__dataclass_fields__", None)
    return fields if fields is not None and type(v).__str__ is object.__str__ else None


def format_value(v: Any) -> str:
    """`v` as Go's %v prints it."""
    if isinstance(v, str):
        return v
    if v is None:
        return "<nil>"
    if v is MISSING:
        return "<no value>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return int.__repr__(v)
    if isinstance(v, float):
        return format_float(v)
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(map(format_value, v)) + "]"
    if isinstance(v, Mapping):
        body = " ".join(f"{format_value(k)}:{format_value(x)}" for k, x in sorted_items(v))
        return "map[" + body + "]"
    if isinstance(v, (bytes, bytearray)):
        return "[" + " ".join(map(str, v)) + "]"
    fields = _dataclass_fields(v)
    if fields is not None:
        return "{" + " ".join(format_value(getattr(v, f)) for f in fields) + "}"
    return str(v)


# ---- floats ---------------------------------------------------------------

def _digits(x: float) -> tuple[str, int]:
    """Shortest round-trip digits of a finite x > 0 and the decimal point
    position: x == 0.DIGITS * 10**dp."""
    mant, _, exp = repr(x).partition("e")
    ip, _, fp = mant.partition(".")
    raw = ip + fp
    stripped = raw.lstrip("0")
    dp = len(ip) + (int(exp) if exp else 0) - (len(raw) - len(stripped))
    return stripped.rstrip("0") or "0", dp


def _e_form(digits: str, dp: int, upper: bool = False) -> str:
    exp = dp - 1
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{mant}{'E' if upper else 'e'}{'-' if exp < 0 else '+'}{abs(exp):02d}"


def _f_form(digits: str, dp: int) -> str:
    if dp <= 0:
        return "0." + "0" * -dp + digits
    if dp >= len(digits):
        return digits + "0" * (dp - len(digits))
    return digits[:dp] + "." + digits[dp:]


def _special_float(x: float) -> str | None:
    if x != x:
        return "NaN"
    if x == _INF:
        return "+Inf"
    if x == -_INF:
        return "-Inf"
    return None


def format_float(x: float, verb: str = "g", prec: int = -1) -> str:
    """Go's strconv.FormatFloat(x, verb, prec, 64); prec -1 means shortest."""
    special = _special_float(x)
    if special is not None:
        return special
    if prec >= 0 or verb not in "gG":
        return format(x, f".{6 if prec < 0 else prec}{verb}")
    sign = "-" if x < 0 or (x == 0 and repr(x)[0] == "-") else ""
    if x == 0:
        return sign + "0"
    digits, dp = _digits(abs(x))
    # Shortest %g switches to exponent form outside [1e-4, 1e6), as Go does.
    if dp - 1 < -4 or dp - 1 >= 6:
        return sign + _e_form(digits, dp, verb == "G")
    return sign + _f_form(digits, dp)


def _json_float(x: float) -> str:
    if _special_float(x) is not None:
        raise ValueError(f"json: unsupported value: {_special_float(x)}")
    sign = "-" if x < 0 or (x == 0 and repr(x)[0] == "-") else ""
    if x == 0:
        return sign + "0"
    a = abs(x)
    digits, dp = _digits(a)
    if a < 1e-6 or a >= 1e21:
        text = _e_form(digits, dp)
        if text[-4:-1] == "e-0":  # Go writes e-7, not e-07
            text = text[:-2] + text[-1]
        return sign + text
    return sign + _f_form(digits, dp)


# ---- JSON -----------------------------------------------------------------

def to_json(v: Any, escape_html: bool = False) -> str:
    """Compact JSON as Go's encoding/json writes it; mappings keep their order."""
    out: list[str] = []
    _json_into(v, out, _JSON_HTML if escape_html else _JSON_PLAIN)
    return "".join(out)


def _json_into(v: Any, out: list[str], table: dict[int, str]) -> None:
    if isinstance(v, str):
        out.append('"' + v.translate(table) + '"')
    elif v is None or v is MISSING:
        out.append("null")
    elif isinstance(v, bool):
        out.append("true" if v else "false")
    elif isinstance(v, int):
        out.append(int.__repr__(v))
    elif isinstance(v, float):
        out.append(_json_float(v))
    elif isinstance(v, Mapping):
        _json_object(((k if isinstance(k, str) else format_value(k), x) for k, x in v.items()),
                     out, table)
    elif isinstance(v, (list, tuple)):
        out.append("[")
        for i, x in enumerate(v):
            if i:
                out.append(",")
            _json_into(x, out, table)
        out.append("]")
    elif hasattr(v, "__json__"):
        # A value with its own marshaller, like Go's MarshalJSON: Go escapes
        # HTML in what such a marshaller returns.
        _json_into(v.__json__(), out, _JSON_HTML)
    elif isinstance(v, (bytes, bytearray)):
        import base64
        out.append('"' + base64.b64encode(v).decode() + '"')
    elif getattr(type(v), "__dataclass_fields__", None) is not None:
        _json_object(((f, getattr(v, f)) for f in type(v).__dataclass_fields__), out, table)
    elif hasattr(v, "__dict__"):
        _json_object(((k, x) for k, x in vars(v).items() if not k.startswith("_")), out, table)
    else:
        _json_into(str(v), out, table)


def _json_object(items: Any, out: list[str], table: dict[int, str]) -> None:
    out.append("{")
    for i, (k, x) in enumerate(items):
        if i:
            out.append(",")
        out.append('"' + k.translate(table) + '":')
        _json_into(x, out, table)
    out.append("}")


# ---- fmt ------------------------------------------------------------------

def go_quote(s: str, ascii_only: bool = False) -> str:
    """Go's strconv.Quote (QuoteToASCII when ascii_only)."""
    out = ['"']
    for c in s:
        o = ord(c)
        if c in _QUOTE_ESC:
            out.append(_QUOTE_ESC[c])
        elif c.isprintable() and not (ascii_only and o > 0x7E):
            out.append(c)
        elif o < 0x80:
            out.append(f"\\x{o:02x}")
        elif o <= 0xFFFF:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    out.append('"')
    return "".join(out)


def sprint(args: Sequence[Any]) -> str:
    """fmt.Sprint: a space between operands when neither is a string."""
    out: list[str] = []
    prev_str = False
    for i, a in enumerate(args):
        is_str = isinstance(a, str)
        if i and not is_str and not prev_str:
            out.append(" ")
        out.append(format_value(a))
        prev_str = is_str
    return "".join(out)


def sprintln(args: Sequence[Any]) -> str:
    return " ".join(map(format_value, args)) + "\n"


class _Spec:
    __slots__ = ("minus", "plus", "sharp", "space", "zero", "width", "prec")

    def __init__(self) -> None:
        self.minus = self.plus = self.sharp = self.space = self.zero = False
        self.width: int | None = None
        self.prec: int | None = None


_FLAGS = {"-": "minus", "+": "plus", "#": "sharp", " ": "space", "0": "zero"}


def sprintf(fmt: str, args: Sequence[Any]) -> str:
    """fmt.Sprintf for the verbs templates use, with Go's %!verb(...) errors."""
    out: list[str] = []
    argi, i, n = 0, 0, len(fmt)
    while i < n:
        j = fmt.find("%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:j])
        spec = _Spec()
        i = j + 1
        while i < n and fmt[i] in _FLAGS:
            setattr(spec, _FLAGS[fmt[i]], True)
            i += 1
        spec.width, i, argi = _fmt_number(fmt, i, args, argi)
        if i < n and fmt[i] == ".":
            prec, i, argi = _fmt_number(fmt, i + 1, args, argi)
            spec.prec = prec or 0
        if i >= n:
            out.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "%":
            out.append("%")
        elif argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
        else:
            out.append(format_arg(args[argi], verb, spec))
            argi += 1
    if argi < len(args):
        extra = ", ".join("<nil>" if a is None else f"{type_name(a)}={format_value(a)}"
                          for a in args[argi:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _fmt_number(fmt: str, i: int, args: Sequence[Any], argi: int) -> tuple[int | None, int, int]:
    """A width or precision: digits, or `*` taking an int argument."""
    if i < len(fmt) and fmt[i] == "*":
        arg = args[argi] if argi < len(args) else None
        ok = isinstance(arg, int) and not isinstance(arg, bool)
        return (arg if ok else None), i + 1, argi + 1
    j = i
    while j < len(fmt) and fmt[j].isdigit():
        j += 1
    return (int(fmt[i:j]) if j > i else None), j, argi


def _pad(s: str, spec: _Spec, zero_ok: bool = False) -> str:
    if spec.width is None or len(s) >= spec.width:
        return s
    fill = spec.width - len(s)
    if spec.minus:
        return s + " " * fill
    if spec.zero and zero_ok:
        sign = s[0] if s[:1] in ("-", "+", " ") else ""
        return sign + "0" * fill + s[len(sign):]
    return " " * fill + s


def _bad_verb(v: Any, verb: str) -> str:
    if v is None or v is MISSING:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({type_name(v)}={format_value(v)})"


def format_arg(v: Any, verb: str, spec: _Spec) -> str:
    """One Sprintf operand; containers apply the verb to each element, as Go does."""
    if verb == "T":
        return _pad(type_name(v), spec)
    if v is None or v is MISSING:
        return _pad("<nil>", spec) if verb == "v" else _bad_verb(v, verb)
    if isinstance(v, bool):
        return _pad("true" if v else "false", spec) if verb in "vt" else _bad_verb(v, verb)
    if isinstance(v, int):
        return _fmt_int(v, verb, spec)
    if isinstance(v, float):
        return _fmt_float(v, verb, spec)
    if isinstance(v, str):
        return _fmt_str(v, verb, spec)
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(format_arg(x, verb, spec) for x in v) + "]"
    if isinstance(v, Mapping):
        return "map[" + " ".join(f"{format_arg(k, verb, spec)}:{format_arg(x, verb, spec)}"
                                 for k, x in sorted_items(v)) + "]"
    fields = _dataclass_fields(v)
    if fields is not None:
        return "{" + " ".join(format_arg(getattr(v, f), verb, spec) for f in fields) + "}"
    if verb in "vsqxX":
        return _fmt_str(format_value(v), verb, spec)
    return _bad_verb(v, verb)


_INT_BASES = {"d": (10, ""), "v": (10, ""), "b": (2, "0b"), "o": (8, "0"), "O": (8, "0o"),
              "x": (16, "0x"), "X": (16, "0X")}


def _fmt_int(v: int, verb: str, spec: _Spec) -> str:
    if verb == "c":
        return _pad(chr(v), spec)
    if verb == "q":
        inner = go_quote(chr(v))[1:-1].replace("'", "\\'").replace('\\"', '"')
        return _pad(f"'{inner}'", spec)
    if verb == "U":
        return _pad(f"U+{v:04X}", spec)
    if verb not in _INT_BASES:
        return _bad_verb(v, verb)
    base, prefix = _INT_BASES[verb]
    digits = {10: "d", 2: "b", 8: "o", 16: "x"}[base]
    body = format(abs(v), digits)
    if verb == "X":
        body = body.upper()
    if spec.prec is not None:
        body = "" if spec.prec == 0 and v == 0 else body.rjust(spec.prec, "0")
    if verb == "O" or (spec.sharp and base != 10):
        body = prefix + body
    sign = "-" if v < 0 else "+" if spec.plus else " " if spec.space else ""
    return _pad(sign + body, spec, zero_ok=spec.prec is None)


def _fmt_float(v: float, verb: str, spec: _Spec) -> str:
    if verb not in "veEfFgG":
        return _bad_verb(v, verb)
    if verb == "v":
        verb = "g"
    prec = -1 if spec.prec is None and verb in "gG" else 6 if spec.prec is None else spec.prec
    text = format_float(v, verb, prec)
    if text[0] not in "+-":
        text = ("+" if spec.plus else " " if spec.space else "") + text
    elif text == "+Inf" and not spec.plus:
        text = (" " if spec.space else "") + "Inf"
    return _pad(text, spec, zero_ok=text[-1].isdigit())


def _fmt_str(s: str, verb: str, spec: _Spec) -> str:
    if verb in "vs":
        return _pad(s if spec.prec is None else s[:spec.prec], spec)
    if verb == "q":
        if spec.sharp and "`" not in s and all(c.isprintable() or c == "\t" for c in s):
            return _pad("`" + s + "`", spec)
        return _pad(go_quote(s, ascii_only=spec.plus), spec)
    if verb in "xX":
        data = s.encode("utf-8", "surrogatepass")
        if spec.prec is not None:
            data = data[:spec.prec]
        pieces = [format(b, "02x" if verb == "x" else "02X") for b in data]
        prefix = ("0x" if verb == "x" else "0X") if spec.sharp else ""
        if spec.space:
            return _pad(" ".join(prefix + p for p in pieces), spec)
        return _pad(prefix + "".join(pieces), spec)
    return _bad_verb(s, verb)
