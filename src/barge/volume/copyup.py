"""Copy-up: an empty volume mounted over a path that holds data in the image
gets that data first, owners and modes kept (Docker's populateVolumes).

Crash-safe in two phases: the data is copied into a staging directory inside
the volume (same filesystem), flushed, and a `copyup.staged` marker written;
then each entry is renamed into place. A crash before the marker leaves the
volume empty (the staging is dropped and the copy retried on next use); a
crash after it is finished by `resume`.
"""
from __future__ import annotations

import os
import shutil

from barge.util.atomic import fsync_dir, syncfs, write_bytes
from barge.util.copytree import copy_tree
from barge.volume.local import Volume

STAGING = ".barge-copyup"
MARKER = "copyup.staged"


def resume(v: Volume) -> None:
    """Finish or drop what a crash left of a copy-up."""
    staging = os.path.join(v.mountpoint, STAGING)
    marker = os.path.join(v.path, MARKER)
    if os.path.exists(marker):
        if os.path.isdir(staging):
            _move_in(staging, v.mountpoint)
        os.unlink(marker)
        fsync_dir(v.path)
    elif os.path.lexists(staging):
        shutil.rmtree(staging, ignore_errors=True)


def is_empty(v: Volume) -> bool:
    return not [e for e in os.listdir(v.mountpoint) if e != STAGING]


def copy_up(v: Volume, src: str) -> bool:
    """Copy the directory `src` (in a mounted image root) into `v` if `v` is empty."""
    resume(v)
    if not os.path.isdir(src) or os.path.islink(src) or not is_empty(v):
        return False
    staging = os.path.join(v.mountpoint, STAGING)
    os.mkdir(staging, 0o700)
    copy_tree(src, staging)
    st = os.stat(src)
    os.chown(v.mountpoint, st.st_uid, st.st_gid)
    os.chmod(v.mountpoint, st.st_mode & 0o7777)
    syncfs(staging)
    write_bytes(os.path.join(v.path, MARKER), b"")
    _move_in(staging, v.mountpoint)
    os.unlink(os.path.join(v.path, MARKER))
    fsync_dir(v.path)
    return True


def _move_in(staging: str, dest: str) -> None:
    for entry in os.listdir(staging):
        os.rename(os.path.join(staging, entry), os.path.join(dest, entry))
    os.rmdir(staging)
    fsync_dir(dest)
