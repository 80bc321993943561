"""`top`: the host's ps, keeping the rows of the container's processes (as moby's top_unix.go)."""
from __future__ import annotations

import asyncio
import re

from barge.daemon.container import Container
from barge.daemon.containers.context import Ctx
from barge.errdefs import Conflict, InvalidParameter, System
from barge.sys import cgroups, ps

DEFAULT_PS_ARGS = "-ef"
_PID_OVERRIDE = re.compile(r"\s+([^\s]*)=\s*(PID[^\s]*)")


def validate_ps_args(ps_args: str) -> None:
    """Renaming the PID column (`-o pid=PID2`) would hide it from us: only `pid=` may name it."""
    for key, value in _PID_OVERRIDE.findall(ps_args):
        if key != "pid":
            raise InvalidParameter(f'specifying "{key}={value}" is not allowed')


def parse_ps_output(output: str, pids: list[int]) -> dict:
    """Titles from the first line; the rows whose PID is the container's (with
    thread rows, PID "-", that follow one of them); the last column keeps its spaces."""
    lines = output.split("\n")
    titles = lines[0].split()
    try:
        pid_index = titles.index("PID")
    except ValueError:
        raise System("Couldn't find PID field in ps output") from None
    wanted = set(pids)
    processes: list[list[str]] = []
    previous_ours = False
    for line in lines[1:]:
        if not line:
            continue
        fields = line.split()
        if pid_index >= len(fields):
            continue
        if fields[pid_index] == "-":
            if previous_ours:
                processes.append(_row(fields, len(titles)))
            continue
        try:
            p = int(fields[pid_index])
        except ValueError:
            raise System(f"Unexpected pid '{fields[pid_index]}': invalid syntax") from None
        previous_ours = p in wanted
        if previous_ours:
            processes.append(_row(fields, len(titles)))
    return {"Titles": titles, "Processes": processes}


def _row(fields: list[str], ntitles: int) -> list[str]:
    return fields[:ntitles - 1] + [" ".join(fields[ntitles - 1:])]


def cgroups_path(c: Container) -> str:
    """runc's cgroupsPath for it (oci/spec.py: BundlePaths.cgroup_parent + id)."""
    from barge.spec.container import BundlePaths
    parent = BundlePaths.__dataclass_fields__["cgroup_parent"].default
    return f"{parent.rstrip('/')}/{c.id}"


async def top(ctx: Ctx, ref: str, ps_args: str | None) -> dict:
    ps_args = ps_args or DEFAULT_PS_ARGS
    validate_ps_args(ps_args)
    c = ctx.registry.get(ref)
    if not c.state.running:
        raise Conflict(f"Container {c.id} is not running")
    if c.state.status == "restarting":
        raise Conflict(f"Container {c.id} is restarting, wait until the container is running")
    loop = asyncio.get_running_loop()
    pids = await loop.run_in_executor(ctx.pool, cgroups.container_pids, cgroups_path(c), c.state.pid)
    output = await loop.run_in_executor(ctx.pool, ps.run, ps_args.split(), pids)
    out = parse_ps_output(output, pids)
    ctx.event(c, "top")
    return out
