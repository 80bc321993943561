"""Volumes through the stock docker CLI and docker-py, against barged."""
from __future__ import annotations

import json
import uuid

import pytest

pytestmark = pytest.mark.e2e


def unique(prefix: str) -> str:
    return f"e2e-{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def vols(docker_cli):
    names: list[str] = []
    yield names
    if names:
        docker_cli.run("volume", "rm", "-f", *names)


def test_docker_cli_volume_commands(docker_cli, made, vols):
    v = unique("vol")
    vols.append(v)
    assert docker_cli.out("volume", "create", "--label", "app=web", v) == v + "\n"
    assert docker_cli.out("volume", "create", v) == v + "\n"          # idempotent, as Docker
    info = json.loads(docker_cli.out("volume", "inspect", v))[0]
    assert info["Name"] == v and info["Driver"] == "local" and info["Labels"] == {"app": "web"}
    assert info["Mountpoint"].endswith(f"/volumes/{v}/_data") and info["Scope"] == "local"
    assert docker_cli.out("volume", "ls", "-q", "--filter", "label=app=web").split() == [v]
    assert docker_cli.out("volume", "ls", "--filter", f"name={v}", "--format", "{{.Driver}} {{.Name}}") == \
        f"local {v}\n"
    c = made.container()
    docker_cli.out("run", "--name", c, "-v", f"{v}:/data", "busybox", "sh", "-c", "echo from-docker > /data/f")
    r = docker_cli.run("volume", "rm", v)
    assert r.returncode == 1 and f"remove {v}: volume is in use" in r.stderr
    docker_cli.out("rm", c)
    out = docker_cli.out("run", "--rm", "--mount", f"type=volume,source={v},target=/d,readonly", "busybox",
                         "sh", "-c", "cat /d/f; touch /d/x 2>/dev/null || echo ro")
    assert out == "from-docker\nro\n"
    assert docker_cli.out("volume", "rm", v) == v + "\n"
    vols.remove(v)
    r = docker_cli.run("volume", "inspect", v)
    assert r.returncode == 1 and "no such volume" in r.stderr


def test_docker_cli_mount_errors(docker_cli):
    r = docker_cli.run("run", "--rm", "--mount", "type=bind,src=/nonexistent-e2e,dst=/x", "busybox", "true")
    assert r.returncode == 125
    assert "invalid mount config for type \"bind\": bind source path does not exist: /nonexistent-e2e" in r.stderr
    r = docker_cli.run("run", "--rm", "-v", "a/b:/x", "busybox", "true")
    assert r.returncode == 125 and '"a/b" includes invalid characters for a local volume name' in r.stderr
    r = docker_cli.run("run", "--rm", "--mount", "type=tmpfs,src=x,dst=/x", "busybox", "true")
    assert r.returncode == 125 and 'field Source must not be specified' in r.stderr


def test_docker_py_volumes(daemon, vols):
    docker = pytest.importorskip("docker")
    client = docker.DockerClient(base_url=daemon.host, timeout=60)
    try:
        name = unique("pyvol")
        vols.append(name)
        v = client.volumes.create(name=name, driver="local", labels={"k": "v"})
        assert v.name == name and v.attrs["Labels"] == {"k": "v"}
        assert name in [x.name for x in client.volumes.list(filters={"label": "k=v"})]
        out = client.containers.run("busybox", ["sh", "-c", "echo py > /m/f; cat /m/f"],
                                    volumes={name: {"bind": "/m", "mode": "rw"}}, remove=True)
        assert out == b"py\n"
        assert client.volumes.get(name).attrs["Mountpoint"].endswith("/_data")
        client.volumes.get(name).remove()
        vols.remove(name)
        with pytest.raises(docker.errors.NotFound):
            client.volumes.get(name)
        anon = client.volumes.create()                   # docker-py with no name: a random one
        pruned = client.volumes.prune(filters={"all": "true", "label": "nothing=here"})
        assert pruned["VolumesDeleted"] is None
        pruned = client.volumes.prune(filters={"all": "true"})
        assert anon.name in (pruned["VolumesDeleted"] or [])
    finally:
        client.close()
