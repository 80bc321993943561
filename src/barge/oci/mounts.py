"""A container's own mounts (binds, volumes, tmpfs) -> OCI mounts, merged
over the default ones as dockerd does (daemon/oci_linux.go WithMounts). Pure."""
from __future__ import annotations

from barge.spec.mounts import MountPoint

_TMPFS_BASE = ["noexec", "nosuid", "nodev"]


def to_oci(mp: MountPoint) -> dict:
    if mp.type == "tmpfs":
        extra = [o for o in mp.tmpfs_options.split(",") if o]
        return {"destination": mp.destination, "type": "tmpfs", "source": "tmpfs",
                "options": _TMPFS_BASE + ["rprivate"] + extra}
    opts = ["bind" if mp.nonrecursive else "rbind"]
    if not mp.rw:
        opts.append("ro")
    if mp.propagation:
        opts.append(mp.propagation)
    return {"destination": mp.destination, "type": "bind", "source": mp.source, "options": opts}


def depth(dest: str) -> int:
    return len([p for p in dest.split("/") if p])


def merge(defaults: list[dict], network_files: list[dict], user: list[dict]) -> list[dict]:
    """Defaults the user's mounts cover are dropped (all of /dev/* when /dev is
    mounted), as are network files the user mounts; then the user's and the
    network files, parents before children (a volume on /etc gets /etc/hosts)."""
    taken = {m["destination"] for m in user}
    keep = [m for m in defaults if m["destination"] not in taken
            and not ("/dev" in taken and m["destination"].startswith("/dev/"))]
    rest = user + [m for m in network_files if m["destination"] not in taken]
    return keep + sorted(rest, key=lambda m: depth(m["destination"]))


def rootfs_propagation(mps: list[MountPoint]) -> str | None:
    """A shared bind needs a shared root; a slave bind at least a slave root."""
    props = {m.propagation for m in mps if m.type == "bind"}
    if props & {"shared", "rshared"}:
        return "rshared"
    if props & {"slave", "rslave"}:
        return "rslave"
    return None
