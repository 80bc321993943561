"""One function per instruction (Docker's dispatchers), working on a stage's
State through the Builder."""
from __future__ import annotations

import json
import posixpath

from barge.builder import copying
from barge.builder import instructions as ins
from barge.builder.backend import RunSpec
from barge.builder.errors import StepFailed
from barge.errdefs import InvalidParameter


def needed_stages(stages: list, target: int) -> set[int]:
    """The target and every stage it reaches through FROM or COPY --from."""
    by_name = {s.name: s.index for s in stages if s.name}
    need, todo = set(), [target]
    while todo:
        i = todo.pop()
        if i in need:
            continue
        need.add(i)
        s = stages[i]
        refs = [s.base] + [c.from_ for c in s.commands if isinstance(c, ins.Copy) and c.from_]
        for r in refs:
            r = r.lower()
            if r in by_name:
                todo.append(by_name[r])
            elif r.isdigit() and int(r) < i:
                todo.append(int(r))
    return need


def _set_env(cfg: dict, key: str, value: str) -> None:
    env = [e for e in cfg.get("Env") or [] if e.partition("=")[0] != key]
    cfg["Env"] = env + [f"{key}={value}"]


def _shell(st) -> list[str]:
    return list(st.config.get("Shell") or ["/bin/sh", "-c"])


def _command(st, cmd) -> list[str]:
    return list(cmd.cmd) if cmd.json_form else _shell(st) + [" ".join(cmd.cmd)]


async def dispatch(b, st, cmd) -> None:
    env = st.env()
    if isinstance(cmd, (ins.Env, ins.Label, ins.Expose, ins.Workdir, ins.User, ins.Volume, ins.Stopsignal,
                        ins.Copy, ins.Add, ins.Arg)):
        cmd = cmd.expand(b.lex, env)
    handler = HANDLERS.get(type(cmd))
    if handler is None:
        raise InvalidParameter(f"unsupported instruction: {cmd.original}")
    await handler(b, st, cmd)


async def _env(b, st, cmd) -> None:
    parts = []
    for k, v in cmd.pairs:
        _set_env(st.config, k, v)
        parts.append(f"{k}={v}")
    await b.commit_meta(st, "ENV " + " ".join(parts))


async def _label(b, st, cmd) -> None:
    labels = dict(st.config.get("Labels") or {})
    for k, v in cmd.pairs:
        labels[k] = v
    st.config["Labels"] = labels
    await b.commit_meta(st, "LABEL " + " ".join(f"{k}={v}" for k, v in cmd.pairs))


async def _arg(b, st, cmd) -> None:
    shown = []
    for name, default in cmd.pairs:
        if name in b.opts.build_args:
            b.used_args.add(name)
        given = b.opts.build_args.get(name)
        st.args[name] = given if given is not None else (default or "")
        shown.append(f"{name}={default}" if default is not None else name)
    await b.commit_meta(st, "ARG " + " ".join(shown))


async def _cmd(b, st, cmd) -> None:
    st.config["Cmd"] = _command(st, cmd)
    st.cmd_set = True
    await b.commit_meta(st, f"CMD {go_list(st.config['Cmd'])}")


async def _entrypoint(b, st, cmd) -> None:
    st.config["Entrypoint"] = _command(st, cmd) if cmd.cmd else None
    if not st.cmd_set:
        st.config["Cmd"] = None
    await b.commit_meta(st, f"ENTRYPOINT {go_list(st.config['Entrypoint'] or [])}")


async def _expose(b, st, cmd) -> None:
    ports = dict(st.config.get("ExposedPorts") or {})
    for p in cmd.ports:
        ports[p if "/" in p else p + "/tcp"] = {}
    st.config["ExposedPorts"] = ports
    await b.commit_meta(st, "EXPOSE " + " ".join(cmd.ports))


async def _workdir(b, st, cmd) -> None:
    path = cmd.path if cmd.path.startswith("/") else posixpath.join(st.config.get("WorkingDir") or "/", cmd.path)
    st.config["WorkingDir"] = posixpath.normpath(path)
    await b.commit_meta(st, "WORKDIR " + st.config["WorkingDir"], one_word=True)


async def _user(b, st, cmd) -> None:
    st.config["User"] = cmd.user
    await b.commit_meta(st, "USER " + cmd.user)


async def _volume(b, st, cmd) -> None:
    vols = dict(st.config.get("Volumes") or {})
    for v in cmd.paths:
        if not v.strip():
            raise InvalidParameter("VOLUME specified can not be an empty string")
        vols[v] = {}
    st.config["Volumes"] = vols
    await b.commit_meta(st, "VOLUME [" + " ".join(cmd.paths) + "]")


async def _stopsignal(b, st, cmd) -> None:
    st.config["StopSignal"] = cmd.signal
    await b.commit_meta(st, "STOPSIGNAL " + cmd.signal)


