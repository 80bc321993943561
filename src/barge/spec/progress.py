"""Docker's JSON progress messages (jsonmessage.JSONMessage), as dockerd
streams them for pull and push."""
from __future__ import annotations

import json

from barge.spec.units import human_size


def progress_bar(current: int, total: int) -> str:
    """JSONProgress.String() at the daemon's width (200 columns):
    `[==>      ]  1.05MB/9.43MB`; without a total, just the size."""
    if current <= 0 and total <= 0:
        return ""
    if total <= 0:
        return "%8s" % human_size(current, 4)
    pct = min(int(current / total * 100) // 2, 50)
    bar = "[" + "=" * pct + ">" + " " * (50 - pct) + "] "
    if current > total:
        return bar + "%8s" % human_size(current, 4)
    return bar + "%8s/%s" % (human_size(current, 4), human_size(total, 4))


def status(text: str, id_: str = "") -> dict:
    """progress.Message: `{"status":"Pulling from library/busybox","id":"latest"}`."""
    return {"status": text, "id": id_} if id_ else {"status": text}


def update(id_: str, action: str, current: int | None = None, total: int | None = None) -> dict:
    """progress.Update / WriteProgress: a per-layer line with progressDetail."""
    msg: dict = {"status": action}
    if current is None:
        msg["progressDetail"] = {}
    else:
        msg["progressDetail"] = {"current": current, "total": total} if total else {"current": current}
        bar = progress_bar(current, total or 0)
        if bar:
            msg["progress"] = bar
    msg["id"] = id_
    return msg


def aux(value: dict) -> dict:
    return {"progressDetail": {}, "aux": value}


def error(message: str) -> dict:
    return {"errorDetail": {"message": message}, "error": message}


def encode(msg: dict) -> bytes:
    return json.dumps(msg, separators=(",", ":")).encode() + b"\r\n"
