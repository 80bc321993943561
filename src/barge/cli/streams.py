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


def copy_stdin(conn) -> None:
    import socket
    fd = sys.stdin.fileno()
    try:
        while data := os.read(fd, 65536):
            conn.sock.sendall(data)
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