async def _shell_cmd(b, st, cmd) -> None:
    st.config["Shell"] = list(cmd.shell)
    await b.commit_meta(st, "SHELL [" + " ".join(cmd.shell) + "]")


async def _maintainer(b, st, cmd) -> None:
    st.author = cmd.name
    await b.commit_meta(st, "MAINTAINER " + cmd.name)


async def _onbuild(b, st, cmd) -> None:
    st.config["OnBuild"] = list(st.config.get("OnBuild") or []) + [cmd.expression]
    await b.commit_meta(st, "ONBUILD " + cmd.expression)


async def _healthcheck(b, st, cmd) -> None:
    if cmd.test == ["NONE"]:
        st.config["Healthcheck"] = {"Test": ["NONE"]}
    else:
        hc = {"Test": list(cmd.test)}
        for key, val in (("Interval", cmd.interval), ("Timeout", cmd.timeout), ("StartPeriod", cmd.start_period),
                         ("StartInterval", cmd.start_interval), ("Retries", cmd.retries)):
            if val:
                hc[key] = val
        st.config["Healthcheck"] = hc
    hc = st.config["Healthcheck"]
    durations = " ".join(f'"{go_duration(hc.get(k, 0))}"' for k in ("Interval", "Timeout", "StartPeriod"))
    await b.commit_meta(st, f"HEALTHCHECK &{{{go_list(hc['Test'])} {durations} {go_rune(hc.get('Retries', 0))}}}")


async def _run(b, st, cmd) -> None:
    argv = _command(st, cmd)
    if cmd.heredocs and not cmd.json_form:
        argv = copying.heredoc_command(_shell(st), cmd)
    args = sorted((k, v) for k, v in st.args.items())
    key_cmd = ([f"|{len(args)}"] + [f"{k}={v}" for k, v in args] + argv) if args else argv
    cc = b.cache_key(st, key_cmd)
    hit = await b.cached(st, cc)
    if hit is not None:
        await b.adopt(st, hit)
        return
    env = list(st.config.get("Env") or []) + [f"{k}={v}" for k, v in args
                                              if not any(e.startswith(k + "=") for e in st.config.get("Env") or [])]
    spec = RunSpec(cmd=argv, env=env, working_dir=st.config.get("WorkingDir") or "",
                   user=st.config.get("User") or "", network=b.opts.network, extra_hosts=b.opts.extra_hosts)
    code, cid = await b.backend.run(st.image, spec, b.out)
    try:
        if code != 0:
            shown = " ".join(argv)
            raise StepFailed(f"The command '{shown}' returned a non-zero code: {code}", code)
        layer = await b.backend.layer_of_container(cid, st.image)
        image = await b.backend.commit(st.image, st.config, cc, " ".join(key_cmd), layer, st.author)
    except BaseException:
        if b.opts.force_rm:
            await b.backend.remove_container(cid)
        raise
    if b.opts.rm or b.opts.force_rm:
        await b.out(f"Removing intermediate container {cid[:12]}\n")
        await b.backend.remove_container(cid)
    await b.adopt(st, image)


async def _copy(b, st, cmd) -> None:
    await copying.copy_step(b, st, cmd, is_add=isinstance(cmd, ins.Add))


def go_duration(ns: int) -> str:
    """Go's time.Duration.String for whole milliseconds and up: 5s, 1m30s, 500ms, 0s."""
    if ns == 0:
        return "0s"
    if ns < 1_000_000_000:
        return f"{ns / 1_000_000:g}ms"
    total = ns / 1e9
    h, rest = divmod(int(total), 3600)
    m = rest // 60
    s = total - h * 3600 - m * 60
    sec = f"{s:g}s"
    return f"{h}h{m}m{sec}" if h else f"{m}m{sec}" if m else sec


def go_rune(n: int) -> str:
    """Go's %q of an int (a rune): '\x00', '\x03'."""
    return "'\\x%02x'" % n if n < 32 else repr(chr(n))


def go_list(items: list[str]) -> str:
    """Go's %q of a []string: ["a" "b"]."""
    return "[" + " ".join(json.dumps(i) for i in items) + "]"


HANDLERS = {
    ins.Env: _env, ins.Label: _label, ins.Arg: _arg, ins.Cmd: _cmd, ins.Entrypoint: _entrypoint,
    ins.Expose: _expose, ins.Workdir: _workdir, ins.User: _user, ins.Volume: _volume,
    ins.Stopsignal: _stopsignal, ins.Shell: _shell_cmd, ins.Maintainer: _maintainer,
    ins.Onbuild: _onbuild, ins.Healthcheck: _healthcheck, ins.Run: _run, ins.Copy: _copy, ins.Add: _copy,
}
