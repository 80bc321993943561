"""A thin wrapper around conmon, which runs `runc create` and then
supervises the container: stdio, log file, exit and OOM files."""
from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from dataclasses import dataclass

from barge.errdefs import System

CONMON = "conmon"


@dataclass
class ConmonOptions:
    cid: str
    name: str
    bundle: str
    runtime: str              # runc binary
    runtime_root: str         # runc --root
    log_path: str | None      # None: no log file
    log_size_max: int         # -1: unlimited
    exit_dir: str
    persist_dir: str
    socket_dir: str
    pidfile: str
    conmon_pidfile: str
    conmon_log: str
    tty: bool = False
    stdin: bool = False
    leave_stdin_open: bool = False


def build_args(o: ConmonOptions, binary: str) -> list[str]:
    args = [binary, "--api-version", "1", "-c", o.cid, "-u", o.cid, "-n", o.name,
            "-r", o.runtime, "-b", o.bundle, "-p", o.pidfile, "-P", o.conmon_pidfile,
            "--exit-dir", o.exit_dir, "-0", o.persist_dir, "--socket-dir-path", o.socket_dir,
            "--runtime-arg", f"--root={o.runtime_root}", "--log-level", "error"]
    if o.log_path:
        args += ["-l", f"k8s-file:{o.log_path}", "--log-size-max", str(o.log_size_max)]
    else:
        args += ["-l", "none:"]
    if o.tty:
        args.append("-t")
    if o.stdin:
        args.append("-i")
    if o.leave_stdin_open:
        args.append("--leave-stdin-open")
    return args


async def spawn(o: ConmonOptions) -> int:
    """Start conmon; return the container's pid once `runc create` is done."""
    binary = shutil.which(CONMON) or "/usr/bin/conmon"
    rfd, wfd = os.pipe()
    errlog = os.open(o.conmon_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
               "_OCI_SYNCPIPE": str(wfd)}
        proc = await asyncio.create_subprocess_exec(
            *build_args(o, binary), stdin=asyncio.subprocess.DEVNULL, stdout=errlog,
            stderr=errlog, pass_fds=(wfd,), env=env, start_new_session=True,
            cwd=o.bundle)   # conmon drops an "oom" file in its working directory too
    finally:
        os.close(wfd)
        os.close(errlog)
    try:
        msg = await asyncio.get_running_loop().run_in_executor(None, _read_sync, rfd)
        await proc.wait()
    finally:
        os.close(rfd)
    pid = msg.get("data", -1) if msg else -1
    if not isinstance(pid, int) or pid <= 0:
        detail = (msg or {}).get("message") or tail(o.conmon_log) or "conmon failed to start the container"
        raise System(runtime_error(detail))
    return pid


def runtime_error(raw: str) -> str:
    """runc's logrus line as Docker words a failed create (clients read the
    exit code for `run` from this text)."""
    m = re.search(r'msg="((?:[^"\\]|\\.)*)"', raw)
    text = m.group(1).encode().decode("unicode_escape") if m else raw.strip()
    return f"failed to create task for container: OCI runtime create failed: {text}: unknown"


def _read_sync(fd: int) -> dict | None:
    """conmon writes one JSON object with the pid (or an error) to the sync pipe."""
    buf = b""
    while True:
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buf += chunk
        try:
            return json.loads(buf.split(b"\n")[0])
        except ValueError:
            continue
    try:
        return json.loads(buf) if buf else None
    except ValueError:
        return {"data": -1, "message": buf.decode(errors="replace")}


def write_ctl(path: str, msg: str) -> None:
    """conmon's control fifo: `1 h w` resizes the terminal, `2 0 0` reopens the log.
    A conmon that is gone is not an error here."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return
    try:
        os.write(fd, msg.encode())
    except OSError:
        pass
    finally:
        os.close(fd)


def tail(path: str) -> str:
    """The end of a conmon log file, for error messages."""
    try:
        with open(path, "rb") as f:
            return f.read()[-2000:].decode(errors="replace").strip()
    except OSError:
        return ""
