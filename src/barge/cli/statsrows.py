"""`docker stats` rows: a StatsJSON -> the numbers the Docker CLI computes
(cli/command/container/stats_helpers.go) and the strings it prints
(formatter_stats.go). Pure."""
from __future__ import annotations

from collections.abc import Mapping

from barge.cli.rows import truncate_id

STATS_TABLE = ("table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}"
               "\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}")
STATS_HEADERS: Mapping[str, str] = {
    "Container": "CONTAINER", "ID": "CONTAINER ID", "Name": "NAME", "CPUPerc": "CPU %",
    "MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %", "NetIO": "NET I/O",
    "BlockIO": "BLOCK I/O", "PIDs": "PIDS",
}


def cpu_percent(v: dict) -> float:
    """calculateCPUPercentUnix: the container's share of the host's CPU time
    between precpu_stats and cpu_stats, times the online CPUs."""
    cpu = v.get("cpu_stats") or {}
    pre = v.get("precpu_stats") or {}
    cpu_delta = float((cpu.get("cpu_usage") or {}).get("total_usage", 0)) - float(
        (pre.get("cpu_usage") or {}).get("total_usage", 0))
    system_delta = float(cpu.get("system_cpu_usage", 0)) - float(pre.get("system_cpu_usage", 0))
    online = float(cpu.get("online_cpus", 0)) or float(
        len((cpu.get("cpu_usage") or {}).get("percpu_usage") or []))
    if system_delta > 0.0 and cpu_delta > 0.0:
        return cpu_delta / system_delta * online * 100.0
    return 0.0


def mem_usage_no_cache(mem: dict) -> float:
    """calculateMemUsageUnixNoCache: usage minus inactive file pages
    (v1 total_inactive_file, v2 inactive_file)."""
    usage = mem.get("usage", 0) or 0
    stats = mem.get("stats") or {}
    if "total_inactive_file" in stats and stats["total_inactive_file"] < usage:
        return float(usage - stats["total_inactive_file"])
    if stats.get("inactive_file", 0) < usage:
        return float(usage - stats.get("inactive_file", 0))
    return float(usage)


def block_io(blkio: dict) -> tuple[int, int]:
    read = write = 0
    for e in (blkio or {}).get("io_service_bytes_recursive") or []:
        op = e.get("op") or ""
        if op[:1] in ("r", "R"):
            read += e.get("value", 0)
        elif op[:1] in ("w", "W"):
            write += e.get("value", 0)
    return read, write


def network(nets: dict | None) -> tuple[int, int]:
    rx = tx = 0
    for n in (nets or {}).values():
        rx += n.get("rx_bytes", 0)
        tx += n.get("tx_bytes", 0)
    return rx, tx


class StatsEntry:
    """One row: Docker's StatsEntry plus its statsContext's template fields."""

    __slots__ = ("container", "name", "id", "cpu", "mem", "mem_limit", "mem_percent",
                 "net_rx", "net_tx", "blk_read", "blk_write", "pids", "invalid", "trunc")
    _JSON_FIELDS = ("BlockIO", "CPUPerc", "Container", "ID", "MemPerc", "MemUsage", "Name",
                    "NetIO", "PIDs")

    def __init__(self, container: str, trunc: bool = True) -> None:
        self.container = container
        self.name = ""
        self.id = ""
        self.cpu = self.mem = self.mem_limit = self.mem_percent = 0.0
        self.net_rx = self.net_tx = self.blk_read = self.blk_write = self.pids = 0
        self.invalid = False
        self.trunc = trunc

    def update(self, v: dict) -> "StatsEntry":
        """Set the numbers from one StatsJSON (as the CLI's collect())."""
        self.name = v.get("name") or ""
        self.id = v.get("id") or ""
        self.cpu = cpu_percent(v)
        mem = v.get("memory_stats") or {}
        self.mem = mem_usage_no_cache(mem)
        self.mem_limit = float(mem.get("limit", 0) or 0)
        self.mem_percent = self.mem / self.mem_limit * 100.0 if self.mem_limit else 0.0
        self.blk_read, self.blk_write = block_io(v.get("blkio_stats") or {})
        self.net_rx, self.net_tx = network(v.get("networks"))
        self.pids = (v.get("pids_stats") or {}).get("current", 0) or 0
        self.invalid = False
        return self

    # ---- template fields ----
    @property
    def Container(self) -> str:  # noqa: N802
        return self.container

    @property
    def Name(self) -> str:  # noqa: N802
        return self.name[1:] if len(self.name) > 1 else "--"

    @property
    def ID(self) -> str:  # noqa: N802
        return truncate_id(self.id) if self.trunc else self.id

    @property
    def CPUPerc(self) -> str:  # noqa: N802
        return "--" if self.invalid else "%.2f%%" % self.cpu

    @property
    def MemUsage(self) -> str:  # noqa: N802
        from barge.spec.units import bytes_size
        if self.invalid:
            return "-- / --"
        return bytes_size(self.mem) + " / " + bytes_size(self.mem_limit)

    @property
    def MemPerc(self) -> str:  # noqa: N802
        return "--" if self.invalid else "%.2f%%" % self.mem_percent

    @property
    def NetIO(self) -> str:  # noqa: N802
        from barge.spec.units import human_size
        return "--" if self.invalid else human_size(self.net_rx, 3) + " / " + human_size(self.net_tx, 3)

    @property
    def BlockIO(self) -> str:  # noqa: N802
        from barge.spec.units import human_size
        return "--" if self.invalid else (human_size(self.blk_read, 3) + " / "
                                          + human_size(self.blk_write, 3))

    @property
    def PIDs(self) -> str:  # noqa: N802
        return "--" if self.invalid else str(self.pids)

    def __json__(self) -> dict:
        return {name: getattr(self, name) for name in self._JSON_FIELDS}


def render_stats(entries: list[StatsEntry], fmt: str) -> str:
    from barge.cli.format import render
    return render(entries, fmt, STATS_TABLE, STATS_HEADERS)
