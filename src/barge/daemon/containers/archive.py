"""The archive API: stat (HEAD), read (GET) and extract into (PUT) a path
inside a container, running or stopped.

Every path resolves inside the container's root, the way a chroot would:
the root is opened once as a directory fd and everything below it is
reached fd by fd (`RootResolver`, O_NOFOLLOW), so a symlink in the
container pointing at `/` or `..` -- even one swapped in while a copy runs
-- leads back into the container, never to the host (CVE-2018-15664).
A stopped container's overlay is mounted just long enough to open its root
and then detached: the open fd keeps it alive for the copy and nothing is
left mounted.
"""
from __future__ import annotations

import asyncio
import base64
import errno
import json
import os
import posixpath
import shutil
import stat
import tarfile
from collections.abc import AsyncIterator
from typing import BinaryIO, cast

from barge.daemon.container import Container
from barge.daemon.containers.context import Ctx
from barge.errdefs import Forbidden, InvalidParameter, NotFound, System
from barge.spec import clock, users
from barge.sys import mount as sysmount
from barge.util.aiobridge import feed_reader, run_writer
from barge.util.tarpath import (
    OVERLAY_XATTR_PREFIX, RootResolver, clean_entry_path, lstat_at, open_dir_at,
)
from barge.util.tarread import BLK, CHR, DIR, FIFO, LNK, REG, SYM, HashingInput, TarReader
# tarwrite's fd-based walker and archiver: the same entries as export/commit
from barge.util.tarwrite import _Archiver, _HashingWriter, _Node, _walk  # noqa: PLC2701

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC

# Go's os.FileMode type bits, as Docker's X-Docker-Container-Path-Stat carries them
GO_MODE_DIR = 1 << 31
GO_MODE_SYMLINK = 1 << 27
GO_MODE_DEVICE = 1 << 26
GO_MODE_NAMED_PIPE = 1 << 25
GO_MODE_SOCKET = 1 << 24
GO_MODE_SETUID = 1 << 23
GO_MODE_SETGID = 1 << 22
GO_MODE_CHAR_DEVICE = 1 << 21
GO_MODE_STICKY = 1 << 20


# --- pure helpers -------------------------------------------------------------

def go_file_mode(st_mode: int) -> int:
    """A unix st_mode as Go's os.FileMode."""
    m = st_mode & 0o777
    if stat.S_ISDIR(st_mode):
        m |= GO_MODE_DIR
    elif stat.S_ISLNK(st_mode):
        m |= GO_MODE_SYMLINK
    elif stat.S_ISBLK(st_mode):
        m |= GO_MODE_DEVICE
    elif stat.S_ISCHR(st_mode):
        m |= GO_MODE_DEVICE | GO_MODE_CHAR_DEVICE
    elif stat.S_ISFIFO(st_mode):
        m |= GO_MODE_NAMED_PIPE
    elif stat.S_ISSOCK(st_mode):
        m |= GO_MODE_SOCKET
    if st_mode & stat.S_ISUID:
        m |= GO_MODE_SETUID
    if st_mode & stat.S_ISGID:
        m |= GO_MODE_SETGID
    if st_mode & stat.S_ISVTX:
        m |= GO_MODE_STICKY
    return m


def path_stat(name: str, st: os.stat_result, link_target: str = "") -> dict:
    return {"name": name, "size": st.st_size, "mode": go_file_mode(st.st_mode),
            "mtime": clock.rfc3339nano(st.st_mtime_ns), "linkTarget": link_target}


def encode_stat(ps: dict) -> str:
    """The X-Docker-Container-Path-Stat header value: base64 of compact JSON."""
    return base64.b64encode(json.dumps(ps, separators=(",", ":")).encode()).decode()


def has_trailing_sep(path: str) -> bool:
    return path.endswith("/")


def specifies_current_dir(path: str) -> bool:
    return posixpath.basename(path) == "."


