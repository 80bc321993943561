"""`version`, `info`, `events`."""
from __future__ import annotations

import json
import platform
import sys

from barge.cli.commands._common import F, api_time, parse
from barge.cli.context import Context


def version(ctx: Context, argv: list[str]) -> int:
    p = parse(ctx, "version", "docker version [OPTIONS]", "Show the barge version information",
              [F("format", "f", "string", "", "Format output using a custom template")], argv, max_args=0)
    from barge import __version__
    from barge.spec.apiversion import MAX_API
    client = {"Platform": {"Name": "barge"}, "Version": __version__, "ApiVersion": MAX_API,
              "DefaultAPIVersion": MAX_API, "GitCommit": "", "GoVersion": f"python{platform.python_version()}",
              "Os": "linux", "Arch": "amd64", "BuildTime": "", "Context": "default"}
    server, err = None, None
    try:
        server = ctx.client.get_json("/version")
        client["ApiVersion"] = ctx.client.version
    except Exception as e:
        err = e
    if p.opts["format"]:
        from barge.util import gotemplate
        ctx.out(gotemplate.render(p.opts["format"], {"Client": client, "Server": server}))
    else:
        _print_version(ctx, client, server)
    if err is not None:
        return ctx.daemon_error(err)
    return 0


def _print_version(ctx: Context, c: dict, s: dict | None) -> None:
    lines = ["Client:",
             f" Version:           {c['Version']}",
             f" API version:       {c['ApiVersion']}" + (
                 f" (downgraded from {c['DefaultAPIVersion']})" if c["ApiVersion"] != c["DefaultAPIVersion"] else ""),
             f" Go version:        {c['GoVersion']}",
             f" Git commit:        {c['GitCommit']}",
             f" Built:             {c['BuildTime']}",
             f" OS/Arch:           {c['Os']}/{c['Arch']}",
             f" Context:           {c['Context']}"]
    if s:
        lines += ["", f"Server: {s.get('Platform', {}).get('Name', '')}".rstrip()]
        for comp in s.get("Components") or []:
            d = comp.get("Details") or {}
            lines.append(f" {comp['Name']}:")
            lines.append(f"  Version:          {comp['Version']}")
            if comp["Name"] == "Engine":
                lines += [f"  API version:      {s.get('ApiVersion')} (minimum version {s.get('MinAPIVersion')})",
                          f"  Go version:       {s.get('GoVersion')}",
                          f"  Git commit:       {s.get('GitCommit')}",
                          f"  Built:            {s.get('BuildTime')}",
                          f"  OS/Arch:          {s.get('Os')}/{s.get('Arch')}",
                          f"  Experimental:     {str(s.get('Experimental', False)).lower()}"]
            elif d.get("GitCommit") is not None:
                lines.append(f"  GitCommit:        {d.get('GitCommit')}")
    ctx.out("\n".join(lines))


