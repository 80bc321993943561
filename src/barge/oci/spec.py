"""ContainerSpec -> OCI runtime config (config.json), with Docker's defaults.

`build_config` is pure: everything it needs about the host comes in through
`HostDefaults` and `HostFacts`. `probe_host_facts` (at the bottom) is the one
function here that reads the host; the daemon calls it once at start.
"""
from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from barge.errdefs import InvalidParameter
from barge.oci import mounts as user_mounts
from barge.oci import seccomp
from barge.oci.defaults import (
    ALL_CAPABILITIES,
    DEFAULT_CAPABILITIES,
    DEFAULT_DEVICE_RULES,
    DEFAULT_MOUNTS,
    DEFAULT_PATH_ENV,
    HOST_DEVICE_SKIP_DIRS,
    HOST_DEVICE_SKIP_FILES,
    MASKED_PATHS,
    NAMESPACES,
    NETNS_SYSCTLS,
    OCI_VERSION,
    PRIVILEGED_DEVICE_RULES,
    READONLY_PATHS,
    READONLY_ROOT_EXEMPT,
)
from barge.spec.container import BundlePaths, ContainerSpec, HostDefaults, ProcessUser

SECCOMP_UNCONFINED = "unconfined"
SECCOMP_BUILTIN = "builtin"


@dataclass(frozen=True)
class HostFacts:
    """Host facts beyond `HostDefaults` that the translation depends on.

    kernel_release: `os.uname().release`, for seccomp `minKernel` conditions
        (None: treat the kernel as new enough for every rule).
    capabilities: the capabilities the daemon itself holds; privileged and
        `--cap-add ALL` containers get exactly these (Docker does the same, so
        that a host with a reduced bounding set can still run them).
    devices: the host's device nodes as OCI `linux.devices` entries, given to
        privileged containers.
    """
    kernel_release: str | None = None
    capabilities: tuple[str, ...] = ALL_CAPABILITIES
    devices: tuple[dict, ...] = ()


@dataclass(frozen=True)
class SecurityOptions:
    no_new_privileges: bool = False
    seccomp: str | None = None      # None: the daemon's profile; "unconfined"; "builtin"; or JSON
    apparmor: str | None = None     # accepted, not applied
    labels: tuple[str, ...] = ()    # SELinux label options: accepted, not applied


def build_config(
    spec: ContainerSpec,
    user: ProcessUser,
    host: HostDefaults,
    paths: BundlePaths,
    facts: HostFacts | None = None,
) -> dict:
    """The OCI config.json for a container, as a dict ready for json.dump."""
    facts = facts or HostFacts()
    security = parse_security_opts(spec.security_opt)
    caps = tweak_capabilities(spec.cap_add, spec.cap_drop, spec.privileged, facts.capabilities)
    config: dict = {
        "ociVersion": OCI_VERSION,
        "process": _process(spec, user, host, caps, security),
        "root": {"path": paths.rootfs, "readonly": spec.read_only},
        "hostname": spec.hostname,
        "mounts": _mounts(spec, paths, host),
        "linux": _linux(spec, host, paths, facts, caps, security),
    }
    if spec.domainname:
        config["domainname"] = spec.domainname
    return config


# --- security options -------------------------------------------------------

_GO_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})
_GO_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})


def parse_security_opts(opts: Iterable[str]) -> SecurityOptions:
    """Parse HostConfig.SecurityOpt the way dockerd does (`key=value`, the
    legacy `key:value`, and the bare `no-new-privileges`)."""
    nnp, seccomp_opt, apparmor, labels = False, None, None, []
    for opt in opts:
        if opt == "no-new-privileges":
            nnp = True
            continue
        if opt == "disable":
            labels.append("disable")
            continue
        sep = "=" if "=" in opt else ":" if ":" in opt else None
        if sep is None:
            raise InvalidParameter(f"invalid --security-opt 1: {_go_quote(opt)}")
        key, value = opt.split(sep, 1)
        if key == "label":
            labels.append(value)
        elif key == "apparmor":
            apparmor = value
        elif key == "seccomp":
            seccomp_opt = value
        elif key == "no-new-privileges" and value in _GO_TRUE | _GO_FALSE:
            nnp = value in _GO_TRUE
        else:
            raise InvalidParameter(f"invalid --security-opt 2: {_go_quote(opt)}")
    return SecurityOptions(nnp, seccomp_opt, apparmor, tuple(labels))


# --- capabilities -----------------------------------------------------------