def abs_path(path: str) -> str:
    """`path` as an absolute container path, keeping a trailing "/" or "/."
    (Docker's PreserveTrailingDotOrSeparator(Join("/", path), path))."""
    cleaned = posixpath.normpath("/" + path)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    if specifies_current_dir(path) and not specifies_current_dir(cleaned):
        cleaned = cleaned.rstrip("/") + "/."
    elif has_trailing_sep(path) and not cleaned.endswith("/"):
        cleaned += "/"
    return cleaned


def split_dir_entry(path: str) -> tuple[str, str]:
    """Docker's SplitPathDirEntry: ("/d", ".") for "/d/.", ("/d", "a") for "/d/a/"."""
    cleaned = posixpath.normpath(path)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    if specifies_current_dir(path):
        cleaned = cleaned.rstrip("/") + "/."
    return posixpath.dirname(cleaned) or ".", posixpath.basename(cleaned) or cleaned


def _parts(path: str) -> list[str]:
    return [p for p in path.split("/") if p not in ("", ".")]


def scoped_path(root: str, path: str) -> str:
    """`path` with every symlink followed inside `root`, as an absolute
    container path (the stat's linkTarget). Uses path names: only for display."""
    resolved: list[str] = []
    pending = _parts(path)
    links = 0
    while pending:
        part = pending.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        try:
            target = os.readlink(os.path.join(root, *resolved, part))
        except OSError:
            resolved.append(part)
            continue
        links += 1
        if links > 255:
            break
        if target.startswith("/"):
            resolved = []
        pending = _parts(target) + pending
    return "/" + "/".join(resolved)


# --- opening the root ---------------------------------------------------------

def _open_root_blocking(c: Container) -> int:
    if sysmount.is_mounted(c.rootfs):
        return os.open(c.rootfs, _DIR_FLAGS)
    os.makedirs(c.rootfs, exist_ok=True)
    sysmount.mount_overlay(c.lower_dirs, c.path("upper"), c.path("work"), c.rootfs)
    try:
        return os.open(c.rootfs, _DIR_FLAGS)
    finally:
        sysmount.unmount(c.rootfs)      # detached: the fd keeps it usable


async def open_root(ctx: Ctx, c: Container) -> int:
    loop = asyncio.get_running_loop()
    if c.state.running:
        return await loop.run_in_executor(ctx.pool, _open_root_blocking, c)
    async with ctx.registry.lock(c.id):   # not while a start mounts it
        return await loop.run_in_executor(ctx.pool, _open_root_blocking, c)


# --- stat ---------------------------------------------------------------------

class _Found:
    """A resolved source: its stat, and fds to reach it (closed by close())."""

    def __init__(self, abs_: str, st: os.stat_result, parent_fd: int, name: str,
                 dir_fd: int | None, link_target: str) -> None:
        self.abs = abs_
        self.st = st
        self.parent_fd = parent_fd
        self.name = name
        self.dir_fd = dir_fd
        self.link_target = link_target

    def stat(self) -> dict:
        base = "/" if self.abs == "/" else split_dir_entry(self.abs)[1]
        return path_stat(base, self.st, self.link_target)

    def close(self) -> None:
        for fd in {self.parent_fd, self.dir_fd}:
            if fd is not None:
                os.close(fd)


def _not_found(abs_: str, cref: str) -> NotFound:
    return NotFound(f"Could not find the file {abs_} in container {cref}")


