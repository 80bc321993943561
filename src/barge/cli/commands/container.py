"""Container commands: ps, start, stop, restart, kill, rm, logs, rename, wait, export, prune."""
from __future__ import annotations

import os
import sys

from barge.cli.commands._common import F, each, parse, run_prune, stream_output
from barge.cli.commands._common import encode_filters as _filters
from barge.cli.context import Context


PS_FLAGS = [
    F("all", "a", "bool", False, "Show all containers (default shows just running)"),
    F("filter", "f", "list", None, "Filter output based on conditions provided"),
    F("format", None, "string", "", "Format output using a custom template"),
    F("last", "n", "int", -1, "Show n last created containers (includes all states)"),
    F("latest", "l", "bool", False, "Show the latest created container (includes all states)"),
    F("no-trunc", None, "bool", False, "Don't truncate output"),
    F("quiet", "q", "bool", False, "Only display container IDs"),
    F("size", "s", "bool", False, "Display total file sizes"),
]




def ps(ctx: Context, argv: list[str]) -> int:
    p = parse(ctx, "ps", "docker ps [OPTIONS]", "List containers", PS_FLAGS, argv, max_args=0)
    o = p.opts
    limit = 1 if o["latest"] else o["last"]
    from barge.cli.rows import ps_needs_size
    from barge.errdefs import InvalidParameter
    try:
        size = o["size"] or (not o["quiet"] and bool(o["format"]) and ps_needs_size(o["format"]))
        params = {"all": o["all"] or None, "limit": limit if limit and limit > 0 else None,
                  "size": size or None, "filters": _filters(o["filter"])}
    except InvalidParameter as e:
        ctx.err(str(e))
        return 1
    except ValueError as e:
        ctx.err(str(e))
        return 1
    try:
        items = ctx.client.get_json("/containers/json", params)
    except Exception as e:
        return ctx.daemon_error(e)
    import time
    from barge.cli import format as fmt
    from barge.cli.rows import PS_HEADERS, ContainerRow, ps_format
    from barge.errdefs import InvalidParameter
    if o["quiet"] and o["format"] not in ("", "table", "raw"):
        ctx.err("WARNING: Ignoring custom format, because both --format and --quiet are set.")
    rows = [ContainerRow(c, trunc=not o["no-trunc"], now=time.time()) for c in items]
    try:
        sys.stdout.write(fmt.render(rows, ps_format(o["format"], o["quiet"], o["size"]), "", PS_HEADERS))
    except InvalidParameter as e:
        ctx.err(str(e))
        return 1
    return 0


def _simple(ctx, name, usage, desc, flags, argv, action, min_args=1):
    p = parse(ctx, name, usage, desc, flags, argv, min_args=min_args)
    return p, each(ctx, p.args, lambda ref: action(p, ref))


def start(ctx: Context, argv: list[str]) -> int:
    flags = [F("attach", "a", "bool", False, "Attach STDOUT/STDERR and forward signals"),
             F("interactive", "i", "bool", False, "Attach container's STDIN"),
             F("detach-keys", None, "string", "", "Override the key sequence for detaching a container")]
    p = parse(ctx, "start", "docker start [OPTIONS] CONTAINER [CONTAINER...]", "Start one or more stopped containers",
              flags, argv, min_args=1)
    if p.opts["attach"] or p.opts["interactive"]:
        from barge.cli.commands.run import attach_and_start
        return attach_and_start(ctx, p.args[0], p.opts["interactive"])
    failed = []
    for ref in p.args:
        try:
            ctx.client.post(f"/containers/{ref}/start").close()
            ctx.out(ref)
        except Exception as e:
            ctx.daemon_error(e)
            failed.append(ref)
    if failed:
        ctx.err(f"Error: failed to start containers: {', '.join(failed)}")
        return 1
    return 0


def _stop_like(ctx: Context, verb: str, argv: list[str], desc: str) -> int:
    flags = [F("signal", "s", "string", "", "Signal to send to the container"),
             F("timeout", "t", "int", None, "Seconds to wait before killing the container"),
             F("time", None, "int", None, "Seconds to wait before killing the container (deprecated: use --timeout)", hidden=True)]
    p = parse(ctx, verb, f"docker {verb} [OPTIONS] CONTAINER [CONTAINER...]", desc, flags, argv, min_args=1)
    t = p.opts["timeout"] if "timeout" in p.set else p.opts["time"] if "time" in p.set else None
    params = {"t": t, "signal": p.opts["signal"] or None}
    return each(ctx, p.args, lambda ref: ctx.client.post(f"/containers/{ref}/{verb}", params).close())


def stop(ctx: Context, argv: list[str]) -> int:
    return _stop_like(ctx, "stop", argv, "Stop one or more running containers")


