"""Health checks end to end: probes run by the daemon through exec, status in
inspect and ps, the health filter, events, timeouts, and the stock docker CLI."""
from __future__ import annotations

import json
import signal
import subprocess
import time
import uuid

DOCKER = "/usr/local/bin/docker"


def name(prefix="h"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _health(d, n) -> dict:
    return json.loads(d.out("inspect", "-f", "{{json .State.Health}}", n))


def _wait_status(d, n, want, timeout=5.0) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if d.out("inspect", "-f", "{{.State.Health.Status}}", n).strip() == want:
            return time.monotonic() - t0
        time.sleep(0.05)
    raise AssertionError(f"{n}: not {want} after {timeout}s: {_health(d, n)}")


def test_healthy_status_inspect_ps_filter_and_events(daemon):
    d = daemon
    n, plain = name(), name("plain")
    since = time.time()
    d.out("run", "-d", "--name", n, "--health-cmd", "echo ok", "--health-interval", "200ms", "busybox", "sleep", "1d")
    d.out("run", "-d", "--name", plain, "busybox", "sleep", "1d")
    try:
        cfg = json.loads(d.out("inspect", "-f", "{{json .Config.Healthcheck}}", n))
        assert cfg == {"Test": ["CMD-SHELL", "echo ok"], "Interval": 200_000_000}
        assert _health(d, n)["Status"] in ("starting", "healthy")
        assert _wait_status(d, n, "healthy", 2.5) < 2.5
        h = _health(d, n)
        assert h["FailingStreak"] == 0 and h["Log"]
        entry = h["Log"][-1]
        assert set(entry) == {"Start", "End", "ExitCode", "Output"}
        assert entry["ExitCode"] == 0 and entry["Output"] == "ok\n"
        status = d.out("ps", "--filter", f"name={n}", "--format", "{{.Status}}").strip()
        assert status.startswith("Up ") and status.endswith(" (healthy)")
        assert d.out("ps", "--filter", f"name={plain}", "--format", "{{.Status}}").strip().endswith("second") or \
            "(" not in d.out("ps", "--filter", f"name={plain}", "--format", "{{.Status}}")
        names = d.out("ps", "--filter", "health=healthy", "--format", "{{.Names}}").split()
        assert n in names and plain not in names
        names = d.out("ps", "--filter", "health=none", "--format", "{{.Names}}").split()
        assert plain in names and n not in names
        r = d.cli("ps", "--filter", "health=bogus")
        assert r.returncode != 0 and b"Unrecognised filter value for health: bogus" in r.stderr
        assert "Health" not in json.loads(d.out("inspect", "-f", "{{json .State}}", plain))
        t0 = time.monotonic()
        while len(_health(d, n)["Log"]) < 5 and time.monotonic() - t0 < 5:
            time.sleep(0.1)
        time.sleep(0.5)
        assert len(_health(d, n)["Log"]) == 5          # only the last five are kept
        ev = d.out("events", "--since", f"{since:.3f}", "--until", f"{time.time():.3f}",
                   "--filter", f"container={n}", "--format", "{{.Action}}").splitlines()
        assert ev.count("health_status: healthy") == 1
        assert "exec_create: /bin/sh -c echo ok" in ev and "exec_die" in ev
    finally:
        d.cli("rm", "-f", n, plain)


def test_failing_goes_unhealthy_after_retries_and_stop(daemon):
    d = daemon
    n = name()
    since = time.time()
    d.out("run", "-d", "--name", n, "--health-cmd", "echo bad; exit 3", "--health-interval", "200ms",
          "--health-retries", "2", "busybox", "sleep", "1d")
    try:
        _wait_status(d, n, "unhealthy", 3)
        h = _health(d, n)
        assert h["FailingStreak"] >= 2
        assert h["Log"][-1]["ExitCode"] == 3 and h["Log"][-1]["Output"] == "bad\n"
        assert d.out("ps", "--filter", f"name={n}", "--format", "{{.Status}}").strip().endswith("(unhealthy)")
        assert n in d.out("ps", "--filter", "health=unhealthy", "--format", "{{.Names}}").split()
        ev = d.out("events", "--since", f"{since:.3f}", "--until", f"{time.time():.3f}",
                   "--filter", f"container={n}", "--format", "{{.Action}}")
        assert [a for a in ev.splitlines() if a.startswith("health_status")] == ["health_status: unhealthy"]
        d.out("stop", "-t", "0", n)
        assert d.out("inspect", "-f", "{{.State.Status}} {{.State.Health.Status}}", n) == "exited unhealthy\n"
    finally:
        d.cli("rm", "-f", n)


def test_start_period_keeps_starting(daemon):
    d = daemon
    n = name()
    d.out("run", "-d", "--name", n, "--health-cmd", "false", "--health-interval", "100ms",
          "--health-start-period", "30s", "--health-start-interval", "100ms", "--health-retries", "1",
          "busybox", "sleep", "1d")
    try:
        time.sleep(1.0)
        h = _health(d, n)
        assert h["Status"] == "starting" and h["FailingStreak"] == 0 and h["Log"]
        status = d.out("ps", "--filter", f"name={n}", "--format", "{{.Status}}").strip()
        assert status.endswith("(health: starting)")
        assert n in d.out("ps", "--filter", "health=starting", "--format", "{{.Names}}").split()
    finally:
        d.cli("rm", "-f", n)


def test_hung_probe_is_killed_at_its_timeout(daemon):
    d = daemon
    n = name()
    d.out("run", "-d", "--name", n, "--health-cmd", "sleep 10", "--health-timeout", "300ms",
          "--health-interval", "200ms", "--health-retries", "1", "busybox", "sleep", "1d")
    try:
        _wait_status(d, n, "unhealthy", 3)
        entry = _health(d, n)["Log"][0]
        assert entry["ExitCode"] == -1
        assert entry["Output"] == "Health check exceeded timeout (300ms)"
        from barge.spec.clock import parse_rfc3339
        took = parse_rfc3339(entry["End"]) - parse_rfc3339(entry["Start"])
        assert 0.29 < took < 2.0
        time.sleep(0.5)
        # the probes were killed: no `sleep 10` piles up in the container
        top = d.out("exec", n, "ps", "-o", "args")
        assert top.count("sleep 10") <= 1
    finally:
        d.cli("rm", "-f", n)


def test_no_healthcheck_and_flag_errors(daemon):
    d = daemon
    n = name()
    d.out("create", "--name", n, "--no-healthcheck", "busybox", "true")
    try:
        assert d.out("inspect", "-f", "{{json .Config.Healthcheck}}", n).strip() == '{"Test":["NONE"]}'
    finally:
        d.cli("rm", "-f", n)
    r = d.cli("run", "--no-healthcheck", "--health-cmd", "true", "busybox", "true")
    assert r.returncode == 125 and b"--no-healthcheck conflicts with --health-* options" in r.stderr


def test_image_healthcheck_inherited_and_overridden(daemon):
    d = daemon
    tag = f"hc-{uuid.uuid4().hex[:8]}"
    a, b, src = name(), name(), name("src")
    # an image whose config has a Healthcheck (what HEALTHCHECK in a Dockerfile gives)
    d.out("create", "--name", src, "--health-cmd", "echo from-image", "--health-interval", "200ms",
          "--health-retries", "1", "busybox", "true")
    d.out("commit", src, tag)
    d.out("rm", src)
    try:
        hc = json.loads(d.out("image", "inspect", "-f", "{{json .Config.Healthcheck}}", tag))
        assert hc["Test"] == ["CMD-SHELL", "echo from-image"]
        d.out("run", "-d", "--name", a, tag, "sleep", "1d")
        _wait_status(d, a, "healthy", 3)
        assert _health(d, a)["Log"][-1]["Output"] == "from-image\n"
        d.out("run", "-d", "--name", b, "--no-healthcheck", tag, "sleep", "1d")
        time.sleep(0.5)
        assert "Health" not in json.loads(d.out("inspect", "-f", "{{json .State}}", b))
    finally:
        d.cli("rm", "-f", a, b)
        d.cli("rmi", tag)


def test_monitor_comes_back_after_daemon_restart(fresh_daemon):
    d = fresh_daemon
    d.out("run", "-d", "--name", "hr", "--health-cmd", "echo ok", "--health-interval", "200ms", "busybox",
          "sleep", "1d")
    _wait_status(d, "hr", "healthy", 3)
    d.stop(signal.SIGKILL)
    d.start()
    time.sleep(0.1)
    _wait_status(d, "hr", "healthy", 3)
    end1 = _health(d, "hr")["Log"][-1]["End"]
    time.sleep(0.6)
    assert _health(d, "hr")["Log"][-1]["End"] != end1       # probing goes on
    d.out("rm", "-f", "hr")


def test_stock_docker_cli(daemon):
    n = name("dk")
    env = daemon.env()

    def docker(*args):
        return subprocess.run([DOCKER, *args], capture_output=True, env=env, timeout=60)

    r = docker("run", "-d", "--name", n, "--health-cmd", "exit 0", "--health-interval", "200ms",
               "--health-retries", "2", "--health-timeout", "1s", "busybox", "sleep", "1d")
    assert r.returncode == 0, r.stderr
    try:
        cfg = json.loads(docker("inspect", "-f", "{{json .Config.Healthcheck}}", n).stdout)
        assert cfg["Test"] == ["CMD-SHELL", "exit 0"] and cfg["Interval"] == 200_000_000
        assert cfg["Timeout"] == 1_000_000_000 and cfg["Retries"] == 2
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3:
            out = docker("inspect", "-f", "{{.State.Health.Status}}", n).stdout.decode().strip()
            if out == "healthy":
                break
            time.sleep(0.1)
        assert out == "healthy"
        ps = docker("ps", "--filter", "health=healthy", "--filter", f"name={n}").stdout.decode()
        assert "(healthy)" in ps and n in ps
    finally:
        docker("rm", "-f", n)