def _resolve(root_fd: int, path: str, cref: str) -> _Found:
    """Resolve `path` for stat/read: symlinks in the parent are followed in
    scope; the last element is followed only with a trailing "/"."""
    if not path:
        raise InvalidParameter("bad parameter: path cannot be empty")
    abs_ = abs_path(path)
    resolver = RootResolver(root_fd)
    parts = _parts(abs_)
    current_dir = specifies_current_dir(abs_) or not parts
    parent_parts = parts if current_dir else parts[:-1]
    try:
        parent_fd = resolver.open(parent_parts, create=False)
    except FileNotFoundError:
        raise _not_found(abs_, cref) from None
    except InvalidParameter:
        raise System(f"lstat {abs_}: not a directory") from None
    try:
        if current_dir:
            return _Found(abs_, os.fstat(parent_fd), parent_fd, ".", os.dup(parent_fd), "")
        name = parts[-1]
        st = lstat_at(parent_fd, name)
        if st is None:
            raise _not_found(abs_, cref)
        link_target = ""
        dir_fd = None
        if stat.S_ISLNK(st.st_mode):
            link_target = scoped_path(f"/proc/self/fd/{root_fd}", abs_)
            if has_trailing_sep(abs_):
                try:
                    dir_fd = resolver.open(parts, create=False)
                except FileNotFoundError:
                    raise _not_found(abs_, cref) from None
                except InvalidParameter:
                    raise System(f"lstat {abs_}: not a directory") from None
                st = os.fstat(dir_fd)
                link_target = ""
        elif stat.S_ISDIR(st.st_mode):
            dir_fd = open_dir_at(parent_fd, name)
        elif has_trailing_sep(abs_):
            raise System(f"lstat {abs_}: not a directory")
        return _Found(abs_, st, parent_fd, name, dir_fd, link_target)
    except BaseException:
        os.close(parent_fd)
        raise


def _stat_blocking(root_fd: int, path: str, cref: str) -> dict:
    try:
        found = _resolve(root_fd, path, cref)
        found.close()
        return found.stat()
    finally:
        os.close(root_fd)


async def stat_path(ctx: Ctx, c: Container, path: str, cref: str) -> dict:
    if not path:
        raise InvalidParameter("bad parameter: path cannot be empty")
    root_fd = await open_root(ctx, c)
    return await asyncio.get_running_loop().run_in_executor(
        ctx.pool, _stat_blocking, root_fd, path, cref)


# --- read (GET) ---------------------------------------------------------------

def _write_tar(found: _Found, out: BinaryIO) -> None:
    """The tar Docker sends: the source under the requested path's base name
    ("d/...", "./..." for "d/.", "/..." for the root)."""
    top = "/" if found.abs == "/" else split_dir_entry(found.abs)[1]
    sink = _HashingWriter(out)
    with tarfile.TarFile(fileobj=cast(BinaryIO, sink), mode="w", format=tarfile.PAX_FORMAT,
                         encoding="utf-8", errors="surrogateescape", copybufsize=1 << 20) as tar:
        archiver = _Archiver(tar, upper=False)
        if found.dir_fd is None:
            archiver.add(_Node(top, found.st, found.parent_fd, found.name))
            return
        archiver.add(_Node(top, os.fstat(found.dir_fd), found.dir_fd, "."))
        prefix = top if top.endswith("/") else top + "/"
        for node in _walk(f"/proc/self/fd/{found.dir_fd}"):
            node.rel = prefix + node.rel
            archiver.add(node)


async def get_archive(ctx: Ctx, c: Container, path: str, cref: str) -> tuple[dict, AsyncIterator[bytes]]:
    """The path's stat and its tar stream; fails before streaming if it is missing."""
    if not path:
        raise InvalidParameter("bad parameter: path cannot be empty")
    loop = asyncio.get_running_loop()
    root_fd = await open_root(ctx, c)
    try:
        found = await loop.run_in_executor(ctx.pool, _resolve, root_fd, path, cref)
    finally:
        os.close(root_fd)   # the resolved fds keep what they need open

    async def chunks() -> AsyncIterator[bytes]:
        try:
            async for chunk in run_writer(ctx.pool, lambda w: _write_tar(found, w)):
                yield chunk
        finally:
            found.close()
        ctx.event(c, "archive-path")
    return found.stat(), _Closing(chunks(), found)


class _Closing:
    """An async iterator that closes the fds even if it is never iterated."""

    def __init__(self, it: AsyncIterator[bytes], found: _Found) -> None:
        self._it = it
        self._found = found
        self._started = False

    def __aiter__(self):
        return self

    async def __anext__(self) -> bytes:
        self._started = True
        return await self._it.__anext__()

    async def aclose(self) -> None:
        if self._started:
            await self._it.aclose()   # type: ignore[attr-defined]
        else:
            self._found.close()


# --- extract (PUT) ------------------------------------------------------------