def restart(ctx: Context, argv: list[str]) -> int:
    return _stop_like(ctx, "restart", argv, "Restart one or more containers")


def kill(ctx: Context, argv: list[str]) -> int:
    flags = [F("signal", "s", "string", "", "Signal to send to the container")]
    p = parse(ctx, "kill", "docker kill [OPTIONS] CONTAINER [CONTAINER...]",
              "Kill one or more running containers", flags, argv, min_args=1)
    params = {"signal": p.opts["signal"] or None}
    return each(ctx, p.args, lambda ref: ctx.client.post(f"/containers/{ref}/kill", params).close())


def rm(ctx: Context, argv: list[str]) -> int:
    flags = [F("force", "f", "bool", False, "Force the removal of a running container (uses SIGKILL)"),
             F("link", "l", "bool", False, "Remove the specified link"),
             F("volumes", "v", "bool", False, "Remove anonymous volumes associated with the container")]
    p = parse(ctx, "rm", "docker rm [OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers",
              flags, argv, min_args=1)
    params = {"force": p.opts["force"] or None, "v": p.opts["volumes"] or None}
    return each(ctx, p.args, lambda ref: ctx.client.delete(f"/containers/{ref}", params).close(),
                missing_ok=p.opts["force"])


def rename(ctx: Context, argv: list[str]) -> int:
    p = parse(ctx, "rename", "docker rename CONTAINER NEW_NAME", "Rename a container", [], argv,
              min_args=2, max_args=2)
    try:
        ctx.client.post(f"/containers/{p.args[0]}/rename", {"name": p.args[1]}).close()
    except Exception as e:
        ctx.daemon_error(e)
        ctx.err(f"Error: failed to rename container named {p.args[0]}")
        return 1
    return 0


def wait(ctx: Context, argv: list[str]) -> int:
    p = parse(ctx, "wait", "docker wait CONTAINER [CONTAINER...]",
              "Block until one or more containers stop, then print their exit codes", [], argv, min_args=1)
    rc = 0
    for ref in p.args:
        try:
            r = ctx.client.post(f"/containers/{ref}/wait")
            ctx.out(str(r.json()["StatusCode"]))
            r.close()
        except Exception as e:
            ctx.daemon_error(e)
            rc = 1
    return rc


def logs(ctx: Context, argv: list[str]) -> int:
    flags = [F("details", None, "bool", False, "Show extra details provided to logs"),
             F("follow", "f", "bool", False, "Follow log output"),
             F("since", None, "string", "", "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)"),
             F("tail", "n", "string", "all", "Number of lines to show from the end of the logs"),
             F("timestamps", "t", "bool", False, "Show timestamps"),
             F("until", None, "string", "", "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)")]
    p = parse(ctx, "logs", "docker logs [OPTIONS] CONTAINER", "Fetch the logs of a container", flags, argv,
              min_args=1, max_args=1)
    o = p.opts
    from barge.cli.commands._common import api_time
    from barge.errdefs import InvalidParameter
    try:
        since, until = api_time(o["since"], "since"), api_time(o["until"], "until")
    except InvalidParameter as e:
        ctx.err(str(e))
        return 1
    try:
        params = {"stdout": True, "stderr": True, "follow": o["follow"] or None,
                  "timestamps": o["timestamps"] or None, "details": o["details"] or None,
                  "tail": o["tail"], "since": since, "until": until}
        info = ctx.client.get_json(f"/containers/{p.args[0]}/json")
        r = ctx.client.get(f"/containers/{p.args[0]}/logs", params)
    except Exception as e:
        return ctx.daemon_error(e)
    stream_output(r, bool(info["Config"].get("Tty")))
    return 0


def export(ctx: Context, argv: list[str]) -> int:
    flags = [F("output", "o", "string", "", "Write to a file, instead of STDOUT")]
    p = parse(ctx, "export", "docker export [OPTIONS] CONTAINER",
              "Export a container's filesystem as a tar archive", flags, argv, min_args=1, max_args=1)
    out_path = p.opts["output"]
    if not out_path and sys.stdout.isatty():
        ctx.err("cowardly refusing to save to a terminal. Use the -o flag or redirect")
        return 1
    try:
        r = ctx.client.get(f"/containers/{p.args[0]}/export")
    except Exception as e:
        return ctx.daemon_error(e)
    from barge.cli.commands._common import write_stream
    return write_stream(ctx, r, out_path)


