"""Docker's defaults for the OCI runtime config, as immutable data.

The values are the facts of moby's `oci/defaults.go`, `oci/caps` and
`daemon/oci_linux.go` (checked against the config.json a Docker 20.10 engine
writes). Everything here is a tuple or a frozen dataclass; `to_oci()` returns a
fresh dict each time so callers can never change a default by accident.
"""
from __future__ import annotations

from dataclasses import dataclass

OCI_VERSION = "1.0.2"

DEFAULT_PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Docker's HostConfig.ShmSize default (64 MiB), written in bytes as Docker does.
DEFAULT_SHM_SIZE = 67108864

DEFAULT_CAPABILITIES: tuple[str, ...] = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
)

# Every capability Linux defines, indexed by its number (position = bit).
ALL_CAPABILITIES: tuple[str, ...] = (
    "CAP_CHOWN",               # 0
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",                # 5
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",    # 10
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",           # 15
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",           # 20
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",            # 25
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",       # 30
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",          # 35
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",  # 40
)

# /sys/devices/virtual/powercap was added by Docker 20.10.27 / 24.0.7 / 25.0
# (GHSA-7ww5-4wqc-m92c); older engines, such as the 20.10.24 reference engine,
# do not mask it.
MASKED_PATHS: tuple[str, ...] = (
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
)

READONLY_PATHS: tuple[str, ...] = (
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
)

# Mounts a read-only root file system leaves writable.
READONLY_ROOT_EXEMPT: frozenset[str] = frozenset(
    {"/proc", "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev"}
)

# Sysctls Docker sets in every network namespace it creates for a container.
NETNS_SYSCTLS: tuple[tuple[str, str], ...] = (
    ("net.ipv4.ip_unprivileged_port_start", "0"),
    ("net.ipv4.ping_group_range", "0 2147483647"),
)

# Namespaces in Docker's order; "network" is left out for --network host.
NAMESPACES: tuple[str, ...] = ("mount", "network", "uts", "pid", "ipc")


@dataclass(frozen=True)
class MountDefault:
    destination: str
    type: str
    source: str
    options: tuple[str, ...]

    def to_oci(self) -> dict:
        return {
            "destination": self.destination,
            "type": self.type,
            "source": self.source,
            "options": list(self.options),
        }


DEFAULT_MOUNTS: tuple[MountDefault, ...] = (
    MountDefault("/proc", "proc", "proc", ("nosuid", "noexec", "nodev")),
    MountDefault("/dev", "tmpfs", "tmpfs", ("nosuid", "strictatime", "mode=755", "size=65536k")),
    MountDefault(
        "/dev/pts", "devpts", "devpts",
        ("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
    ),
    MountDefault("/sys", "sysfs", "sysfs", ("nosuid", "noexec", "nodev", "ro")),
    MountDefault("/sys/fs/cgroup", "cgroup", "cgroup", ("ro", "nosuid", "noexec", "nodev")),
    MountDefault("/dev/mqueue", "mqueue", "mqueue", ("nosuid", "noexec", "nodev")),
    MountDefault(
        "/dev/shm", "tmpfs", "shm",
        ("nosuid", "noexec", "nodev", "mode=1777", f"size={DEFAULT_SHM_SIZE}"),
    ),
)


@dataclass(frozen=True)
class DeviceRule:
    """One entry of linux.resources.devices (the device cgroup)."""
    allow: bool
    access: str = "rwm"
    type: str | None = None
    major: int | None = None
    minor: int | None = None

    def to_oci(self) -> dict:
        rule: dict = {"allow": self.allow}
        if self.type is not None:
            rule["type"] = self.type
        if self.major is not None:
            rule["major"] = self.major
        if self.minor is not None:
            rule["minor"] = self.minor
        rule["access"] = self.access
        return rule


# Docker's rules. runc appends its own always-allowed set after them
# (c 1:7 full, c 5:2 ptmx, c 136:* pts, c 10:200 tun, mknod on everything),
# which is why those do not appear here.
DEFAULT_DEVICE_RULES: tuple[DeviceRule, ...] = (
    DeviceRule(allow=False),
    DeviceRule(allow=True, type="c", major=1, minor=5),    # /dev/zero
    DeviceRule(allow=True, type="c", major=1, minor=3),    # /dev/null
    DeviceRule(allow=True, type="c", major=1, minor=9),    # /dev/urandom
    DeviceRule(allow=True, type="c", major=1, minor=8),    # /dev/random
    DeviceRule(allow=True, type="c", major=5, minor=0),    # /dev/tty
    DeviceRule(allow=True, type="c", major=5, minor=1),    # /dev/console
    DeviceRule(allow=False, type="c", major=10, minor=229),  # /dev/fuse
)

PRIVILEGED_DEVICE_RULES: tuple[DeviceRule, ...] = (DeviceRule(allow=True),)

# Directories and files under /dev that a privileged container does not get
# from the host (runc's HostDevices skips the same ones).
HOST_DEVICE_SKIP_DIRS: frozenset[str] = frozenset(
    {"pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"}
)
HOST_DEVICE_SKIP_FILES: frozenset[str] = frozenset({"/dev/console"})
