"""Container ids and names."""
from __future__ import annotations

import os
import re

from barge.errdefs import InvalidParameter

NAME_RE = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")


def new_id() -> str:
    while True:
        h = os.urandom(32).hex()
        if not h[:12].isdigit():   # Docker avoids all-numeric short ids (they parse as numbers)
            return h


def short(i: str) -> str:
    i = i.removeprefix("sha256:")
    return i[:12]


def validate_name(name: str) -> str:
    """Return the name without a leading slash; raise like Docker on a bad one."""
    if not NAME_RE.match(name):
        raise InvalidParameter(
            f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
    return name.lstrip("/")
