"""`volume create|ls|inspect|rm|prune`."""
from __future__ import annotations

from barge.cli.commands._common import F, each, filter_arg, label_arg, list_and_render, parse, post_and_print, run_prune
from barge.cli.context import Context
from barge.cli.flags import Flag

RM_DESC = "Remove one or more volumes. You cannot remove a volume that is in use by a container."
PRUNE_WARNING = "WARNING! This will remove anonymous local volumes not used by at least one container."
PRUNE_ALL_WARNING = "WARNING! This will remove all local volumes not used by at least one container."


def create_body(opts: dict, args: list[str]) -> dict:
    """POST /volumes/create's body, with Docker's CLI's empty fields left out.
    Raises ValueError for a name given both ways."""
    name = opts["name"]
    if args:
        if name:
            raise ValueError("conflicting options: cannot specify a volume-name through both --name "
                             "and as a positional arg")
        name = args[0]
    labels = dict(label.partition("=")[::2] for label in opts["label"] or [])
    body = {"Driver": opts["driver"], "DriverOpts": opts["opt"], "Labels": labels, "Name": name}
    return {k: v for k, v in body.items() if v}


def create(ctx: Context, argv: list[str]) -> int:
    flags = [F("driver", "d", "string", "local", "Specify volume driver name"),
             F("label", None, "list", None, "Set metadata for a volume", parser=label_arg),
             F("name", None, "string", "", "Specify volume name", hidden=True),
             Flag("opt", "o", "map", help="Set driver specific options", default_text="map[]")]
    p = parse(ctx, "volume create", "docker volume create [OPTIONS] [VOLUME]", "Create a volume", flags, argv,
              max_args=1)
    try:
        body = create_body(p.opts, p.args)
    except ValueError as e:
        ctx.err(str(e))
        return 1
    return post_and_print(ctx, "/volumes/create", body, "Name")


def ls(ctx: Context, argv: list[str]) -> int:
    flags = [F("filter", "f", "list", None, 'Provide filter values (e.g. "dangling=true")', parser=filter_arg),
             F("format", None, "string", "", "Format output using a custom template"),
             F("quiet", "q", "bool", False, "Only display volume names")]
    p = parse(ctx, "volume ls", "docker volume ls [OPTIONS]", "List volumes", flags, argv, max_args=0)
    return list_and_render(ctx, "/volumes", p.opts["filter"],
                           lambda res: render_volumes(res.get("Volumes") or [], p.opts["format"], p.opts["quiet"]))


def render_volumes(volumes: list[dict], fmt: str, quiet: bool) -> str:
    """`volume ls` output, sorted by name as Docker sorts (naturally); a bad
    template raises InvalidParameter("template parsing error: ...")."""
    from barge.cli import format as fmtmod
    from barge.cli import volumerows as vr
    rows = [vr.VolumeRow(v) for v in sorted(volumes, key=lambda v: vr.natural_key(v.get("Name") or ""))]
    return fmtmod.render(rows, vr.volume_format(fmt, quiet), "", vr.VOLUME_HEADERS)


def inspect(ctx: Context, argv: list[str]) -> int:
    from barge.cli.commands._common import FORMAT_HELP
    help_ = "\n".join(line for line in FORMAT_HELP.split("\n") if not line.startswith("'table"))
    flags = [Flag("format", "f", "string", "", help_)]
    p = parse(ctx, "volume inspect", "docker volume inspect [OPTIONS] VOLUME [VOLUME...]",
              "Display detailed information on one or more volumes", flags, argv, min_args=1)
    from barge.cli.commands.inspect import print_inspect
    from barge.client.http import APIError
    items: list = []
    for name in p.args:
        try:
            items.append(ctx.client.get_json(f"/volumes/{name}"))
        except APIError as e:
            items.append(f"Error response from daemon: {e.message}")
        except Exception as e:
            return ctx.daemon_error(e)
    return print_inspect(ctx, items, p.opts["format"], sort_keys=True, wrap=GoVolume)


class GoVolume:
    """A volume as Docker's CLI runs inspect templates on it: its Go struct
    (volume.Volume), so an unknown field is an error naming that type and a
    null map prints as "map[]" (though `json` then gives {}, not null)."""

    __slots__ = ("_v",)
    FIELDS = ("ClusterVolume", "CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options", "Scope",
              "Status", "UsageData")
    MAPS = ("Labels", "Options", "Status")

    def __init__(self, volume: dict) -> None:
        self._v = volume

    def __getattr__(self, name: str):
        if name not in GoVolume.FIELDS:
            raise AttributeError(name)
        value = self._v.get(name)
        return {} if value is None and name in GoVolume.MAPS else value

    def __json__(self) -> dict:
        return dict(sorted(self._v.items()))


GoVolume.__name__ = "volume.Volume"     # the type name template errors show


def rm(ctx: Context, argv: list[str]) -> int:
    flags = [F("force", "f", "bool", False, "Force the removal of one or more volumes")]
    p = parse(ctx, "volume rm", "docker volume rm [OPTIONS] VOLUME [VOLUME...]", RM_DESC, flags, argv,
              min_args=1)
    params = {"force": p.opts["force"] or None}
    return each(ctx, p.args, lambda name: ctx.client.delete(f"/volumes/{name}", params).close())


def prune(ctx: Context, argv: list[str]) -> int:
    flags = [F("all", "a", "bool", False, "Remove all unused volumes, not just anonymous ones"),
             F("filter", None, "list", None, 'Provide filter values (e.g. "label=<label>")', parser=filter_arg),
             F("force", "f", "bool", False, "Do not prompt for confirmation")]
    p = parse(ctx, "volume prune", "docker volume prune [OPTIONS]", "Remove unused local volumes", flags, argv,
              max_args=0)
    filters, warning = list(p.opts["filter"]), PRUNE_WARNING
    if p.opts["all"]:
        if any(f.partition("=")[0] == "all" for f in filters):
            ctx.err("conflicting options: cannot specify both --all and --filter all=1")
            return 1
        filters.append("all=true")       # API >= 1.42: named volumes too
        warning = PRUNE_ALL_WARNING
    return run_prune(ctx, p.opts["force"], warning, "/volumes/prune", filters,
                     lambda res: ("Volumes", res.get("VolumesDeleted") or []))
