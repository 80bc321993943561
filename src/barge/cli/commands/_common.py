"""Shared pieces of the commands: flag parsing with Docker's errors, per-object loops, streams."""
from __future__ import annotations

import sys

from barge.cli.context import Context, Exit


FORMAT_HELP = (
    "Format output using a custom template:\n"
    "'table':            Print output in table format with column headers (default)\n"
    "'table TEMPLATE':   Print output in table format using the given Go template\n"
    "'json':             Print in JSON format\n"
    "'TEMPLATE':         Print output using the given Go template.\n"
    "Refer to https://docs.docker.com/go/formatting/ for more information about formatting "
    "output with templates")

# the "Aliases:" line of each command's help, as Docker's
ALIASES = {
    "ps": ("container ls", "container list", "container ps", "ps"),
    "run": ("container run", "run"), "create": ("container create", "create"),
    "start": ("container start", "start"), "stop": ("container stop", "stop"),
    "restart": ("container restart", "restart"), "kill": ("container kill", "kill"),
    "rm": ("container rm", "container remove", "rm"), "logs": ("container logs", "logs"),
    "rename": ("container rename", "rename"), "wait": ("container wait", "wait"),
    "export": ("container export", "export"), "attach": ("container attach", "attach"),
    "update": ("container update", "update"), "port": ("container port", "port"), "exec": ("container exec", "exec"),
    "pause": ("container pause", "pause"), "unpause": ("container unpause", "unpause"),
    "top": ("container top", "top"), "stats": ("container stats", "stats"), "cp": ("container cp", "cp"), "diff": ("container diff", "diff"),
    "commit": ("container commit", "commit"), "system df": ("system df",),
    "build": ("image build", "build", "builder build"),
    "images": ("image ls", "image list", "images"), "tag": ("image tag", "tag"),
    "rmi": ("image rm", "image remove", "rmi"), "history": ("image history", "history"),
    "save": ("image save", "save"), "load": ("image load", "load"),
    "import": ("image import", "import"), "pull": ("image pull", "pull"), "push": ("image push", "push"),
    "events": ("system events", "events"), "info": ("system info", "info"),
    "volume ls": ("volume ls", "volume list"), "volume rm": ("volume rm", "volume remove"),
    "network ls": ("network ls", "network list"), "network rm": ("network rm", "network remove"),
}


def F(name: str, short: str | None, kind: str, default, help: str, hidden: bool = False, parser=None):
    from barge.cli.flags import Flag
    type_name = "filter" if name == "filter" else None
    if name == "format" and help == "Format output using a custom template":
        help = FORMAT_HELP
    return Flag(name=name, short=short, kind=kind, default=default, help=help, hidden=hidden,
                type_name=type_name, parser=parser)


def filter_arg(arg: str) -> str:
    """A --filter value read as docker's FilterOpt reads it (a flag error when
    bad): "name=value", the name lower-cased, both trimmed; "" is dropped later."""
    if not arg:
        return ""
    if "=" not in arg:
        raise ValueError("bad format of filter (expected name=value)")
    name, _, value = arg.partition("=")
    return f"{name.strip().lower()}={value.strip()}"


def label_arg(value: str) -> str:
    """A --label value checked as docker's opts.ValidateLabel checks it."""
    name = value.partition("=")[0]
    if not name.strip():
        raise ValueError(f"invalid label '{value}': empty name")
    name = name.lstrip(" \t")
    if " " in name or "\t" in name:
        raise ValueError(f"label '{name}' contains whitespaces")
    return value


def encode_filters(items: list[str] | None) -> str | None:
    """"name=value" strings as the API's `filters` query parameter (None if none)."""
    items = [item for item in items or () if item]
    if not items:
        return None
    from barge.spec import filters
    out: dict[str, list[str]] = {}
    for item in items:
        k, eq, v = item.partition("=")
        if not eq:
            raise ValueError("bad format of filter (expected name=value)")
        out.setdefault(k, []).append(v)
    return filters.encode(out)


