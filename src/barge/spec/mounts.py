"""Mount points: `-v` strings and API `Mount` objects -> `MountPoint`, with
Docker's validation and wording (moby volume/mounts/linux_parser.go). Pure.

The daemon resolves a volume mount point's `source` (the volume's `_data`)
when it creates or finds the volume; everything else is decided here.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import asdict, dataclass, field

from barge.errdefs import InvalidParameter

DEFAULT_DRIVER = "local"
ANONYMOUS_LABEL = "com.docker.volume.anonymous"
PROPAGATIONS = ("private", "rprivate", "shared", "rshared", "slave", "rslave")
_CONSISTENCY = ("consistent", "cached", "delegated", "default")
_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
_TYPES = ("bind", "volume", "tmpfs")


@dataclass
class MountPoint:
    type: str                          # bind | volume | tmpfs
    destination: str
    source: str = ""                   # host path; a volume's _data once resolved
    name: str = ""                     # volume name
    driver: str = ""
    mode: str = ""                     # as given after the second colon of -v
    rw: bool = True
    propagation: str = ""
    copy_data: bool = False            # copy the image's content into an empty volume
    anonymous: bool = False
    create_source: bool = False        # -v creates a missing host directory; --mount does not
    nonrecursive: bool = False
    volume_opts: dict[str, str] = field(default_factory=dict)
    volume_labels: dict[str, str] = field(default_factory=dict)
    tmpfs_options: str = ""            # "size=64m,mode=1777"
    implicit: bool = False             # from the image's or Config's VOLUME, not asked by -v/--mount

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "MountPoint":
        return cls(**d)

    def inspect(self) -> dict:
        """The container's `Mounts` entry, as Docker shows it."""
        out = {"Type": self.type}
        if self.type == "volume":
            out["Name"] = self.name
        out.update({"Source": self.source, "Destination": self.destination})
        if self.type == "volume":
            out["Driver"] = self.driver
        out.update({"Mode": self.mode, "RW": self.rw, "Propagation": self.propagation})
        return out


def _spec_error(raw: str, err: str | None = None) -> InvalidParameter:
    msg = f"invalid volume specification: '{raw}'"
    return InvalidParameter(f"{msg}: {err}" if err else msg)


def _config_error(mtype: str, err: str) -> InvalidParameter:
    return InvalidParameter(f'invalid mount config for type "{mtype}": {err}')


def valid_mode(mode: str) -> bool:
    """Docker's ValidMountMode: at most one of each kind of option."""
    if not mode:
        return True
    counts = {"rw": 0, "label": 0, "prop": 0, "copy": 0, "consistency": 0}
    for o in mode.split(","):
        kind = ("rw" if o in ("rw", "ro") else "label" if o in ("z", "Z") else
                "prop" if o in PROPAGATIONS else "copy" if o == "nocopy" else
                "consistency" if o in _CONSISTENCY else None)
        if kind is None:
            return False
        counts[kind] += 1
    return all(n <= 1 for n in counts.values())


def _check_target(mtype: str, target: str) -> None:
    if not target:
        raise _config_error(mtype, "field Target must not be empty")
    if target == "/":
        raise _config_error(mtype, "invalid specification: destination can't be '/'")
    if not target.startswith("/"):
        raise _config_error(mtype, f"invalid mount path: '{target}' mount path must be absolute")


