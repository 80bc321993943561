"""Engine API `ContainerCreate` JSON -> the stored Config/HostConfig
(merged with the image, Docker's defaults filled) -> `ContainerSpec`.
All pure."""
from __future__ import annotations

import copy

from barge.errdefs import InvalidParameter
from barge.spec.container import ContainerSpec, LogConfig, Resources

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
LOG_DRIVERS = ("json-file", "local", "none", "k8s-file")
NETWORK_MODES = ("default", "bridge", "none", "host")


_FIELD_TYPES = {
    "Image": str, "Hostname": str, "Domainname": str, "User": str, "WorkingDir": str,
    "StopSignal": str, "Tty": bool, "OpenStdin": bool, "StdinOnce": bool, "AttachStdin": bool,
    "AttachStdout": bool, "AttachStderr": bool, "Env": list, "Labels": dict, "ExposedPorts": dict,
    "Volumes": dict, "HostConfig": dict, "NetworkingConfig": dict, "StopTimeout": int,
    "Healthcheck": dict,
}
_GO_TYPES = {str: "string", bool: "bool", list: "[]string", dict: "map[string]string", int: "int"}
_JSON_KIND = {str: "string", bool: "bool", int: "number", float: "number", list: "array", dict: "object"}


def check_body(body) -> dict:
    """Reject what Go's json.Unmarshal would refuse for a ContainerCreate body."""
    if body is None:
        raise InvalidParameter("Config cannot be empty in order to create a container")
    if not isinstance(body, dict):
        raise InvalidParameter(f"json: cannot unmarshal {_JSON_KIND.get(type(body), 'value')} into Go value "
                               "of type container.CreateRequest")
    for key, typ in _FIELD_TYPES.items():
        v = body.get(key)
        if v is None:
            continue
        if not isinstance(v, typ) or (typ is int and isinstance(v, bool)):
            raise InvalidParameter(f"json: cannot unmarshal {_JSON_KIND.get(type(v), 'value')} into Go struct "
                                   f"field CreateRequest.{key} of type {_GO_TYPES[typ]}")
    for key in ("Cmd", "Entrypoint"):
        v = body.get(key)
        if v is not None and not isinstance(v, str) and not (
                isinstance(v, list) and all(isinstance(x, str) for x in v)):
            raise InvalidParameter(f"json: cannot unmarshal {_JSON_KIND.get(type(v), 'value')} into Go struct "
                                   f"field CreateRequest.{key} of type []string")
    for key in ("Env",):
        if any(not isinstance(x, str) for x in body.get(key) or []):
            raise InvalidParameter(f"json: cannot unmarshal value into Go struct field CreateRequest.{key} of type string")
    if any(not isinstance(v, str) for v in (body.get("Labels") or {}).values()):
        raise InvalidParameter("json: cannot unmarshal value into Go struct field CreateRequest.Labels of type string")
    return body


def merge_env(image_env: list[str], user_env: list[str]) -> list[str]:
    """Image env first, user values replace same-named keys (Docker's order)."""
    out: dict[str, str] = {}
    for e in list(image_env) + list(user_env):
        key = e.split("=", 1)[0]
        out.pop(key, None)
        out[key] = e
    return list(out.values())


