"""Image layer tars: unpack one into an overlayfs lower dir, and write one
from an overlay upper dir (commit) or a whole tree (export).

Whiteouts change form on the way: in a layer tar `dir/.wh.name` deletes
`name` and `dir/.wh..wh..opq` hides everything below `dir` in lower layers;
on disk overlayfs spells the first as a 0:0 character device and the second
as the `trusted.overlay.opaque=y` xattr.
"""
from __future__ import annotations

import bz2
import errno
import gzip
import lzma
import os
import shutil
import stat
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, cast

from barge.errdefs import InvalidParameter, System
from barge.util.tarpath import (
    OPAQUE_MARKER, OVERLAY_OPAQUE_XATTR, OVERLAY_XATTR_PREFIX, WHITEOUT_META_PREFIX,
    WHITEOUT_PREFIX, RootResolver, clean_entry_path, is_whiteout_stat, lstat_at,
    open_dir_at, proc_path,
)
from barge.util.tarread import (
    BLK, CHR, DIR, FIFO, LNK, REG, SYM, HashingInput, TarHeader, TarReader,
)
from barge.util.tarwrite import write_layer_from_upper, write_tree

__all__ = [
    "LayerApplyResult", "apply_layer", "write_layer_from_upper", "write_tree",
    "WHITEOUT_PREFIX", "OPAQUE_MARKER", "OVERLAY_OPAQUE_XATTR",
]

_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_XZ_MAGIC = b"\xfd7zXZ\x00"
_BZIP2_BLOCK_MAGIC = b"1AY&SY"  # "BZh" alone could begin a plain tar's first name
_NODE_KINDS = {CHR: stat.S_IFCHR, BLK: stat.S_IFBLK, FIFO: stat.S_IFIFO}
_IGNORED_XATTR_ERRORS = (errno.ENOTSUP, errno.EPERM)  # as Docker: not every fs takes every xattr


@dataclass(frozen=True)
class LayerApplyResult:
    diff_id: str  # "sha256:<hex>" of the uncompressed tar stream
    size: int  # bytes of regular-file content unpacked


def apply_layer(src: BinaryIO, dest: str) -> LayerApplyResult:
    """Unpack the layer tar read from `src` (plain, gzip, zstd, xz or bzip2)
    into the existing directory `dest`, in overlayfs form.

    Raises InvalidParameter for a bad or hostile tar; `dest` may then hold a
    partial tree, which the caller removes.
    """
    inp = _open_input(src)
    reader = TarReader(inp)
    with _Unpacker(dest) as unpacker:
        size = sum(unpacker.apply(hdr, reader) for hdr in reader)
        unpacker.set_dir_times()
    inp.drain()
    return LayerApplyResult(diff_id=inp.digest(), size=size)


# --- decompression ----------------------------------------------------------

class _Prefixed:
    """`rest` with the bytes already read for sniffing put back in front."""

    def __init__(self, prefix: bytes, rest: BinaryIO) -> None:
        self._prefix = prefix
        self._rest = rest

    def read(self, n: int = -1) -> bytes:
        if not self._prefix:
            return self._rest.read(n)
        if n < 0:
            out, self._prefix = self._prefix + self._rest.read(), b""
            return out
        out, self._prefix = self._prefix[:n], self._prefix[n:]
        return out


def _read_head(src: BinaryIO, n: int) -> bytes:
    head = b""
    while len(head) < n:
        chunk = src.read(n - len(head))
        if not chunk:
            break
        head += chunk
    return head


def _open_input(src: BinaryIO) -> HashingInput:
    head = _read_head(src, 10)
    stream = cast(BinaryIO, _Prefixed(head, src))
    if head.startswith(_GZIP_MAGIC):
        return HashingInput(gzip.GzipFile(fileobj=stream, mode="rb"),
                            (gzip.BadGzipFile, EOFError, zlib.error), "gzip")
    if head.startswith(_ZSTD_MAGIC):
        return _zstd_input(stream)
    if head.startswith(_XZ_MAGIC):
        return HashingInput(lzma.LZMAFile(stream), (lzma.LZMAError, EOFError), "xz")
    if head.startswith(b"BZh") and head[4:10] == _BZIP2_BLOCK_MAGIC:
        return HashingInput(bz2.BZ2File(stream), (OSError, EOFError), "bzip2")
    return HashingInput(stream)


def _zstd_input(stream: BinaryIO) -> HashingInput:
    try:
        import zstandard
    except ImportError:
        raise InvalidParameter("zstd layers need the zstandard package") from None
    reader = zstandard.ZstdDecompressor().stream_reader(stream, read_across_frames=True)
    return HashingInput(reader, (zstandard.ZstdError,), "zstd")


# --- unpacking --------------------------------------------------------------

