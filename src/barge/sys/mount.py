"""Mounts through the mount(2)/umount2(2) system calls."""
from __future__ import annotations

import ctypes
import os

from barge.errdefs import System

MNT_DETACH = 2
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _libc():
    # dlopen of the already-loaded libc is cheap; find_library would run ldconfig each time
    return ctypes.CDLL("libc.so.6", use_errno=True)


def mount(source: str, target: str, fstype: str, flags: int = 0, data: str = "") -> None:
    if len(data) >= _PAGE:
        raise System(f"mount options for {target} exceed the page size ({len(data)} bytes)")
    rc = _libc().mount(source.encode(), target.encode(), fstype.encode(), flags,
                       data.encode() if data else None)
    if rc != 0:
        e = ctypes.get_errno()
        raise System(f"mount {fstype} on {target}: {os.strerror(e)}")


# mount(8)-style option words that are flags, not filesystem data
_FLAGS = {
    "ro": (1, True), "rw": (1, False), "nosuid": (2, True), "suid": (2, False),
    "nodev": (4, True), "dev": (4, False), "noexec": (8, True), "exec": (8, False),
    "sync": (16, True), "async": (16, False), "remount": (32, True), "mand": (64, True),
    "nomand": (64, False), "dirsync": (128, True), "noatime": (1024, True), "atime": (1024, False),
    "nodiratime": (2048, True), "diratime": (2048, False), "bind": (4096, True),
    "rbind": (4096 | 16384, True), "relatime": (1 << 21, True), "norelatime": (1 << 21, False),
    "strictatime": (1 << 24, True), "defaults": (0, False),
}


def parse_options(options: str) -> tuple[int, str]:
    """`o=` of a local volume -> (mount flags, data for the filesystem)."""
    flags, data = 0, []
    for word in filter(None, options.split(",")):
        if word in _FLAGS:
            bit, on = _FLAGS[word]
            flags = flags | bit if on else flags & ~bit
        else:
            data.append(word)
    return flags, ",".join(data)


def mount_of(path: str) -> tuple[str, str]:
    """(mount point, optional fields) of the mount that holds `path`."""
    path = os.path.realpath(path)
    best, fields = "/", ""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            parts = line.split()
            mp = parts[4]
            if (path == mp or path.startswith(mp.rstrip("/") + "/")) and len(mp) >= len(best):
                best, fields = mp, " ".join(parts[6:parts.index("-")])
    return best, fields


def overlay_options(lowerdirs: list[str], upper: str, work: str) -> str:
    return f"lowerdir={':'.join(lowerdirs)},upperdir={upper},workdir={work}"


def mount_overlay(lowerdirs: list[str], upper: str, work: str, target: str) -> None:
    """Absolute lower dirs when the options fit a page; else names relative to
    their common directory, mounted from there (as Docker does for deep images)."""
    data = overlay_options(lowerdirs, upper, work)
    if len(data) < _PAGE:
        mount("overlay", target, "overlay", 0, data)
        return
    base = os.path.commonpath(lowerdirs)
    if base in lowerdirs:
        base = os.path.dirname(base)
    rel = [os.path.relpath(d, base) for d in lowerdirs]
    from barge.sys import mountcmd
    mountcmd.mount_overlay_in(base, overlay_options(rel, upper, work), target)


def unmount(target: str) -> None:
    """Lazily unmount; not mounted is fine."""
    rc = _libc().umount2(target.encode(), MNT_DETACH)
    if rc != 0:
        e = ctypes.get_errno()
        if e not in (22, 2):   # EINVAL: not a mount point; ENOENT: gone
            raise System(f"unmount {target}: {os.strerror(e)}")


def is_mounted(target: str) -> bool:
    target = os.path.realpath(target)
    with open("/proc/self/mountinfo") as f:
        for line in f:
            if line.split()[4] == target:
                return True
    return False
