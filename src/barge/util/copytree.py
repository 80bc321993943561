"""Copy a directory tree keeping what a container cares about: owners, modes,
times, symlinks, hard links, device nodes, fifos and extended attributes."""
from __future__ import annotations

import os
import shutil
import stat


def copy_tree(src: str, dst: str) -> None:
    """Copy the contents of `src` into the existing directory `dst`."""
    links: dict[tuple[int, int], str] = {}
    dirs: list[tuple[str, os.stat_result]] = []
    for entry in sorted(os.listdir(src)):
        _copy(os.path.join(src, entry), os.path.join(dst, entry), links, dirs)
    for path, st in reversed(dirs):          # times last: writing inside a dir changes its mtime
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _copy(s: str, d: str, links: dict, dirs: list) -> None:
    st = os.lstat(s)
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        os.mkdir(d, 0o700)
        for entry in sorted(os.listdir(s)):
            _copy(os.path.join(s, entry), os.path.join(d, entry), links, dirs)
        dirs.append((d, st))
    elif stat.S_ISLNK(mode):
        os.symlink(os.readlink(s), d)
    elif st.st_nlink > 1 and (st.st_dev, st.st_ino) in links:
        os.link(links[(st.st_dev, st.st_ino)], d)
        return
    elif stat.S_ISREG(mode):
        with open(s, "rb") as fs, open(d, "xb") as fd:
            shutil.copyfileobj(fs, fd, 1 << 20)
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode):
        os.mknod(d, stat.S_IFMT(mode) | 0o600, st.st_rdev)
    else:
        return                                 # sockets are not copied
    if st.st_nlink > 1 and not stat.S_ISDIR(mode):
        links[(st.st_dev, st.st_ino)] = d
    _copy_attrs(s, d, st)


def _copy_attrs(s: str, d: str, st: os.stat_result) -> None:
    os.chown(d, st.st_uid, st.st_gid, follow_symlinks=False)
    if not stat.S_ISLNK(st.st_mode):
        os.chmod(d, stat.S_IMODE(st.st_mode))
        for name in _xattrs(s):
            try:
                os.setxattr(d, name, os.getxattr(s, name, follow_symlinks=False), follow_symlinks=False)
            except OSError:
                pass
    if not stat.S_ISDIR(st.st_mode):
        os.utime(d, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)


def _xattrs(path: str) -> list[str]:
    try:
        return [n for n in os.listxattr(path, follow_symlinks=False) if not n.startswith("trusted.overlay.")]
    except OSError:
        return []
