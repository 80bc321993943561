"""Memory: the daemon's idle RSS, then N `sleep` containers: the PSS of each
monitor (conmon) process and the daemon's RSS growth. Per-container cost =
mean conmon PSS + daemon growth / N."""
from __future__ import annotations

import os
import time

from common import (LABEL, Env, children, cmdline, fmt_stats, mem_kb, mib, pss_kb, stats)

TARGET_PER_CONTAINER_KB = 1024          # 1 MiB
TARGET_IDLE_RSS_KB = 65 * 1024          # half of dockerd + containerd (~130 MB here)


def _conmon_pid(env: Env, cid: str) -> int:
    """From <data-root>/containers/<id>/conmon.pid, else the conmon whose -c is cid."""
    if env.data_root:
        try:
            with open(os.path.join(env.data_root, "containers", cid, "conmon.pid")) as f:
                pid = int(f.read().strip())
            if "conmon" in os.path.basename((cmdline(pid) or [""])[0]):
                return pid
        except (OSError, ValueError):
            pass
    for d in os.listdir("/proc"):
        if d.isdigit():
            a = cmdline(int(d))
            if a and "conmon" in os.path.basename(a[0]) and cid in a:
                return int(d)
    return 0


def _settle_rss(pid: int, secs: float = 1.0) -> dict:
    time.sleep(secs)
    return mem_kb(pid)


def run(env: Env, n: int = 50) -> dict:
    print(f"== memory: {n} x `barge run -d {env.image} sleep 3600`")
    res: dict = {"containers": n}
    pid = env.daemon_pid
    if not pid:
        print("  daemon pid unknown (pass --daemon-pid or BARGED_PID): daemon figures skipped")
    idle = _settle_rss(pid) if pid else {}
    res["daemon_pid"] = pid
    res["daemon_idle_kb"] = idle
    ids: list[str] = []
    start_s: list[float] = []
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            ids.append(env.out("run", "-d", "--label", LABEL, env.image, "sleep", "3600"))
            start_s.append(time.perf_counter() - t0)
        after = _settle_rss(pid, 2.0) if pid else {}
        pids = {cid: _conmon_pid(env, cid) for cid in ids}
        pss = {cid: pss_kb(p) for cid, p in pids.items() if p}
        missing = [cid[:12] for cid in ids if not pss.get(cid)]
        # anything else the daemon keeps per container (it should keep nothing)
        kids = [(c, cmdline(c)[:2]) for c in children(pid)] if pid else []
        res.update({
            "run_d_stats_s": stats(start_s),
            "conmon_pss_kb": list(pss.values()),
            "conmon_pss_stats_kb": stats(list(pss.values())),
            "conmon_missing": missing,
            "daemon_after_kb": after,
            "daemon_children": [{"pid": c, "cmd": " ".join(a)} for c, a in kids],
        })
    finally:
        t0 = time.perf_counter()
        env.remove(ids)
        res["rm_f_all_s"] = time.perf_counter() - t0
        res["daemon_after_rm_kb"] = _settle_rss(pid) if pid else {}

    cst = res["conmon_pss_stats_kb"]
    mean_pss = cst.get("mean", 0.0)
    growth = (after.get("VmRSS", 0) - idle.get("VmRSS", 0)) if pid else 0
    per = mean_pss + growth / n
    res.update({"daemon_growth_kb": growth, "per_container_kb": per,
                "per_container_pass": per < TARGET_PER_CONTAINER_KB,
                "idle_rss_pass": bool(pid) and idle.get("VmRSS", 1 << 30) < TARGET_IDLE_RSS_KB,
                "target_per_container_kb": TARGET_PER_CONTAINER_KB, "target_idle_rss_kb": TARGET_IDLE_RSS_KB})
    if pid:
        print(f"  daemon (pid {pid}) idle: RSS {mib(idle.get('VmRSS', 0)):.1f} MiB, PSS {mib(idle.get('Pss', 0)):.1f} MiB"
              f"   target < {mib(TARGET_IDLE_RSS_KB):.0f} MiB: {'PASS' if res['idle_rss_pass'] else 'FAIL'}")
        print(f"  daemon with {n} running: RSS {mib(after.get('VmRSS', 0)):.1f} MiB (growth {growth / 1024:.2f} MiB, "
              f"{growth / n:.0f} KiB/container); after rm -f: RSS {mib(res['daemon_after_rm_kb'].get('VmRSS', 0)):.1f} MiB")
        if kids:
            print(f"  daemon child processes while running: {len(kids)}")
    print(f"  conmon PSS          {fmt_stats(cst, 'KiB', 1.0, 0)}"
          + (f"   ({len(missing)} conmon not found: {missing[:5]})" if missing else ""))
    print(f"  per container       {per:.0f} KiB = {mean_pss:.0f} KiB conmon + {growth / n:.0f} KiB daemon   "
          f"target < 1024 KiB: {'PASS' if res['per_container_pass'] else 'FAIL'}")
    print(f"  run -d              {fmt_stats(res['run_d_stats_s'])};  rm -f of all {n}: {res['rm_f_all_s']:.2f} s")
    return res