def merge_config(body: dict, image_config: dict, container_id: str, host_hostname: str | None = None) -> dict:
    """Fill a create body's Config from the image as Docker does."""
    img = image_config or {}
    cfg = {k: copy.deepcopy(v) for k, v in body.items() if k not in ("HostConfig", "NetworkingConfig")}
    entry = cfg.get("Entrypoint")
    cmd = cfg.get("Cmd")
    if isinstance(entry, str):
        entry = [entry]
    if isinstance(cmd, str):
        cmd = [cmd]
    if entry == [""]:            # `--entrypoint ''`: no entrypoint, not even the image's
        entry = []
    if not entry and entry != []:
        entry = img.get("Entrypoint")
        if not cmd:
            cmd = img.get("Cmd")
    elif entry == [] and not cmd:
        entry = None
    elif not cmd and entry is not None and entry != []:
        cmd = None
    if not entry and not cmd:
        raise InvalidParameter("No command specified")
    env = cfg.get("Env") or []
    if not isinstance(env, list):
        raise InvalidParameter("Env must be a list of KEY=value strings")
    labels = dict(img.get("Labels") or {})
    labels.update(cfg.get("Labels") or {})
    exposed = dict(img.get("ExposedPorts") or {})
    exposed.update(cfg.get("ExposedPorts") or {})
    volumes = dict(img.get("Volumes") or {})
    volumes.update(cfg.get("Volumes") or {})
    merged_env = merge_env(img.get("Env") or [], env)
    if not any(e.startswith("PATH=") for e in merged_env):
        merged_env.insert(0, "PATH=" + DEFAULT_PATH)
    out = {
        "Hostname": cfg.get("Hostname") or host_hostname or container_id[:12],
        "Domainname": cfg.get("Domainname") or "",
        "User": cfg.get("User") or img.get("User") or "",
        "AttachStdin": bool(cfg.get("AttachStdin")),
        "AttachStdout": bool(cfg.get("AttachStdout")),
        "AttachStderr": bool(cfg.get("AttachStderr")),
        "Tty": bool(cfg.get("Tty")),
        "OpenStdin": bool(cfg.get("OpenStdin")),
        "StdinOnce": bool(cfg.get("StdinOnce")),
        "Env": merged_env,
        "Cmd": cmd,
        "Image": cfg.get("Image") or "",
        "Volumes": volumes or None,
        "WorkingDir": cfg.get("WorkingDir") or img.get("WorkingDir") or "",
        "Entrypoint": entry,
        "OnBuild": None,
        "Labels": labels,
    }
    if exposed:
        out["ExposedPorts"] = exposed
    stop_signal = cfg.get("StopSignal") or img.get("StopSignal")
    if stop_signal:
        out["StopSignal"] = stop_signal
    if cfg.get("StopTimeout") is not None:
        out["StopTimeout"] = cfg["StopTimeout"]
    health = merge_healthcheck(cfg.get("Healthcheck"), img.get("Healthcheck"))
    if health:
        out["Healthcheck"] = health
    return out


def merge_healthcheck(user: dict | None, image: dict | None) -> dict | None:
    """As moby: the image's healthcheck fills what the container's leaves empty."""
    if not user:
        return image or None
    if not image:
        return user
    out = dict(user)
    for key, value in image.items():
        if not out.get(key):
            out[key] = value
    return out


def _log_config(hc: dict) -> dict:
    lc = hc.get("LogConfig") or {}
    typ = lc.get("Type") or "json-file"
    if typ not in LOG_DRIVERS:
        raise InvalidParameter(f'failed to create container: logger: no log driver named \'{typ}\' is registered')
    return {"Type": typ, "Config": dict(lc.get("Config") or {})}


# HostConfig resource fields Docker always shows, with its zero values
_RESOURCE_ZEROS = (
    ("BlkioWeight", 0), ("BlkioWeightDevice", []), ("BlkioDeviceReadBps", []),
    ("BlkioDeviceWriteBps", []), ("BlkioDeviceReadIOps", []), ("BlkioDeviceWriteIOps", []),
    ("CpuPeriod", 0), ("CpuQuota", 0), ("CpuRealtimePeriod", 0), ("CpuRealtimeRuntime", 0),
    ("CpusetCpus", ""), ("CpusetMems", ""), ("Devices", []), ("DeviceCgroupRules", None),
    ("DeviceRequests", None), ("MemoryReservation", 0), ("MemorySwap", 0),
    ("MemorySwappiness", None), ("OomKillDisable", None), ("Ulimits", []), ("CpuCount", 0),
    ("CpuPercent", 0), ("IOMaximumIOps", 0), ("IOMaximumBandwidth", 0),
)


