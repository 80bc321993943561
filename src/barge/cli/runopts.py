"""`run`/`create` flags -> the Engine API's ContainerCreate body (pure)."""
from __future__ import annotations

from barge.errdefs import InvalidParameter


def parse_env_lines(text: str, environ: dict[str, str], what: str = "env file") -> list[str]:
    out = []
    for raw in text.splitlines():
        line = raw.lstrip()
        if not line or line.startswith("#"):
            continue
        out.extend(env_values([line], environ))
    return out


def env_values(items: list[str], environ: dict[str, str]) -> list[str]:
    """`-e K=V` as given; `-e K` takes K from the caller's environment, or is dropped."""
    out = []
    for e in items:
        if not e:
            raise InvalidParameter("invalid environment variable: ")
        k, eq, _ = e.partition("=")
        if not k:
            raise InvalidParameter(f"invalid environment variable: {e}")
        if eq:
            out.append(e)
        elif k in environ:
            out.append(f"{k}={environ[k]}")
    return out


def labels(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        k, _, v = item.partition("=")
        if not k:
            raise InvalidParameter(f"invalid label '{item}': empty name")
        out[k] = v
    return out


def restart_policy(value: str) -> dict:
    """`name[:count]`; the daemon judges the name, as Docker's does."""
    if not value:
        return {"Name": "no", "MaximumRetryCount": 0}
    name, _, count = value.partition(":")
    try:
        n = int(count) if count else 0
    except ValueError:
        raise InvalidParameter("invalid restart policy format: maximum retry count must be an integer") from None
    return {"Name": name, "MaximumRetryCount": n}


def log_opts(items: list[str]) -> dict[str, str]:
    """`k=v` pairs; a bare key is sent as is, for the daemon to judge."""
    out = {}
    for item in items:
        k, _, v = item.partition("=")
        out[k] = v
    return out


def security_opts(items: list[str], read_file) -> list[str]:
    """Docker's CLI checks the form and inlines a seccomp profile file."""
    out = []
    for opt in items:
        if opt == "no-new-privileges":
            out.append(opt)
            continue
        sep = "=" if "=" in opt else ":" if ":" in opt else None
        if sep is None:
            raise InvalidParameter(f'Invalid --security-opt: "{opt}"')
        key, _, value = opt.partition(sep)
        if key == "seccomp" and value not in ("unconfined", "builtin"):
            try:
                value = read_file(value)
            except OSError as e:
                raise InvalidParameter(f"opening seccomp profile ({value}) failed: {e.strerror.lower()}") from None
        out.append(f"{key}={value}")
    return out


def ulimits(items: list[str]) -> list[dict]:
    """`nofile=1024[:2048]` -> {"Name", "Soft", "Hard"} (Docker's units.ParseUlimit)."""
    out = []
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise InvalidParameter(f'invalid ulimit argument: {item}')
        soft_s, _, hard_s = value.partition(":")
        try:
            soft = int(soft_s)
            hard = int(hard_s) if hard_s else soft
        except ValueError:
            raise InvalidParameter(f'invalid ulimit argument: {item}') from None
        if soft > hard:
            raise InvalidParameter(f"ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}")
        out.append({"Name": name, "Soft": soft, "Hard": hard})
    return out


def tmpfs(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        path, _, opts = item.partition(":")
        if not path.startswith("/"):
            raise InvalidParameter(f"invalid mount path: '{path}' mount path must be absolute")
        out[path] = opts
    return out


def sysctls(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        k, eq, v = item.partition("=")
        if not eq:
            raise InvalidParameter(f"sysctl '{item}' is not allowed")
        out[k] = v
    return out


def _bytes(value, flag: str) -> int:
    if value in (None, ""):
        return 0
    if value == "-1":
        return -1
    from barge.spec.units import ram_in_bytes
    try:
        return ram_in_bytes(str(value))
    except InvalidParameter as e:
        raise InvalidParameter(f'invalid argument "{value}" for "{flag}" flag: {e}') from None


def _nano_cpus(value) -> int:
    if value in (None, ""):
        return 0
    try:
        return int(round(float(value) * 1e9))
    except ValueError:
        raise InvalidParameter(f'invalid argument "{value}" for "--cpus" flag: failed to parse {value} as a rational number') from None


def resources(o: dict) -> dict:
    """The limit flags as HostConfig fields."""
    return {
        "Memory": _bytes(o.get("memory"), "-m, --memory"),
        "MemorySwap": _bytes(o.get("memory-swap"), "--memory-swap"),
        "MemoryReservation": _bytes(o.get("memory-reservation"), "--memory-reservation"),
        "NanoCpus": _nano_cpus(o.get("cpus")), "CpuShares": int(o.get("cpu-shares") or 0),
        "CpuPeriod": int(o.get("cpu-period") or 0), "CpuQuota": int(o.get("cpu-quota") or 0),
        "CpusetCpus": o.get("cpuset-cpus") or "", "CpusetMems": o.get("cpuset-mems") or "",
        "PidsLimit": int(o["pids-limit"]) if o.get("pids-limit") else None,
        "OomKillDisable": bool(o.get("oom-kill-disable")),
        "Ulimits": ulimits(o.get("ulimit") or []) or None,
        "ShmSize": _bytes(o.get("shm-size"), "--shm-size") or 0,
        "Sysctls": sysctls(o.get("sysctl") or []) or None,
        "GroupAdd": o.get("group-add") or None,
        "Tmpfs": tmpfs(o.get("tmpfs") or []) or None,
        "Devices": devices(o.get("device") or []),
    }


def healthcheck(o: dict) -> dict | None:
    """Config.Healthcheck from the --health-* flags, as Docker's CLI builds it
    (durations in nanoseconds; zero values left out, as the API shows them)."""
    durations = {"Interval": "health-interval", "Timeout": "health-timeout",
                 "StartPeriod": "health-start-period", "StartInterval": "health-start-interval"}
    ns = {k: round(float(o.get(flag) or 0) * 1_000_000_000) for k, flag in durations.items()}
    retries = int(o.get("health-retries") or 0)
    have = bool(o.get("health-cmd")) or retries != 0 or any(ns.values())
    if o.get("no-healthcheck"):
        if have:
            raise InvalidParameter("--no-healthcheck conflicts with --health-* options")
        return {"Test": ["NONE"]}
    if not have:
        return None
    for k, flag in durations.items():
        if ns[k] < 0:
            raise InvalidParameter(f"--{flag} cannot be negative")
    if retries < 0:
        raise InvalidParameter("--health-retries cannot be negative")
    out: dict = {}
    if o.get("health-cmd"):
        out["Test"] = ["CMD-SHELL", o["health-cmd"]]
    out.update({k: v for k, v in ns.items() if v})
    if retries:
        out["Retries"] = retries
    return out


def devices(items: list[str]) -> list[dict]:
    """`/dev/x[:/dev/y][:rwm]` -> HostConfig.Devices entries (Docker's parseDevice)."""
    out = []
    for item in items:
        parts = item.split(":")
        host, ctr, perms = parts[0], parts[0], "rwm"
        if len(parts) == 2:
            if set(parts[1]) <= set("rwm") and parts[1]:
                perms = parts[1]
            else:
                ctr = parts[1]
        elif len(parts) == 3:
            ctr, perms = parts[1], parts[2]
        elif len(parts) > 3:
            raise InvalidParameter(f"invalid device specification: {item}")
        if not perms or not set(perms) <= set("rwm"):
            raise InvalidParameter(f"invalid device mode: {perms}")
        if not ctr.startswith("/"):
            raise InvalidParameter(f"{ctr} is not an absolute path")
        out.append({"PathOnHost": host, "PathInContainer": ctr, "CgroupPermissions": perms})
    return out


def _read_text(path: str) -> str:
    with open(path) as f:
        return f.read()


def create_body(o: dict, image: str, cmd: list[str], environ: dict[str, str],
                env_files: dict[str, str], label_files: dict[str, str], read_file=None,
                cwd: str | None = None) -> dict:
    """o: option values by long flag name; env_files/label_files: path -> content;
    read_file(path) reads a seccomp profile named by --security-opt; `cwd`
    anchors relative bind sources of -v."""
    env = []
    for path in o.get("env-file") or []:
        env += parse_env_lines(env_files[path], environ)
    env += env_values(o.get("env") or [], environ)
    lbl = {}
    for path in o.get("label-file") or []:
        lbl.update(labels([ln for ln in label_files[path].splitlines() if ln.strip() and not ln.lstrip().startswith("#")]))
    lbl.update(labels(o.get("label") or []))
    tty, interactive = bool(o.get("tty")), bool(o.get("interactive"))
    detach = bool(o.get("detach"))
    attach = list(o.get("attach") or [])
    if detach:
        attach_stdout = attach_stderr = attach_stdin = False
    elif attach:
        attach_stdin = "stdin" in [a.lower() for a in attach]
        attach_stdout = "stdout" in [a.lower() for a in attach]
        attach_stderr = "stderr" in [a.lower() for a in attach]
    else:
        attach_stdin, attach_stdout, attach_stderr = interactive, True, True
    body: dict = {
        "Hostname": o.get("hostname") or "", "Domainname": o.get("domainname") or "",
        "User": o.get("user") or "", "AttachStdin": attach_stdin, "AttachStdout": attach_stdout,
        "AttachStderr": attach_stderr, "Tty": tty, "OpenStdin": interactive,
        "StdinOnce": interactive and attach_stdin and not detach,
        "Env": env, "Cmd": cmd or None, "Image": image, "WorkingDir": o.get("workdir") or "",
        "Entrypoint": None, "Labels": lbl,
    }
    if o.get("entrypoint") is not None:
        body["Entrypoint"] = [o["entrypoint"]] if o["entrypoint"] else [""]
    if o.get("stop-signal"):
        body["StopSignal"] = o["stop-signal"]
    if o.get("stop-timeout") is not None:
        body["StopTimeout"] = o["stop-timeout"]
    hc = healthcheck(o)
    if hc is not None:
        body["Healthcheck"] = hc
    from barge.cli.mountopt import volumes_and_binds
    volumes, binds = volumes_and_binds(o.get("volume") or [], cwd)
    if volumes:
        body["Volumes"] = volumes
    from barge.cli.netopt import endpoints_config
    from barge.cli.portopt import ports
    exposed, bindings = ports(o.get("publish") or [], o.get("expose") or [])
    if exposed:
        body["ExposedPorts"] = exposed
    network, endpoints = endpoints_config(o)
    host_config = {
        "AutoRemove": bool(o.get("rm")), "Privileged": bool(o.get("privileged")),
        "ReadonlyRootfs": bool(o.get("read-only")), "CapAdd": o.get("cap-add") or None,
        "CapDrop": o.get("cap-drop") or None,
        "SecurityOpt": security_opts(o.get("security-opt") or [], read_file or _read_text) or None,
        "NetworkMode": network, "PortBindings": bindings, "PublishAllPorts": bool(o.get("publish-all")),
        "Links": o.get("link") or None, "RestartPolicy": restart_policy(o.get("restart") or ""),
        "LogConfig": {"Type": o.get("log-driver") or "", "Config": log_opts(o.get("log-opt") or [])},
        "Dns": o.get("dns") or [], "DnsSearch": o.get("dns-search") or [],
        "DnsOptions": o.get("dns-option") or [], "ExtraHosts": o.get("add-host") or None,
        "Binds": binds or None, "Mounts": o.get("mount") or None,
        "VolumesFrom": o.get("volumes-from") or None, "VolumeDriver": o.get("volume-driver") or "",
        "ContainerIDFile": o.get("cidfile") or "",
        "Init": True if o.get("init") else None,
        **resources(o),
    }
    if host_config["AutoRemove"] and host_config["RestartPolicy"]["Name"] != "no":
        raise InvalidParameter("conflicting options: cannot specify both --restart and --rm")
    body["HostConfig"] = host_config
    body["NetworkingConfig"] = {"EndpointsConfig": endpoints}
    return body
