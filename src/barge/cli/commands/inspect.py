"""`inspect`, `container inspect`, `image inspect`."""
from __future__ import annotations

import json
import sys

from barge.cli.commands._common import F, parse
from barge.cli.context import Context

FLAGS = [F("format", "f", "string", "", "Format output using a custom template"),
         F("size", "s", "bool", False, "Display total file sizes if the type is container")]


def _get(ctx: Context, kind: str, ref: str, size: bool, errors: list):
    from barge.client.http import APIError
    try:
        if kind == "container":
            return ctx.client.get_json(f"/containers/{ref}/json", {"size": size or None})
        return ctx.client.get_json(f"/images/{ref}/json")
    except APIError as e:
        if e.status == 404:
            errors.append(e)
            return None
        raise


def _print(ctx: Context, objs: list, fmt: str) -> int:
    """Docker's inspect output; a template error exits 64 (parse) or 1 (execution)."""
    if not fmt:
        sys.stdout.write(json.dumps(objs, indent=4, ensure_ascii=False) + "\n")
        return 0
    from barge.errdefs import InvalidParameter
    from barge.util import gotemplate
    _, body = gotemplate.split_table(fmt)
    try:
        t = gotemplate.parse(body, missing_key_error=True)
    except InvalidParameter as e:
        ctx.err(f"template parsing error: {e}")
        return 64
    for o in objs:
        try:
            ctx.out(_execute(t, o))
        except InvalidParameter as e:
            ctx.out("")
            ctx.err(f"template parsing error: {e}")
            return 1
    return 0


def _execute(t, obj: dict) -> str:
    """Docker's CLI runs the template on its typed structs first, where an
    unset optional field (State.Health) is nil rather than missing; do the same
    on a copy, only when the plain map lacks it."""
    from barge.errdefs import InvalidParameter
    try:
        return t.execute(obj)
    except InvalidParameter as e:
        state = obj.get("State")
        if 'no entry for key "Health"' not in str(e) or not isinstance(state, dict) or "Health" in state:
            raise
        return t.execute({**obj, "State": {**state, "Health": None}})


def _run(ctx: Context, argv: list[str], kinds: tuple[str, ...], usage: str, desc: str, extra=()) -> int:
    p = parse(ctx, ctx.command, usage, desc, FLAGS + list(extra), argv, min_args=1)
    kinds = (p.opts["type"],) if p.opts.get("type") else kinds
    found, rc = [], 0
    for ref in p.args:
        obj, errors = None, []
        try:
            for k in kinds:
                obj = _get(ctx, k, ref, p.opts["size"], errors)
                if obj is not None:
                    break
        except Exception as e:
            return ctx.daemon_error(e)
        if obj is None:
            if len(kinds) == 1:
                ctx.daemon_error(errors[0])      # the daemon's own words, as Docker prints them
            else:
                ctx.err(f"Error: No such object: {ref}")
            rc = 1
            continue
        found.append(obj)
    if found or not p.opts["format"]:
        return _print(ctx, found, p.opts["format"]) or rc
    return rc


def inspect(ctx: Context, argv: list[str]) -> int:
    return _run(ctx, argv, ("container", "image"), "docker inspect [OPTIONS] NAME|ID [NAME|ID...]",
                "Return low-level information on Docker objects",
                [F("type", None, "string", "", "Only inspect objects of the given type")])


def container_inspect(ctx: Context, argv: list[str]) -> int:
    return _run(ctx, argv, ("container",), "docker container inspect [OPTIONS] CONTAINER [CONTAINER...]",
                "Display detailed information on one or more containers")


def image_inspect(ctx: Context, argv: list[str]) -> int:
    return _run(ctx, argv, ("image",), "docker image inspect [OPTIONS] IMAGE [IMAGE...]",
                "Display detailed information on one or more images")