def parse_bind(raw: str, volume_driver: str = "") -> MountPoint:
    """One `HostConfig.Binds` entry (`src:dst[:mode]`, `name:dst`, `dst`)."""
    arr = raw.split(":", 3)
    if not arr[0]:
        raise _spec_error(raw)
    source, mode = "", ""
    if len(arr) == 1:
        target = arr[0]
    elif len(arr) == 2:
        if valid_mode(arr[1]):
            raise _spec_error(raw)        # `/foo:rw`: a volume cannot have only a mode
        source, target = arr
    elif len(arr) == 3:
        source, target, mode = arr
    else:
        raise _spec_error(raw)
    if not valid_mode(mode):
        raise InvalidParameter(f"invalid mode: {mode}")
    opts = mode.split(",") if mode else []
    m: dict = {"Type": "bind" if source.startswith("/") else "volume", "Source": source,
               "Target": target, "ReadOnly": "ro" in opts}
    if volume_driver and m["Type"] == "volume":
        m["VolumeOptions"] = {"DriverConfig": {"Name": volume_driver}}
    if "nocopy" in opts:
        m.setdefault("VolumeOptions", {})["NoCopy"] = True
    prop = [o for o in opts if o in PROPAGATIONS]
    if prop:
        m["BindOptions"] = {"Propagation": prop[0]}
    try:
        mp = _from_spec(m)
    except InvalidParameter as e:
        raise _spec_error(raw, str(e)) from None
    mp.mode = mode
    mp.create_source = mp.type == "bind"
    return mp


def parse_mount(m) -> MountPoint:
    """One `HostConfig.Mounts` entry; the bind source must exist (checked by the caller)."""
    if not isinstance(m, dict):
        raise InvalidParameter("json: cannot unmarshal value into Go struct field HostConfig.Mounts of type mount.Mount")
    mp = _from_spec(m)
    if mp.type == "bind" and (m.get("BindOptions") or {}).get("CreateMountpoint"):
        mp.create_source = True
    return mp


def _check_extra(m: dict, mtype: str, fields: tuple[str, ...]) -> None:
    for f in fields:
        if m.get(f) is not None:
            raise _config_error(mtype, f"field {f} must not be specified")


def _from_spec(m: dict) -> MountPoint:
    mtype = m.get("Type") or ""
    target = m.get("Target") or ""
    _check_target(mtype, target)
    source = m.get("Source") or ""
    read_only = bool(m.get("ReadOnly"))
    dest = posixpath.normpath(target)
    if mtype == "bind":
        return _bind(m, source, dest, read_only)
    if mtype == "volume":
        _check_extra(m, mtype, ("BindOptions", "TmpfsOptions"))
        vo = m.get("VolumeOptions") or {}
        if read_only and not source:
            raise _config_error(mtype, "must not set ReadOnly mode when using anonymous volumes")
        if vo.get("Subpath"):
            raise _config_error(mtype, "volume subpaths are not supported")
        drv = vo.get("DriverConfig") or {}
        return MountPoint(type="volume", destination=dest, name=source, anonymous=not source,
                          driver=drv.get("Name") or DEFAULT_DRIVER, rw=not read_only,
                          copy_data=not vo.get("NoCopy"), volume_opts=dict(drv.get("Options") or {}),
                          volume_labels=dict(vo.get("Labels") or {}))
    if mtype == "tmpfs":
        _check_extra(m, mtype, ("BindOptions", "VolumeOptions"))
        if source:
            raise _config_error(mtype, "field Source must not be specified")
        opts = tmpfs_options(m.get("TmpfsOptions") or {}, read_only)
        return MountPoint(type="tmpfs", destination=dest, rw=not read_only, tmpfs_options=opts)
    raise _config_error(mtype, "mount type unknown")


def _bind(m: dict, source: str, dest: str, read_only: bool) -> MountPoint:
    if not source:
        raise _config_error("bind", "field Source must not be empty")
    bo = m.get("BindOptions") or {}
    prop = bo.get("Propagation") or ""
    if prop and prop not in PROPAGATIONS:
        raise _config_error("bind", f"invalid propagation mode: {prop}")
    _check_extra(m, "bind", ("VolumeOptions", "TmpfsOptions"))
    if not source.startswith("/"):
        raise _config_error("bind", f"invalid mount path: '{source}' mount path must be absolute")
    return MountPoint(type="bind", destination=dest, source=posixpath.normpath(source), rw=not read_only,
                      propagation=prop or "rprivate", nonrecursive=bool(bo.get("NonRecursive")))


