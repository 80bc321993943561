"""conmon's exec mode: `conmon --exec --exec-attach --exec-process-spec …`
runs `runc exec` for one process of a running container and supervises it
(PTY, stdio over an attach socket, resize through a ctl fifo, exit code).

The protocol, over three pipes given to conmon:
  _OCI_STARTPIPE  we write once so conmon goes on (cgroup step), and once
                  more to let `runc exec` run (after we attached);
  _OCI_ATTACHPIPE conmon writes {"data": 0} once its attach socket listens;
  _OCI_SYNCPIPE   conmon writes {"data": pid} (or {"data": -1, "message"})
                  when the process started, then {"data": exit code} when it
                  ended.
conmon double-forks, so the process outlives the daemon."""
from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from dataclasses import dataclass

from barge.errdefs import System
from barge.oci.conmon import tail

CONMON = "conmon"


class ExecStartError(System):
    """runc could not start the process (not found, bad cwd, …)."""


@dataclass
class ConmonExecOptions:
    cid: str                  # the container (runc id)
    exec_id: str              # conmon's -u: names the attach socket dir
    bundle: str               # the session's directory: ctl fifo, exit file, process.json
    process_spec: str         # path of process.json
    runtime: str
    runtime_root: str
    socket_dir: str
    tty: bool = False
    stdin: bool = False


def build_args(o: ConmonExecOptions, binary: str) -> list[str]:
    args = [binary, "--api-version", "1", "-c", o.cid, "-u", o.exec_id, "-n", o.exec_id[:12],
            "-r", o.runtime, "-b", o.bundle, "-p", os.path.join(o.bundle, "pid"),
            "--exit-dir", o.bundle, "-0", o.bundle, "--socket-dir-path", o.socket_dir,
            "--runtime-arg", f"--root={o.runtime_root}", "-l", "none:", "--log-level", "error",
            "-e", "--exec-attach", "--exec-process-spec", o.process_spec]
    if o.tty:
        args.append("-t")
    if o.stdin:
        args.append("-i")
    return args


def attach_socket_path(o: ConmonExecOptions) -> str:
    return os.path.join(o.socket_dir, o.exec_id, "attach")


def exec_error(raw: str) -> str:
    """runc's logrus line as Docker words a failed exec."""
    m = re.search(r'msg="((?:[^"\\]|\\.)*)"', raw)
    text = m.group(1).encode().decode("unicode_escape") if m else raw.strip()
    return f"OCI runtime exec failed: {text}: unknown"


class _PipeReader:
    """JSON lines from a non-blocking pipe, on the event loop."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        os.set_blocking(fd, False)
        self._buf = b""
        self._eof = False

    async def message(self) -> dict | None:
        loop = asyncio.get_running_loop()
        while b"\n" not in self._buf:
            if self._eof:
                return None
            fut = loop.create_future()
            loop.add_reader(self.fd, lambda: fut.done() or fut.set_result(None))
            try:
                await fut
            finally:
                loop.remove_reader(self.fd)
            try:
                chunk = os.read(self.fd, 4096)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                self._eof = True
                continue
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        try:
            msg = json.loads(line)
        except ValueError:
            return {"data": -1, "message": line.decode(errors="replace")}
        return msg if isinstance(msg, dict) else None

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


class ConmonExec:
    """One exec process under conmon. spawn() -> ready; start() -> pid; wait() -> exit code."""

    def __init__(self, o: ConmonExecOptions) -> None:
        self.o = o
        self._sync: _PipeReader | None = None
        self._attach: _PipeReader | None = None
        self._start_w = -1

    @property
    def attach_path(self) -> str:
        return attach_socket_path(self.o)

    @property
    def ctl_path(self) -> str:
        return os.path.join(self.o.bundle, "ctl")

    async def spawn(self) -> None:
        """Start conmon and wait until its attach socket listens."""
        binary = shutil.which(CONMON) or "/usr/bin/conmon"
        sync_r, sync_w = os.pipe()
        start_r, start_w = os.pipe()
        att_r, att_w = os.pipe()
        self._sync, self._attach, self._start_w = _PipeReader(sync_r), _PipeReader(att_r), start_w
        errlog = os.open(os.path.join(self.o.bundle, "conmon.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
               "_OCI_SYNCPIPE": str(sync_w), "_OCI_STARTPIPE": str(start_r), "_OCI_ATTACHPIPE": str(att_w)}
        try:
            proc = await asyncio.create_subprocess_exec(
                *build_args(self.o, binary), stdin=asyncio.subprocess.DEVNULL, stdout=errlog,
                stderr=errlog, pass_fds=(sync_w, start_r, att_w), env=env, start_new_session=True,
                cwd=self.o.bundle)
        except BaseException:
            self.close()
            raise
        finally:
            for fd in (sync_w, start_r, att_w, errlog):
                os.close(fd)
        asyncio.ensure_future(proc.wait())      # the first conmon exits once it has forked
        os.write(self._start_w, b"0")           # no cgroup to move conmon into: go on
        msg = await self._attach.message()
        if not msg or msg.get("data", -1) < 0:
            self.close()
            raise System(exec_error((msg or {}).get("message") or tail(os.path.join(self.o.bundle, "conmon.log"))
                                    or "conmon failed to start the exec session"))

    async def start(self) -> int:
        """Let `runc exec` run; the process's pid, or ExecStartError."""
        try:
            os.write(self._start_w, b"0")
        except OSError:
            pass
        os.close(self._start_w)
        self._start_w = -1
        msg = await self._sync.message()
        pid = (msg or {}).get("data", -1)
        if not isinstance(pid, int) or pid <= 0:
            raise ExecStartError(exec_error((msg or {}).get("message") or "conmon exited before the process started"))
        return pid

    async def wait(self) -> int:
        """The exit code, when the process ends (conmon's second sync message)."""
        msg = await self._sync.message()
        code = (msg or {}).get("data")
        if not isinstance(code, int):
            code = _read_exit(os.path.join(self.o.bundle, "exit"))
        return code

    def close(self) -> None:
        for r in (self._sync, self._attach):
            if r:
                r.close()
        if self._start_w >= 0:
            os.close(self._start_w)
            self._start_w = -1


def _read_exit(path: str) -> int:
    try:
        with open(path) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 137        # conmon went away with its process: killed with the container


