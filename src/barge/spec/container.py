"""The neutral container description that sits between the Engine API's
`ContainerCreate` body and the OCI runtime config.

API JSON -> ContainerSpec (spec.apiconv) -> OCI config.json (oci.spec).
Values here are already merged with the image's defaults: `cmd`, `env`,
`working_dir`, `user` are what the container will really run with.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LogConfig:
    type: str = "json-file"
    config: dict[str, str] = field(default_factory=dict)


@dataclass
class Resources:
    """Kernel-enforced limits (HostConfig's resource fields); 0/None = unlimited/unset."""
    memory: int = 0                 # bytes
    memory_swap: int = 0            # memory + swap, bytes; -1 unlimited swap
    memory_reservation: int = 0
    nano_cpus: int = 0              # --cpus × 1e9
    cpu_shares: int = 0
    cpu_period: int = 0
    cpu_quota: int = 0
    cpuset_cpus: str = ""
    cpuset_mems: str = ""
    pids_limit: int = 0             # <= 0: unlimited
    oom_kill_disable: bool = False
    ulimits: list[dict] = field(default_factory=list)    # [{"Name": "nofile", "Soft": 1, "Hard": 2}]
    shm_size: int = 67108864
    sysctls: dict[str, str] = field(default_factory=dict)
    group_add: list[str] = field(default_factory=list)
    tmpfs: dict[str, str] = field(default_factory=dict)  # path -> mount options
    devices: list[dict] = field(default_factory=list)    # HostConfig.Devices
    # the host nodes behind `devices`, found by the daemon at start:
    # {"path", "type": "c"|"b", "major", "minor", "fileMode", "permissions"}
    device_nodes: list[dict] = field(default_factory=list)


@dataclass
class ContainerSpec:
    image: str                                   # image reference as the user gave it
    cmd: list[str] = field(default_factory=list)
    entrypoint: list[str] | None = None
    env: list[str] = field(default_factory=list)  # "KEY=value"
    working_dir: str = ""
    user: str = ""                                # "uid[:gid]" or "name[:group]"
    hostname: str = ""
    domainname: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    tty: bool = False
    open_stdin: bool = False
    stdin_once: bool = False
    attach_stdin: bool = False
    attach_stdout: bool = False
    attach_stderr: bool = False
    stop_signal: str | None = None
    stop_timeout: int | None = None
    exposed_ports: dict[str, dict] = field(default_factory=dict)
    volumes: dict[str, dict] = field(default_factory=dict)
    # host config
    read_only: bool = False
    privileged: bool = False
    cap_add: list[str] = field(default_factory=list)
    cap_drop: list[str] = field(default_factory=list)
    security_opt: list[str] = field(default_factory=list)
    network_mode: str = "default"                # default|bridge|none|host|container:<id>
    log_config: LogConfig = field(default_factory=LogConfig)
    auto_remove: bool = False
    restart_policy: dict = field(default_factory=lambda: {"Name": "no", "MaximumRetryCount": 0})
    resources: Resources = field(default_factory=Resources)
    init: bool = False                           # --init: tini as PID 1
    mounts: list = field(default_factory=list)   # spec.mounts.MountPoint, sources resolved at start

    def process_args(self) -> list[str]:
        return list(self.entrypoint or []) + list(self.cmd or [])


@dataclass
class ProcessUser:
    """A user resolved against the container's /etc/passwd and /etc/group."""
    uid: int = 0
    gid: int = 0
    additional_gids: list[int] = field(default_factory=list)
    home: str = "/root"


@dataclass
class HostDefaults:
    """What the daemon derives from its host, passed into the OCI translation."""
    rlimit_nofile: tuple[int, int] = (1024, 20000)   # (soft, hard) of the daemon itself
    arch: str = "x86_64"                             # os.uname().machine
    seccomp_profile: dict | None = None              # Docker's default profile JSON, or None to disable
    init_path: str | None = None                     # host binary bind-mounted as /sbin/docker-init


@dataclass
class BundlePaths:
    """Host paths of a container's bundle pieces."""
    rootfs: str                 # the mounted overlay
    hostname_file: str
    hosts_file: str
    resolv_conf: str
    netns_path: str | None = None   # join this network namespace instead of creating one
    cgroup_parent: str = "/barge"
    container_id: str = ""
