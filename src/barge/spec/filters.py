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
