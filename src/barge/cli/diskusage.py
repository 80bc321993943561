"""`system df` rows, computed from GET /system/df as Docker's CLI computes them."""
from __future__ import annotations

import time

from barge.cli import format as fmt
from barge.cli import rows
from barge.spec.units import human_size

SUMMARY_TABLE = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
SUMMARY_HEADERS = {"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE",
                   "Reclaimable": "RECLAIMABLE"}


class UsageRow:
    """One summary line; with `pct`, Docker adds the reclaimable share when the size is not 0."""

    def __init__(self, typ: str, total: int, active: int, size: int, reclaimable: int, pct: bool) -> None:
        self.Type, self.TotalCount, self.Active = typ, str(total), str(active)
        self.Size = human_size(size, 4)
        self.Reclaimable = human_size(reclaimable, 4)
        if pct and size > 0:
            share = abs(reclaimable) * 100 // size        # Go's integer division truncates
            self.Reclaimable += f" ({share if reclaimable >= 0 else -share}%)"

    def __json__(self) -> dict:
        return {"Active": self.Active, "Reclaimable": self.Reclaimable, "Size": self.Size,
                "TotalCount": self.TotalCount, "Type": self.Type}


def summary_rows(du: dict) -> list[UsageRow]:
    imgs, cs = du.get("Images") or [], du.get("Containers") or []
    total = du.get("LayersSize") or 0
    used = sum(i["Size"] - i["SharedSize"] for i in imgs
               if i.get("Containers") and i.get("Size", -1) != -1 and i.get("SharedSize", -1) != -1)
    c_size = sum(c.get("SizeRw") or 0 for c in cs)
    c_reclaim = sum(c.get("SizeRw") or 0 for c in cs if c.get("State") != "running")
    return [
        UsageRow("Images", len(imgs), sum(1 for i in imgs if i.get("Containers")), total, total - used, True),
        UsageRow("Containers", len(cs), sum(1 for c in cs if c.get("State") == "running"), c_size, c_reclaim,
                 True),
        volume_row(du.get("Volumes") or []),
        UsageRow("Build Cache", 0, 0, 0, 0, False),
    ]


def volume_row(volumes: list[dict]) -> UsageRow:
    """Local Volumes: active = in use by a container; a size of -1 (unknown) counts as 0."""
    usage = [v.get("UsageData") or {} for v in volumes]
    known = [(u.get("Size", 0), u.get("RefCount", 0)) for u in usage if u.get("Size", 0) != -1]
    active = sum(1 for u in usage if u.get("RefCount", 0) > 0)
    return UsageRow("Local Volumes", len(volumes), active, sum(size for size, _ in known),
                    sum(size for size, refs in known if refs == 0), True)


def verbose(du: dict) -> str:
    now = time.time()
    out = ["Images space usage:\n\n"]
    image_lines = [["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE", "CONTAINERS"]]
    for r in rows.image_rows(du.get("Images") or [], now=now):
        s = r._i
        shared = s.get("SharedSize", 0)
        image_lines.append([r.Repository, r.Tag, r.ID, r.CreatedSince, r.Size, human_size(shared, 4),
                            human_size(s.get("Size", 0) - shared, 4), str(s.get("Containers", 0))])
    out.append(fmt.tabwrite(image_lines) + "\n")
    out.append("Containers space usage:\n\n")
    c_lines = [["CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED", "STATUS", "NAMES"]]
    for c in du.get("Containers") or []:
        r = rows.ContainerRow(c, trunc=True, now=now)
        c_lines.append([r.ID, r.Image, r.Command, r.LocalVolumes, human_size(c.get("SizeRw") or 0), r.RunningFor,
                        r.Status, r.Names])
    out.append(fmt.tabwrite(c_lines) + "\n")
    out.append("Local Volumes space usage:\n\n")
    from barge.cli.volumerows import DF_VOLUME_TABLE, VOLUME_HEADERS, VolumeRow
    vrows = [VolumeRow(v) for v in du.get("Volumes") or []]
    out.append(fmt.render(vrows, DF_VOLUME_TABLE, "", VOLUME_HEADERS) + "\n")
    out.append("Build cache usage: 0B\n\n")
    out.append(fmt.tabwrite([["CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "LAST USED", "USAGE", "SHARED"]]))
    return "".join(out)
