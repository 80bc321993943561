"""barge benchmarks, against an already running barged (BARGE_HOST or the
default socket) with busybox:latest present. `make bench` runs this.

    python bench/run.py [--host unix:///…] [--barge PATH] [--daemon-pid PID]
                        [--only memory,latency,logs] [--runs 20] [--log-runs 10]
                        [--containers 50] [--json bench/results.json]

Prints each benchmark's figures, a summary table, and writes JSON."""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402

ORDER = ("memory", "latency", "logs")   # memory first: its idle/growth figures are the cleanest


def _args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", help="daemon address (default: BARGE_HOST, DOCKER_HOST, unix:///run/barge/barge.sock)")
    p.add_argument("--barge", help="barge CLI (default: next to this python, or on PATH)")
    p.add_argument("--daemon-pid", type=int, help="barged pid (default: BARGED_PID, the pidfile, the socket's owner)")
    p.add_argument("--image", default="busybox:latest")
    p.add_argument("--only", default=",".join(ORDER), help="comma-separated subset of " + ",".join(ORDER))
    p.add_argument("--runs", type=int, default=20, help="run --rm latency samples (>= 10)")
    p.add_argument("--log-runs", type=int, default=10, help="100 MiB log runs (>= 10 for a median)")
    p.add_argument("--containers", type=int, default=50)
    p.add_argument("--json", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.json"))
    return p.parse_args(argv)


def _env(a) -> common.Env:
    host = common.find_host(a.host)
    env = common.Env(barge=common.find_barge(a.barge), host=host, image=a.image)
    env.daemon_pid, how = common.find_daemon_pid(a.daemon_pid, host)
    try:
        i = common.info(env)
    except Exception as e:
        raise SystemExit(f"cannot reach barged at {host}: {e}")
    env.data_root = i.get("DockerRootDir", "")
    p = env.run("image", "inspect", env.image, check=False)
    if p.returncode != 0:
        raise SystemExit(f"{env.image} is not present (scripts/make-busybox.sh makes it)")
    print(f"barge bench: host {host}, cli {env.barge}, daemon pid {env.daemon_pid or '?'} ({how}), "
          f"data root {env.data_root}, {i.get('NCPU')} CPUs, kernel {i.get('KernelVersion')}")
    left = env.leftovers()
    if left:
        print(f"removing {len(left)} leftover bench containers")
        env.remove(left)
    return env


def _row(name, value, target, ok):
    return (name, value, target, "PASS" if ok else "FAIL" if ok is not None else "-")


def summary(res: dict) -> list[tuple]:
    rows = []
    lat = res.get("latency")
    if lat and "stats_s" in lat:
        s = lat["stats_s"]
        rows.append(_row("run --rm busybox true (median)",
                         f"{s['median'] * 1000:.0f} ms (min {s['min'] * 1000:.0f}, p90 {s['p90'] * 1000:.0f}, n={s['count']})",
                         "< 100 ms", lat["pass"]))
    lg = res.get("logs")
    if lg and "exit_stats_s" in lg:
        s = lg["exit_stats_s"]
        rows.append(_row("100 MiB to stdout: exit (median)",
                         f"{s['median'] * 1000:.0f} ms (min {s['min'] * 1000:.0f}, p90 {s['p90'] * 1000:.0f}, n={s['count']})",
                         "< 2 s", lg["exit_pass"]))
        r, t, b = lg["logs_rate_stats_mibs"], lg["logs_stats_s"], lg["logs_returned_bytes_stats"]
        rows.append(_row("logs > /dev/null (median)",
                         f"{r['median']:.0f} MiB/s ({t['median'] * 1000:.0f} ms for {b['median'] / 2**20:.1f} MiB returned)",
                         ">= 50 MiB/s", lg["logs_pass"]))
        nr = lg.get("numbered_run", {})
        rows.append(_row("logs integrity (numbered lines)",
                         f"{nr.get('lines', 0) * 100 / 2**20:.1f} MiB kept, {nr.get('missing_lines_inside', 0)} lines lost inside",
                         "last ~100 MB on disk, no gaps", nr.get("missing_lines_inside", 1) == 0))
    mem = res.get("memory")
    if mem and "per_container_kb" in mem:
        c = mem["conmon_pss_stats_kb"]
        rows.append(_row("per container (conmon PSS + daemon/N)",
                         f"{mem['per_container_kb']:.0f} KiB ({c.get('mean', 0):.0f} + {mem['daemon_growth_kb'] / mem['containers']:.0f})",
                         "< 1024 KiB", mem["per_container_pass"]))
        if mem.get("daemon_pid"):
            rows.append(_row("daemon idle RSS",
                             f"{mem['daemon_idle_kb'].get('VmRSS', 0) / 1024:.1f} MiB", "< 65 MiB", mem["idle_rss_pass"]))
    for name, r in res.items():
        if isinstance(r, dict) and "error" in r:
            rows.append((name, "ERROR: " + r["error"].splitlines()[-1][:60], "", "FAIL"))
    return rows


def main(argv=None) -> int:
    a = _args(argv)
    if a.runs < 10 or a.log_runs < 1:
        print("warning: fewer than 10 runs give a weak median", file=sys.stderr)
    env = _env(a)
    only = [x.strip() for x in a.only.split(",") if x.strip()]
    unknown = set(only) - set(ORDER)
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    results: dict = {}
    t_all = time.perf_counter()
    for name in ORDER:
        if name not in only:
            continue
        t0 = time.perf_counter()
        try:
            if name == "memory":
                import memory
                results[name] = memory.run(env, a.containers)
            elif name == "latency":
                import run_latency
                results[name] = run_latency.run(env, a.runs)
            elif name == "logs":
                import log_throughput
                results[name] = log_throughput.run(env, a.log_runs)
        except KeyboardInterrupt:
            env.remove(env.leftovers())
            raise
        except Exception as e:
            traceback.print_exc()
            results[name] = {"error": f"{type(e).__name__}: {e}"}
            env.remove(env.leftovers())
        results.setdefault(name, {})["elapsed_s"] = time.perf_counter() - t0
        print()
    total = time.perf_counter() - t_all

    rows = summary(results)
    w = [max(len(str(r[i])) for r in rows + [("benchmark", "result", "target", "")]) for i in range(4)]
    print("== summary")
    print(f"  {'benchmark':<{w[0]}}  {'result':<{w[1]}}  {'target':<{w[2]}}  ")
    for r in rows:
        print(f"  {r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]}")
    print(f"  (total {total:.0f} s)")

    doc = {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "host": env.host, "daemon_pid": env.daemon_pid,
           "machine": {"cpus": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version()},
           "total_s": total, "summary": [dict(zip(("benchmark", "result", "target", "status"), r)) for r in rows],
           "results": results}
    tmp = a.json + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, a.json)
    print(f"  results written to {a.json}")
    # figures, not a test: a missed target is reported, only a broken benchmark fails
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