def fill_host_config(hc: dict | None) -> dict:
    """Docker's HostConfig with defaults filled, validated."""
    hc = copy.deepcopy(hc or {})
    mode = hc.get("NetworkMode") or "default"
    if not isinstance(mode, str) or (mode.startswith("container:") and len(mode) == len("container:")):
        raise InvalidParameter(f"invalid network mode: {mode}")
    restart = hc.get("RestartPolicy") or {}
    out = {
        "Binds": hc.get("Binds"),
        "ContainerIDFile": hc.get("ContainerIDFile") or "",
        "LogConfig": _log_config(hc),
        "NetworkMode": mode,
        "PortBindings": hc.get("PortBindings") or {},
        "RestartPolicy": {"Name": restart.get("Name") or "no",
                          "MaximumRetryCount": int(restart.get("MaximumRetryCount") or 0)},
        "AutoRemove": bool(hc.get("AutoRemove")),
        "VolumeDriver": hc.get("VolumeDriver") or "",
        "VolumesFrom": hc.get("VolumesFrom"),
        "CapAdd": hc.get("CapAdd"),
        "CapDrop": hc.get("CapDrop"),
        "CgroupnsMode": hc.get("CgroupnsMode") or "host",
        "Dns": hc.get("Dns") or [],
        "DnsOptions": hc.get("DnsOptions") or [],
        "DnsSearch": hc.get("DnsSearch") or [],
        "ExtraHosts": hc.get("ExtraHosts"),
        "GroupAdd": hc.get("GroupAdd"),
        "IpcMode": hc.get("IpcMode") or "private",
        "Cgroup": hc.get("Cgroup") or "",
        "Links": hc.get("Links"),
        "OomScoreAdj": int(hc.get("OomScoreAdj") or 0),
        "PidMode": hc.get("PidMode") or "",
        "Privileged": bool(hc.get("Privileged")),
        "PublishAllPorts": bool(hc.get("PublishAllPorts")),
        "ReadonlyRootfs": bool(hc.get("ReadonlyRootfs")),
        "SecurityOpt": hc.get("SecurityOpt"),
        "UTSMode": hc.get("UTSMode") or "",
        "UsernsMode": hc.get("UsernsMode") or "",
        "ShmSize": int(hc.get("ShmSize") or 67108864),
        "Runtime": "runc",
        "Isolation": "",
        "CpuShares": int(hc.get("CpuShares") or 0),
        "Memory": int(hc.get("Memory") or 0),
        "NanoCpus": int(hc.get("NanoCpus") or 0),
        "CgroupParent": hc.get("CgroupParent") or "",
        "PidsLimit": hc.get("PidsLimit"),
        "MaskedPaths": hc.get("MaskedPaths"),
        "ReadonlyPaths": hc.get("ReadonlyPaths"),
        "ConsoleSize": hc.get("ConsoleSize") or [0, 0],
        "Sysctls": hc.get("Sysctls"),
        "Tmpfs": hc.get("Tmpfs"),
    }
    for key, zero in _RESOURCE_ZEROS:
        out[key] = hc.get(key, zero) if hc.get(key) is not None else zero
    if hc.get("Init") is not None:
        out["Init"] = bool(hc["Init"])
    if hc.get("Mounts"):
        if not isinstance(hc["Mounts"], list):
            raise InvalidParameter("json: cannot unmarshal value into Go struct field HostConfig.Mounts "
                                   "of type []mount.Mount")
        out["Mounts"] = hc["Mounts"]
    rp = out["RestartPolicy"]
    if rp["Name"] not in ("no", "always", "unless-stopped", "on-failure"):
        raise InvalidParameter(f"invalid restart policy '{rp['Name']}'")
    if rp["MaximumRetryCount"] and rp["Name"] != "on-failure":
        raise InvalidParameter(f"maximum retry count cannot be used with restart policy '{rp['Name']}'")
    if rp["MaximumRetryCount"] < 0:
        raise InvalidParameter("maximum retry count cannot be negative")
    if out["AutoRemove"] and out["RestartPolicy"]["Name"] not in ("", "no"):
        raise InvalidParameter("can't create 'AutoRemove' container with restart policy")
    return out


