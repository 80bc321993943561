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


def print_inspect(ctx: Context, items: list, fmt: str, sort_keys: bool = False, wrap=None,
                  raw_fallback: bool = False) -> int:
    """Docker's inspect output for `items`, each an object or an error line
    (str): an indented JSON array, one line of JSON for `-f json`, or the
    template per object; then the errors, in order, on stderr. A bad template
    exits 64, any error 1. `sort_keys` orders keys as Go marshals a struct
    declared in that order; `wrap(obj)` is what templates run on; with
    `raw_fallback`, where that fails the template runs on the plain JSON
    (missing keys then an error), as docker does for objects it gets raw."""
    if fmt in ("", "json"):
        indent, seps = (4, None) if not fmt else (None, (",", ":"))
        objs = [i for i in items if not isinstance(i, str)]
        sys.stdout.write(json.dumps(objs, indent=indent, separators=seps, ensure_ascii=False,
                                    sort_keys=sort_keys) + "\n")
        errors = [i for i in items if isinstance(i, str)]
    else:
        errors = _print_template(ctx, items, fmt, wrap, raw_fallback)
        if errors is None:
            return 64
    for line in errors:
        ctx.err(line)
    return 1 if errors else 0


def _print_template(ctx: Context, items: list, fmt: str, wrap, raw_fallback: bool = False) -> list[str] | None:
    """The template's text per object (a lone newline if none); returns the
    error lines, or None when the template does not parse."""
    from barge.errdefs import InvalidParameter
    from barge.util import gotemplate
    try:
        t = gotemplate.parse(fmt, missing_key_error=True)     # no `table`, no \t escapes: docker's inspect
        typed = gotemplate.parse(fmt) if raw_fallback else None
    except InvalidParameter as e:
        ctx.err(f"template parsing error: {e}")
        return None
    out, errors = [], []
    for item in items:
        if isinstance(item, str):
            errors.append(item)
            continue
        try:
            out.append(_execute_typed(t, typed, item, wrap) + "\n")
        except InvalidParameter as e:
            errors.append(f"template parsing error: {e}")
    sys.stdout.write("".join(out) or "\n")
    return errors


def _execute_typed(t, typed, item, wrap) -> str:
    from barge.errdefs import InvalidParameter
    if typed is None:
        return _execute(t, wrap(item) if wrap else item)
    try:
        return typed.execute(wrap(item))
    except InvalidParameter:
        return _execute(t, item)


def _execute(t, obj) -> str:
    """Docker's CLI runs the template on its typed structs first, where an
    unset optional field (State.Health) is nil rather than missing; do the same
    on a copy, only when the plain map lacks it."""
    from barge.errdefs import InvalidParameter
    try:
        return t.execute(obj)
    except InvalidParameter as e:
        state = obj.get("State") if isinstance(obj, dict) else None
        if 'no entry for key "Health"' not in str(e) or not isinstance(state, dict) or "Health" in state:
            raise
        return t.execute({**obj, "State": {**state, "Health": None}})


def _run(ctx: Context, argv: list[str], kinds: tuple[str, ...], usage: str, desc: str, extra=()) -> int:
    p = parse(ctx, ctx.command, usage, desc, FLAGS + list(extra), argv, min_args=1)
    kinds = (p.opts["type"],) if p.opts.get("type") else kinds
    items = []
    for ref in p.args:
        obj, errors = None, []
        try:
            for k in kinds:
                obj = _get(ctx, k, ref, p.opts["size"], errors)
                if obj is not None:
                    break
        except Exception as e:
            return ctx.daemon_error(e)
        if obj is None:                          # the daemon's own words, as Docker prints them
            obj = (f"Error response from daemon: {errors[0].message}" if len(kinds) == 1
                   else f"Error: No such object: {ref}")
        items.append(obj)
    return print_inspect(ctx, items, p.opts["format"])


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
