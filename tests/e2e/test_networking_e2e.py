"""The Docker tutorials' networking scenarios, typed into the stock docker CLI
and docker-py against barged. Traffic stays between this host and barge's networks."""
from __future__ import annotations

import json
import uuid

import pytest

from barge_testlib import fetch

pytestmark = pytest.mark.e2e
SERVE = "echo {body} > /index.html && exec httpd -f -p 80 -h /"


def unique(prefix: str) -> str:
    return f"e2e-{prefix}-{uuid.uuid4().hex[:8]}"


def test_published_web_server(docker_cli, made):
    web = made.container(prefix="web")
    docker_cli.out("run", "-d", "--name", web, "-p", "18080:80", "busybox", "sh", "-c", SERVE.format(body="tutorial"))
    assert fetch("http://127.0.0.1:18080/") == "tutorial\n"
    assert docker_cli.out("port", web) == "80/tcp -> 0.0.0.0:18080\n"
    ip = docker_cli.out("inspect", "--format", "{{ .NetworkSettings.IPAddress }}", web).strip()
    assert fetch(f"http://{ip}/") == "tutorial\n"
    assert "0.0.0.0:18080->80/tcp" in docker_cli.out("ps", "--filter", f"name={web}")


def test_user_network_by_name(docker_cli, made):
    net = unique("beenet")
    docker_cli.out("network", "create", net)
    try:
        web1 = made.container(prefix="web1")
        docker_cli.out("run", "-d", "--name", web1, "--network", net, "busybox", "sh", "-c", SERVE.format(body="bee"))
        out = docker_cli.out("run", "--rm", "--network", net, "busybox", "wget", "-qO-", f"http://{web1}/")
        assert out == "bee\n"
        ls = docker_cli.out("network", "ls", "--filter", f"name={net}", "--format", "{{.Name}} {{.Driver}} {{.Scope}}")
        assert ls == f"{net} bridge local\n"
        info = json.loads(docker_cli.out("network", "inspect", net))[0]
        assert info["Driver"] == "bridge" and info["IPAM"]["Config"][0]["Subnet"]
    finally:
        docker_cli.run("rm", "-f", *made.containers)
        made.containers.clear()
        docker_cli.run("network", "rm", net)


def test_legacy_link(docker_cli, made):
    nginx = made.container(prefix="my-nginx")
    docker_cli.out("run", "-d", "--name", nginx, "busybox", "sh", "-c", SERVE.format(body="gin"))
    out = docker_cli.out("run", "--rm", "--link", f"{nginx}:gin", "busybox", "wget", "-qO-", "http://gin/")
    assert out == "gin\n"


def test_docker_py_networks_and_ports(daemon):
    docker = pytest.importorskip("docker")
    client = docker.DockerClient(base_url=daemon.host, timeout=60)
    net_name, web = unique("pynet"), unique("pyweb")
    net = client.networks.create(net_name, driver="bridge", labels={"t": "py"})
    try:
        c = client.containers.run("busybox", ["sh", "-c", SERVE.format(body="py")], name=web, detach=True,
                                  network=net_name, ports={"80/tcp": None})
        c.reload()
        port = c.ports["80/tcp"][0]["HostPort"]
        assert fetch(f"http://127.0.0.1:{port}/") == "py\n"
        net.reload()
        assert [x.name for x in net.containers] == [web]
        assert net_name in [n.name for n in client.networks.list(filters={"label": "t=py"})]
        c.remove(force=True)
    finally:
        try:
            client.containers.get(web).remove(force=True)
        except docker.errors.NotFound:
            pass
        net.remove()
        client.close()
