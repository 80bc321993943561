"""Exec: run another process in a running container, under conmon's exec
mode (oci/conmon_exec.py); the streams go through conmon's attach socket,
so the daemon is never the process's parent."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import socket
import time

from barge.daemon.container import Container
from barge.daemon.containers.context import Ctx
from barge.errdefs import Conflict, NotFound
from barge.daemon.containers.attach import connect_seqpacket
from barge.util.fspath import read_in_root
from barge.oci.conmon import write_ctl
from barge.oci.conmon_exec import ConmonExec, ConmonExecOptions
from barge.oci.exec_process import ExecConfig, build_exec_process
from barge.spec import ids, users
from barge.spec.detachkeys import DetachMatcher, parse_detach_keys
from barge.spec.framing import frame
from barge.util.atomic import write_bytes

log = logging.getLogger("barge.exec")
CONMON_STDOUT, CONMON_STDERR = 2, 3
RECV = 8193
STDIN_PACKET = 8192
KEEP_FINISHED = 256                   # finished sessions kept for inspect, per daemon


class ExecSession:
    def __init__(self, eid: str, c: Container, cfg: ExecConfig) -> None:
        self.id = eid
        self.container_id = c.id
        self.cfg = cfg
        self.running = False
        self.started = False
        self.exit_code: int | None = None
        self.pid = 0
        self.ended_at = 0.0
        self.proc: ConmonExec | None = None
        self.done: asyncio.Future = asyncio.get_running_loop().create_future()

    def inspect(self) -> dict:
        cfg = self.cfg
        return {
            "ID": self.id, "Running": self.running, "ExitCode": self.exit_code,
            "ProcessConfig": {"tty": cfg.tty, "entrypoint": cfg.cmd[0], "arguments": cfg.cmd[1:],
                              "privileged": cfg.privileged, "user": cfg.user},
            "OpenStdin": cfg.attach_stdin, "OpenStderr": cfg.attach_stderr,
            "OpenStdout": cfg.attach_stdout, "CanRemove": False,
            "ContainerID": self.container_id, "DetachKeys": cfg.detach_keys, "Pid": self.pid,
        }


class ExecService:
    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.sessions: dict[str, ExecSession] = {}
        self._clean_stale()

    def _clean_stale(self) -> None:
        """Sessions do not survive a daemon restart (as Docker's); remove the
        bundles a previous daemon left whose process has ended."""
        root = os.path.join(self.ctx.cfg.exec_root, "exec")
        try:
            names = os.listdir(root)
        except OSError:
            return
        for eid in names:
            bundle = os.path.join(root, eid)
            try:
                with open(os.path.join(bundle, "pid")) as f:
                    pid = int(f.read().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid > 0 and os.path.exists(f"/proc/{pid}"):
                continue
            _cleanup(self.ctx, eid, bundle)

    # --- lookups ---------------------------------------------------------------

    def get(self, eid: str) -> ExecSession:
        s = self.sessions.get(eid)
        if s is None:
            raise NotFound(f"No such exec instance: {eid}")
        return s

    def _running_container(self, ref: str) -> Container:
        c = self.ctx.registry.get(ref)
        if c.state.status == "paused":
            raise Conflict(f"Container {c.id} is paused, unpause the container before exec")
        if c.state.status == "restarting":
            raise Conflict(f"Container {c.id} is restarting, wait until the container is running")
        if not c.state.running:
            raise Conflict(f"Container {c.id} is not running")
        return c

    # --- verbs -----------------------------------------------------------------

    async def create(self, ref: str, body: dict) -> str:
        c = self._running_container(ref)
        cfg = ExecConfig.from_api(body)
        self._forget_old()
        eid = ids.new_id()
        s = ExecSession(eid, c, cfg)
        self.sessions[eid] = s
        self.ctx.event(c, f"exec_create: {' '.join(cfg.cmd)}", {"execID": eid})
        return eid

    def inspect(self, eid: str) -> dict:
        return self.get(eid).inspect()

    def check_start(self, eid: str) -> tuple[ExecSession, Container]:
        s = self.get(eid)
        if s.running:
            raise Conflict(f"Exec command {s.id} is already running")
        if s.started:
            raise Conflict(f"Exec command {s.id} has already run")
        c = self._running_container(s.container_id)
        s.started = True
        return s, c

    async def start_detached(self, eid: str) -> None:
        s, c = self.check_start(eid)
        try:
            await self._launch(s, c, None, stdin=False)
        except Exception:
            self._failed(s, c)
            raise

    async def start_attached(self, s: ExecSession, c: Container, reader, writer, tty: bool,
                             console_size: list | None) -> None:
        """Run the session on a hijacked connection; errors go into the stream."""
        cfg = s.cfg
        stdout = cfg.attach_stdout or not (cfg.attach_stdin or cfg.attach_stderr)
        try:
            sock = await self._launch(s, c, console_size, stdin=cfg.attach_stdin, attach=True)
        except Exception as e:
            self._failed(s, c)
            msg = (str(e) or e.__class__.__name__) + "\r\n"
            data = msg.encode()
            try:
                writer.write(data if cfg.tty else frame(1, data))
                await writer.drain()
            except (OSError, ConnectionError):
                pass
            _close(writer)
            return
        pumps = [asyncio.ensure_future(self._pump_out(s, sock, writer, stdout, cfg.attach_stderr))]
        stdin_task = None
        if cfg.attach_stdin:
            stdin_task = asyncio.ensure_future(self._pump_in(s, sock, reader))
        detached = False
        try:
            waits = set(pumps) | ({stdin_task} if stdin_task else set())
            while True:
                done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                if pumps[0] in done:
                    break
                if stdin_task in done:
                    waits.discard(stdin_task)
                    if stdin_task.result() == "detach":
                        detached = True
                        break
            if not detached:
                # the output ended: the exit code comes right after; record it
                # before the client's inspect can ask
                try:
                    await asyncio.wait_for(asyncio.shield(s.done), 10)
                except asyncio.TimeoutError:
                    pass
        finally:
            for t in pumps + ([stdin_task] if stdin_task else []):
                t.cancel()
            sock.close()
            _close(writer)

    async def resize(self, eid: str, h: int, w: int) -> None:
        s = self.get(eid)
        if not s.running or s.proc is None:
            raise NotFound("no such exec")
        write_ctl(s.proc.ctl_path, f"1 {h} {w}\n")

    # --- the process -------------------------------------------------------------

    async def _launch(self, s: ExecSession, c: Container, console_size, stdin: bool,
                      attach: bool = False) -> socket.socket | None:
        ctx = self.ctx
        cfg = s.cfg
        bundle = os.path.join(ctx.cfg.exec_root, "exec", s.id)
        loop = asyncio.get_running_loop()
        process = await loop.run_in_executor(ctx.pool, self._write_spec, c, s, bundle)
        o = ConmonExecOptions(cid=c.id, exec_id=s.id, bundle=bundle,
                              process_spec=os.path.join(bundle, "process.json"),
                              runtime=ctx.runc.binary, runtime_root=ctx.runc.root,
                              socket_dir=ctx.cfg.socket_dir, tty=bool(process.get("terminal")), stdin=stdin)
        proc = ConmonExec(o)
        await proc.spawn()
        s.proc = proc
        sock = None
        try:
            if cfg.tty and console_size and len(console_size) == 2 and all(console_size):
                write_ctl(proc.ctl_path, f"1 {int(console_size[0])} {int(console_size[1])}\n")
            if attach:
                sock = connect_seqpacket(proc.attach_path)
            ctx.event(c, f"exec_start: {' '.join(cfg.cmd)}", {"execID": s.id})
            s.pid = await proc.start()
        except BaseException:
            if sock:
                sock.close()
            proc.close()
            raise
        s.running = True
        asyncio.ensure_future(self._watch(s, c, proc, bundle))
        return sock

    def _write_spec(self, c: Container, s: ExecSession, bundle: str) -> dict:
        spec = c.spec
        user = users.resolve(s.cfg.effective_user(spec), read_in_root(c.rootfs, "etc/passwd"),
                             read_in_root(c.rootfs, "etc/group"))
        process = build_exec_process(spec, s.cfg, user, self.ctx.host, self.ctx.facts.capabilities)
        os.makedirs(bundle, mode=0o700, exist_ok=True)
        write_bytes(os.path.join(bundle, "process.json"), json.dumps(process).encode(), 0o600)
        return process

    async def _watch(self, s: ExecSession, c: Container, proc: ConmonExec, bundle: str) -> None:
        try:
            code = await proc.wait()
        except Exception:
            log.exception("exec %s: waiting for the exit", s.id[:12])
            code = 137
        finally:
            proc.close()
        s.exit_code = code
        s.running = False
        s.ended_at = time.monotonic()
        if not s.done.done():
            s.done.set_result(code)
        self.ctx.event(c, "exec_die", {"execID": s.id, "exitCode": str(code)})
        await asyncio.get_running_loop().run_in_executor(self.ctx.pool, _cleanup, self.ctx, s.id, bundle)

    def _failed(self, s: ExecSession, c: Container) -> None:
        s.exit_code = 126
        s.running = False
        s.ended_at = time.monotonic()
        if not s.done.done():
            s.done.set_result(126)
        _cleanup(self.ctx, s.id, os.path.join(self.ctx.cfg.exec_root, "exec", s.id))

    async def _pump_out(self, s: ExecSession, sock: socket.socket, writer, stdout: bool, stderr: bool) -> None:
        loop = asyncio.get_running_loop()
        tty = s.cfg.tty
        try:
            while True:
                pkt = await loop.sock_recv(sock, RECV)
                if not pkt:
                    break
                pipe, data = pkt[0], pkt[1:]
                if pipe == CONMON_STDOUT and stdout or pipe == CONMON_STDERR and stderr:
                    writer.write(data if tty else frame(pipe - 1, data))
                    await writer.drain()
        except (OSError, ConnectionError):
            pass

    async def _pump_in(self, s: ExecSession, sock: socket.socket, reader) -> str:
        loop = asyncio.get_running_loop()
        keys = parse_detach_keys(s.cfg.detach_keys) if s.cfg.tty else b""
        matcher = DetachMatcher(keys)
        try:
            while True:
                data = await reader.read(STDIN_PACKET)
                if not data:
                    break
                data, hit = matcher.feed(data)
                if data:
                    await loop.sock_sendall(sock, data)
                if hit:
                    return "detach"
            if not s.cfg.tty:
                sock.shutdown(socket.SHUT_WR)
        except (OSError, ConnectionError):
            pass
        return "eof"

    def _forget_old(self) -> None:
        """Drop finished sessions beyond KEEP_FINISHED and those of removed containers."""
        finished = [s for s in self.sessions.values() if s.exit_code is not None]
        for s in finished:
            if not self.ctx.registry.exists(s.container_id):
                self.sessions.pop(s.id, None)
        finished = sorted((s for s in self.sessions.values() if s.exit_code is not None),
                          key=lambda s: s.ended_at)
        for s in finished[:max(0, len(finished) - KEEP_FINISHED)]:
            self.sessions.pop(s.id, None)


def _cleanup(ctx: Ctx, eid: str, bundle: str) -> None:
    shutil.rmtree(bundle, ignore_errors=True)
    try:
        os.unlink(os.path.join(ctx.cfg.socket_dir, eid))     # conmon's symlink to the bundle
    except OSError:
        pass


def _close(writer) -> None:
    try:
        writer.close()
    except Exception:
        pass
