"""`version` and `info`."""
from __future__ import annotations

import os
import platform
import socket

from barge import __version__
from barge.spec.apiversion import MAX_API, MIN_API
from barge.daemon.containers.context import Ctx
from barge.spec import clock


def version() -> dict:
    kernel = os.uname().release
    ver = {"Version": __version__, "ApiVersion": MAX_API, "MinAPIVersion": MIN_API,
           "GitCommit": "", "GoVersion": f"python{platform.python_version()}", "Os": "linux",
           "Arch": _arch(), "KernelVersion": kernel, "BuildTime": "", "Experimental": False}
    return {"Platform": {"Name": "barge"},
            "Components": [{"Name": "Engine", "Version": __version__,
                            "Details": {k: str(v).lower() if isinstance(v, bool) else str(v)
                                        for k, v in ver.items() if k != "Version"}}],
            **ver}


def _arch() -> str:
    m = os.uname().machine
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(m, m)


def _os_name() -> str:
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "Linux"


def _mem_total() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return 0


def _cgroup_version() -> str:
    return "2" if os.path.exists("/sys/fs/cgroup/cgroup.controllers") else "1"


def info(ctx: Ctx) -> dict:
    cs = ctx.registry.all()
    running = sum(1 for c in cs if c.state.status == "running")
    paused = sum(1 for c in cs if c.state.status == "paused")
    return {
        "ID": _daemon_id(ctx), "Containers": len(cs), "ContainersRunning": running,
        "ContainersPaused": paused, "ContainersStopped": len(cs) - running - paused,
        "Images": len(ctx.store.images.ids()), "Driver": "overlay2",
        "DriverStatus": [["Backing Filesystem", "extfs"], ["Supports d_type", "true"],
                         ["Using metacopy", "false"], ["Native Overlay Diff", "true"]],
        "Plugins": {"Volume": ["local"], "Network": ["bridge", "host", "null"],
                    "Authorization": None, "Log": ["json-file", "local", "none"]},
        "MemoryLimit": True, "SwapLimit": False, "KernelMemoryTCP": False, "CpuCfsPeriod": True,
        "CpuCfsQuota": True, "CPUShares": True, "CPUSet": True, "PidsLimit": True,
        "IPv4Forwarding": True, "BridgeNfIptables": False, "BridgeNfIp6tables": False,
        "Debug": ctx.cfg.debug, "NFd": len(os.listdir("/proc/self/fd")), "OomKillDisable": False,
        "NGoroutines": 0, "SystemTime": clock.rfc3339nano(), "LoggingDriver": ctx.cfg.log_driver,
        "CgroupDriver": "cgroupfs", "CgroupVersion": _cgroup_version(), "NEventsListener": 0,
        "KernelVersion": os.uname().release, "OperatingSystem": _os_name(), "OSVersion": "",
        "OSType": "linux", "Architecture": os.uname().machine,
        "IndexServerAddress": "https://index.docker.io/v1/",
        "RegistryConfig": {"AllowNondistributableArtifactsCIDRs": None,
                           "AllowNondistributableArtifactsHostnames": None,
                           "InsecureRegistryCIDRs": ["127.0.0.0/8"], "IndexConfigs": {},
                           "Mirrors": None},
        "NCPU": os.cpu_count() or 1, "MemTotal": _mem_total(), "GenericResources": None,
        "DockerRootDir": ctx.cfg.data_root, "HttpProxy": "", "HttpsProxy": "", "NoProxy": "",
        "Name": socket.gethostname(), "Labels": list(ctx.cfg.labels), "ExperimentalBuild": False,
        "ServerVersion": __version__, "Runtimes": {"runc": {"path": ctx.runc.binary}},
        "DefaultRuntime": "runc",
        "Swarm": {"NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive", "ControlAvailable": False,
                  "Error": "", "RemoteManagers": None},
        "LiveRestoreEnabled": True, "Isolation": "", "InitBinary": "",
        "ContainerdCommit": {"ID": "", "Expected": ""}, "RuncCommit": {"ID": "", "Expected": ""},
        "InitCommit": {"ID": "", "Expected": ""},
        "SecurityOptions": ["name=seccomp,profile=builtin"], "Warnings": None,
    }


def _daemon_id(ctx: Ctx) -> str:
    p = os.path.join(ctx.cfg.data_root, "engine-id")
    try:
        with open(p) as f:
            return f.read().strip()
    except FileNotFoundError:
        import uuid
        from barge.util.atomic import write_bytes
        i = str(uuid.uuid4())
        write_bytes(p, i.encode())
        return i
