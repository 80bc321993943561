"""`diff`: what a container changed, read from its overlay upper dir.

Docker's rules (moby pkg/archive `changes` with the overlay delete check):
walking the upper dir in lexical order, a 0:0 character device is a deleted
path (D), a path that exists in a lower dir is modified (C) -- except a
directory whose size, mode and mtime equal the lower one's, which only
counts as the parent of a change -- and anything else is added (A). The
parent of an added or deleted path is shown as C once, before it.

barge keeps the mount points it makes for every container (`/etc/hosts`,
`/proc`, ...) in the upper dir, where Docker has an init layer; they are
not the user's changes, so neither `diff` nor `commit` shows them.
"""
from __future__ import annotations

import asyncio
import os
import stat

from barge.daemon.container import Container
from barge.daemon.containers.context import Ctx
from barge.util.tarpath import is_whiteout_stat

MODIFIED, ADDED, DELETED = 0, 1, 2
KIND_LETTER = {MODIFIED: "C", ADDED: "A", DELETED: "D"}

# Mount points barge itself puts in every upper dir (Docker's init layer).
INIT_PATHS = frozenset({"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/.dockerenv",
                        "/proc", "/sys", "/dev"})
# Directories that exist in the upper dir only to hold INIT_PATHS.
INIT_PARENTS = frozenset({"/etc"})


def _lower_stat(lowers: list[str], path: str) -> os.stat_result | None:
    """The path in the topmost lower dir that has it (following symlinks, as Docker's os.Stat)."""
    for lower in lowers:
        try:
            return os.stat(lower + path)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError:
            continue
    return None


def _same_dir(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_size == b.st_size and a.st_mode == b.st_mode
            and a.st_mtime_ns // 1000 == b.st_mtime_ns // 1000)


def _same_meta(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_mode, a.st_uid, a.st_gid) == (b.st_mode, b.st_uid, b.st_gid)


def changes(upper: str, lowers: list[str], skip: frozenset[str] = INIT_PATHS) -> list[dict]:
    """[{"Path", "Kind"}] for overlay upper dir `upper` over `lowers` (topmost first)."""
    out: list[dict] = []
    changed_dirs: set[str] = set()

    def walk(dir_path: str, rel: str) -> None:
        try:
            names = sorted(os.listdir(dir_path), key=os.fsencode)
        except (FileNotFoundError, NotADirectoryError):
            return
        for name in names:
            path = f"{rel}/{name}"
            full = os.path.join(dir_path, name)
            try:
                st = os.lstat(full)
            except FileNotFoundError:
                continue
            if path in skip:
                continue
            is_dir = stat.S_ISDIR(st.st_mode)
            if is_whiteout_stat(st):
                kind = DELETED
            else:
                lst = _lower_stat(lowers, path)
                if lst is None:
                    kind = ADDED
                elif is_dir and stat.S_ISDIR(lst.st_mode) and (
                        _same_dir(st, lst) or (path in INIT_PARENTS and _same_meta(st, lst))):
                    kind = None          # only there as the parent of changes
                else:
                    kind = MODIFIED
            parent = rel or "/"
            if kind in (ADDED, DELETED) and parent != "/" and parent not in changed_dirs:
                out.append({"Path": parent, "Kind": MODIFIED})
                changed_dirs.add(parent)
            if kind is not None:
                out.append({"Path": path, "Kind": kind})
                if is_dir:
                    changed_dirs.add(path)
            if is_dir and kind != DELETED:
                if kind is None and path in INIT_PARENTS:
                    # shown as C only when something under it is: its mtime
                    # changed because barge made the init files in it
                    mark = len(out)
                    walk(full, path)
                    if len(out) > mark and path not in changed_dirs:
                        out.insert(mark, {"Path": path, "Kind": MODIFIED})
                        changed_dirs.add(path)
                else:
                    walk(full, path)

    walk(upper, "")
    return out


def format_changes(items: list[dict]) -> str:
    """The CLI's lines: "A /path"."""
    return "".join(f"{KIND_LETTER.get(i.get('Kind'), '?')} {i.get('Path')}\n" for i in items)


async def diff(ctx: Ctx, c: Container) -> list[dict]:
    return await asyncio.get_running_loop().run_in_executor(
        ctx.pool, changes, c.path("upper"), list(c.lower_dirs))
