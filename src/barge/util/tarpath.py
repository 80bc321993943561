"""Path rules for layer tars: entry-name cleaning, whiteout names, and a
resolver that walks directories inside a root the way a chroot would.

The resolver is what keeps `apply_layer` from writing outside its destination:
every parent directory is opened component by component with O_NOFOLLOW, and
symlinks met on the way are re-resolved against the root instead of the host.
"""
from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Iterator
from contextlib import contextmanager

from barge.errdefs import InvalidParameter

WHITEOUT_PREFIX = ".wh."
WHITEOUT_META_PREFIX = ".wh..wh."
OPAQUE_MARKER = ".wh..wh..opq"
OVERLAY_XATTR_PREFIX = "trusted.overlay."
OVERLAY_OPAQUE_XATTR = "trusted.overlay.opaque"

MAX_SYMLINKS = 40  # Linux's MAXSYMLINKS
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def clean_entry_path(name: str) -> list[str]:
    """Split a tar entry name into components relative to the layer root.

    A leading "/" is dropped (absolute names are relative to the root); "."
    and ".." are folded lexically and a name that still climbs out is
    rejected. The root itself is the empty list.
    """
    if "\x00" in name:
        raise InvalidParameter("path contains a NUL byte")
    cleaned = posixpath.normpath(name.lstrip("/"))
    if cleaned == ".":
        return []
    parts = cleaned.split("/")
    if parts[0] == "..":
        raise InvalidParameter("path escapes the layer root")
    return parts


def is_whiteout_stat(st: os.stat_result) -> bool:
    """An overlayfs whiteout: a character device numbered 0:0."""
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def lstat_at(dir_fd: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def open_dir_at(dir_fd: int, name: str) -> int:
    return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)


def proc_path(dir_fd: int, name: str) -> str:
    """A path naming `name` in `dir_fd` for calls that take no dir_fd (the
    xattr family); with follow_symlinks=False its last component is not
    followed and /proc's fd link pins the directory itself."""
    return f"/proc/self/fd/{dir_fd}/{name}"


class RootResolver:
    """Opens directories below `root_fd` as if `root_fd` were "/".

    Absolute symlink targets restart at the root and ".." stops there, so no
    path resolved here can leave the root, whatever the tree's symlinks say.
    """

    def __init__(self, root_fd: int) -> None:
        self._root_fd = root_fd

    @contextmanager
    def directory(self, parts: list[str], create: bool) -> Iterator[int]:
        """Yield an fd for the directory at `parts`, creating missing ones
        (mode 0755, like `mkdir -p`) when `create` is set."""
        fd = self.open(parts, create)
        try:
            yield fd
        finally:
            os.close(fd)

    def open(self, parts: list[str], create: bool) -> int:
        """Like `directory`, but the caller closes the fd."""
        pending = list(reversed(parts))
        stack = [os.dup(self._root_fd)]
        links = 0
        try:
            while pending:
                name = pending.pop()
                if name in ("", "."):
                    continue
                if name == "..":
                    if len(stack) > 1:
                        os.close(stack.pop())
                    continue
                # past a symlink nothing is created: like Docker, writing
                # through a link to a directory the layer lacks is an error
                try:
                    target = self._step(stack[-1], name, create and links == 0)
                except FileNotFoundError:
                    if create and links:
                        raise InvalidParameter(
                            "invalid tar entry: it writes through a symbolic link to a directory "
                            "the layer does not contain") from None
                    raise
                if isinstance(target, int):
                    stack.append(target)
                    continue
                links += 1
                if links > MAX_SYMLINKS:
                    raise InvalidParameter("too many levels of symbolic links")
                if target.startswith("/"):
                    while len(stack) > 1:
                        os.close(stack.pop())
                pending.extend(reversed(target.split("/")))
            return stack.pop()
        finally:
            for fd in stack:
                os.close(fd)

    @staticmethod
    def _step(dir_fd: int, name: str, create: bool) -> int | str:
        """Open child directory `name`, or return a symlink's target."""
        st = lstat_at(dir_fd, name)
        if st is None:
            if not create:
                raise FileNotFoundError(2, "No such file or directory", name)
            os.mkdir(name, 0o755, dir_fd=dir_fd)
            fd = open_dir_at(dir_fd, name)
            os.fchmod(fd, 0o755)  # whatever the umask
            return fd
        if stat.S_ISLNK(st.st_mode):
            return os.readlink(name, dir_fd=dir_fd)
        if not stat.S_ISDIR(st.st_mode):
            raise InvalidParameter(f"{name!r} is not a directory")
        return open_dir_at(dir_fd, name)
