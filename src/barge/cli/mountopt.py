"""`--mount` and `-v` values -> the Engine API's Mount objects and Binds, as the
docker CLI (28.x) makes them (cli/opts/mount.go, cli/compose/loader/volume.go
and the volume loop of cli/command/container/opts.go). Pure, stdlib only.

`parse_mount` raises ValueError with docker's text; the flag parser prints it
after `invalid argument "..." for "--mount" flag: `.
"""
from __future__ import annotations

import os

from barge.errdefs import BargeError, InvalidParameter

# ---------------------------------------------------------------- Go's encoding/csv


class _CSVError(ValueError):
    def __init__(self, start: int, line: int, col: int, quoted: bool) -> None:
        what = 'extraneous or missing " in quoted-field' if quoted else 'bare " in non-quoted-field'
        where = f"record on line {start}; " if start != line else ""
        super().__init__(f"{where}parse error on line {line}, column {col}: {what}")


def _csv_lines(text: str) -> list[bytes]:
    """The input as Go's csv reader reads it: lines keep their "\\n", "\\r\\n" becomes "\\n"."""
    parts = text.encode("utf-8", "surrogateescape").split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]] + ([parts[-1].removesuffix(b"\r")] if parts[-1] else [])
    return [ln[:-2] + b"\n" if ln.endswith(b"\r\n") else ln for ln in lines]


def csv_record(text: str) -> list[str]:
    """Go's csv.Reader.Read on `text`: the first record's fields (byte-counted
    columns in errors, as Go's). An input with no record raises ValueError("EOF")."""
    lines = _csv_lines(text)
    i = 0
    while i < len(lines) and lines[i] == b"\n":
        i += 1
    if i == len(lines):
        raise ValueError("EOF")
    state = {"lines": lines, "i": i, "start": i + 1, "line": i + 1, "col": 1, "rest": lines[i]}
    fields: list[bytes] = []
    while True:
        if state["rest"][:1] == b'"':
            more = _quoted_field(state, fields)
        else:
            more = _plain_field(state, fields)
        if not more:
            return [f.decode("utf-8", "surrogateescape") for f in fields]


def _plain_field(st: dict, fields: list[bytes]) -> bool:
    rest = st["rest"]
    comma = rest.find(b",")
    field = rest[:comma] if comma >= 0 else rest.removesuffix(b"\n")
    quote = field.find(b'"')
    if quote >= 0:
        raise _CSVError(st["start"], st["i"] + 1, st["col"] + quote, False)
    fields.append(field)
    if comma < 0:
        return False
    st["rest"], st["col"] = rest[comma + 1:], st["col"] + comma + 1
    return True


def _quoted_field(st: dict, fields: list[bytes]) -> bool:
    rest, st["col"], buf = st["rest"][1:], st["col"] + 1, b""
    while True:
        quote = rest.find(b'"')
        if quote >= 0:
            buf, rest, st["col"] = buf + rest[:quote], rest[quote + 1:], st["col"] + quote + 1
            if rest[:1] == b'"':
                buf, rest, st["col"] = buf + b'"', rest[1:], st["col"] + 1
            elif rest[:1] == b",":
                fields.append(buf)
                st["rest"], st["col"] = rest[1:], st["col"] + 1
                return True
            elif rest in (b"", b"\n"):
                fields.append(buf)
                return False
            else:
                raise _CSVError(st["start"], st["i"] + 1, st["col"] - 1, True)
        elif rest:
            buf, st["col"] = buf + rest, st["col"] + len(rest)
            st["i"] += 1
            rest = st["lines"][st["i"]] if st["i"] < len(st["lines"]) else b""
            if rest:
                st["line"], st["col"] = st["line"] + 1, 1
        else:
            raise _CSVError(st["start"], st["line"], st["col"], True)


# ---------------------------------------------------------------- --mount

_MIX_ORDER = (("VolumeOptions", "volume"), ("ImageOptions", "image"), ("BindOptions", "bind"),
              ("TmpfsOptions", "tmpfs"))
_RECURSIVE = {"enabled": None, "disabled": "NonRecursive", "writable": "ReadOnlyNonRecursive",
              "readonly": "ReadOnlyForceRecursive"}


