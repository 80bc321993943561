"""Tar writers: an overlay upper dir as a layer (`commit`), a whole tree
(`export`). PAX format, names without "./", sorted, never following symlinks.

The tree may belong to a running container, so it is walked by directory fd
with O_NOFOLLOW: a file swapped for a symlink mid-walk can't make us read
the host's files.
"""
from __future__ import annotations

import errno
import hashlib
import os
import stat
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, cast

from barge.errdefs import System
from barge.util.tarpath import (
    OPAQUE_MARKER, OVERLAY_OPAQUE_XATTR, OVERLAY_XATTR_PREFIX, WHITEOUT_PREFIX,
    is_whiteout_stat, lstat_at, open_dir_at, proc_path,
)

_BUF = 1 << 20
_SKIPPED_XATTRS = ("security.selinux",)  # host labels don't belong in an image
# Overlay features whose upper dirs a plain layer tar can't express.
_UNEXPORTABLE_XATTRS = ("trusted.overlay.redirect", "trusted.overlay.metacopy")
_XATTR_GONE = (errno.ENODATA, errno.ENOENT, errno.ENOTSUP)


def write_layer_from_upper(upper: str, out: BinaryIO) -> str:
    """Write overlay upper dir `upper` to `out` as a layer tar, whiteouts in
    OCI form; return its diff_id ("sha256:<hex>" of the bytes written)."""
    return _write(upper, out, upper=True)


def write_tree(root: str, out: BinaryIO) -> None:
    """Write the tree at `root` to `out` as a tar, as `docker export` does."""
    _write(root, out, upper=False)


def _write(root: str, out: BinaryIO, upper: bool) -> str:
    sink = _HashingWriter(out)
    try:
        # Mode "w", not stream mode "w|": its buffering copies every chunk
        # again; "w" only needs tell(), which the sink keeps.
        with tarfile.TarFile(fileobj=cast(BinaryIO, sink), mode="w", format=tarfile.PAX_FORMAT,
                             encoding="utf-8", errors="surrogateescape", copybufsize=_BUF) as tar:
            archiver = _Archiver(tar, upper)
            for node in _walk(root):
                archiver.add(node)
    except OSError as exc:
        raise System(f"archiving {root}: {exc.strerror or exc}") from exc
    return sink.digest()


class _HashingWriter:
    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._hash = hashlib.sha256()
        self._offset = 0

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            written = self._out.write(view)
            view = view[len(view) if written is None else written:]
        self._hash.update(data)
        self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self._offset

    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()


# --- walking ----------------------------------------------------------------

@dataclass
class _Node:
    rel: str  # path below the root, "/"-separated, no leading "./"
    st: os.stat_result
    parent_fd: int
    name: str

    @property
    def path(self) -> str:
        return proc_path(self.parent_fd, self.name)


def _walk(root: str) -> Iterator[_Node]:
    """Depth-first, names sorted bytewise; a directory comes before its
    contents. Entries that vanish mid-walk are left out."""
    root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    stack = [(root_fd, "", iter(_sorted_names(root_fd)))]
    try:
        while stack:
            dir_fd, prefix, names = stack[-1]
            name = next(names, None)
            if name is None:
                os.close(stack.pop()[0])
                continue
            st = lstat_at(dir_fd, name)
            if st is None:
                continue
            yield _Node(prefix + name, st, dir_fd, name)
            child = _open_same_dir(dir_fd, name, st) if stat.S_ISDIR(st.st_mode) else None
            if child is not None:
                stack.append((child, f"{prefix}{name}/", iter(_sorted_names(child))))
    finally:
        for fd, _, _ in stack:
            os.close(fd)


def _sorted_names(dir_fd: int) -> list[str]:
    return sorted(os.listdir(dir_fd), key=os.fsencode)


def _open_same_dir(dir_fd: int, name: str, st: os.stat_result) -> int | None:
    """Open the directory `st` described, unless it was swapped meanwhile."""
    try:
        fd = open_dir_at(dir_fd, name)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None
        raise
    now = os.fstat(fd)
    if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
        os.close(fd)
        return None
    return fd


# --- archiving --------------------------------------------------------------

