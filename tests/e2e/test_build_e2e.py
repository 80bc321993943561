"""Builds through `DOCKER_BUILDKIT=0 docker build` and docker-py against barged."""
from __future__ import annotations

import io
import os
import uuid

import pytest

pytestmark = pytest.mark.e2e


def test_docker_cli_build_multi_stage(docker_cli, made, tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox AS build\nRUN echo artifact > /a\nFROM busybox\nCOPY --from=build /a /a\nCMD [\"cat\", \"/a\"]\n")
    tag = made.image(prefix="cli-build")
    env = dict(docker_cli.env, DOCKER_BUILDKIT="0")
    import subprocess
    r = subprocess.run(["/usr/local/bin/docker", "build", "-q", "-t", tag, str(tmp_path)], capture_output=True,
                       text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("sha256:")
    assert docker_cli.out("run", "--rm", tag) == "artifact\n"


def test_docker_py_images_build(daemon, tmp_path):
    docker = pytest.importorskip("docker")
    client = docker.DockerClient(base_url=daemon.host, timeout=120)
    tag = f"e2e-py-build-{uuid.uuid4().hex[:8]}:1"
    (tmp_path / "Dockerfile").write_text("FROM busybox\nARG MSG=none\nRUN echo $MSG > /msg\n")
    try:
        image, logs = client.images.build(path=str(tmp_path), tag=tag, buildargs={"MSG": "from-py"}, rm=True)
        lines = "".join(chunk.get("stream", "") for chunk in logs)
        assert "Step 3/3 : RUN echo $MSG > /msg" in lines and "Successfully tagged" in lines
        assert tag in image.tags
        assert client.containers.run(tag, ["cat", "/msg"], remove=True) == b"from-py\n"
        with pytest.raises(docker.errors.BuildError) as e:
            client.images.build(fileobj=io.BytesIO(b"FROM busybox\nRUN exit 7\n"), rm=True)
        assert "returned a non-zero code: 7" in str(e.value)
    finally:
        try:
            client.images.remove(tag, force=True)
        except docker.errors.NotFound:
            pass
        client.close()