def _options(m: dict, key: str) -> dict:
    """The mount's BindOptions, VolumeOptions, ... made on first use, with
    every field at its zero value (dropped again by `_omit_empty`)."""
    if key not in m:
        m[key] = {
            "BindOptions": lambda: {"Propagation": "", "NonRecursive": False,
                                    "ReadOnlyNonRecursive": False, "ReadOnlyForceRecursive": False},
            "VolumeOptions": lambda: {"NoCopy": False, "Labels": {}, "Subpath": "",
                                      "DriverConfig": {"Name": "", "Options": {}}},
            "ImageOptions": lambda: {"Subpath": ""},
            "TmpfsOptions": lambda: {"SizeBytes": 0, "Mode": 0},
        }[key]()
    return m[key]


def _set_on_map(target: dict, value: str) -> None:
    k, _, v = value.partition("=")
    if k:
        target[k] = v


def _bool(key: str, val: str) -> bool:
    from barge.spec.gostrconv import parse_go_bool
    try:
        return parse_go_bool(val)
    except BargeError:
        raise ValueError(f"invalid value for {key}: {val}") from None


def _recursive(m: dict, key: str, val: str) -> None:
    if val not in _RECURSIVE:
        raise ValueError(f'invalid value for {key}: {val} '
                         f'(must be "enabled", "disabled", "writable", or "readonly")')
    if _RECURSIVE[val]:
        _options(m, "BindOptions")[_RECURSIVE[val]] = True


def _tmpfs_size(val: str) -> int:
    from barge.spec.units import ram_in_bytes
    try:
        return ram_in_bytes(val)
    except (BargeError, ValueError):
        raise ValueError(f"invalid value for tmpfs-size: {val}") from None


def _tmpfs_mode(val: str) -> int:
    from barge.spec.gostrconv import parse_go_uint
    try:
        return parse_go_uint(val, 8, 32)
    except BargeError:
        raise ValueError(f"invalid value for tmpfs-mode: {val}") from None


def _source(val: str, cwd: str | None) -> str:
    if val.startswith(".") and not os.path.isabs(val):
        return os.path.normpath(os.path.join(cwd or os.getcwd(), val))
    return val


def _warn_nonrecursive(warn) -> None:
    if warn is not None:
        warn("bind-nonrecursive is deprecated, use bind-recursive=disabled instead")


def _apply(m: dict, key: str, val: str, cwd: str | None, warn) -> bool:
    """Set one key=value field; False when the key is unknown."""
    if key == "type":
        m["Type"] = val.lower()
    elif key in ("source", "src"):
        m["Source"] = _source(val, cwd)
    elif key in ("target", "dst", "destination"):
        m["Target"] = val
    elif key in ("readonly", "ro"):
        m["ReadOnly"] = _bool(key, val)
    elif key == "consistency":
        m["Consistency"] = val.lower()
    elif key.startswith("bind-"):
        return _apply_bind(m, key, val, warn)
    elif key.startswith("volume-"):
        return _apply_volume(m, key, val)
    elif key == "image-subpath":
        _options(m, "ImageOptions")["Subpath"] = val
    elif key == "tmpfs-size":
        _options(m, "TmpfsOptions")["SizeBytes"] = _tmpfs_size(val)
    elif key == "tmpfs-mode":
        _options(m, "TmpfsOptions")["Mode"] = _tmpfs_mode(val)
    else:
        return False
    return True


def _apply_bind(m: dict, key: str, val: str, warn) -> bool:
    if key == "bind-propagation":
        _options(m, "BindOptions")["Propagation"] = val.lower()
    elif key == "bind-nonrecursive":
        _options(m, "BindOptions")["NonRecursive"] = _bool(key, val)
        _warn_nonrecursive(warn)
    elif key == "bind-recursive":
        _recursive(m, key, val)
    else:
        return False
    return True


def _apply_volume(m: dict, key: str, val: str) -> bool:
    if key == "volume-subpath":
        _options(m, "VolumeOptions")["Subpath"] = val
    elif key == "volume-nocopy":
        _options(m, "VolumeOptions")["NoCopy"] = _bool(key, val)
    elif key == "volume-label":
        _set_on_map(_options(m, "VolumeOptions")["Labels"], val)
    elif key == "volume-driver":
        _options(m, "VolumeOptions")["DriverConfig"]["Name"] = val
    elif key == "volume-opt":
        _set_on_map(_options(m, "VolumeOptions")["DriverConfig"]["Options"], val)
    else:
        return False
    return True


