"""A container writing 100 MiB to stdout: time from `barge run -d` until it
has exited, then the time of `barge logs <c> > /dev/null`.

The generator is busybox `yes` with a 99-character line (100 bytes with its
newline) cut by `head -c 104857600`: 1,048,576 lines of a log-like size.
A separate, untimed pass counts and checks what `logs` returns. One extra
run with numbered lines (busybox awk) shows which part of the output the
log files kept and whether lines went missing inside it (rotation keeps the
last 20 MB x 5 files *of the on-disk format*, which adds ~45 bytes a line)."""
from __future__ import annotations

import os
import subprocess
import time

from common import LABEL, Env, fmt_stats, stats

TOTAL = 104857600                       # 100 MiB
LINE = (b"INFO bench: the quick brown fox jumps over the lazy dog; "
        b"request id=0123456789 status=200 took=42ms ok")[:99].ljust(99, b".") + b"\n"
assert len(LINE) == 100
NLINES = TOTAL // len(LINE)
AWK = ('BEGIN{p=sprintf("%90s","");gsub(/ /,"x",p);'
       f'for(i=0;i<{NLINES};i++) printf "%08d %s\\n", i, p}}')
TARGET_EXIT_S = 2.0
TARGET_LOGS_MIBS = 50.0
MiB = 1024 * 1024


def _start(env: Env, *cmd: str) -> tuple[str, float]:
    t0 = time.perf_counter()
    cid = env.out("run", "-d", "--label", LABEL, env.image, *cmd)
    return cid, t0


def _wait(env: Env, cid: str) -> int:
    return int(env.out("wait", cid, timeout=600) or -1)


def _time_logs(env: Env, cid: str) -> float:
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as null:
        p = subprocess.run(env.cmd("logs", cid), stdout=null, stderr=null, env=env.environ(), timeout=600)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"barge logs exited {p.returncode}")
    return dt


