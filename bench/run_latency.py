"""`barge run --rm busybox true` wall time, with two reference points that
locate the cost: the CLI floor (`barge version`) and the same lifecycle driven
straight over the Engine API without the CLI (create, start, wait, delete)."""
from __future__ import annotations

import http.client
import json
import socket
import time

from common import LABEL, Env, fmt_stats, time_cmd, stats

TARGET_S = 0.100


class _UnixConn(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 60):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def _conn(host: str) -> http.client.HTTPConnection:
    if host.startswith("unix://"):
        return _UnixConn(host[len("unix://"):])
    if host.startswith("tcp://"):
        h, _, p = host[len("tcp://"):].partition(":")
        return http.client.HTTPConnection(h, int(p or 2375), timeout=60)
    raise ValueError(f"unsupported host {host}")


def _call(c: http.client.HTTPConnection, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}
    c.request(method, path, body=data, headers=headers)
    r = c.getresponse()
    return r.status, r.read()


def _api_cycle(env: Env) -> float:
    """create + start + wait + delete over one keep-alive connection."""
    c = _conn(env.host)
    try:
        t0 = time.perf_counter()
        st, b = _call(c, "POST", "/containers/create",
                      {"Image": env.image, "Cmd": ["true"], "Labels": {LABEL.split("=")[0]: "1"}})
        if st != 201:
            raise RuntimeError(f"create: {st} {b[:200]!r}")
        cid = json.loads(b)["Id"]
        try:
            st, b = _call(c, "POST", f"/containers/{cid}/start")
            if st not in (204, 304):
                raise RuntimeError(f"start: {st} {b[:200]!r}")
            st, b = _call(c, "POST", f"/containers/{cid}/wait")
            if st != 200:
                raise RuntimeError(f"wait: {st} {b[:200]!r}")
        finally:
            _call(c, "DELETE", f"/containers/{cid}?force=1")
        return time.perf_counter() - t0
    finally:
        c.close()


def run(env: Env, runs: int = 20, warmup: int = 2) -> dict:
    print(f"== run latency: barge run --rm {env.image} true  ({runs} runs after {warmup} warm-up)")
    for _ in range(warmup):
        time_cmd(env, "run", "--rm", "--label", LABEL, env.image, "true")
    samples = [time_cmd(env, "run", "--rm", "--label", LABEL, env.image, "true") for _ in range(runs)]
    st = stats(samples)
    cli_floor = stats([time_cmd(env, "version") for _ in range(max(10, runs // 2))])
    api = stats([_api_cycle(env) for _ in range(max(10, runs // 2))])
    ok = st["median"] < TARGET_S
    print(f"  run --rm true       {fmt_stats(st)}   target < {TARGET_S * 1000:.0f} ms: {'PASS' if ok else 'FAIL'}")
    print(f"  barge version       {fmt_stats(cli_floor)}   (CLI start + one round trip)")
    print(f"  API create/start/wait/delete, no CLI  {fmt_stats(api)}")
    return {"samples_s": samples, "stats_s": st, "target_s": TARGET_S, "pass": ok,
            "cli_version_stats_s": cli_floor, "api_cycle_stats_s": api}