def parse(ctx: Context, name: str, usage: str, desc: str, flags: list, argv: list[str],
          min_args: int = 0, max_args: int | None = None, interspersed: bool = True):
    """Parse argv for one command; print help or Docker's usage error and exit as Docker does."""
    from barge.cli import flags as fl
    prefix = f"docker {name}"
    if usage.startswith(prefix):
        usage = usage[len(prefix):].strip()
    cmd = fl.Command(name=name, usage=usage, short_help=desc, flags=flags, interspersed=interspersed,
                     min_args=min_args, max_args=max_args, aliases=ALIASES.get(name, ()))
    try:
        parsed = fl.parse(cmd, argv)
    except fl.FlagError as e:
        sys.stderr.write(fl.format_usage_error(ctx.prog, cmd, e) + "\n")
        raise Exit(e.exit_code) from None
    for w in parsed.warnings:
        sys.stdout.write(w + "\n")
    if parsed.help:
        sys.stdout.write(fl.help_text(ctx.prog, cmd) + "\n")
        raise Exit(0)
    return parsed


def each(ctx: Context, refs: list[str], action, missing_ok: bool = False, echo: bool = True) -> int:
    """Run `action(ref)` for each ref; print the ref on success, Docker's error
    otherwise (with `missing_ok`, as for `rm -f`, a missing one is reported but no failure)."""
    from barge.client.http import APIError
    rc = 0
    for ref in refs:
        try:
            action(ref)
            if echo:
                ctx.out(ref)
        except APIError as e:
            ctx.daemon_error(e)
            if not (missing_ok and e.status == 404):
                rc = 1
        except Exception as e:
            ctx.daemon_error(e)
            rc = 1
    return rc


def post_and_print(ctx: Context, path: str, body: dict, field: str) -> int:
    """`volume/network create`: POST `body`, print the answer's `field` (the new object's name or id)."""
    try:
        res = ctx.client.post(path, json_body=body).json()
    except Exception as e:
        return ctx.daemon_error(e)
    ctx.out(res.get(field) or "")
    return 0


def list_and_render(ctx: Context, path: str, filters: list[str], render) -> int:
    """`volume/network ls`: GET `path` with the --filter values, print
    `render(answer)`; a bad template (InvalidParameter) exits 1."""
    try:
        res = ctx.client.get_json(path, {"filters": encode_filters(filters)})
    except Exception as e:
        return ctx.daemon_error(e)
    from barge.errdefs import InvalidParameter
    try:
        sys.stdout.write(render(res))
    except InvalidParameter as e:
        ctx.err(str(e))
        return 1
    return 0


def stream_output(resp, tty: bool) -> None:
    """Copy a logs/attach stream to stdout/stderr, demultiplexing unless it's a TTY stream."""
    out = sys.stdout.buffer
    err = sys.stderr.buffer
    if tty:
        for chunk in resp.iter_chunks():
            out.write(chunk)
            out.flush()
        return
    from barge.spec.framing import Demuxer
    d = Demuxer()
    for chunk in resp.iter_chunks():
        for stream, data in d.feed(chunk):
            (err if stream == 2 else out).write(data)
        out.flush()
        err.flush()


def write_stream(ctx: Context, resp, path: str) -> int:
    f = open(path, "wb") if path else sys.stdout.buffer
    try:
        for chunk in resp.iter_chunks(1 << 20):
            f.write(chunk)
    finally:
        if path:
            f.close()
        else:
            f.flush()
    return 0


def api_time(value: str, flag: str = "since") -> str | None:
    """--since/--until as the API wants them: unix seconds with nanoseconds."""
    if not value:
        return None
    import time
    from barge.errdefs import InvalidParameter
    from barge.spec.units import timestamp_param
    try:
        return timestamp_param(value, time.time())
    except InvalidParameter as e:
        raise InvalidParameter(f'invalid value for "{flag}": {e}') from None


def confirm(ctx: Context, question: str) -> bool:
    sys.stdout.write(question + " [y/N] ")
    sys.stdout.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def run_prune(ctx: Context, force: bool, warning: str, path: str, filters: list[str], report,
              space: bool = True) -> int:
    """`container/image/volume/network prune`: ask (unless forced), POST `path`, print
    docker's report. `report(response)` gives the "Deleted <title>:" title and lines;
    `space` adds the "Total reclaimed space" line (networks have none)."""
    if not force and not confirm(ctx, warning + "\nAre you sure you want to continue?"):
        return 0
    try:
        res = ctx.client.post(path, {"filters": encode_filters(filters)}).json()
    except Exception as e:
        return ctx.daemon_error(e)
    title, lines = report(res)
    if lines:
        ctx.out(f"Deleted {title}:\n" + "".join(line + "\n" for line in lines))
    if not space:
        return 0
    from barge.spec.units import human_size
    ctx.out(f"Total reclaimed space: {human_size((res.get('SpaceReclaimed') or 0) if lines else 0, 4)}")
    return 0
