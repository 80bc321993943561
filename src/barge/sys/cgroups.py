"""A container's cgroup on this host: cgroups v1, v2 or the v1/v2 hybrid
(v2 mounted at /sys/fs/cgroup/unified)."""
from __future__ import annotations

import os

CGROUP_ROOT = "/sys/fs/cgroup"
# v1 controllers that list the processes of the cgroup, in order of preference
V1_CONTROLLERS = ("pids", "freezer", "memory", "cpu,cpuacct", "cpu", "devices")


def cgroup_paths(pid: int, proc: str = "/proc") -> dict[str, str]:
    """/proc/<pid>/cgroup as {controller or "" for v2: path}."""
    out: dict[str, str] = {}
    try:
        with open(os.path.join(proc, str(pid), "cgroup")) as f:
            for line in f:
                parts = line.rstrip("\n").split(":", 2)
                if len(parts) != 3:
                    continue
                _, controllers, path = parts
                if not controllers:
                    out[""] = path
                for ctl in controllers.split(","):
                    out[ctl] = path
                out.setdefault(controllers, path)
    except OSError:
        pass
    return out


def procs_files(cgroups_path: str, root: str = CGROUP_ROOT) -> list[str]:
    """Where the pids of a cgroup (runc's `cgroupsPath`, e.g. /barge/<id>) may be listed."""
    rel = cgroups_path.strip("/")
    files = [os.path.join(root, ctl, rel, "cgroup.procs") for ctl in V1_CONTROLLERS]
    files.append(os.path.join(root, "unified", rel, "cgroup.procs"))   # hybrid
    files.append(os.path.join(root, rel, "cgroup.procs"))              # pure v2
    return files


def _read_pids(path: str) -> list[int] | None:
    try:
        with open(path) as f:
            return [int(x) for x in f.read().split()]
    except (OSError, ValueError):
        return None


def container_pids(cgroups_path: str, init_pid: int = 0, root: str = CGROUP_ROOT,
                   proc: str = "/proc") -> list[int]:
    """The pids in a container's cgroup. Its init process's /proc/<pid>/cgroup
    says where runc put it; `cgroups_path` is the fallback."""
    candidates: list[str] = []
    if init_pid > 0:
        paths = cgroup_paths(init_pid, proc)
        for ctl in V1_CONTROLLERS:
            if ctl in paths:
                candidates.append(os.path.join(root, ctl, paths[ctl].lstrip("/"), "cgroup.procs"))
        if "" in paths:
            candidates.append(os.path.join(root, "unified", paths[""].lstrip("/"), "cgroup.procs"))
            candidates.append(os.path.join(root, paths[""].lstrip("/"), "cgroup.procs"))
    candidates += procs_files(cgroups_path, root)
    for path in candidates:
        pids = _read_pids(path)
        if pids and (init_pid <= 0 or init_pid in pids):
            return sorted(set(pids))
    return [init_pid] if init_pid > 0 else []
