"""Image commands: images, tag, rmi, history, save, load, import, prune (pull and push: registry.py)."""
from __future__ import annotations

import os
import sys
import time

from barge.cli.commands._common import F, parse, run_prune, write_stream
from barge.cli.commands.container import _filters
from barge.cli.context import Context


def images(ctx: Context, argv: list[str]) -> int:
    flags = [F("all", "a", "bool", False, "Show all images (default hides intermediate images)"),
             F("digests", None, "bool", False, "Show digests"),
             F("filter", "f", "list", None, "Filter output based on conditions provided"),
             F("format", None, "string", "", "Format output using a custom template"),
             F("no-trunc", None, "bool", False, "Don't truncate output"),
             F("quiet", "q", "bool", False, "Only show image IDs"),
             F("tree", None, "bool", False, "List multi-platform images as a tree (EXPERIMENTAL)", hidden=True)]
    p = parse(ctx, "images", "docker images [OPTIONS] [REPOSITORY[:TAG]]", "List images", flags, argv, max_args=1)
    o = p.opts
    filt = list(o["filter"] or [])
    if p.args:
        filt.append(f"reference={p.args[0]}")
    try:
        items = ctx.client.get_json("/images/json", {"all": o["all"] or None, "filters": _filters(filt)})
    except ValueError as e:
        ctx.err(str(e))
        return 1
    except Exception as e:
        return ctx.daemon_error(e)
    from barge.cli import format as fmt
    from barge.cli import rows
    from barge.errdefs import InvalidParameter
    f = rows.images_format(o["format"], o["quiet"], o["digests"])
    table_rows = rows.image_rows(items, o["all"], o["digests"], not o["no-trunc"], time.time(), f)
    try:
        sys.stdout.write(fmt.render(table_rows, f, "", rows.IMAGES_HEADERS))
    except InvalidParameter as e:
        ctx.err(str(e))
        return 1
    return 0


def tag(ctx: Context, argv: list[str]) -> int:
    p = parse(ctx, "tag", "docker tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
              "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", [], argv, min_args=2, max_args=2)
    from barge.errdefs import InvalidParameter
    from barge.spec import reference
    try:
        ref = reference.parse(p.args[1])
    except InvalidParameter as e:
        ctx.err(f'Error parsing reference: "{p.args[1]}" is not a valid repository/tag: {e}')
        return 1
    try:
        ctx.client.post(f"/images/{p.args[0]}/tag", {"repo": ref.repository if ref.domain == "docker.io" else ref.full_repository,
                                                     "tag": ref.tag or "latest"}).close()
    except Exception as e:
        return ctx.daemon_error(e)
    return 0


def rmi(ctx: Context, argv: list[str]) -> int:
    flags = [F("force", "f", "bool", False, "Force removal of the image"),
             F("no-prune", None, "bool", False, "Do not delete untagged parents")]
    p = parse(ctx, "rmi", "docker rmi [OPTIONS] IMAGE [IMAGE...]", "Remove one or more images", flags, argv, min_args=1)
    rc = 0
    for ref in p.args:
        try:
            res = ctx.client.delete(f"/images/{ref}", {"force": p.opts["force"] or None,
                                                       "noprune": p.opts["no-prune"] or None}).json()
        except Exception as e:
            ctx.daemon_error(e)
            if not (p.opts["force"] and getattr(e, "status", 0) == 404):
                rc = 1
            continue
        for item in res:
            if "Untagged" in item:
                ctx.out(f"Untagged: {item['Untagged']}")
            if "Deleted" in item:
                ctx.out(f"Deleted: {item['Deleted']}")
    return rc


def history(ctx: Context, argv: list[str]) -> int:
    flags = [F("format", None, "string", "", "Format output using a custom template"),
             F("human", "H", "bool", True, "Print sizes and dates in human readable format"),
             F("no-trunc", None, "bool", False, "Don't truncate output"),
             F("quiet", "q", "bool", False, "Only show image IDs"),
             F("platform", None, "string", "", "Show history for the given platform")]
    p = parse(ctx, "history", "docker history [OPTIONS] IMAGE", "Show the history of an image", flags, argv,
              min_args=1, max_args=1)
    o = p.opts
    try:
        items = ctx.client.get_json(f"/images/{p.args[0]}/history")
    except Exception as e:
        return ctx.daemon_error(e)
    from barge.cli import format as fmt
    from barge.cli import rows
    from barge.errdefs import InvalidParameter
    hrows = [rows.HistoryRow(h, human=o["human"], trunc=not o["no-trunc"], now=time.time()) for h in items]
    try:
        sys.stdout.write(fmt.render(hrows, rows.history_format(o["format"], o["quiet"], o["human"]), "",
                                    rows.HISTORY_HEADERS))
    except InvalidParameter as e:
        ctx.err(str(e))
        return 1
    return 0