class _Archiver:
    def __init__(self, tar: tarfile.TarFile, upper: bool) -> None:
        self._tar = tar
        self._upper = upper  # convert overlayfs whiteouts to OCI ones
        self._links: dict[tuple[int, int], str] = {}

    def add(self, node: _Node) -> None:
        st = node.st
        if self._upper and is_whiteout_stat(st):
            self._tar.addfile(_whiteout_info(node))
        elif stat.S_ISREG(st.st_mode):
            self._add_file(node)
        elif stat.S_ISSOCK(st.st_mode):
            return  # tar can't hold sockets; Docker skips them too
        elif not self._add_hardlink(node.rel, st):
            self._add_other(node)

    def _add_other(self, node: _Node) -> None:
        info = _base_info(node.rel, node.st)
        mode = node.st.st_mode
        if stat.S_ISDIR(mode):
            info.type = tarfile.DIRTYPE
        elif stat.S_ISLNK(mode):
            info.type = tarfile.SYMTYPE
            info.linkname = os.readlink(node.name, dir_fd=node.parent_fd)
        elif stat.S_ISFIFO(mode):
            info.type = tarfile.FIFOTYPE
        else:
            info.type = tarfile.CHRTYPE if stat.S_ISCHR(mode) else tarfile.BLKTYPE
            info.devmajor = os.major(node.st.st_rdev)
            info.devminor = os.minor(node.st.st_rdev)
        xattrs = _read_xattrs(node.path)
        info.pax_headers = self._xattr_records(node.rel, xattrs)
        self._tar.addfile(info)
        if self._upper and stat.S_ISDIR(mode) and xattrs.get(OVERLAY_OPAQUE_XATTR) == b"y":
            self._tar.addfile(_opaque_info(node))

    def _add_file(self, node: _Node) -> None:
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(node.name, flags, dir_fd=node.parent_fd)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ELOOP):
                return  # gone, or swapped for a symlink, since the walk saw it
            raise
        try:
            st = os.fstat(fd)  # what we read is what we describe
            if not stat.S_ISREG(st.st_mode) or self._add_hardlink(node.rel, st):
                return
            info = _base_info(node.rel, st)
            info.size = st.st_size
            info.pax_headers = self._xattr_records(node.rel, _read_xattrs(fd))
            self._tar.addfile(info, _FixedSizeReader(fd, st.st_size))
        finally:
            os.close(fd)

    def _add_hardlink(self, rel: str, st: os.stat_result) -> bool:
        """Write a link entry if this inode was already archived."""
        if st.st_nlink < 2 or stat.S_ISDIR(st.st_mode):
            return False
        first = self._links.setdefault((st.st_dev, st.st_ino), rel)
        if first == rel:
            return False
        info = _base_info(rel, st)
        info.type = tarfile.LNKTYPE
        info.linkname = first
        self._tar.addfile(info)
        return True

    def _xattr_records(self, rel: str, xattrs: dict[str, bytes]) -> dict[str, str]:
        if self._upper and any(k in xattrs for k in _UNEXPORTABLE_XATTRS):
            raise System(f"{rel}: overlay redirect_dir/metacopy entries can't be written as a layer")
        return {
            "SCHILY.xattr." + key: value.decode("utf-8", "surrogateescape")
            for key, value in xattrs.items()
            if not key.startswith(OVERLAY_XATTR_PREFIX) and key not in _SKIPPED_XATTRS
            and "=" not in key and _is_utf8(key)
        }


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _read_xattrs(target: int | str) -> dict[str, bytes]:
    """All xattrs of an fd, or of a path without following its last symlink."""
    kwargs = {} if isinstance(target, int) else {"follow_symlinks": False}
    try:
        names = os.listxattr(target, **kwargs)
    except OSError as exc:
        if exc.errno in _XATTR_GONE:
            return {}
        raise
    values = {}
    for name in sorted(names):
        try:
            values[name] = os.getxattr(target, name, **kwargs)
        except OSError as exc:
            if exc.errno not in _XATTR_GONE:
                raise
    return values


def _base_info(rel: str, st: os.stat_result) -> tarfile.TarInfo:
    info = tarfile.TarInfo(rel)
    info.mode = stat.S_IMODE(st.st_mode)
    info.uid, info.gid = st.st_uid, st.st_gid
    info.mtime = int(st.st_mtime)  # whole seconds, as Docker writes them
    return info


def _whiteout_info(node: _Node) -> tarfile.TarInfo:
    head, _, base = node.rel.rpartition("/")
    name = f"{head}/{WHITEOUT_PREFIX}{base}" if head else WHITEOUT_PREFIX + base
    info = _base_info(name, node.st)
    info.mode = 0o600
    return info


def _opaque_info(node: _Node) -> tarfile.TarInfo:
    info = _base_info(f"{node.rel}/{OPAQUE_MARKER}", node.st)
    info.mode &= 0o777
    return info


class _FixedSizeReader:
    """Exactly `size` bytes of `fd` for tarfile: a file that shrank while
    being archived is padded with zeros (as GNU tar does), growth is cut."""

    def __init__(self, fd: int, size: int) -> None:
        self._fd = fd
        self._left = size
        self._eof = False

    def read(self, n: int = -1) -> bytes:
        n = self._left if n < 0 else min(n, self._left)
        parts, want = [], n
        while want and not self._eof:
            data = os.read(self._fd, want)
            self._eof = not data
            parts.append(data)
            want -= len(data)
        parts.append(bytes(want))
        self._left -= n
        return b"".join(parts)
