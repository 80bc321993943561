"""The OCI process spec of an exec session (pure): what `runc exec -p` runs.

Built from the container's `ContainerSpec` the way dockerd builds it: the
daemon's base environment (PATH, HOSTNAME, TERM when the *exec* has a TTY),
the container's env, then the exec's env; the exec's user (already resolved
against the container's /etc/passwd) or the container's; the exec's working
dir or the container's; all capabilities when privileged, the container's
otherwise."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from barge.errdefs import InvalidParameter
from barge.oci.defaults import ALL_CAPABILITIES
from barge.oci.spec import (
    _capabilities,
    build_env,
    parse_security_opts,
    replace_or_append_env,
    tweak_capabilities,
)
from barge.spec.container import ContainerSpec, HostDefaults, ProcessUser


@dataclass
class ExecConfig:
    """An exec instance as `POST /containers/{id}/exec` describes it."""
    cmd: list[str]
    env: list[str] = field(default_factory=list)
    user: str = ""
    working_dir: str = ""
    tty: bool = False
    privileged: bool = False
    attach_stdin: bool = False
    attach_stdout: bool = False
    attach_stderr: bool = False
    detach_keys: str = ""

    @classmethod
    def from_api(cls, body: dict) -> "ExecConfig":
        if not isinstance(body, dict):
            raise InvalidParameter("invalid JSON: exec config must be an object")
        cmd = body.get("Cmd")
        if isinstance(cmd, str):
            cmd = [cmd]
        if not cmd:
            raise InvalidParameter("No exec command specified")
        env = body.get("Env") or []
        if not isinstance(cmd, list) or not all(isinstance(a, str) for a in cmd):
            raise InvalidParameter("invalid Cmd: must be a list of strings")
        if not isinstance(env, list) or not all(isinstance(e, str) for e in env):
            raise InvalidParameter("invalid Env: must be a list of strings")
        for e in env:
            if not e.partition("=")[0]:
                raise InvalidParameter(f"invalid environment variable: {e}")
        return cls(cmd=list(cmd), env=list(env), user=body.get("User") or "",
                   working_dir=body.get("WorkingDir") or "", tty=bool(body.get("Tty")),
                   privileged=bool(body.get("Privileged")),
                   attach_stdin=bool(body.get("AttachStdin")),
                   attach_stdout=bool(body.get("AttachStdout")),
                   attach_stderr=bool(body.get("AttachStderr")),
                   detach_keys=body.get("DetachKeys") or "")

    def effective_user(self, spec: ContainerSpec) -> str:
        return self.user or spec.user


def exec_env(spec: ContainerSpec, ec: ExecConfig, user: ProcessUser) -> list[str]:
    """dockerd's order: daemon defaults (TERM by the exec's TTY), container env,
    exec env; HOME from the exec user's passwd entry when nobody set it."""
    base = build_env(dataclasses.replace(spec, tty=ec.tty, env=[]), user)
    base = [e for e in base if not e.startswith("HOME=")]
    env = replace_or_append_env(replace_or_append_env(base, spec.env), ec.env)
    if not any(e.partition("=")[0] == "HOME" for e in env):
        env.append(f"HOME={user.home or '/'}")
    return env


def build_exec_process(spec: ContainerSpec, ec: ExecConfig, user: ProcessUser, host: HostDefaults,
                       available_caps: tuple[str, ...] = ALL_CAPABILITIES) -> dict:
    """The `process` object for `runc exec --process` / conmon's --exec-process-spec."""
    if not ec.cmd:
        raise InvalidParameter("No exec command specified")
    if ec.privileged:
        caps = list(available_caps)
    else:
        caps = tweak_capabilities(spec.cap_add, spec.cap_drop, spec.privileged, available_caps)
    soft, hard = host.rlimit_nofile
    process: dict = {
        "terminal": ec.tty,
        "user": {
            "uid": user.uid,
            "gid": user.gid,
            "additionalGids": list(dict.fromkeys([user.gid, *user.additional_gids])),
        },
        "args": list(ec.cmd),
        "env": exec_env(spec, ec, user),
        "cwd": ec.working_dir or spec.working_dir or "/",
        "capabilities": _capabilities(caps, user.uid),
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": hard, "soft": soft}],
    }
    if parse_security_opts(spec.security_opt).no_new_privileges:
        process["noNewPrivileges"] = True
    return process
