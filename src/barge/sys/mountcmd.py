"""The mount(8) wrapper: used where a mount must resolve relative paths
against a working directory of its own (a daemon thread cannot chdir)."""
from __future__ import annotations

import subprocess

from barge.errdefs import System

MOUNT = "/bin/mount"


def mount_overlay_in(cwd: str, options: str, target: str) -> None:
    if len(options) >= 4096:
        raise System(f"overlay mount options for {target} are too long even with short names "
                     f"({len(options)} bytes)")
    r = subprocess.run([MOUNT, "-t", "overlay", "overlay", "-o", options, target], cwd=cwd,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise System(f"mount overlay on {target}: {r.stderr.strip()}")
