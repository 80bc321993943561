"""Health checks: the pure decisions (status transitions, intervals, probes, flags)."""
from __future__ import annotations

import pytest

from barge.cli.runopts import healthcheck
from barge.daemon.containers import health as h
from barge.errdefs import InvalidParameter

MS = 1_000_000
S = 1_000_000_000


def _res(code: int) -> dict:
    return {"Start": "s", "End": "e", "ExitCode": code, "Output": ""}


# (start status, streak, exit code, retries, start period, since start) -> (status, streak, changed)
TRANSITIONS = [
    ("starting", 0, 0, 3, 0, 1 * S, "healthy", 0, "healthy"),
    ("starting", 0, 1, 3, 0, 1 * S, "starting", 1, None),
    ("starting", 2, 1, 3, 0, 1 * S, "unhealthy", 3, "unhealthy"),
    ("starting", 0, 1, 1, 0, 1 * S, "unhealthy", 1, "unhealthy"),
    ("healthy", 0, 1, 3, 0, 1 * S, "healthy", 1, None),
    ("healthy", 2, 1, 3, 0, 1 * S, "unhealthy", 3, "unhealthy"),
    ("healthy", 1, 0, 3, 0, 1 * S, "healthy", 0, None),
    ("unhealthy", 5, 0, 3, 0, 1 * S, "healthy", 0, "healthy"),
    ("unhealthy", 5, 1, 3, 0, 1 * S, "unhealthy", 6, None),
    ("unhealthy", 3, -1, 3, 0, 1 * S, "unhealthy", 4, None),          # a timeout is a failure
    # within the start period, failures while starting do not count ...
    ("starting", 0, 1, 1, 10 * S, 2 * S, "starting", 0, None),
    ("starting", 0, 0, 1, 10 * S, 2 * S, "healthy", 0, "healthy"),
    # ... but do once a success happened, and after the period
    ("healthy", 0, 1, 1, 10 * S, 2 * S, "unhealthy", 1, "unhealthy"),
    ("starting", 0, 1, 1, 10 * S, 11 * S, "unhealthy", 1, "unhealthy"),
    ("starting", 0, 2, 2, 1 * S, 1 * S, "starting", 1, None),          # at the boundary it counts
]


@pytest.mark.parametrize("status,streak,code,retries,period,since,want,want_streak,changed", TRANSITIONS)
def test_transitions(status, streak, code, retries, period, since, want, want_streak, changed):
    health = {"Status": status, "FailingStreak": streak, "Log": []}
    s = h.Settings(retries=retries, start_period=period)
    assert h.apply_result(health, _res(code), s, since) == changed
    assert (health["Status"], health["FailingStreak"]) == (want, want_streak)


def test_log_keeps_last_five():
    health = h.initial_health(None)
    for i in range(8):
        h.apply_result(health, {**_res(0), "Output": str(i)}, h.Settings(), S)
    assert [e["Output"] for e in health["Log"]] == ["3", "4", "5", "6", "7"]


def test_initial_health_keeps_the_log_and_resets():
    prev = {"Status": "unhealthy", "FailingStreak": 7, "Log": [_res(1)]}
    assert h.initial_health(prev) == {"Status": "starting", "FailingStreak": 0, "Log": [_res(1)]}
    assert h.initial_health(None) == {"Status": "starting", "FailingStreak": 0, "Log": []}


@pytest.mark.parametrize("hc,want", [
    (None, h.Settings(30 * S, 30 * S, 0, 5 * S, 3)),
    ({}, h.Settings(30 * S, 30 * S, 0, 5 * S, 3)),
    ({"Interval": 200 * MS, "Timeout": 300 * MS, "Retries": 2, "StartPeriod": S, "StartInterval": 100 * MS},
     h.Settings(200 * MS, 300 * MS, S, 100 * MS, 2)),
    ({"Retries": 0, "Interval": 0}, h.Settings(30 * S, 30 * S, 0, 5 * S, 3)),     # 0 = the default
])
def test_settings_defaults(hc, want):
    assert h.settings(hc) == want


@pytest.mark.parametrize("status,since,want", [
    ("starting", 1 * S, 100 * MS),     # in the start period, starting: StartInterval
    ("healthy", 1 * S, 2 * S),         # in it but healthy: Interval
    ("starting", 20 * S, 2 * S),       # after it: Interval
])
def test_next_interval(status, since, want):
    s = h.Settings(interval=2 * S, start_period=10 * S, start_interval=100 * MS)
    assert h.next_interval(s, status, since) == want


