"""The local volume driver: `volumes/<name>/_data` plus `volumes/<name>/meta.json`.

A volume appears whole or not at all: it is made in `volumes/.tmp-*` and
renamed into place. Volumes with `type/device/o` options are mounted on
their `_data` while a container uses them, as Docker's local driver does.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field

from barge.errdefs import Conflict, InvalidParameter, NotFound, NotImplementedErr, System
from barge.spec import clock
from barge.spec.mounts import DEFAULT_DRIVER, validate_name
from barge.sys import mount as sysmount
from barge.util.atomic import fsync_dir, write_json

VALID_OPTS = ("type", "device", "o", "size")
_REQUIRED = {"device": ("type",), "type": ("device",), "o": ("device",)}


@dataclass
class Volume:
    name: str
    path: str                                  # volumes/<name>
    created_at: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)

    @property
    def mountpoint(self) -> str:
        return os.path.join(self.path, "_data")

    def to_api(self) -> dict:
        return {"CreatedAt": self.created_at, "Driver": DEFAULT_DRIVER, "Labels": self.labels or None,
                "Mountpoint": self.mountpoint, "Name": self.name, "Options": self.options or None,
                "Scope": "local"}


def validate_opts(name: str, opts: dict[str, str]) -> None:
    for key in opts:
        if key not in VALID_OPTS:
            raise InvalidParameter(f'create {name}: invalid option: "{key}"')
    for key in sorted(opts):
        for req in _REQUIRED.get(key, ()):
            if req not in opts:
                raise InvalidParameter(f'create {name}: missing required option: "{req}"')
    if "size" in opts:
        raise NotImplementedErr(f"create {name}: quota size requested but no quota support")


class LocalDriver:
    def __init__(self, root: str) -> None:
        self.root = root
        os.makedirs(root, mode=0o701, exist_ok=True)

    def _dir(self, name: str) -> str:
        return os.path.join(self.root, name)

    def recover(self) -> None:
        """Drop volumes whose creation a crash cut short."""
        for entry in os.listdir(self.root):
            if entry.startswith(".tmp-"):
                shutil.rmtree(os.path.join(self.root, entry), ignore_errors=True)

    def get(self, name: str) -> Volume:
        meta = os.path.join(self._dir(name), "meta.json")
        if not name or "/" in name or name.startswith(".") or not os.path.exists(meta):
            raise NotFound(f"get {name}: no such volume")
        try:
            with open(meta) as f:
                d = json.load(f)
        except (OSError, ValueError) as e:
            raise System(f"get {name}: {e}") from None
        return Volume(name=name, path=self._dir(name), created_at=d.get("CreatedAt", ""),
                      labels=d.get("Labels") or {}, options=d.get("Options") or {})

    def exists(self, name: str) -> bool:
        return os.path.exists(os.path.join(self._dir(name), "meta.json"))

    def list(self) -> list[Volume]:
        out = []
        for name in sorted(os.listdir(self.root)):
            if not name.startswith(".") and self.exists(name):
                try:
                    out.append(self.get(name))
                except (NotFound, System):
                    continue
        return out

    def create(self, name: str, opts: dict[str, str], labels: dict[str, str]) -> Volume:
        """Create, or return the volume of that name if it exists (Docker's rule)."""
        validate_name(name)
        if self.exists(name):
            return self.get(name)
        validate_opts(name, opts)
        tmp = tempfile.mkdtemp(prefix=".tmp-", dir=self.root)
        try:
            os.chmod(tmp, 0o755)
            os.mkdir(os.path.join(tmp, "_data"), 0o755)
            os.chmod(os.path.join(tmp, "_data"), 0o755)   # whatever the umask
            write_json(os.path.join(tmp, "meta.json"), {
                "CreatedAt": clock.rfc3339_seconds(), "Labels": labels, "Options": opts}, 0o600)
            os.rename(tmp, self._dir(name))
        except FileExistsError:
            shutil.rmtree(tmp, ignore_errors=True)
            return self.get(name)
        except OSError as e:
            shutil.rmtree(tmp, ignore_errors=True)
            if os.path.isdir(self._dir(name)) and not self.exists(name):
                raise Conflict(f"create {name}: a directory of that name is in the way") from None
            raise System(f"create {name}: {e.strerror}") from None
        fsync_dir(self.root)
        return self.get(name)

    def remove(self, v: Volume) -> None:
        """Unmount, then rename away before deleting, so a crash never leaves half a volume named."""
        self.unmount(v)
        trash = tempfile.mkdtemp(prefix=".tmp-rm-", dir=self.root)
        os.rename(v.path, os.path.join(trash, "v"))
        fsync_dir(self.root)
        shutil.rmtree(trash, ignore_errors=True)

    def needs_mount(self, v: Volume) -> bool:
        return bool(v.options.get("type") or v.options.get("device"))

    def mount(self, v: Volume) -> None:
        if not self.needs_mount(v) or sysmount.is_mounted(v.mountpoint):
            return
        flags, data = sysmount.parse_options(v.options.get("o", ""))
        device = v.options.get("device", "")
        try:
            sysmount.mount(device, v.mountpoint, v.options.get("type", ""), flags, data)
        except System as e:
            reason = str(e).rsplit(": ", 1)[-1].lower()
            raise System(f"error while mounting volume '{v.mountpoint}': failed to mount local volume: "
                         f"mount {device}:{v.mountpoint}, flags: {flags:#x}: {reason}") from None

    def unmount(self, v: Volume) -> None:
        if self.needs_mount(v):
            sysmount.unmount(v.mountpoint)

    def size(self, v: Volume) -> int:
        total = 0
        for dirpath, dirs, files in os.walk(v.mountpoint):
            for n in dirs + files:
                try:
                    st = os.lstat(os.path.join(dirpath, n))
                except OSError:
                    continue
                if not os.path.isdir(os.path.join(dirpath, n)) or os.path.islink(os.path.join(dirpath, n)):
                    total += st.st_size
        return total