def attach(ctx: Context, argv: list[str]) -> int:
    flags = [F("detach-keys", None, "string", "", "Override the key sequence for detaching a container"),
             F("no-stdin", None, "bool", False, "Do not attach STDIN"),
             F("sig-proxy", None, "bool", True, "Proxy all received signals to the process")]
    p = parse(ctx, "attach", "docker attach [OPTIONS] CONTAINER",
              "Attach local standard input, output, and error streams to a running container", flags, argv,
              min_args=1, max_args=1)
    from barge.cli.commands.run import attach_running
    return attach_running(ctx, p.args[0], not p.opts["no-stdin"], p.opts["detach-keys"], p.opts["sig-proxy"])


def prune(ctx: Context, argv: list[str]) -> int:
    flags = [F("filter", None, "list", None, "Provide filter values (e.g. \"until=<timestamp>\")"),
             F("force", "f", "bool", False, "Do not prompt for confirmation")]
    p = parse(ctx, "container prune", "docker container prune [OPTIONS]", "Remove all stopped containers",
              flags, argv, max_args=0)
    return run_prune(ctx, p.opts["force"], "WARNING! This will remove all stopped containers.",
                     "/containers/prune", p.opts["filter"],
                     lambda res: ("Containers", res.get("ContainersDeleted") or []))


del os


def update(ctx: Context, argv: list[str]) -> int:
    flags = [F("cpu-period", None, "int", 0, "Limit CPU CFS (Completely Fair Scheduler) period"),
             F("cpu-quota", None, "int", 0, "Limit CPU CFS (Completely Fair Scheduler) quota"),
             F("cpu-shares", "c", "int", 0, "CPU shares (relative weight)"),
             F("cpus", None, "string", "", "Number of CPUs"),
             F("cpuset-cpus", None, "string", "", "CPUs in which to allow execution (0-3, 0,1)"),
             F("cpuset-mems", None, "string", "", "MEMs in which to allow execution (0-3, 0,1)"),
             F("memory", "m", "string", "", "Memory limit"),
             F("memory-reservation", None, "string", "", "Memory soft limit"),
             F("memory-swap", None, "string", "", "Swap limit equal to memory plus swap: -1 to enable unlimited swap"),
             F("pids-limit", None, "int", 0, "Tune container pids limit (set -1 for unlimited)"),
             F("restart", None, "string", "", "Restart policy to apply when a container exits")]
    p = parse(ctx, "update", "docker update [OPTIONS] CONTAINER [CONTAINER...]",
              "Update configuration of one or more containers", flags, argv, min_args=1)
    from barge.cli.runopts import resources, restart_policy
    from barge.errdefs import InvalidParameter
    try:
        body = {k: v for k, v in resources(p.opts).items()
                if k in ("Memory", "MemorySwap", "MemoryReservation", "NanoCpus", "CpuShares", "CpuPeriod",
                         "CpuQuota", "CpusetCpus", "CpusetMems", "PidsLimit") and v}
        if p.opts["restart"]:
            body["RestartPolicy"] = restart_policy(p.opts["restart"])
    except InvalidParameter as e:
        ctx.err(str(e))
        return 1
    if not body:
        ctx.err("you must provide one or more flags when using this command")
        return 1
    return each(ctx, p.args, lambda ref: ctx.client.post(f"/containers/{ref}/update", json_body=body).close())


def port(ctx: Context, argv: list[str]) -> int:
    p = parse(ctx, "port", "docker port CONTAINER [PRIVATE_PORT[/PROTO]]",
              "List port mappings or a specific mapping for the container", [], argv, min_args=1, max_args=2)
    try:
        info = ctx.client.get_json(f"/containers/{p.args[0]}/json")
    except Exception as e:
        return ctx.daemon_error(e)
    ports = (info.get("NetworkSettings") or {}).get("Ports") or {}
    from barge.cli.rows import _join_host_port
    if len(p.args) == 2:
        port, _, proto = p.args[1].partition("/")
        from barge.errdefs import InvalidParameter
        from barge.spec.gostrconv import parse_go_uint
        try:
            parse_go_uint(port, 10, 16)
        except InvalidParameter as e:
            ctx.err(f"Error: invalid port ({port}): {e}")
            return 1
        bindings = ports.get(f"{port}/{proto or 'tcp'}") or []
        if not bindings:
            ctx.err(f"Error: No public port '{p.args[1]}' published for {p.args[0]}")
            return 1
        lines = [_join_host_port(b.get("HostIp") or "", b.get("HostPort") or "") for b in bindings]
    else:
        lines = [f"{key} -> {_join_host_port(b.get('HostIp') or '', b.get('HostPort') or '')}"
                 for key, bindings in ports.items() for b in bindings or ()]
    from barge.cli.volumerows import natural_key
    for line in sorted(lines, key=natural_key):      # docker sorts the lines naturally
        ctx.out(line)
    return 0