_BARE = {"readonly": ("ReadOnly",), "ro": ("ReadOnly",), "volume-nocopy": ("VolumeOptions", "NoCopy"),
         "bind-nonrecursive": ("BindOptions", "NonRecursive")}


def _field(m: dict, field: str, cwd: str | None, warn) -> None:
    key, eq, val = field.partition("=")
    key = key.lower()
    if not eq:
        path = _BARE.get(key)
        if path is None:
            raise ValueError(f"invalid field '{field}' must be a key=value pair")
        (m if len(path) == 1 else _options(m, path[0]))[path[-1]] = True
    elif not _apply(m, key, val, cwd, warn):
        raise ValueError(f"unexpected key '{key}' in '{field}'")


def _validate(m: dict) -> None:
    if not m["Type"]:
        raise ValueError("type is required")
    if not m["Target"]:
        raise ValueError("target is required")
    for key, typ in _MIX_ORDER:
        if key in m and m["Type"] != typ:
            raise ValueError(f"cannot mix '{typ}-*' options with mount type '{m['Type']}'")
    bind = m.get("BindOptions") or {}
    if bind.get("ReadOnlyNonRecursive") and not m["ReadOnly"]:
        raise ValueError("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction")
    if bind.get("ReadOnlyForceRecursive"):
        if not m["ReadOnly"]:
            raise ValueError("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction")
        if bind.get("Propagation") != "rprivate":
            raise ValueError("option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' "
                             "to be specified in conjunction")


def _omit_empty(d: dict) -> dict:
    """Go's `omitempty`: zero values and empty maps (Labels, Options) go; an
    options struct stays, even when empty ("DriverConfig": {})."""
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            if v or k not in ("Labels", "Options"):
                out[k] = v if k in ("Labels", "Options") else _omit_empty(v)
        elif v not in ("", False, 0, None):
            out[k] = v
    return out


def parse_mount(value: str, cwd: str | None = None, warn=None) -> dict:
    """One `--mount` value as the Engine API's Mount object. `cwd` makes a
    relative source (".", "./x", "../x") absolute; `warn(text)` gets the
    deprecation warning of `bind-nonrecursive=<bool>`."""
    m: dict = {"Type": "volume", "Source": "", "Target": "", "ReadOnly": False, "Consistency": ""}
    for field in csv_record(value):
        _field(m, field, cwd, warn)
    _validate(m)
    return _omit_empty(m)


# ---------------------------------------------------------------- -v / --volume

def _is_drive(buf: str, ch: str) -> bool:
    return ch == ":" and len(buf) == 1 and buf.isalpha()


def split_volume_spec(spec: str) -> tuple[str, str]:
    """(source, target) of a `-v` spec, by the compose loader's ParseVolume
    (options are not needed here); raises InvalidParameter with its text."""
    if not spec:
        raise InvalidParameter("invalid empty volume spec")
    if len(spec.encode("utf-8", "surrogateescape")) <= 2:
        return "", spec
    source, target, buf = "", "", ""
    for ch in spec + "\0":
        if _is_drive(buf, ch):
            buf += ch
        elif ch in ":\0":
            if not buf:
                raise InvalidParameter(f"invalid spec: {spec}: empty section between colons")
            if not source and ch == "\0":
                target = buf
            elif not source:
                source = buf
            elif not target:
                target = buf
            elif ch == ":":
                raise InvalidParameter(f"invalid spec: {spec}: too many colons")
            buf = ""
        else:
            buf += ch
    return source, target


def volumes_and_binds(specs: list[str], cwd: str | None = None) -> tuple[dict, list[str]]:
    """`-v` values -> (Config.Volumes, HostConfig.Binds): a spec with a
    source is a bind (a relative host path made absolute), any other an
    anonymous volume. Duplicates count once. (Docker makes the host path
    absolute only for a bind whose first field starts with ".", which is
    then a file path.)"""
    volumes: dict = {}
    binds: list[str] = []
    for spec in dict.fromkeys(specs):
        source, _ = split_volume_spec(spec)
        if not source:
            volumes[spec] = {}
            continue
        host, colon, rest = spec.partition(":")
        if colon and host.startswith("."):
            spec = os.path.normpath(os.path.join(cwd or os.getcwd(), host)) + ":" + rest
        binds.append(spec)
    return volumes, binds