def info(ctx: Context, argv: list[str]) -> int:
    p = parse(ctx, "info", "docker info [OPTIONS]", "Display system-wide information",
              [F("format", "f", "string", "", "Format output using a custom template")], argv, max_args=0)
    try:
        i = ctx.client.get_json("/info")
    except Exception as e:
        return ctx.daemon_error(e)
    if p.opts["format"]:
        from barge.util import gotemplate
        ctx.out(gotemplate.render(p.opts["format"], i))
        return 0
    from barge.spec.units import bytes_size
    out = ["Client:", " Version:    " + __import__("barge").__version__, " Context:    default",
           " Debug Mode: false", "", "Server:",
           f" Containers: {i['Containers']}", f"  Running: {i['ContainersRunning']}",
           f"  Paused: {i['ContainersPaused']}", f"  Stopped: {i['ContainersStopped']}",
           f" Images: {i['Images']}", f" Server Version: {i['ServerVersion']}",
           f" Storage Driver: {i['Driver']}"]
    out += [f"  {k}: {v}" for k, v in i.get("DriverStatus") or []]
    out += [f" Logging Driver: {i['LoggingDriver']}", f" Cgroup Driver: {i['CgroupDriver']}",
            f" Cgroup Version: {i['CgroupVersion']}", " Plugins:",
            f"  Volume: {' '.join(i['Plugins']['Volume'])}", f"  Network: {' '.join(i['Plugins']['Network'])}",
            f"  Log: {' '.join(i['Plugins']['Log'])}", f" Swarm: {i['Swarm']['LocalNodeState']}",
            f" Runtimes: {' '.join(i['Runtimes'])}", f" Default Runtime: {i['DefaultRuntime']}",
            " Security Options:"]
    for so in i.get("SecurityOptions") or []:
        parts = dict(x.split("=", 1) for x in so.split(",") if "=" in x)
        out.append(f"  {parts.get('name', so)}")
        for k, v in parts.items():
            if k != "name":
                out.append(f"   {k.capitalize()}: {v}")
    out += [f" Kernel Version: {i['KernelVersion']}", f" Operating System: {i['OperatingSystem']}",
            f" OSType: {i['OSType']}", f" Architecture: {i['Architecture']}", f" CPUs: {i['NCPU']}",
            f" Total Memory: {bytes_size(i['MemTotal'])}", f" Name: {i['Name']}", f" ID: {i['ID']}",
            f" Docker Root Dir: {i['DockerRootDir']}", f" Debug Mode: {str(i['Debug']).lower()}",
            f" Experimental: {str(i['ExperimentalBuild']).lower()}",
            f" Live Restore Enabled: {str(i['LiveRestoreEnabled']).lower()}", ""]
    ctx.out("\n".join(out))
    return 0


def events(ctx: Context, argv: list[str]) -> int:
    flags = [F("filter", "f", "list", None, "Filter output based on conditions provided"),
             F("format", None, "string", "", "Format output using a custom template"),
             F("since", None, "string", "", "Show all events created since timestamp"),
             F("until", None, "string", "", "Stream events until this timestamp")]
    p = parse(ctx, "events", "docker events [OPTIONS]", "Get real time events from the server", flags, argv, max_args=0)
    from barge.cli.commands.container import _filters
    try:
        params = {"since": api_time(p.opts["since"]), "until": api_time(p.opts["until"]),
                  "filters": _filters(p.opts["filter"])}
        r = ctx.client.get("/events", params)
    except Exception as e:
        return ctx.daemon_error(e)
    tmpl = None
    if p.opts["format"]:
        from barge.util import gotemplate
        tmpl = gotemplate.parse(gotemplate.split_table(p.opts["format"])[1])
    for ev in r.iter_json():
        ctx.out(tmpl.execute(ev) if tmpl else format_event(ev))
        sys.stdout.flush()
    return 0


def format_event(ev: dict) -> str:
    import time as _time
    ns = ev.get("timeNano") or ev.get("time", 0) * 1_000_000_000
    sec, frac = divmod(ns, 1_000_000_000)      # Docker's fixed 9-digit RFC 3339 (UTC)
    ts = _time.strftime("%Y-%m-%dT%H:%M:%S", _time.gmtime(sec)) + f".{frac:09d}Z"
    attrs = ev.get("Actor", {}).get("Attributes") or {}
    a = ", ".join(f"{k}={v}" for k, v in sorted(attrs.items()))
    return f"{ts} {ev['Type']} {ev['Action']} {ev['Actor']['ID']}" + (f" ({a})" if a else "")


del json


def df(ctx: Context, argv: list[str]) -> int:
    p = parse(ctx, "system df", "docker system df [OPTIONS]", "Show docker disk usage",
              [F("format", None, "string", "", "Format output using a custom template"),
               F("verbose", "v", "bool", False, "Show detailed information on space usage")], argv, max_args=0)
    try:
        du = ctx.client.get_json("/system/df")
    except Exception as e:
        return ctx.daemon_error(e)
    from barge.cli import diskusage
    if p.opts["verbose"]:
        sys.stdout.write(diskusage.verbose(du))
        return 0
    from barge.cli import format as fmt
    from barge.errdefs import InvalidParameter
    try:
        sys.stdout.write(fmt.render(diskusage.summary_rows(du), p.opts["format"], diskusage.SUMMARY_TABLE,
                                    diskusage.SUMMARY_HEADERS))
    except InvalidParameter as e:
        ctx.err(str(e))
        return 1
    return 0
