"""The ps(1) wrapper, for `top`: run the host's ps with the user's options."""
from __future__ import annotations

import subprocess

from barge.errdefs import System

PS = "ps"


def run(args: list[str], pids: list[int]) -> str:
    """ps ARGS restricted to `pids` (`-q`), or the whole table when the options
    do not combine with -q (as Docker); errors carry ps's first stderr line."""
    if pids:
        r = subprocess.run([PS, *args, "-q", ",".join(map(str, pids))], capture_output=True)
        if r.returncode == 0:
            return r.stdout.decode(errors="replace")
    r = subprocess.run([PS, *args], capture_output=True)
    if r.returncode != 0:
        lines = r.stderr.decode(errors="replace").splitlines()
        raise System("ps: " + (lines[0] if lines and lines[0] else f"exit status {r.returncode}"))
    return r.stdout.decode(errors="replace")
