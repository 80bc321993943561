"""Rows for `docker volume ls` and the volumes of `system df -v`: Docker's
formatter.volumeContext (fields `{{.Name}}`, `{{.Driver}}`, `{{.Links}}`, ...),
and the natural name order `volume ls` sorts by."""
from __future__ import annotations

import re

from barge.cli.rows import _Row

VOLUME_TABLE = "table {{.Driver}}\t{{.Name}}"
VOLUME_RAW = "name: {{.Name}}\ndriver: {{.Driver}}\n"
VOLUME_QUIET = "{{.Name}}"
DF_VOLUME_TABLE = "table {{.Name}}\t{{.Links}}\t{{.Size}}"
VOLUME_HEADERS = {
    "ID": "ID", "Name": "VOLUME NAME", "Group": "GROUP", "Driver": "DRIVER", "Scope": "SCOPE",
    "Availability": "AVAILABILITY", "Mountpoint": "MOUNTPOINT", "Labels": "LABELS", "Links": "LINKS",
    "Size": "SIZE", "Status": "STATUS",
}
_RUNS = re.compile(rb"[0-9]+|[^0-9]")


def volume_format(fmt: str, quiet: bool) -> str:
    """Docker's NewVolumeFormat: `-q` only overrides "table" and "raw"."""
    if fmt in ("", "table"):
        return VOLUME_QUIET if quiet else VOLUME_TABLE
    if fmt == "raw":
        return "name: {{.Name}}" if quiet else VOLUME_RAW
    return fmt


def natural_key(name: str) -> list:
    """A sort key for fvbommel/sortorder's NaturalLess: bytewise, but runs of
    digits compare as numbers (fewer leading zeros first) and before other bytes."""
    key: list = []
    for run in _RUNS.findall(name.encode("utf-8", "surrogateescape")):
        if 48 <= run[0] <= 57:
            digits = run.lstrip(b"0")
            key.append((0, len(digits), digits, len(run) - len(digits)))
        else:
            key.append((1, run[0]))
    return key


class VolumeRow(_Row):
    """One volume (GET /volumes or /system/df item) as Docker's volumeContext shows it."""

    __slots__ = ("_v",)
    __go_type__ = "*formatter.volumeContext"
    _JSON_FIELDS = ("Availability", "Driver", "Group", "Labels", "Links", "Mountpoint", "Name",
                    "Scope", "Size", "Status")

    def __init__(self, volume: dict) -> None:
        self._v = volume

    @property
    def Name(self) -> str:  # noqa: N802 - Go template field names
        return self._v.get("Name") or ""

    @property
    def Driver(self) -> str:  # noqa: N802
        return self._v.get("Driver") or ""

    @property
    def Scope(self) -> str:  # noqa: N802
        return self._v.get("Scope") or ""

    @property
    def Mountpoint(self) -> str:  # noqa: N802
        return self._v.get("Mountpoint") or ""

    @property
    def Labels(self) -> str:  # noqa: N802
        labels = self._v.get("Labels") or {}
        return ",".join(sorted(f"{k}={v}" for k, v in labels.items()))

    def Label(self, name: str) -> str:  # noqa: N802
        return (self._v.get("Labels") or {}).get(name, "")

    @property
    def Links(self) -> str:  # noqa: N802
        usage = self._v.get("UsageData")
        return "N/A" if usage is None else str(usage.get("RefCount", 0))

    @property
    def Size(self) -> str:  # noqa: N802
        from barge.spec.units import human_size
        usage = self._v.get("UsageData")
        return "N/A" if usage is None else human_size(usage.get("Size", 0), 4)

    def _cluster_spec(self) -> dict | None:
        cluster = self._v.get("ClusterVolume")
        return None if cluster is None else (cluster.get("Spec") or {})

    @property
    def Group(self) -> str:  # noqa: N802
        spec = self._cluster_spec()
        return "N/A" if spec is None else spec.get("Group") or ""

    @property
    def Availability(self) -> str:  # noqa: N802
        spec = self._cluster_spec()
        return "N/A" if spec is None else spec.get("Availability") or ""

    @property
    def Status(self) -> str:  # noqa: N802
        cluster = self._v.get("ClusterVolume")
        if cluster is None:
            return "N/A"
        if not (cluster.get("Info") or {}).get("VolumeID"):
            return "pending creation"
        nodes = len(cluster.get("PublishStatus") or ())
        return {0: "created", 1: "in use (1 node)"}.get(nodes, f"in use ({nodes} nodes)")
