"""Containers as the API shows them: `inspect` (ContainerJSON) and `ps` (ContainerSummary)."""
from __future__ import annotations

import time

from barge.spec.mounts import MountPoint
from barge.daemon.container import Container
from barge.spec import clock
from barge.spec.units import human_duration


def _path_args(c: Container) -> tuple[str, list[str]]:
    argv = list(c.config.get("Entrypoint") or []) + list(c.config.get("Cmd") or [])
    return (argv[0], argv[1:]) if argv else ("", [])


def state_json(c: Container) -> dict:
    s = c.state
    out = {
        "Status": s.status, "Running": s.running, "Paused": s.status == "paused",
        "Restarting": s.status == "restarting", "OOMKilled": s.oom_killed,
        "Dead": s.status == "dead", "Pid": s.pid, "ExitCode": s.exit_code, "Error": s.error,
        "StartedAt": s.started_at, "FinishedAt": s.finished_at,
    }
    if s.health:
        out["Health"] = s.health
    return out


def mounts_json(c: Container) -> list[dict]:
    return [MountPoint.from_dict(m).inspect() for m in c.mount_points]


def inspect(c: Container) -> dict:
    path, args = _path_args(c)
    out = {
        "Id": c.id, "Created": c.created, "Path": path, "Args": args,
        "State": state_json(c), "Image": c.image_id,
        "ResolvConfPath": c.path("resolv.conf"), "HostnamePath": c.path("hostname"),
        "HostsPath": c.path("hosts"), "LogPath": c.log_path,
        "Name": "/" + c.name, "RestartCount": c.restart_count, "Driver": "overlay2",
        "Platform": "linux", "MountLabel": "", "ProcessLabel": "", "AppArmorProfile": "",
        "ExecIDs": None, "HostConfig": c.host_config,
        "GraphDriver": {"Data": {"LowerDir": ":".join(c.lower_dirs), "MergedDir": c.rootfs,
                                 "UpperDir": c.path("upper"), "WorkDir": c.path("work")},
                        "Name": "overlay2"},
        "Mounts": mounts_json(c),
        "Config": c.config,
        "NetworkSettings": network_settings(c),
    }
    return out


def _public(ep: dict) -> dict:
    return {k: v for k, v in ep.items() if not k.startswith("_")}


def ports_json(c: Container) -> dict:
    """NetworkSettings.Ports: published bindings, exposed-only ports as null (running only)."""
    if not c.state.running or not c.sandbox:
        return {}
    out: dict = {k: None for k in (c.config.get("ExposedPorts") or {})}
    out.update(c.port_map)
    return out


def network_settings(c: Container) -> dict:
    nets = {name: _public(ep) for name, ep in c.networks.items()}
    main = nets.get("bridge") or {}
    return {"Bridge": "", "SandboxID": c.id if c.sandbox else "", "SandboxKey": c.sandbox,
            "Ports": ports_json(c), "HairpinMode": False, "LinkLocalIPv6Address": "",
            "LinkLocalIPv6PrefixLen": 0, "SecondaryIPAddresses": None, "SecondaryIPv6Addresses": None,
            "EndpointID": main.get("EndpointID", ""), "Gateway": main.get("Gateway", ""),
            "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "IPAddress": main.get("IPAddress", ""),
            "IPPrefixLen": main.get("IPPrefixLen", 0), "IPv6Gateway": "", "MacAddress": main.get("MacAddress", ""),
            "Networks": nets}


def ports_summary(c: Container) -> list[dict]:
    """ps's Ports: one entry per published binding, exposed-only ports without PublicPort."""
    out = []
    for key, binds in ports_json(c).items():
        port, _, proto = key.partition("/")
        if not binds:
            out.append({"PrivatePort": int(port), "Type": proto or "tcp"})
            continue
        for b in binds:
            out.append({"IP": b["HostIp"], "PrivatePort": int(port), "PublicPort": int(b["HostPort"]),
                        "Type": proto or "tcp"})
    return out


def human_status(c: Container, now: float | None = None) -> str:
    now = time.time() if now is None else now
    s = c.state
    if s.status == "removing":
        return "Removal In Progress"
    if s.status == "dead":
        return "Dead"
    if s.status in ("running", "paused"):
        up = "Up " + human_duration(now - clock.parse_rfc3339(s.started_at))
        if s.health:
            up += f" ({s.health.get('Status')})" if s.health.get("Status") != "starting" else " (health: starting)"
        return up + (" (Paused)" if s.status == "paused" else "")
    if s.status == "restarting":
        return f"Restarting ({s.exit_code}) " + human_duration(now - clock.parse_rfc3339(s.finished_at)) + " ago"
    if s.status == "exited" and s.finished_at != clock.ZERO:
        return f"Exited ({s.exit_code}) " + human_duration(now - clock.parse_rfc3339(s.finished_at)) + " ago"
    return "Created"


def summary(c: Container, image_name: str) -> dict:
    path, args = _path_args(c)
    mode = c.host_config.get("NetworkMode") or "default"
    return {
        "Id": c.id, "Names": ["/" + c.name], "Image": image_name, "ImageID": c.image_id,
        "Command": " ".join([path] + [f"'{a}'" if " " in a else a for a in args]) if path else "", "Created": clock.unix(c.created), "Ports": ports_summary(c),
        "Labels": c.config.get("Labels") or {}, "State": c.state.status, "Status": human_status(c),
        "HostConfig": {"NetworkMode": mode},
        "NetworkSettings": {"Networks": {name: _public(ep) for name, ep in c.networks.items()}},
        "Mounts": mounts_json(c),
    }