def _first_diff(part: bytes, pattern: bytes, o: int) -> int:
    """Index of the first byte where part differs from pattern[o:] (binary search)."""
    lo, hi = 0, len(part)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if part[lo:mid] == pattern[o + lo:o + mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _count_logs(env: Env, cid: str) -> dict:
    """Bytes on stdout/stderr and whether stdout is whole, in-order copies of LINE
    (a leading fragment, the tail of a line cut by rotation, is allowed)."""
    p = subprocess.Popen(env.cmd("logs", cid), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env.environ())
    total = lead = pos = 0
    ok, bad_at = True, -1
    L = len(LINE)
    pattern = LINE * (1 << 14)
    step = len(pattern) - L
    first = True
    while True:
        chunk = p.stdout.read(1 << 20)
        if not chunk:
            break
        total += len(chunk)
        if first:
            first = False
            if not chunk.startswith(LINE[:min(len(chunk), L)]):
                lead = chunk.find(b"\n") + 1
                chunk = chunk[lead:]
        for i in range(0, len(chunk), step):
            part = chunk[i:i + step]
            o = pos % L
            if ok and part != pattern[o:o + len(part)]:
                ok, bad_at = False, lead + pos + _first_diff(part, pattern, o)
            pos += len(part)
    err = p.stderr.read()
    p.wait()
    return {"stdout_bytes": total, "stderr_bytes": len(err), "leading_fragment_bytes": lead,
            "whole_lines": ok and (total - lead) % len(LINE) == 0, "first_mismatch_at": bad_at}


def _disk(env: Env, cid: str) -> dict:
    path = env.out("inspect", "-f", "{{.LogPath}}", cid)
    d, base = os.path.dirname(path), os.path.basename(path)
    files = {}
    try:
        for f in sorted(os.listdir(d)):
            if f.startswith(base):
                files[f[len(base):] or "(current)"] = os.path.getsize(os.path.join(d, f))
    except OSError as e:
        return {"log_path": path, "error": str(e)}
    return {"log_path": path, "files": files, "total_bytes": sum(files.values())}


def _integrity(env: Env) -> dict:
    """Numbered lines: which ones `logs` returns, and the gaps among them."""
    cid, t0 = _start(env, "awk", AWK)
    try:
        code = _wait(env, cid)
        exit_s = time.perf_counter() - t0
        disk = _disk(env, cid)
        p = subprocess.Popen(env.cmd("logs", cid), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             env=env.environ())
        nums: list[int] = []
        bad = 0
        rest = b""
        while True:
            chunk = p.stdout.read(1 << 20)
            if not chunk:
                break
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            for ln in lines:
                if len(ln) == 99 and ln[8:9] == b" ":
                    try:
                        nums.append(int(ln[:8]))
                        continue
                    except ValueError:
                        pass
                bad += 1
        p.wait()
        if rest:
            bad += 1
        gaps = []
        for a, b in zip(nums, nums[1:]):
            if b != a + 1:
                gaps.append((a, b))
        missing = sum(b - a - 1 for a, b in gaps if b > a)
        return {"exit_code": code, "exit_s": exit_s, "lines": len(nums), "bad_lines": bad,
                "first": nums[0] if nums else None, "last": nums[-1] if nums else None,
                "gaps": len(gaps), "missing_lines_inside": missing, "out_of_order": sum(1 for a, b in gaps if b <= a),
                "gap_ranges": [f"{a + 1}..{b - 1}" for a, b in gaps[:5]], "disk": disk}
    finally:
        env.remove([cid])


def run(env: Env, runs: int = 10) -> dict:
    print(f"== log throughput: {TOTAL // MiB} MiB to stdout in {len(LINE)}-byte lines ({runs} runs)")
    exit_s, logs_s, rates, counts, disks, codes = [], [], [], [], [], []
    gen = ["sh", "-c", f'yes "$0" | head -c {TOTAL}', LINE[:-1].decode()]
    for i in range(runs):
        cid, t0 = _start(env, *gen)
        try:
            codes.append(_wait(env, cid))
            exit_s.append(time.perf_counter() - t0)
            dt = _time_logs(env, cid)
            cnt = _count_logs(env, cid)
            logs_s.append(dt)
            rates.append(cnt["stdout_bytes"] / MiB / dt)
            counts.append(cnt)
            disks.append(_disk(env, cid))
        finally:
            env.remove([cid])
        print(f"  run {i + 1:2d}: exited in {exit_s[-1] * 1000:6.0f} ms (code {codes[-1]}); logs "
              f"{cnt['stdout_bytes'] / MiB:6.1f} MiB in {dt * 1000:5.0f} ms = {rates[-1]:5.1f} MiB/s; "
              f"on disk {disks[-1].get('total_bytes', 0) / MiB:6.1f} MiB in {len(disks[-1].get('files', {}))} files")
    integ = _integrity(env)
    est, lst, rst = stats(exit_s), stats(logs_s), stats(rates)
    returned = stats([c["stdout_bytes"] for c in counts])
    exit_ok = est["median"] < TARGET_EXIT_S
    logs_ok = rst["median"] >= TARGET_LOGS_MIBS
    print(f"  time to exit        {fmt_stats(est)}   target < {TARGET_EXIT_S:.0f} s: {'PASS' if exit_ok else 'FAIL'}")
    print(f"  logs > /dev/null    {fmt_stats(lst)}")
    print(f"  logs throughput     {fmt_stats(rst, 'MiB/s', 1.0)}   target >= {TARGET_LOGS_MIBS:.0f}: "
          f"{'PASS' if logs_ok else 'FAIL'}")
    print(f"  logs returned       min {returned['min'] / MiB:.1f} / median {returned['median'] / MiB:.1f} / "
          f"max {returned['max'] / MiB:.1f} MiB of {TOTAL / MiB:.0f} MiB written; stderr bytes "
          f"{sum(c['stderr_bytes'] for c in counts)}; whole lines in every run: "
          f"{all(c['whole_lines'] for c in counts)}; exit codes {sorted(set(codes))}")
    bad = [c["first_mismatch_at"] / MiB for c in counts if c["first_mismatch_at"] >= 0]
    if bad:
        print(f"  malformed output    {len(bad)} of {len(counts)} runs: a line broken at ~{min(bad):.0f}..{max(bad):.0f} MiB "
              f"into the output (records lost mid-line)")
    largest = [max((d.get("files") or {"": 0}).values()) for d in disks]
    print(f"  largest log file    median {stats(largest)['median'] / 1e6:.1f} MB, max {max(largest) / 1e6:.1f} MB "
          f"(max-size 20 MB); files per container max {max(len(d.get('files', {})) for d in disks)}")
    if integ.get("disk", {}).get("files"):
        files = ", ".join(f"{k}={v / 1e6:.1f}MB" for k, v in integ["disk"]["files"].items())
    else:
        files = str(integ.get("disk"))
    print(f"  numbered-lines run: exit {integ['exit_s'] * 1000:.0f} ms (awk is slower than yes); logs returned "
          f"{integ['lines']} of {NLINES} lines, #{integ['first']}..#{integ['last']}, "
          f"{integ['missing_lines_inside']} missing inside in {integ['gaps']} gap(s) {integ['gap_ranges']}, "
          f"{integ['bad_lines']} malformed")
    print(f"  its log files: {files}")
    return {"bytes_written": TOTAL, "line_bytes": len(LINE), "runs": runs,
            "exit_stats_s": est, "exit_samples_s": exit_s, "exit_codes": codes, "exit_pass": exit_ok,
            "logs_stats_s": lst, "logs_samples_s": logs_s, "logs_rate_stats_mibs": rst, "logs_pass": logs_ok,
            "logs_returned_bytes_stats": returned, "counts": counts, "largest_log_file_bytes": largest,
            "disk": disks, "numbered_run": integ,
            "target_exit_s": TARGET_EXIT_S, "target_logs_mibs": TARGET_LOGS_MIBS}
