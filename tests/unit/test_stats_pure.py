"""stats: cgroup v1/v2 readers on fake trees, StatsJSON assembly, the CLI's numbers and strings."""
from __future__ import annotations

import json
import os

from barge.cli.statsrows import StatsEntry, block_io, cpu_percent, mem_usage_no_cache, render_stats
from barge.daemon.containers import stats as st
from barge.sys import cgroupstats as cs

CID = "abc123" + "0" * 58


def _w(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def _proc(tmp_path, pid=42):
    proc = tmp_path / "proc"
    _w(str(proc / "stat"), "cpu  100 0 50 800 10 0 5 0 0 0\ncpu0 50 0 25 400 5 0 2 0 0 0\n"
       "cpu1 50 0 25 400 5 0 3 0 0 0\nintr 1\n")
    _w(str(proc / "meminfo"), "MemTotal:       1000 kB\nMemFree: 10 kB\n")
    _w(str(proc / str(pid) / "net" / "dev"),
       "Inter-|   Receive                            |  Transmit\n"
       " face |bytes    packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed\n"
       "    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0\n"
       "  eth0:    1500      10    1    2    0     0          0         0      700       5    3    4    0     0       0          0\n")
    _w(str(proc / str(pid) / "cgroup"), "")
    return str(proc)


def _v1_tree(root):
    rel = f"barge/{CID}"
    _w(f"{root}/cpu,cpuacct/{rel}/cpuacct.usage", "3000\n")
    _w(f"{root}/cpu,cpuacct/{rel}/cpuacct.usage_percpu", "1000 2000 \n")
    _w(f"{root}/cpu,cpuacct/{rel}/cpuacct.stat", "user 2\nsystem 1\n")
    _w(f"{root}/cpu,cpuacct/{rel}/cpu.stat", "nr_periods 4\nnr_throttled 1\nthrottled_time 99\n")
    _w(f"{root}/memory/{rel}/memory.usage_in_bytes", "5000\n")
    _w(f"{root}/memory/{rel}/memory.max_usage_in_bytes", "9000\n")
    _w(f"{root}/memory/{rel}/memory.limit_in_bytes", "9223372036854771712\n")
    _w(f"{root}/memory/{rel}/memory.failcnt", "0\n")
    _w(f"{root}/memory/{rel}/memory.stat", "cache 300\ntotal_inactive_file 1000\ninactive_file 1000\n")
    _w(f"{root}/pids/{rel}/pids.current", "3\n")
    _w(f"{root}/pids/{rel}/pids.max", "max\n")
    _w(f"{root}/blkio/{rel}/blkio.throttle.io_service_bytes_recursive",
       "8:0 Read 4096\n8:0 Write 8192\n8:0 Total 12288\nTotal 12288\n")
    _w(f"{root}/unified/cgroup.controllers", "")


def _v2_tree(root):
    d = f"{root}/barge/{CID}"
    _w(f"{root}/cgroup.controllers", "cpu memory pids io\n")
    _w(f"{d}/cpu.stat", "usage_usec 3\nuser_usec 2\nsystem_usec 1\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n")
    _w(f"{d}/memory.current", "5000\n")
    _w(f"{d}/memory.max", "512000\n")
    _w(f"{d}/memory.stat", "anon 100\nfile 200\ninactive_file 1000\n")
    _w(f"{d}/memory.events", "low 0\nhigh 0\nmax 0\noom 0\n")
    _w(f"{d}/pids.current", "2\n")
    _w(f"{d}/pids.max", "50\n")
    _w(f"{d}/io.stat", "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n")


class _C:
    def __init__(self, pid=42):
        self.id = CID
        self.name = "/web"
        self.state = type("S", (), {"pid": pid, "running": True, "status": "running"})()


def test_v1_tree(tmp_path):
    root = str(tmp_path / "cg")
    _v1_tree(root)
    proc = _proc(tmp_path)
    dirs = cs.find_dirs(f"/barge/{CID}", 42, root, proc)
    assert set(dirs) == {"cpuacct", "cpu", "memory", "pids", "blkio"}
    raw = st.sample(_C(), proc, root)
    doc = st.build("/web", CID, raw, None)
    assert doc["cpu_stats"]["cpu_usage"] == {"total_usage": 3000, "percpu_usage": [1000, 2000],
                                             "usage_in_kernelmode": 10_000_000,
                                             "usage_in_usermode": 20_000_000}
    assert doc["cpu_stats"]["system_cpu_usage"] == (100 + 50 + 800 + 10 + 5) * 10_000_000
    assert doc["cpu_stats"]["online_cpus"] == 2
    assert doc["cpu_stats"]["throttling_data"] == {"periods": 4, "throttled_periods": 1, "throttled_time": 99}
    assert doc["memory_stats"]["usage"] == 5000 and doc["memory_stats"]["max_usage"] == 9000
    assert doc["memory_stats"]["limit"] == 1000 * 1024           # unlimited: MemTotal
    assert doc["memory_stats"]["stats"]["total_inactive_file"] == 1000
    assert doc["pids_stats"] == {"current": 3}
    assert doc["blkio_stats"]["io_service_bytes_recursive"] == [
        {"major": 8, "minor": 0, "op": "Read", "value": 4096},
        {"major": 8, "minor": 0, "op": "Write", "value": 8192},
        {"major": 8, "minor": 0, "op": "Total", "value": 12288}]
    assert doc["blkio_stats"]["sectors_recursive"] == []
    assert doc["networks"] == {"eth0": {"rx_bytes": 1500, "rx_packets": 10, "rx_errors": 1, "rx_dropped": 2,
                                        "tx_bytes": 700, "tx_packets": 5, "tx_errors": 3, "tx_dropped": 4}}
    assert doc["preread"] == st.ZERO_TIME and doc["read"].endswith("Z")
    assert list(doc)[:11] == ["read", "preread", "pids_stats", "blkio_stats", "num_procs", "storage_stats",
                              "cpu_stats", "precpu_stats", "memory_stats", "name", "id"]
    json.dumps(doc)


def test_v2_tree(tmp_path):
    root = str(tmp_path / "cg")
    _v2_tree(root)
    proc = _proc(tmp_path)
    assert cs.find_dirs(f"/barge/{CID}", 42, root, proc) == {"v2": f"{root}/barge/{CID}"}
    doc = st.build("/web", CID, st.sample(_C(), proc, root), None)
    assert doc["cpu_stats"]["cpu_usage"] == {"total_usage": 3000, "usage_in_kernelmode": 1000,
                                             "usage_in_usermode": 2000}
    assert doc["memory_stats"]["limit"] == 512000 and "max_usage" not in doc["memory_stats"]
    assert doc["memory_stats"]["stats"]["inactive_file"] == 1000
    assert doc["pids_stats"] == {"current": 2, "limit": 50}
    assert doc["blkio_stats"]["io_service_bytes_recursive"] == [
        {"major": 8, "minor": 0, "op": "read", "value": 100},
        {"major": 8, "minor": 0, "op": "write", "value": 200}]
    assert doc["blkio_stats"]["io_serviced_recursive"] is None


def test_hybrid_prefers_unified_when_v1_has_no_container(tmp_path):
    root = str(tmp_path / "cg")
    _w(f"{root}/memory/other", "")
    _w(f"{root}/unified/cgroup.controllers", "")
    _w(f"{root}/unified/barge/{CID}/cpu.stat", "usage_usec 7\n")
    assert cs.find_dirs(f"/barge/{CID}", 0, root, str(tmp_path)) == {"v2": f"{root}/unified/barge/{CID}"}


def test_empty_stats_for_a_stopped_container():
    doc = st.build("/web", CID, None, None)
    assert doc["read"] == "0001-01-01T00:00:00Z" and doc["memory_stats"] == {} and doc["pids_stats"] == {}
    assert doc["cpu_stats"]["cpu_usage"]["total_usage"] == 0 and doc["name"] == "/web"
    e = StatsEntry("web").update(doc)
    assert (e.CPUPerc, e.MemUsage, e.MemPerc, e.NetIO, e.BlockIO, e.PIDs) == (
        "0.00%", "0B / 0B", "0.00%", "0B / 0B", "0B / 0B", "0")


def _doc(total, pre_total, system, pre_system, online=2, usage=0, stats=None, limit=0):
    return {"name": "/web", "id": CID,
            "cpu_stats": {"cpu_usage": {"total_usage": total}, "system_cpu_usage": system, "online_cpus": online},
            "precpu_stats": {"cpu_usage": {"total_usage": pre_total}, "system_cpu_usage": pre_system},
            "memory_stats": {"usage": usage, "stats": stats or {}, "limit": limit},
            "pids_stats": {"current": 4},
            "blkio_stats": {"io_service_bytes_recursive": [
                {"op": "Read", "value": 1000}, {"op": "write", "value": 2_500_000}, {"op": "Total", "value": 1}]},
            "networks": {"eth0": {"rx_bytes": 1234, "tx_bytes": 5}, "eth1": {"rx_bytes": 1, "tx_bytes": 0}}}


def test_cpu_percent_formula():
    assert cpu_percent(_doc(2e9, 1e9, 12e9, 10e9)) == 100.0          # 1 s of 2 cpus' 1 s each
    assert cpu_percent(_doc(1e9, 1e9, 12e9, 10e9)) == 0.0
    assert cpu_percent(_doc(2e9, 1e9, 10e9, 10e9)) == 0.0
    d = _doc(2e9, 1e9, 12e9, 10e9, online=0)
    d["cpu_stats"]["cpu_usage"]["percpu_usage"] = [1, 2, 3, 4]
    assert cpu_percent(d) == 200.0


def test_memory_without_cache():
    assert mem_usage_no_cache({"usage": 5000, "stats": {"total_inactive_file": 1000}}) == 4000
    assert mem_usage_no_cache({"usage": 5000, "stats": {"inactive_file": 1000}}) == 4000
    assert mem_usage_no_cache({"usage": 500, "stats": {"total_inactive_file": 1000}}) == 500
    assert block_io({"io_service_bytes_recursive": [{"op": "Read", "value": 3}, {"op": "read", "value": 4}]}) == (7, 0)


def test_entry_strings_and_table():
    e = StatsEntry("web").update(_doc(2e9, 1e9, 12e9, 10e9, usage=1258291 + 4096,
                                      stats={"total_inactive_file": 4096}, limit=16642998272))
    assert e.CPUPerc == "100.00%"
    assert e.MemUsage == "1.2MiB / 15.5GiB"
    assert e.MemPerc == "0.01%"
    assert e.NetIO == "1.24kB / 5B"
    assert e.BlockIO == "1kB / 2.5MB"
    assert e.PIDs == "4" and e.Name == "web" and e.ID == CID[:12] and e.Container == "web"
    e.invalid = True
    assert (e.CPUPerc, e.MemUsage, e.NetIO, e.PIDs) == ("--", "-- / --", "--", "--")
    e.invalid = False
    out = render_stats([e], "")
    lines = out.splitlines()
    assert lines[0].split("   ") == ["CONTAINER ID", "NAME      CPU %", "    MEM USAGE / LIMIT", "  MEM %",
                                    "    NET I/O", "       BLOCK I/O", "     PIDS"] or lines[0].startswith(
        "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT")
    assert lines[1].startswith(CID[:12] + "   web       100.00%   1.2MiB / 15.5GiB")
    assert json.loads(render_stats([e], "{{json .}}")) == {
        "BlockIO": "1kB / 2.5MB", "CPUPerc": "100.00%", "Container": "web", "ID": CID[:12],
        "MemPerc": "0.01%", "MemUsage": "1.2MiB / 15.5GiB", "Name": "web", "NetIO": "1.24kB / 5B", "PIDs": "4"}
    assert render_stats([e], "table {{.Container}}\t{{.PIDs}}") == "CONTAINER   PIDS\nweb         4\n"
    assert StatsEntry("x", trunc=False).update(_doc(0, 0, 0, 0)).ID == CID