def _open_extract_dir(root_fd: int, path: str, cref: str) -> tuple[str, int]:
    if not path:
        raise InvalidParameter("bad parameter: path cannot be empty")
    abs_ = abs_path(path)
    try:
        # the last element too: extracting to a symlink to a directory works
        return abs_, RootResolver(root_fd).open(_parts(abs_), create=False)
    except FileNotFoundError:
        raise _not_found(abs_, cref) from None
    except InvalidParameter:
        raise System("extraction point is not a directory") from None


class _Extractor:
    """Unpacks a plain tar below one directory fd, as Docker's Untar: entries
    keep the tar's owner and mode; ".wh." names are ordinary files here."""

    def __init__(self, dest_fd: int, dest_abs: str, no_overwrite_dir_non_dir: bool,
                 chown: tuple[int, int] | None) -> None:
        self.dest_fd = dest_fd
        self.dest_abs = dest_abs.rstrip("/") or "/"
        self.no_overwrite = no_overwrite_dir_non_dir
        self.chown = chown
        self.resolver = RootResolver(dest_fd)
        self.dir_times: list[tuple[list[str], int]] = []

    def run(self, src: BinaryIO) -> None:
        reader = TarReader(HashingInput(src))
        for hdr in reader:
            try:
                self._entry(hdr, reader)
            except InvalidParameter:
                raise
            except OSError as exc:
                raise System(f"Error processing tar file: {hdr.name}: {exc.strerror or exc}") from exc
        for parts, mtime_ns in reversed(self.dir_times):
            try:
                with self.resolver.directory(parts[:-1], create=False) as parent:
                    os.utime(parts[-1], ns=(mtime_ns, mtime_ns), dir_fd=parent, follow_symlinks=False)
            except (OSError, InvalidParameter):
                continue

    def _conflict(self, what: str, parts: list[str]) -> System:
        path = posixpath.join(self.dest_abs, *parts)
        return System(f"Error processing tar file(exit status 1): cannot overwrite {what} "
                      f"{json.dumps(path)} with {'directory' if 'non-' in what else 'non-directory'} "
                      f"{json.dumps(self.dest_abs)}")

    def _entry(self, hdr, reader: TarReader) -> None:
        try:
            parts = clean_entry_path(hdr.name)
        except InvalidParameter:
            return                       # names climbing out are skipped, as Docker's breakout check
        if not parts:
            return                       # "./": the destination itself stays as it is
        with self.resolver.directory(parts[:-1], create=True) as parent:
            name = parts[-1]
            existing = lstat_at(parent, name)
            if existing is not None:
                is_dir = stat.S_ISDIR(existing.st_mode)
                if self.no_overwrite and is_dir and hdr.type != DIR:
                    raise self._conflict("directory", parts)
                if self.no_overwrite and not is_dir and hdr.type == DIR:
                    raise self._conflict("non-directory", parts)
                if is_dir and hdr.type == DIR:
                    fd = open_dir_at(parent, name)
                    try:
                        self._meta_fd(fd, hdr)
                    finally:
                        os.close(fd)
                    self.dir_times.append((parts, hdr.mtime_ns))
                    return
                if is_dir:
                    shutil.rmtree(name, dir_fd=parent)
                else:
                    os.unlink(name, dir_fd=parent)
            self._create(parent, name, parts, hdr, reader)

    def _owner(self, hdr) -> tuple[int, int]:
        return self.chown if self.chown is not None else (hdr.uid, hdr.gid)

    def _meta_fd(self, fd: int, hdr) -> None:
        os.fchown(fd, *self._owner(hdr))
        os.fchmod(fd, hdr.mode & 0o7777)
        for key, value in hdr.xattrs.items():
            if key.startswith(OVERLAY_XATTR_PREFIX):
                continue
            try:
                os.setxattr(fd, key, value)
            except OSError as exc:
                if exc.errno not in (errno.ENOTSUP, errno.EPERM):
                    raise

    def _create(self, parent: int, name: str, parts: list[str], hdr, reader: TarReader) -> None:
        if hdr.type == REG:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o600, dir_fd=parent)
            try:
                reader.copy_data(lambda chunk: _write_all(fd, chunk))
                self._meta_fd(fd, hdr)
                os.utime(fd, ns=(hdr.mtime_ns, hdr.mtime_ns))
            finally:
                os.close(fd)
        elif hdr.type == DIR:
            os.mkdir(name, 0o700, dir_fd=parent)
            fd = open_dir_at(parent, name)
            try:
                self._meta_fd(fd, hdr)
            finally:
                os.close(fd)
            self.dir_times.append((parts, hdr.mtime_ns))
        elif hdr.type == SYM:
            os.symlink(hdr.linkname, name, dir_fd=parent)
            os.chown(name, *self._owner(hdr), dir_fd=parent, follow_symlinks=False)
            os.utime(name, ns=(hdr.mtime_ns, hdr.mtime_ns), dir_fd=parent, follow_symlinks=False)
        elif hdr.type == LNK:
            try:
                target = clean_entry_path(hdr.linkname)
            except InvalidParameter:
                raise InvalidParameter(f"invalid hardlink {hdr.name!r} -> {hdr.linkname!r}") from None
            if not target:
                raise InvalidParameter(f"invalid hardlink {hdr.name!r} -> {hdr.linkname!r}")
            try:
                with self.resolver.directory(target[:-1], create=False) as tdir:
                    os.link(target[-1], name, src_dir_fd=tdir, dst_dir_fd=parent, follow_symlinks=False)
            except FileNotFoundError:
                raise InvalidParameter(f"hardlink target {hdr.linkname!r} not found") from None
        elif hdr.type in (CHR, BLK, FIFO):
            kind = {CHR: stat.S_IFCHR, BLK: stat.S_IFBLK, FIFO: stat.S_IFIFO}[hdr.type]
            dev = os.makedev(hdr.devmajor, hdr.devminor) if hdr.type != FIFO else 0
            os.mknod(name, kind | 0o600, dev, dir_fd=parent)
            os.chown(name, *self._owner(hdr), dir_fd=parent, follow_symlinks=False)
            os.chmod(name, hdr.mode & 0o7777, dir_fd=parent)
            os.utime(name, ns=(hdr.mtime_ns, hdr.mtime_ns), dir_fd=parent, follow_symlinks=False)


