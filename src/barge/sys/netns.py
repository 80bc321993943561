"""Network namespaces kept alive by a bind mount on a file, and work done
inside one from a short-lived thread (setns changes only the calling thread,
which then ends, so the daemon's own threads never leave the host netns)."""
from __future__ import annotations

import ctypes
import os
import socket
import threading
from typing import Callable, TypeVar

from barge.errdefs import System

CLONE_NEWNET = 0x40000000
MS_BIND = 4096
MNT_DETACH = 2
T = TypeVar("T")


def _libc():
    return ctypes.CDLL("libc.so.6", use_errno=True)


def _in_thread(fn: Callable[[], T]) -> T:
    box: dict = {}

    def run() -> None:
        try:
            box["v"] = fn()
        except BaseException as e:      # handed to the caller
            box["e"] = e
    t = threading.Thread(target=run, name="barge-netns")
    t.start()
    t.join()
    if "e" in box:
        raise box["e"]
    return box.get("v")


def create(path: str) -> None:
    """A new, empty network namespace pinned at `path`."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w"):
        pass

    def make() -> None:
        libc = _libc()
        if libc.unshare(CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise System(f"unshare network namespace: {os.strerror(e)}")
        if libc.mount(b"/proc/thread-self/ns/net", path.encode(), None, MS_BIND, None) != 0:
            e = ctypes.get_errno()
            raise System(f"pin network namespace at {path}: {os.strerror(e)}")
    try:
        _in_thread(make)
    except BaseException:
        _unlink(path)
        raise


def remove(path: str) -> None:
    """Unpin and delete; the namespace (and its veth ends) goes once nothing runs in it."""
    _libc().umount2(path.encode(), MNT_DETACH)
    _unlink(path)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def run_in(path: str, fn: Callable[[], T]) -> T:
    """Run `fn` in the namespace at `path` (a pinned file or /proc/PID/ns/net)."""
    def enter() -> T:
        fd = os.open(path, os.O_RDONLY)
        try:
            if _libc().setns(fd, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise System(f"enter network namespace {path}: {os.strerror(e)}")
        finally:
            os.close(fd)
        return fn()
    return _in_thread(enter)


def bound_socket(path: str, family: int, kind: int, addr: tuple) -> socket.socket:
    """A socket made and bound inside the namespace: it stays there, served from here."""
    def make() -> socket.socket:
        s = socket.socket(family, kind)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(addr)
            if kind == socket.SOCK_STREAM:
                s.listen(64)
            s.setblocking(False)
        except BaseException:
            s.close()
            raise
        return s
    return run_in(path, make)


def is_pinned(path: str) -> bool:
    real = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == real for line in f)
