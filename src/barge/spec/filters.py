"""The API's `filters` parameter: `{"key": ["v"]}` or the older `{"key": {"v": true}}`."""
from __future__ import annotations

import json

from barge.errdefs import InvalidParameter


def parse(raw: str | None) -> dict[str, list[str]]:
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise InvalidParameter(f"invalid filter: {raw}") from None
    if not isinstance(data, dict):
        raise InvalidParameter(f"invalid filter: {raw}")
    out: dict[str, list[str]] = {}
    for k, v in data.items():
        if isinstance(v, dict):
            out[k] = [x for x, on in v.items() if on]
        elif isinstance(v, list):
            out[k] = [str(x) for x in v]
        elif isinstance(v, str):
            out[k] = [v]
        else:
            raise InvalidParameter(f"invalid filter: {raw}")
    return out


def encode(filters: dict[str, list[str]]) -> str:
    return json.dumps({k: {v: True for v in vs} for k, vs in filters.items()})


def truth(key: str, value: str) -> bool:
    """A boolean filter value (`dangling=true`, `all=0`), or Docker's invalid-filter error."""
    if value.lower() in ("1", "true"):
        return True
    if value.lower() in ("0", "false"):
        return False
    raise InvalidParameter(f"invalid filter '{key}={value}'")


def check(filters: dict[str, list[str]], allowed: tuple[str, ...]) -> None:
    for key in filters:
        if key not in allowed:
            raise InvalidParameter(f"invalid filter '{key}'")


def label_holds(labels: dict, want: str) -> bool:
    """`key` or `key=value` against a label map."""
    k, eq, v = want.partition("=")
    return k in labels and (not eq or labels[k] == v)