class _Unpacker:
    """Writes entries below one destination directory, held open by fd."""

    def __init__(self, dest: str) -> None:
        try:
            self._root = os.open(dest, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise System(f"open layer directory {dest}: {exc.strerror}") from exc
        self._resolver = RootResolver(self._root)
        self._dir_times: list[tuple[list[str], int]] = []
        # Entries mostly arrive directory by directory, so the last parent
        # opened is kept; a removal, the one thing that can change where a
        # path resolves, makes the next entry resolve afresh.
        self._parent_cache: tuple[tuple[str, ...], int] | None = None
        self._parent_stale = False

    def __enter__(self) -> _Unpacker:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._drop_parent()
        os.close(self._root)

    def apply(self, hdr: TarHeader, reader: TarReader) -> int:
        """Write one entry; return the bytes of file content it carried."""
        try:
            return self._apply(hdr, reader)
        except InvalidParameter as exc:
            raise InvalidParameter(f"invalid tar entry {hdr.name!r}: {exc}") from exc
        except (ValueError, OverflowError) as exc:
            raise InvalidParameter(f"invalid tar entry {hdr.name!r}: {exc}") from exc
        except OSError as exc:
            raise System(f"unpacking {hdr.name!r}: {exc.strerror or exc}") from exc

    def set_dir_times(self) -> None:
        """Directories get their mtimes last, once nothing is added to them."""
        for parts, mtime_ns in self._dir_times:
            try:
                self._set_dir_time(parts, mtime_ns)
            except (FileNotFoundError, NotADirectoryError, InvalidParameter):
                continue  # replaced by a later entry
            except OSError as exc:
                raise System(f"unpacking {'/'.join(parts)!r}: {exc.strerror}") from exc

    def _apply(self, hdr: TarHeader, reader: TarReader) -> int:
        parts = clean_entry_path(hdr.name)
        base = parts[-1] if parts else ""
        if base == OPAQUE_MARKER:
            with self._resolver.directory(parts[:-1], create=True) as fd:
                _mark_opaque(fd)
            return 0
        if any(p.startswith(WHITEOUT_META_PREFIX) for p in parts):
            return 0  # aufs bookkeeping (.wh..wh.plnk and the like), as Docker skips it
        if base.startswith(WHITEOUT_PREFIX):
            self._whiteout(parts[:-1], base[len(WHITEOUT_PREFIX):], hdr)
            return 0
        if not parts:
            self._root_entry(hdr)
            return 0
        return self._place(self._parent(parts[:-1]), parts, hdr, reader)

    def _parent(self, parts: list[str]) -> int:
        """An fd for directory `parts`, made if missing; valid until the
        next call or removal."""
        key = tuple(parts)
        if self._parent_stale or self._parent_cache is None or self._parent_cache[0] != key:
            self._drop_parent()
            self._parent_cache = (key, self._resolver.open(parts, create=True))
            self._parent_stale = False
        return self._parent_cache[1]

    def _drop_parent(self) -> None:
        if self._parent_cache is not None:
            os.close(self._parent_cache[1])
            self._parent_cache = None

    def _root_entry(self, hdr: TarHeader) -> None:
        if hdr.type != DIR:
            raise InvalidParameter("the layer root must be a directory")
        _set_fd_meta(self._root, hdr)
        self._dir_times.append(([], hdr.mtime_ns))

    def _whiteout(self, dir_parts: list[str], target: str, hdr: TarHeader) -> None:
        if target in ("", ".", ".."):
            raise InvalidParameter("whiteout names no file")
        with self._resolver.directory(dir_parts, create=True) as parent:
            existing = lstat_at(parent, target)
            if existing is None:
                os.mknod(target, stat.S_IFCHR, 0, dir_fd=parent)  # mode 0, as overlayfs makes them
                os.chown(target, hdr.uid, hdr.gid, dir_fd=parent, follow_symlinks=False)
            elif stat.S_ISDIR(existing.st_mode):
                # Whiteouts only hide lower layers, so this layer's own
                # directory stays, but the lower one must not show through it.
                _set_opaque(parent, target)

    def _place(self, parent: int, parts: list[str], hdr: TarHeader, reader: TarReader) -> int:
        name = parts[-1]
        existing = lstat_at(parent, name)
        if existing is not None and stat.S_ISDIR(existing.st_mode) and hdr.type == DIR:
            self._directory(parent, parts, hdr, create=False, opaque=False)
            return 0
        if existing is not None:
            _remove(parent, name, existing)
            self._parent_stale = True  # `parent` itself stays valid for this entry
        if hdr.type == REG:
            return _regular(parent, name, hdr, reader)
        if hdr.type == DIR:
            # A directory replacing a whiteout must still hide the lower one.
            replaced_whiteout = existing is not None and is_whiteout_stat(existing)
            self._directory(parent, parts, hdr, create=True, opaque=replaced_whiteout)
        elif hdr.type == LNK:
            self._hardlink(parent, name, hdr)
        elif hdr.type == SYM:
            _symlink(parent, name, hdr)
        else:
            _node(parent, name, hdr)
        return 0

    def _directory(self, parent: int, parts: list[str], hdr: TarHeader,
                   create: bool, opaque: bool) -> None:
        name = parts[-1]
        if create:
            os.mkdir(name, 0o700, dir_fd=parent)
        fd = open_dir_at(parent, name)
        try:
            _set_fd_meta(fd, hdr)
            if opaque:
                _mark_opaque(fd)
        finally:
            os.close(fd)
        self._dir_times.append((parts, hdr.mtime_ns))

    def _hardlink(self, parent: int, name: str, hdr: TarHeader) -> None:
        try:
            target = clean_entry_path(hdr.linkname)
        except InvalidParameter as exc:
            raise InvalidParameter(f"hardlink target {hdr.linkname!r}: {exc}") from None
        if not target:
            raise InvalidParameter("hardlink to the layer root")
        try:
            with self._resolver.directory(target[:-1], create=False) as target_dir:
                os.link(target[-1], name, src_dir_fd=target_dir, dst_dir_fd=parent,
                        follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError, PermissionError, FileExistsError) as exc:
            raise InvalidParameter(f"hardlink to {hdr.linkname!r}: {exc.strerror}") from None

    def _set_dir_time(self, parts: list[str], mtime_ns: int) -> None:
        if not parts:
            os.utime(self._root, ns=(mtime_ns, mtime_ns))
            return
        with self._resolver.directory(parts[:-1], create=False) as parent:
            st = lstat_at(parent, parts[-1])
            if st is not None and stat.S_ISDIR(st.st_mode):
                os.utime(parts[-1], ns=(mtime_ns, mtime_ns), dir_fd=parent,
                         follow_symlinks=False)


def _remove(parent: int, name: str, st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(name, dir_fd=parent)
    else:
        os.unlink(name, dir_fd=parent)


def _regular(parent: int, name: str, hdr: TarHeader, reader: TarReader) -> int:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(name, flags, 0o600, dir_fd=parent)
    try:
        size = reader.copy_data(lambda chunk: _write_all(fd, chunk))
        _set_fd_meta(fd, hdr)
        os.utime(fd, ns=(hdr.mtime_ns, hdr.mtime_ns))
    finally:
        os.close(fd)
    return size


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        data = data[os.write(fd, data):]


def _symlink(parent: int, name: str, hdr: TarHeader) -> None:
    if not hdr.linkname:
        raise InvalidParameter("symlink with an empty target")
    os.symlink(hdr.linkname, name, dir_fd=parent)
    _set_path_meta(parent, name, hdr, chmod=False)


def _node(parent: int, name: str, hdr: TarHeader) -> None:
    device = os.makedev(hdr.devmajor, hdr.devminor) if hdr.type != FIFO else 0
    os.mknod(name, _NODE_KINDS[hdr.type] | 0o600, device, dir_fd=parent)
    _set_path_meta(parent, name, hdr, chmod=True)


def _set_fd_meta(fd: int, hdr: TarHeader) -> None:
    os.fchown(fd, hdr.uid, hdr.gid)
    os.fchmod(fd, hdr.mode)  # after chown, which clears set-id bits
    _set_xattrs(lambda key, value: os.setxattr(fd, key, value), hdr.xattrs)


def _set_path_meta(parent: int, name: str, hdr: TarHeader, chmod: bool) -> None:
    """Metadata for entries that can't be opened (symlinks, devices, fifos)."""
    os.chown(name, hdr.uid, hdr.gid, dir_fd=parent, follow_symlinks=False)
    if chmod:
        os.chmod(name, hdr.mode, dir_fd=parent)  # just made here, so not a symlink
    path = proc_path(parent, name)
    _set_xattrs(lambda key, value: os.setxattr(path, key, value, follow_symlinks=False),
                hdr.xattrs)
    os.utime(name, ns=(hdr.mtime_ns, hdr.mtime_ns), dir_fd=parent, follow_symlinks=False)


def _set_xattrs(setter: Callable[[str, bytes], None], xattrs: dict[str, bytes]) -> None:
    for key, value in xattrs.items():
        if key.startswith(OVERLAY_XATTR_PREFIX):
            continue  # a layer must not forge overlayfs metadata
        try:
            setter(key, value)
        except OSError as exc:
            if exc.errno not in _IGNORED_XATTR_ERRORS:
                raise


def _set_opaque(parent: int, name: str) -> None:
    fd = open_dir_at(parent, name)
    try:
        _mark_opaque(fd)
    finally:
        os.close(fd)


def _mark_opaque(dir_fd: int) -> None:
    os.setxattr(dir_fd, OVERLAY_OPAQUE_XATTR, b"y")
