"""barge's registry with a real peer: the reference Docker engine pushes to
it and pulls from it (skipped when that engine is not running here)."""
from __future__ import annotations

import os
import subprocess
import uuid

import pytest

from barge_testlib import untag_new, BARGE, barge_registry

REF = "/run/docker-ref.sock"
DOCKER = "/usr/local/bin/docker"


@pytest.fixture
def registry(tmp_path):
    with barge_registry(str(tmp_path / "reg")) as reg:
        yield reg.addr


@pytest.fixture(autouse=True)
def _leave_no_tags(daemon):
    with untag_new(daemon):
        yield


def test_reference_docker_pushes_and_pulls(registry):
    if not os.path.exists(REF) or not os.access(DOCKER, os.X_OK):
        pytest.skip("the reference Docker engine is not running")
    docker = [DOCKER, "-H", f"unix://{REF}"]
    if subprocess.run(docker + ["image", "inspect", "busybox"], capture_output=True).returncode != 0:
        pytest.skip("the reference engine has no busybox image")
    ref = f"{registry}/interop/bb-{uuid.uuid4().hex[:6]}:1"
    subprocess.run(docker + ["tag", "busybox", ref], check=True, capture_output=True)
    try:
        push = subprocess.run(docker + ["push", ref], capture_output=True, text=True, timeout=120)
        assert push.returncode == 0, push.stderr
        assert "digest: sha256:" in push.stdout
        subprocess.run(docker + ["rmi", ref], check=True, capture_output=True)
        pull = subprocess.run(docker + ["pull", ref], capture_output=True, text=True, timeout=120)
        assert pull.returncode == 0, pull.stderr
        assert f"Downloaded newer image for {ref}" in pull.stdout
    finally:
        subprocess.run(docker + ["rmi", ref], capture_output=True)


@pytest.fixture
def auth_registry(tmp_path):
    import bcrypt
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text("alice:" + bcrypt.hashpw(b"secret", bcrypt.gensalt()).decode() + "\n")
    with barge_registry(str(tmp_path / "reg"), "--htpasswd", str(htpasswd)) as reg:
        yield reg.addr


def test_barge_push_rmi_pull_run_through_its_own_registry_with_auth(daemon, auth_registry, tmp_path):
    env = dict(daemon.env(), DOCKER_CONFIG=str(tmp_path / "cfg"))

    def barge(*args, input=None):
        return subprocess.run([BARGE, *args], capture_output=True, text=True, env=env, input=input, timeout=120)
    ref = f"{auth_registry}/team/app:1"
    assert barge("tag", "busybox", ref).returncode == 0
    try:
        r = barge("push", ref)
        assert r.returncode == 1 and "no basic auth credentials" in r.stderr
        r = barge("login", "-u", "alice", "--password-stdin", auth_registry, input="wrong\n")
        assert r.returncode == 1 and "401 Unauthorized" in r.stderr
        r = barge("login", "-u", "alice", "--password-stdin", auth_registry, input="secret\n")
        assert r.returncode == 0 and "Login Succeeded" in r.stdout
        r = barge("push", ref)
        assert r.returncode == 0 and "digest: sha256:" in r.stdout, r.stderr
        assert barge("rmi", ref).returncode == 0
        r = barge("run", "--rm", ref, "echo", "pulled")
        assert r.returncode == 0 and r.stdout == "pulled\n", r.stderr
        assert "Unable to find image" in r.stderr and "Downloaded newer image" in r.stderr
        assert barge("logout", auth_registry).returncode == 0
    finally:
        barge("rmi", ref)
