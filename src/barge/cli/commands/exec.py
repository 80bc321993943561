"""`exec`: run a command in a running container."""
from __future__ import annotations

import os
import sys

from barge.cli import streams
from barge.cli.commands._common import F, parse
from barge.cli.context import Context

EXEC_FLAGS = [
    F("detach", "d", "bool", False, "Detached mode: run command in the background"),
    F("detach-keys", None, "string", "", "Override the key sequence for detaching a container"),
    F("env", "e", "list", None, "Set environment variables"),
    F("env-file", None, "list", None, "Read in a file of environment variables"),
    F("interactive", "i", "bool", False, "Keep STDIN open even if not attached"),
    F("privileged", None, "bool", False, "Give extended privileges to the command"),
    F("tty", "t", "bool", False, "Allocate a pseudo-TTY"),
    F("user", "u", "string", "", "Username or UID (format: \"<name|uid>[:<group|gid>]\")"),
    F("workdir", "w", "string", "", "Working directory inside the container"),
]


def exec_body(o: dict, cmd: list[str], environ: dict[str, str], env_files: dict[str, str]) -> dict:
    """Flags -> the ExecConfig body of POST /containers/{id}/exec (pure)."""
    env: list[str] = []
    if o.get("env-file") or o.get("env"):
        from barge.cli.runopts import env_values, parse_env_lines
        for path in o.get("env-file") or []:
            env += parse_env_lines(env_files[path], environ)
        env += env_values(o.get("env") or [], environ)
    detach = bool(o.get("detach"))
    body = {"User": o.get("user") or "", "Privileged": bool(o.get("privileged")), "Tty": bool(o.get("tty")),
            "AttachStdin": bool(o.get("interactive")) and not detach,
            "AttachStdout": not detach, "AttachStderr": not detach,
            "Detach": detach, "DetachKeys": o.get("detach-keys") or "",
            "Env": env or None, "WorkingDir": o.get("workdir") or "", "Cmd": list(cmd)}
    return body


def exec_(ctx: Context, argv: list[str]) -> int:
    p = parse(ctx, "exec", "docker exec [OPTIONS] CONTAINER COMMAND [ARG...]",
              "Execute a command in a running container", EXEC_FLAGS, argv, min_args=2, interspersed=False)
    o = p.opts
    container, cmd = p.args[0], p.args[1:]
    if o["tty"] and o["interactive"] and not o["detach"] and not sys.stdin.isatty():
        ctx.err("the input device is not a TTY")
        return 1
    try:
        env_files = {}
        for path in o.get("env-file") or []:
            with open(path) as f:
                env_files[path] = f.read()
        body = exec_body(o, cmd, dict(os.environ), env_files)
    except OSError as e:
        ctx.err(f"open {e.filename}: {(e.strerror or str(e)).lower()}")
        return 1
    except Exception as e:
        ctx.err(str(e))
        return 1
    try:
        eid = ctx.client.post(f"/containers/{container}/exec", json_body=body).json()["Id"]
    except Exception as e:
        return ctx.daemon_error(e)
    if o["detach"]:
        try:
            ctx.client.post(f"/exec/{eid}/start", json_body={"Detach": True, "Tty": body["Tty"]}).close()
        except Exception as e:
            return ctx.daemon_error(e)
        return 0
    return _attached(ctx, eid, body["Tty"], body["AttachStdin"])


def _attached(ctx: Context, eid: str, tty: bool, stdin: bool) -> int:
    start = {"Detach": False, "Tty": tty}
    size = _size() if tty else None
    if size:
        start["ConsoleSize"] = list(size)
    try:
        conn = ctx.client.post(f"/exec/{eid}/start", json_body=start, upgrade=True)
    except Exception as e:
        return ctx.daemon_error(e)
    restore = None
    if tty and stdin and sys.stdin.isatty():
        restore = streams.raw_terminal()
    try:
        if tty:
            def resize(*_):
                s = _size()
                if s:
                    try:
                        ctx.client.post(f"/exec/{eid}/resize", {"h": s[0], "w": s[1]}).close()
                    except Exception:
                        pass
            streams.on_winch(resize)
        if stdin:
            import threading
            threading.Thread(target=streams.copy_stdin, args=(conn,), daemon=True).start()
        streams.copy_output(conn, tty)
    finally:
        if restore:
            restore()
        conn.close()
    try:
        code = ctx.client.get_json(f"/exec/{eid}/json").get("ExitCode")
    except Exception as e:
        return ctx.daemon_error(e)
    return code if isinstance(code, int) else 0


def _size():
    try:
        s = os.get_terminal_size(sys.stdout.fileno())
        return s.lines, s.columns
    except OSError:
        return None
