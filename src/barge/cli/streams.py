"""The terminal side of attach and exec: copy a hijacked connection to and
from this process's stdio, raw terminal mode, window-size changes."""
from __future__ import annotations

import os
import signal
import sys


def copy_output(conn, tty: bool) -> None:
    """Until the connection ends: raw with a TTY, else demultiplexed to stdout/stderr."""
    out, err = sys.stdout.buffer, sys.stderr.buffer
    try:
        if tty:
            while data := conn.rfile.read1(65536):
                out.write(data)
                out.flush()
            return
        from barge.spec.framing import Demuxer
        d = Demuxer()
        while data := conn.rfile.read1(65536):
            for stream, payload in d.feed(data):
                w = err if stream == 2 else out
                w.write(payload)
                w.flush()
    except (OSError, ValueError):
        pass


def copy_stdin(conn, detach_keys: bytes = b"", detached=None) -> None:
    """Send stdin on, then half-close. With `detach_keys` (a TTY session) the
    sequence goes on to the daemon, which ends the session; `detached` (an
    Event) tells the caller not to wait for the container."""
    import socket
    from barge.spec.detachkeys import DetachMatcher
    matcher = DetachMatcher(detach_keys)
    fd = sys.stdin.fileno()
    try:
        while data := os.read(fd, 65536):
            conn.sock.sendall(data)
            if matcher.feed(data)[1]:
                if detached is not None:
                    detached.set()
                return
        conn.sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def raw_terminal():
    import termios
    import tty
    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    tty.setraw(fd)

    def restore():
        termios.tcsetattr(fd, termios.TCSADRAIN, old)
    return restore


def on_winch(fn) -> None:
    try:
        signal.signal(signal.SIGWINCH, fn)
    except ValueError:
        pass
