"""stats with real containers: CPU, memory, limits, pids; the stock docker CLI and docker-py."""
from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

DOCKER = "/usr/local/bin/docker"


def _stats(d, *names, fmt="{{json .}}"):
    out = d.out("stats", "--no-stream", "--format", fmt, *names)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_busy_loop_memory_limit_and_pids(daemon):
    d = daemon
    d.out("run", "-d", "--name", "st-busy", "busybox", "sh", "-c", "while :; do :; done")
    d.out("run", "-d", "--name", "st-mem", "-m", "64m", "busybox", "sh", "-c",
          "dd if=/dev/zero of=/dev/shm/fill bs=1M count=20 2>/dev/null; sleep 300 & sleep 300 & wait")
    try:
        time.sleep(1.5)
        rows = {r["Name"]: r for r in _stats(d, "st-busy", "st-mem")}
        assert float(rows["st-busy"]["CPUPerc"].rstrip("%")) > 10, rows
        assert rows["st-busy"]["PIDs"] == "1"
        usage, limit = rows["st-mem"]["MemUsage"].split(" / ")
        assert limit == "64MiB"
        assert usage.endswith("MiB") and float(usage[:-3]) > 10, rows["st-mem"]
        assert int(rows["st-mem"]["PIDs"]) >= 3
        assert rows["st-mem"]["Container"] == "st-mem" and len(rows["st-mem"]["ID"]) == 12
        # the default table, all running containers
        table = d.out("stats", "--no-stream")
        assert table.splitlines()[0].split() == ["CONTAINER", "ID", "NAME", "CPU", "%", "MEM", "USAGE", "/",
                                                 "LIMIT", "MEM", "%", "NET", "I/O", "BLOCK", "I/O", "PIDS"]
        assert "st-busy" in table and "st-mem" in table
        # the API: StatsJSON, precpu from a sample ~1 s earlier
        r = subprocess.run(["curl", "-s", "--unix-socket", d.sock, "http://x/containers/st-mem/stats?stream=false"],
                           capture_output=True, check=True)
        doc = json.loads(r.stdout)
        assert doc["name"] == "/st-mem" and doc["memory_stats"]["limit"] == 64 << 20
        assert doc["precpu_stats"]["system_cpu_usage"] < doc["cpu_stats"]["system_cpu_usage"]
        assert doc["pids_stats"]["current"] >= 3
        r = subprocess.run(["curl", "-s", "--unix-socket", d.sock,
                            "http://x/containers/st-mem/stats?stream=false&one-shot=true"],
                           capture_output=True, check=True)
        assert json.loads(r.stdout)["preread"] == "0001-01-01T00:00:00Z"
    finally:
        d.cli("rm", "-f", "st-busy", "st-mem")


def test_stream_all_and_errors(daemon):
    d = daemon
    d.out("run", "-d", "--name", "st-s", "busybox", "sleep", "300")
    d.out("create", "--name", "st-stopped", "busybox", "true")
    try:
        # stream: one document a second
        p = subprocess.Popen(["curl", "-sN", "--unix-socket", d.sock, "http://x/containers/st-s/stats"],
                             stdout=subprocess.PIPE)
        try:
            docs = [json.loads(p.stdout.readline()) for _ in range(2)]
        finally:
            p.kill()
            p.wait()
        assert docs[0]["preread"] == "0001-01-01T00:00:00Z" and docs[1]["preread"] == docs[0]["read"]
        names = [r["Name"] for r in _stats(d)]
        assert "st-s" in names and "st-stopped" not in names
        rows = {r["Name"]: r for r in _stats_all(d)}
        assert rows["st-stopped"]["MemUsage"] == "0B / 0B" and rows["st-stopped"]["PIDs"] == "0"
        r = d.cli("stats", "--no-stream", "nosuch")
        assert r.returncode == 1 and b"No such container: nosuch" in r.stderr
        # live mode: ANSI redraw, until interrupted
        p = subprocess.Popen([os.path.join(os.path.dirname(__import__("sys").executable), "barge"), "stats", "st-s"],
                             stdout=subprocess.PIPE, env=d.env())
        time.sleep(2.5)
        p.terminate()
        out = p.communicate(timeout=10)[0].decode()
        assert out.count("\033[H") >= 2 and "st-s" in out
    finally:
        d.cli("rm", "-f", "st-s", "st-stopped")


def _stats_all(d):
    out = d.out("stats", "--no-stream", "-a", "--format", "{{json .}}")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_stock_docker_cli_and_docker_py(daemon):
    d = daemon
    d.out("run", "-d", "--name", "st-dk", "busybox", "sleep", "300")
    try:
        if os.path.exists(DOCKER):
            r = subprocess.run([DOCKER, "stats", "--no-stream"], capture_output=True, env=d.env(), timeout=30)
            assert r.returncode == 0, r.stderr
            out = r.stdout.decode()
            assert out.startswith("CONTAINER ID   NAME") and "st-dk" in out
            line = [ln for ln in out.splitlines() if "st-dk" in ln][0]
            assert "GiB" in line and line.split()[-1] == "1"
        docker = pytest.importorskip("docker")
        client = docker.DockerClient(base_url=d.host)
        s = client.containers.get("st-dk").stats(stream=False)
        assert s["name"] == "/st-dk" and s["pids_stats"]["current"] == 1
        assert s["memory_stats"]["usage"] > 0 and "system_cpu_usage" in s["precpu_stats"]
        client.close()
    finally:
        d.cli("rm", "-f", "st-dk")