@pytest.mark.parametrize("config,want", [
    ({}, None),
    ({"Healthcheck": {"Test": ["NONE"]}}, None),
    ({"Healthcheck": {"Test": []}}, None),
    ({"Healthcheck": {"Interval": S}}, None),
    ({"Healthcheck": {"Test": ["BOGUS", "x"]}}, None),
    ({"Healthcheck": {"Test": ["CMD", "true"]}}, ["true"]),
    ({"Healthcheck": {"Test": ["CMD", "ls", "-l"]}}, ["ls", "-l"]),
    ({"Healthcheck": {"Test": ["CMD-SHELL", "echo hi; exit 1"]}}, ["/bin/sh", "-c", "echo hi; exit 1"]),
    ({"Shell": ["/bin/ash", "-xc"], "Healthcheck": {"Test": ["CMD-SHELL", "true"]}}, ["/bin/ash", "-xc", "true"]),
])
def test_probe_command(config, want):
    assert h.probe_command(config) == want


@pytest.mark.parametrize("hc,msg", [
    ({"Interval": 1}, "Interval in Healthcheck cannot be less than 1ms"),
    ({"Timeout": 999_999}, "Timeout in Healthcheck cannot be less than 1ms"),
    ({"StartPeriod": 5}, "StartPeriod in Healthcheck cannot be less than 1ms"),
    ({"Retries": -1}, "Retries in Healthcheck cannot be negative"),
])
def test_validate_errors(hc, msg):
    with pytest.raises(InvalidParameter, match=msg):
        h.validate({"Healthcheck": hc})


def test_validate_ok():
    h.validate({})
    h.validate({"Healthcheck": {"Test": ["CMD", "true"], "Interval": MS, "Timeout": 0, "Retries": 0}})


def test_timeout_output_is_dockers():
    assert h.timeout_output(300 * MS) == "Health check exceeded timeout (300ms)"
    assert h.timeout_output(30 * S) == "Health check exceeded timeout (30s)"
    assert h.timeout_output(90 * S) == "Health check exceeded timeout (1m30s)"


def test_filter_values():
    h.check_filter_values(["starting", "healthy", "unhealthy", "none"])
    with pytest.raises(InvalidParameter, match="Unrecognised filter value for health: bogus"):
        h.check_filter_values(["bogus"])


def test_collect_deframes_and_caps():
    c = h._Collect()
    c.write(b"\x01\x00\x00\x00\x00\x00\x00\x03hi\n")
    c.write(b"\x02\x00\x00\x00\x00\x00\x00\x04err\n")
    assert c.text() == "hi\nerr\n"
    big = h._Collect()
    big.write(b"\x01\x00\x00\x00" + (10000).to_bytes(4, "big") + b"x" * 10000)
    assert len(big.text()) == h.MAX_OUTPUT_LEN


# ---- the CLI's flags -> Config.Healthcheck ---------------------------------------

def _o(**kw):
    return {k.replace("_", "-"): v for k, v in kw.items()}


@pytest.mark.parametrize("opts,want", [
    (_o(), None),
    (_o(no_healthcheck=True), {"Test": ["NONE"]}),
    (_o(health_cmd="true"), {"Test": ["CMD-SHELL", "true"]}),
    (_o(health_cmd="curl x", health_interval=0.2, health_timeout=0.3, health_retries=2,
        health_start_period=1.5, health_start_interval=0.1),
     {"Test": ["CMD-SHELL", "curl x"], "Interval": 200 * MS, "Timeout": 300 * MS, "StartPeriod": 1500 * MS,
      "StartInterval": 100 * MS, "Retries": 2}),
    (_o(health_interval=5.0), {"Interval": 5 * S}),      # the test comes from the image
])
def test_flags_to_healthcheck(opts, want):
    assert healthcheck(opts) == want


@pytest.mark.parametrize("opts,msg", [
    (_o(no_healthcheck=True, health_cmd="true"), "--no-healthcheck conflicts with --health-\\* options"),
    (_o(no_healthcheck=True, health_retries=1), "--no-healthcheck conflicts with --health-\\* options"),
    (_o(health_interval=-1.0), "--health-interval cannot be negative"),
    (_o(health_timeout=-1.0), "--health-timeout cannot be negative"),
    (_o(health_retries=-1), "--health-retries cannot be negative"),
    (_o(health_start_period=-1.0), "--health-start-period cannot be negative"),
])
def test_flag_errors(opts, msg):
    with pytest.raises(InvalidParameter, match=msg):
        healthcheck(opts)
