"""Lifecycle commands: pause, unpause, top."""
from __future__ import annotations

import sys

from barge.cli.commands._common import each, parse
from barge.cli.context import Context

TOP_MIN_WIDTH = 20        # the Docker CLI's tabwriter for top: minwidth 20, padding 3
TOP_PADDING = 3


def pause(ctx: Context, argv: list[str]) -> int:
    p = parse(ctx, "pause", "docker pause CONTAINER [CONTAINER...]",
              "Pause all processes within one or more containers", [], argv, min_args=1)
    return each(ctx, p.args, lambda ref: ctx.client.post(f"/containers/{ref}/pause").close())


def unpause(ctx: Context, argv: list[str]) -> int:
    p = parse(ctx, "unpause", "docker unpause CONTAINER [CONTAINER...]",
              "Unpause all processes within one or more containers", [], argv, min_args=1)
    return each(ctx, p.args, lambda ref: ctx.client.post(f"/containers/{ref}/unpause").close())


def top(ctx: Context, argv: list[str]) -> int:
    p = parse(ctx, "top", "docker top CONTAINER [ps OPTIONS]",
              "Display the running processes of a container", [], argv, min_args=1,
              interspersed=False)
    ref, ps_args = p.args[0], p.args[1:]
    params = {"ps_args": " ".join(ps_args)} if ps_args else None
    try:
        body = ctx.client.get_json(f"/containers/{ref}/top", params)
    except Exception as e:
        return ctx.daemon_error(e)
    rows = [body.get("Titles") or []] + list(body.get("Processes") or [])
    sys.stdout.write(top_table(rows))
    return 0


def top_table(rows: list[list[str]]) -> str:
    """Go's tabwriter as `docker top` sets it up (minwidth 20, padding 3, spaces):
    every cell but a line's last is padded to its column's width."""
    from barge.cli.format import display_width
    widths: dict[int, int] = {}
    for row in rows:
        for i, cell in enumerate(row[:-1]):
            widths[i] = max(widths.get(i, TOP_MIN_WIDTH), display_width(cell) + TOP_PADDING)
    out = []
    for row in rows:
        cells = [cell + " " * (widths[i] - display_width(cell)) for i, cell in enumerate(row[:-1])]
        out.append("".join(cells) + (row[-1] if row else "") + "\n")
    return "".join(out)