def normalize_capabilities(
    names: Iterable[str], available: Sequence[str] = ALL_CAPABILITIES
) -> list[str]:
    """Upper-case, add the CAP_ prefix, keep "ALL"; reject unknown names and
    names the host cannot grant, with dockerd's wording."""
    out = []
    for name in names:
        cap = name.upper()
        if cap != "ALL":
            if not cap.startswith("CAP_"):
                cap = "CAP_" + cap
            if cap not in ALL_CAPABILITIES:
                raise InvalidParameter(f"unknown capability: {_go_quote(cap)}")
            if cap not in available:
                raise InvalidParameter(
                    "capability not supported by your kernel or not available "
                    f"in the current environment: {_go_quote(cap)}"
                )
        out.append(cap)
    return out


def tweak_capabilities(
    add: Sequence[str],
    drop: Sequence[str],
    privileged: bool,
    available: Sequence[str] = ALL_CAPABILITIES,
) -> list[str]:
    """Docker's default capabilities adjusted by --cap-add/--cap-drop.

    Errors carry the prefix dockerd adds when it validates at create time
    ('invalid CapAdd: unknown capability: "CAP_FOO"').
    """
    if privileged:
        return list(available)
    if not add and not drop:
        return list(DEFAULT_CAPABILITIES)
    adds = _normalize_field(add, available, "CapAdd")
    drops = _normalize_field(drop, available, "CapDrop")
    if "ALL" in adds:
        caps = [c for c in available if c not in drops]
    elif "ALL" in drops:
        caps = adds
    else:
        caps = [c for c in DEFAULT_CAPABILITIES if c not in drops] + adds
    return list(dict.fromkeys(caps))


def _normalize_field(names: Sequence[str], available: Sequence[str], field: str) -> list[str]:
    try:
        return normalize_capabilities(names, available)
    except InvalidParameter as err:
        raise InvalidParameter(f"invalid {field}: {err}") from None


# --- process ----------------------------------------------------------------

def build_env(spec: ContainerSpec, user: ProcessUser) -> list[str]:
    """PATH and HOSTNAME (and TERM with a tty) first, overridden or extended
    by the container's env; HOME from the user's passwd entry if still unset."""
    base = [f"PATH={DEFAULT_PATH_ENV}", f"HOSTNAME={spec.hostname}"]
    if spec.tty:
        base.append("TERM=xterm")
    env = replace_or_append_env(base, spec.env)
    if not any(e.partition("=")[0] == "HOME" for e in env):
        env.append(f"HOME={user.home or '/'}")
    return env


def replace_or_append_env(defaults: Sequence[str], overrides: Sequence[str]) -> list[str]:
    """dockerd's merge: an override replaces a default with the same key in
    place, or is appended; a bare "KEY" (no "=") removes that default."""
    env = list(defaults)
    index = {e.partition("=")[0]: i for i, e in enumerate(env)}
    removed: set[int] = set()
    for value in overrides:
        key, eq, _ = value.partition("=")
        if not eq:
            if key in index:
                removed.add(index[key])
        elif key in index:
            env[index[key]] = value
            removed.discard(index[key])
        else:
            env.append(value)
    return [e for i, e in enumerate(env) if i not in removed]


def _process(
    spec: ContainerSpec,
    user: ProcessUser,
    host: HostDefaults,
    caps: list[str],
    security: SecurityOptions,
) -> dict:
    args = spec.process_args()
    if not args:
        raise InvalidParameter("No command specified")
    if spec.init:
        args = [INIT_PATH, "--"] + args
    soft, hard = host.rlimit_nofile
    process: dict = {
        "terminal": spec.tty,
        "user": {
            "uid": user.uid,
            "gid": user.gid,
            "additionalGids": list(dict.fromkeys([user.gid, *user.additional_gids])),
        },
        "args": args,
        "env": build_env(spec, user),
        "cwd": spec.working_dir or "/",
        "capabilities": _capabilities(caps, user.uid),
        "rlimits": _rlimits(spec.resources.ulimits, soft, hard),
    }
    if security.no_new_privileges:
        process["noNewPrivileges"] = True
    return process


def _rlimits(ulimits: list[dict], nofile_soft: int, nofile_hard: int) -> list[dict]:
    """--ulimit entries (Docker's names: nofile, nproc, core, ...) over the
    daemon-derived NOFILE default."""
    out = {"RLIMIT_NOFILE": {"type": "RLIMIT_NOFILE", "hard": nofile_hard, "soft": nofile_soft}}
    for u in ulimits:
        name = "RLIMIT_" + str(u.get("Name", "")).upper()
        if name not in _ULIMIT_NAMES:
            raise InvalidParameter(f"invalid ulimit type: {u.get('Name')}")
        out[name] = {"type": name, "hard": int(u.get("Hard", 0)), "soft": int(u.get("Soft", 0))}
    return list(out.values())


