"""Resolve a path inside a container root as if the root were `/`:
symlinks (absolute or with `..`) never lead outside it."""
from __future__ import annotations

import os
import posixpath

from barge.errdefs import InvalidParameter

MAX_LINKS = 255


def secure_join(root: str, path: str) -> str:
    """Host path for `path` seen from inside `root`, following symlinks in scope."""
    root = os.path.realpath(root)
    parts = [p for p in path.split("/") if p not in ("", ".")]
    resolved: list[str] = []
    links = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = os.path.join(root, *resolved, part)
        try:
            target = os.readlink(candidate)
        except OSError:
            resolved.append(part)
            continue
        links += 1
        if links > MAX_LINKS:
            raise InvalidParameter(f"too many symlinks resolving {path}")
        if target.startswith("/"):
            resolved = []
        parts = [p for p in target.split("/") if p not in ("", ".")] + parts
    return os.path.join(root, *resolved) if resolved else root


def clean(path: str) -> str:
    return posixpath.normpath("/" + path)


def read_text(path: str) -> str:
    """A small text file's content, or "" when it cannot be read."""
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def read_in_root(root: str, rel: str) -> str:
    """A file of a container's or image's tree, its symlinks kept inside the
    tree; "" when it cannot be read."""
    from barge.errdefs import InvalidParameter
    try:
        with open(secure_join(root, rel)) as f:
            return f.read()
    except (OSError, InvalidParameter):
        return ""