def to_spec(config: dict, host_config: dict) -> ContainerSpec:
    lc = host_config.get("LogConfig") or {}
    return ContainerSpec(
        image=config.get("Image", ""),
        cmd=list(config.get("Cmd") or []),
        entrypoint=list(config["Entrypoint"]) if config.get("Entrypoint") else None,
        env=list(config.get("Env") or []),
        working_dir=config.get("WorkingDir") or "",
        user=config.get("User") or "",
        hostname=config.get("Hostname") or "",
        domainname=config.get("Domainname") or "",
        labels=dict(config.get("Labels") or {}),
        tty=bool(config.get("Tty")),
        open_stdin=bool(config.get("OpenStdin")),
        stdin_once=bool(config.get("StdinOnce")),
        attach_stdin=bool(config.get("AttachStdin")),
        attach_stdout=bool(config.get("AttachStdout")),
        attach_stderr=bool(config.get("AttachStderr")),
        stop_signal=config.get("StopSignal"),
        stop_timeout=config.get("StopTimeout"),
        exposed_ports=dict(config.get("ExposedPorts") or {}),
        volumes=dict(config.get("Volumes") or {}),
        read_only=bool(host_config.get("ReadonlyRootfs")),
        privileged=bool(host_config.get("Privileged")),
        cap_add=list(host_config.get("CapAdd") or []),
        cap_drop=list(host_config.get("CapDrop") or []),
        security_opt=list(host_config.get("SecurityOpt") or []),
        network_mode=host_config.get("NetworkMode") or "default",
        log_config=LogConfig(lc.get("Type") or "json-file", dict(lc.get("Config") or {})),
        auto_remove=bool(host_config.get("AutoRemove")),
        restart_policy=dict(host_config.get("RestartPolicy") or {}),
        resources=to_resources(host_config),
        init=bool(host_config.get("Init")),
    )


def to_resources(hc: dict) -> Resources:
    memory = int(hc.get("Memory") or 0)
    swap = int(hc.get("MemorySwap") or 0)
    if memory and not swap:
        swap = 2 * memory          # Docker: swap defaults to as much as the memory
    return Resources(
        memory=memory, memory_swap=swap, memory_reservation=int(hc.get("MemoryReservation") or 0),
        nano_cpus=int(hc.get("NanoCpus") or 0), cpu_shares=int(hc.get("CpuShares") or 0),
        cpu_period=int(hc.get("CpuPeriod") or 0), cpu_quota=int(hc.get("CpuQuota") or 0),
        cpuset_cpus=hc.get("CpusetCpus") or "", cpuset_mems=hc.get("CpusetMems") or "",
        pids_limit=int(hc.get("PidsLimit") or 0), oom_kill_disable=bool(hc.get("OomKillDisable")),
        ulimits=list(hc.get("Ulimits") or []), shm_size=int(hc.get("ShmSize") or 67108864),
        sysctls=dict(hc.get("Sysctls") or {}), group_add=list(hc.get("GroupAdd") or []),
        tmpfs=dict(hc.get("Tmpfs") or {}), devices=list(hc.get("Devices") or []))


def check_resources(hc: dict, ncpu: int) -> None:
    """Docker's create-time checks of the limits."""
    mem, swap = int(hc.get("Memory") or 0), int(hc.get("MemorySwap") or 0)
    if mem and mem < 6 * 1024 * 1024:
        raise InvalidParameter("Minimum memory limit allowed is 6MB")
    if mem and swap > 0 and swap < mem:
        raise InvalidParameter("Minimum memoryswap limit should be larger than memory limit, "
                               "see usage")
    if swap > 0 and not mem:
        raise InvalidParameter("You should always set the Memory limit when using Memoryswap limit, "
                               "see usage")
    nano = int(hc.get("NanoCpus") or 0)
    if nano and (hc.get("CpuQuota") or hc.get("CpuPeriod")):
        raise InvalidParameter("Conflicting options: Nano CPUs and CPU Period cannot both be set")
    if nano < 0 or nano > ncpu * 1_000_000_000:
        raise InvalidParameter(f"Range of CPUs is from 0.01 to {ncpu}.00, as there are only "
                               f"{ncpu} CPUs available")
    for u in hc.get("Ulimits") or []:
        if not isinstance(u, dict) or u.get("Soft", 0) > u.get("Hard", 0):
            raise InvalidParameter(f"ulimit soft limit must be less than or equal to hard limit: {u}")