def tmpfs_options(opt: dict, read_only: bool) -> str:
    """TmpfsOptions -> mount data, sizes with the largest suffix that divides them."""
    out = ["ro"] if read_only else []
    mode = opt.get("Mode") or 0
    if mode:
        out.append(f"mode={int(mode):o}")
    size = int(opt.get("SizeBytes") or 0)
    if size < 0:
        raise _config_error("tmpfs", f"invalid tmpfs size: {size}")
    if size:
        for suffix, div in (("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10)):
            if size % div == 0:
                out.append(f"size={size // div}{suffix}")
                break
        else:
            out.append(f"size={size}")
    return ",".join(out)


def validate_name(name: str) -> None:
    """The local driver's rule for volume names, in Docker's words."""
    if len(name) == 1:
        raise InvalidParameter(f"create {name}: volume name is too short, names should be at least two "
                               "alphanumeric characters")
    if not _NAME_RE.match(name) or name in (".", ".."):
        raise InvalidParameter(
            f'create {name}: "{name}" includes invalid characters for a local volume name, only '
            '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path')


def parse_volumes_from(spec: str) -> tuple[str, str]:
    """`container[:ro|:rw]` -> (container, mode)."""
    ref, _, mode = spec.partition(":")
    if not ref:
        raise InvalidParameter(f"malformed volumes-from specification: {spec}")
    if mode and mode not in ("ro", "rw"):
        for o in mode.split(","):
            if o not in ("ro", "rw", "z", "Z", "nocopy") and o not in PROPAGATIONS:
                raise InvalidParameter(f"invalid mode: {mode}")
    return ref, mode


def inherit(mp: MountPoint, mode: str) -> MountPoint:
    """A copy of another container's mount point for `--volumes-from c:mode`."""
    out = MountPoint.from_dict(mp.to_dict())
    opts = mode.split(",") if mode else []
    out.rw = mp.rw and "ro" not in opts
    out.mode = mode or mp.mode
    out.copy_data = False
    out.create_source = False
    return out


def plan(config: dict, host_config: dict) -> list[MountPoint]:
    """The mount points a create body asks for, in Docker's precedence:
    Binds and Mounts (no duplicates among them or with Tmpfs), then the
    image's and Config's VOLUMEs not already covered (anonymous volumes).
    `--volumes-from` is added by the daemon, which knows the other container."""
    taken: dict[str, MountPoint] = {}
    tmpfs = host_config.get("Tmpfs") or {}
    driver = host_config.get("VolumeDriver") or ""
    entries = [parse_bind(b, driver) for b in _strings(host_config.get("Binds"), "Binds")]
    entries += [parse_mount(m) for m in host_config.get("Mounts") or []]
    for mp in entries:
        if mp.destination in taken or mp.destination in tmpfs:
            raise InvalidParameter(f"Duplicate mount point: {mp.destination}")
        if mp.type == "volume" and mp.driver == DEFAULT_DRIVER and not mp.mode:
            mp.mode = "z"
        taken[mp.destination] = mp
    for dest in sorted((config.get("Volumes") or {})):
        d = posixpath.normpath(dest)
        if d in taken or d in tmpfs:
            continue
        _check_target("volume", d)
        taken[d] = MountPoint(type="volume", destination=d, driver=driver or DEFAULT_DRIVER,
                              anonymous=True, copy_data=True, implicit=True)
    return list(taken.values())


def _strings(v, what: str) -> list[str]:
    if v is None:
        return []
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise InvalidParameter(f"json: cannot unmarshal value into Go struct field HostConfig.{what} of type []string")
    return v


def merge_volumes_from(planned: list[MountPoint], inherited: list[MountPoint]) -> list[MountPoint]:
    """Binds and Mounts win over `--volumes-from`, which wins over VOLUMEs."""
    explicit = {m.destination for m in planned if not m.implicit}
    out = {m.destination: m for m in inherited if m.destination not in explicit}
    for m in planned:
        if m.destination not in out:
            out[m.destination] = m
    return list(out.values())