def save(ctx: Context, argv: list[str]) -> int:
    flags = [F("output", "o", "string", "", "Write to a file, instead of STDOUT"),
             F("platform", None, "list", None, "Save only the given platform(s)")]
    p = parse(ctx, "save", "docker save [OPTIONS] IMAGE [IMAGE...]",
              "Save one or more images to a tar archive (streamed to STDOUT by default)", flags, argv, min_args=1)
    out = p.opts["output"]
    if not out and sys.stdout.isatty():
        ctx.err("cowardly refusing to save to a terminal. Use the -o flag or redirect")
        return 1
    try:
        r = ctx.client.get("/images/get", {"names": p.args})
    except Exception as e:
        return ctx.daemon_error(e)
    tmp = out + ".tmp" if out else ""
    try:
        write_stream(ctx, r, tmp)
        if out:
            os.replace(tmp, out)
    except Exception as e:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
        ctx.err(f"Error: {e}")
        return 1
    return 0


def _file_chunks(f, size: int = 1 << 20):
    while chunk := f.read(size):
        yield chunk


def _open_input(ctx: Context, path: str):
    if not path or path == "-":
        if sys.stdin.isatty():
            return None
        return sys.stdin.buffer
    return open(path, "rb")


def load(ctx: Context, argv: list[str]) -> int:
    flags = [F("input", "i", "string", "", "Read from tar archive file, instead of STDIN"),
             F("quiet", "q", "bool", False, "Suppress the load output"),
             F("platform", None, "list", None, "Load only the given platform(s)")]
    p = parse(ctx, "load", "docker load [OPTIONS]", "Load an image from a tar archive or STDIN", flags, argv, max_args=0)
    try:
        src = _open_input(ctx, p.opts["input"])
    except OSError as e:
        ctx.err(f"open {p.opts['input']}: {e.strerror.lower()}")
        return 1
    if src is None:
        ctx.err("requested load from stdin, but stdin is empty")
        return 1
    try:
        r = ctx.client.post("/images/load", {"quiet": p.opts["quiet"] or None}, body=_file_chunks(src),
                            headers={"Content-Type": "application/x-tar"})
        return _print_progress(ctx, r)      # -q hides progress bars; "Loaded image" still shows
    except Exception as e:
        return ctx.daemon_error(e)


def _print_progress(ctx: Context, r) -> int:
    for msg in r.iter_json():
        if msg.get("error"):
            ctx.err(msg["error"])
            return 1
        if "stream" in msg:
            sys.stdout.write(msg["stream"])
        elif "status" in msg:
            ctx.out(msg["status"])
    return 0


def import_(ctx: Context, argv: list[str]) -> int:
    flags = [F("change", "c", "list", None, "Apply Dockerfile instruction to the created image"),
             F("message", "m", "string", "", "Set commit message for imported image"),
             F("platform", None, "string", "", "Set platform if server is multi-platform capable")]
    p = parse(ctx, "import", "docker import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
              "Import the contents from a tarball to create a filesystem image", flags, argv,
              min_args=1, max_args=2)
    src_path = p.args[0]
    repo, tag_ = "", ""
    if len(p.args) > 1:
        from barge.errdefs import InvalidParameter
        from barge.spec import reference
        try:
            ref = reference.parse(p.args[1])
        except InvalidParameter as e:
            ctx.err(f"Error response from daemon: {e}")
            return 1
        repo = ref.repository if ref.domain == "docker.io" else ref.full_repository
        tag_ = ref.tag or ""
    try:
        src = sys.stdin.buffer if src_path == "-" else open(src_path, "rb")
    except OSError as e:
        ctx.err(f"open {src_path}: {e.strerror.lower()}")
        return 1
    params = {"fromSrc": "-", "repo": repo or None, "tag": tag_ or None,
              "changes": p.opts["change"] or None, "message": p.opts["message"] or None}
    try:
        r = ctx.client.post("/images/create", params, body=_file_chunks(src),
                            headers={"Content-Type": "application/x-tar"})
        return _print_progress(ctx, r)
    except Exception as e:
        return ctx.daemon_error(e)


def prune(ctx: Context, argv: list[str]) -> int:
    flags = [F("all", "a", "bool", False, "Remove all unused images, not just dangling ones"),
             F("filter", None, "list", None, "Provide filter values (e.g. \"until=<timestamp>\")"),
             F("force", "f", "bool", False, "Do not prompt for confirmation")]
    p = parse(ctx, "image prune", "docker image prune [OPTIONS]", "Remove unused images", flags, argv, max_args=0)
    q = ("WARNING! This will remove all images without at least one container associated to them."
         if p.opts["all"] else "WARNING! This will remove all dangling images.")
    filt = list(p.opts["filter"] or [])
    if p.opts["all"]:
        filt.append("dangling=false")
    return run_prune(ctx, p.opts["force"], q, "/images/prune", filt, _deleted_images)


def _deleted_images(res: dict) -> tuple[str, list[str]]:
    lines = [f"{k.lower()}: {item[k]}" for item in res.get("ImagesDeleted") or []
             for k in ("Untagged", "Deleted") if k in item]
    return "Images", lines