def _write_all(fd: int, data) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_etc(root_fd: int, name: str) -> str:
    try:
        with RootResolver(root_fd).directory(["etc"], create=False) as etc:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=etc)
            with os.fdopen(fd, "r", errors="replace") as f:
                return f.read(1 << 20)
    except (OSError, InvalidParameter):
        return ""


def _user_ids(root_fd: int, user: str) -> tuple[int, int] | None:
    """`-a` with a container `User`: its uid/gid from the container's files
    (Docker's tarCopyOptions); without a `User` the tar's owners stay."""
    if not user:
        return None
    pu = users.resolve(user, _read_etc(root_fd, "passwd"), _read_etc(root_fd, "group"))
    return pu.uid, pu.gid


async def put_archive(ctx: Ctx, c: Container, path: str, body, cref: str,
                      no_overwrite_dir_non_dir: bool = False, copy_uid_gid: bool = False) -> None:
    if not path:
        raise InvalidParameter("bad parameter: path cannot be empty")
    if c.host_config.get("ReadonlyRootfs"):
        raise Forbidden("container rootfs is marked read-only")
    loop = asyncio.get_running_loop()
    root_fd = await open_root(ctx, c)
    try:
        dest_abs, dest_fd = await loop.run_in_executor(ctx.pool, _open_extract_dir, root_fd, path, cref)
        try:
            chown = None
            if copy_uid_gid:
                chown = await loop.run_in_executor(ctx.pool, _user_ids, root_fd,
                                                   c.config.get("User") or "")
            ex = _Extractor(dest_fd, dest_abs, no_overwrite_dir_non_dir, chown)
            await feed_reader(body, ctx.pool, ex.run)
        finally:
            os.close(dest_fd)
    finally:
        os.close(root_fd)
    ctx.event(c, "extract-to-dir")