_ULIMIT_NAMES = frozenset("RLIMIT_" + n for n in (
    "AS", "CORE", "CPU", "DATA", "FSIZE", "LOCKS", "MEMLOCK", "MSGQUEUE", "NICE", "NOFILE",
    "NPROC", "RSS", "RTPRIO", "RTTIME", "SIGPENDING", "STACK"))


def _capabilities(caps: list[str], uid: int) -> dict:
    # As dockerd: a non-root process starts with empty effective and
    # permitted sets, so only the bounding set limits what it can regain.
    if uid != 0:
        return {"bounding": list(caps)}
    return {"bounding": list(caps), "effective": list(caps), "permitted": list(caps)}


# --- mounts -----------------------------------------------------------------

INIT_PATH = "/sbin/docker-init"


def _mounts(spec: ContainerSpec, paths: BundlePaths, host: HostDefaults) -> list[dict]:
    mounts = [m.to_oci() for m in DEFAULT_MOUNTS]
    if spec.read_only:
        for m in mounts:
            if m["destination"] not in READONLY_ROOT_EXEMPT and "ro" not in m["options"]:
                m["options"].append("ro")
    if spec.privileged:
        for m in mounts:
            if m["destination"] == "/sys" or m["type"] == "cgroup":
                m["options"] = [o for o in m["options"] if o != "ro"]
    for m in mounts:
        if m["destination"] == "/dev/shm":
            m["options"] = [o for o in m["options"] if not o.startswith("size=")] + \
                [f"size={spec.resources.shm_size}"]
    user = [{"destination": dest, "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "nodev", "noexec"] + [o for o in (opts or "").split(",") if o]}
            for dest, opts in sorted(spec.resources.tmpfs.items())]
    user += [user_mounts.to_oci(m) for m in spec.mounts]
    mounts = user_mounts.merge(mounts, _network_file_mounts(paths, writable=not spec.read_only), user)
    if spec.init:
        if not host.init_path:
            raise InvalidParameter("docker-init binary not found: install tini (Debian package tini)")
        mounts.append({"destination": INIT_PATH, "type": "bind", "source": host.init_path,
                       "options": ["bind", "ro", "nosuid", "nodev"]})
    return mounts


def _network_file_mounts(paths: BundlePaths, writable: bool) -> list[dict]:
    files = (
        (paths.resolv_conf, "/etc/resolv.conf"),
        (paths.hostname_file, "/etc/hostname"),
        (paths.hosts_file, "/etc/hosts"),
    )
    options = ["rbind", "rprivate"] if writable else ["rbind", "ro", "rprivate"]
    return [
        {"destination": dest, "type": "bind", "source": src, "options": list(options)}
        for src, dest in files
        if src
    ]


# --- linux ------------------------------------------------------------------

def _linux(
    spec: ContainerSpec,
    host: HostDefaults,
    paths: BundlePaths,
    facts: HostFacts,
    caps: list[str],
    security: SecurityOptions,
) -> dict:
    linux: dict = {
        "namespaces": _namespaces(spec.network_mode, paths.netns_path),
        "cgroupsPath": f"{paths.cgroup_parent.rstrip('/')}/{paths.container_id}",
    }
    propagation = user_mounts.rootfs_propagation(spec.mounts)
    if propagation:
        linux["rootfsPropagation"] = propagation
    if _creates_netns(spec.network_mode):
        linux["sysctl"] = dict(NETNS_SYSCTLS)
    if spec.resources.sysctls:
        linux["sysctl"] = {**linux.get("sysctl", {}), **spec.resources.sysctls}
    if spec.privileged:
        linux["devices"] = [dict(d) for d in facts.devices]
        linux["resources"] = {"devices": [r.to_oci() for r in PRIVILEGED_DEVICE_RULES]}
    else:
        linux["resources"] = {"devices": [r.to_oci() for r in DEFAULT_DEVICE_RULES]}
        linux["maskedPaths"] = list(MASKED_PATHS)
        linux["readonlyPaths"] = list(READONLY_PATHS)
    linux["resources"].update(resource_limits(spec.resources))
    for d in spec.resources.device_nodes:       # --device
        linux.setdefault("devices", []).append(
            {"path": d["path"], "type": d["type"], "major": d["major"], "minor": d["minor"],
             "fileMode": d["fileMode"], "uid": 0, "gid": 0})
        linux["resources"]["devices"].append(
            {"allow": True, "type": d["type"], "major": d["major"], "minor": d["minor"],
             "access": d["permissions"]})
    profile = _seccomp(spec, host, facts, caps, security)
    if profile is not None:
        linux["seccomp"] = profile
    return linux


def resource_limits(r) -> dict:
    """linux.resources memory/cpu/pids from the container's limits (pure)."""
    out: dict = {}
    memory: dict = {}
    if r.memory:
        memory["limit"] = r.memory
        memory["swap"] = r.memory_swap if r.memory_swap else 2 * r.memory
    if r.memory_reservation:
        memory["reservation"] = r.memory_reservation
    if r.oom_kill_disable:
        memory["disableOOMKiller"] = True
    if memory:
        out["memory"] = memory
    cpu: dict = {}
    if r.cpu_shares:
        cpu["shares"] = r.cpu_shares
    if r.nano_cpus:
        cpu["period"] = 100000                        # Docker's: 100 ms, quota from --cpus
        cpu["quota"] = r.nano_cpus * 100000 // 1_000_000_000
    elif r.cpu_quota or r.cpu_period:
        if r.cpu_period:
            cpu["period"] = r.cpu_period
        if r.cpu_quota:
            cpu["quota"] = r.cpu_quota
    if r.cpuset_cpus:
        cpu["cpus"] = r.cpuset_cpus
    if r.cpuset_mems:
        cpu["mems"] = r.cpuset_mems
    if cpu:
        out["cpu"] = cpu
    if r.pids_limit > 0:
        out["pids"] = {"limit": r.pids_limit}
    return out


def _creates_netns(network_mode: str) -> bool:
    """Docker's NetworkMode.IsPrivate: the container has a network namespace
    of its own (bridge, user networks, none), so its sysctls are ours to set."""
    return network_mode != "host" and not network_mode.startswith("container:")


def _namespaces(network_mode: str, netns_path: str | None) -> list[dict]:
    if network_mode.startswith("container:") and not netns_path:
        raise InvalidParameter(
            f"network mode {network_mode!r} needs the network namespace of that container"
        )
    out = []
    for kind in NAMESPACES:
        if kind == "network":
            if network_mode == "host":
                continue
            if netns_path:
                out.append({"type": kind, "path": netns_path})
                continue
        out.append({"type": kind})
    return out


def _seccomp(
    spec: ContainerSpec,
    host: HostDefaults,
    facts: HostFacts,
    caps: list[str],
    security: SecurityOptions,
) -> dict | None:
    if spec.privileged or security.seccomp == SECCOMP_UNCONFINED:
        return None
    profile = host.seccomp_profile
    if security.seccomp not in (None, "", SECCOMP_BUILTIN):
        try:
            profile = json.loads(security.seccomp)
        except ValueError as err:
            raise InvalidParameter(f"Decoding seccomp profile failed: {err}") from None
        if not isinstance(profile, dict):
            raise InvalidParameter("Decoding seccomp profile failed: not a JSON object")
    if profile is None:
        return None
    return seccomp.translate(profile, caps, host.arch, facts.kernel_release)


def _go_quote(s: str) -> str:
    """Go's %q for the plain strings that appear in these messages."""
    return json.dumps(s, ensure_ascii=False)


# --- host probing (the only I/O in this module) -----------------------------

def probe_host_facts(dev_root: str = "/dev") -> HostFacts:
    """Read the running host: kernel release, the daemon's own capabilities
    and the device nodes under /dev."""
    with open("/proc/self/status", encoding="ascii") as f:
        status = f.read()
    return HostFacts(
        kernel_release=os.uname().release,
        capabilities=capabilities_from_status(status),
        devices=tuple(host_devices(dev_root)),
    )


def capabilities_from_status(status: str) -> tuple[str, ...]:
    """Capability names of the CapEff mask in a /proc/<pid>/status text."""
    for line in status.splitlines():
        if line.startswith("CapEff:"):
            mask = int(line.split(":", 1)[1].strip(), 16)
            return tuple(c for bit, c in enumerate(ALL_CAPABILITIES) if mask >> bit & 1)
    return ALL_CAPABILITIES


def host_devices(dev_root: str = "/dev") -> list[dict]:
    """Char and block device nodes under `dev_root` as OCI linux.devices
    entries, skipping what runc's HostDevices skips."""
    found = []
    for dirpath, dirnames, filenames in os.walk(dev_root):
        dirnames[:] = sorted(d for d in dirnames if d not in HOST_DEVICE_SKIP_DIRS)
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if path in HOST_DEVICE_SKIP_FILES:
                continue
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                found.append({
                    "path": path,
                    "type": "c" if stat.S_ISCHR(st.st_mode) else "b",
                    "major": os.major(st.st_rdev),
                    "minor": os.minor(st.st_rdev),
                    "fileMode": stat.S_IMODE(st.st_mode),
                    "uid": st.st_uid,
                    "gid": st.st_gid,
                })
    return found
