"""Detaching with ctrl-p ctrl-q leaves the container running; attaching again works."""
from __future__ import annotations

import json
import socket
import time
import uuid


def _hijack(daemon, cid: str, keys: str = "") -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(daemon.sock)
    q = "stream=1&stdin=1&stdout=1&stderr=1" + (f"&detachKeys={keys}" if keys else "")
    s.sendall(f"POST /v1.45/containers/{cid}/attach?{q} HTTP/1.1\r\nHost: d\r\n"
              "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    s.settimeout(5)
    return s


def _read_until(s: socket.socket, needle: bytes) -> bytes:
    got = b""
    while needle not in got:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    return got


def _read_to_eof(s: socket.socket) -> bytes:
    got = b""
    while chunk := s.recv(4096):
        got += chunk
    return got


def test_detach_keeps_the_container_running_and_attach_again(daemon):
    n = f"det-{uuid.uuid4().hex[:6]}"
    cid = daemon.out("create", "-it", "--name", n, "busybox", "sh").strip()
    try:
        s = _hijack(daemon, cid)
        daemon.out("start", n)
        s.sendall(b"echo one-$((1+1))\n")
        assert b"one-2" in _read_until(s, b"one-2")
        s.sendall(b"\x10\x11")                    # ctrl-p ctrl-q
        _read_to_eof(s)                           # the daemon ends the session
        s.close()
        time.sleep(0.3)
        assert daemon.out("inspect", "-f", "{{.State.Running}}", n) == "true\n"
        s = _hijack(daemon, cid, "ctrl-a,x")     # custom keys; the shell still reads our stdin
        s.sendall(b"echo two-$((2+2))\n")
        assert b"two-4" in _read_until(s, b"two-4")
        s.sendall(b"exit 3\n")
        _read_to_eof(s)
        s.close()
        assert daemon.out("wait", n) == "3\n"
    finally:
        daemon.cli("rm", "-f", n)


def test_bad_detach_keys_are_refused(daemon):
    n = f"det-{uuid.uuid4().hex[:6]}"
    daemon.out("run", "-d", "-it", "--name", n, "busybox", "sh")
    try:
        r = daemon.cli("attach", "--detach-keys", "ctrl-long", n)
        assert r.returncode != 0 and b"Unknown character" in r.stderr
        assert json.loads(daemon.out("inspect", n))[0]["State"]["Running"]
    finally:
        daemon.cli("rm", "-f", n)
