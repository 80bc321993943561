"""Bridge networking against a real barged: the default bridge, user networks
with DNS, published ports, links, isolation, connect/disconnect, and nothing
left behind. Traffic only flows between this host and barge's own networks."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import uuid

import pytest

from barge_testlib import fetch

SERVE = "echo {body} > /index.html && exec httpd -f -p 80 -h /"


def name(prefix="n"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def host_ip() -> str:
    """An address of this host that is not loopback (the published port must answer there too)."""
    out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        dev, addr = line.split()[1], line.split()[3].split("/")[0]
        if not dev.startswith(("bt-", "br-", "barge", "docker", "veth")):
            return addr
    pytest.skip("no global IPv4 address on this host")


@pytest.fixture
def web(daemon):
    """A web server on the default bridge, published on a random host port."""
    n = name("web")
    daemon.out("run", "-d", "--name", n, "-p", "80", "busybox", "sh", "-c", SERVE.format(body="hello-web"))
    yield n
    daemon.cli("rm", "-f", n)


def test_default_bridge_address_and_inspect(daemon, web):
    ip = daemon.out("inspect", "-f", "{{ .NetworkSettings.IPAddress }}", web).strip()
    nets = json.loads(daemon.out("inspect", "-f", "{{json .NetworkSettings.Networks}}", web))
    assert list(nets) == ["bridge"] and nets["bridge"]["IPAddress"] == ip
    assert nets["bridge"]["Gateway"] and nets["bridge"]["IPPrefixLen"] == 16
    assert nets["bridge"]["MacAddress"] == "02:42:" + ":".join(f"{int(b):02x}" for b in ip.split("."))
    out = daemon.out("run", "--rm", "busybox", "sh", "-c", "ip -4 -o addr show eth0; ip route; cat /etc/hosts")
    assert "inet 1" in out and "default via " + nets["bridge"]["Gateway"] in out
    assert fetch(f"http://{ip}/") == "hello-web\n"          # the host reaches the container directly


def test_published_port_from_host_loopback_and_other_containers(daemon, web):
    port = daemon.out("port", web, "80").split(":")[-1].strip()
    ports = json.loads(daemon.out("inspect", "-f", "{{json .NetworkSettings.Ports}}", web))
    assert ports == {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": port}]}
    assert 32768 <= int(port) <= 60999
    assert fetch(f"http://127.0.0.1:{port}/") == "hello-web\n"
    assert fetch(f"http://{host_ip()}:{port}/") == "hello-web\n"
    out = daemon.out("run", "--rm", "busybox", "wget", "-qO-", f"http://{host_ip()}:{port}/")
    assert out == "hello-web\n"
    assert f"0.0.0.0:{port}->80/tcp" in daemon.out("ps", "--filter", f"name={web}", "--format", "{{.Ports}}")


def test_port_already_taken_is_refused(daemon):
    s = socket.socket()
    s.bind(("0.0.0.0", 0))
    s.listen(1)
    taken = s.getsockname()[1]
    try:
        r = daemon.cli("run", "--rm", "-p", f"{taken}:80", "busybox", "true")
        assert r.returncode == 125
        assert f"Bind for 0.0.0.0:{taken} failed: port is already allocated" in r.stderr.decode()
    finally:
        s.close()


def test_user_network_dns_by_name_alias_and_short_id(daemon):
    net, web1 = name("beenet"), name("web1")
    daemon.out("network", "create", net)
    try:
        cid = daemon.out("run", "-d", "--name", web1, "--network", net, "--network-alias", "www", "busybox",
                         "sh", "-c", SERVE.format(body="by-name")).strip()
        for target in (web1, "www", cid[:12]):
            out = daemon.out("run", "--rm", "--network", net, "busybox", "wget", "-qO-", f"http://{target}/")
            assert out == "by-name\n", target
        resolv = daemon.out("run", "--rm", "--network", net, "busybox", "cat", "/etc/resolv.conf")
        assert "nameserver 127.0.0.11" in resolv
        # not on the default bridge, which has no embedded DNS and no route to the user network
        r = daemon.cli("run", "--rm", "busybox", "sh", "-c", f"timeout 3 wget -qO- http://{web1}/; exit $?")
        assert r.returncode != 0
        info = json.loads(daemon.out("network", "inspect", net))[0]
        assert [v["Name"] for v in info["Containers"].values()] == [web1]
    finally:
        daemon.cli("rm", "-f", web1)
        daemon.cli("network", "rm", net)


def test_networks_are_isolated_and_internal_has_no_way_out(daemon):
    a, b, inner = name("neta"), name("netb"), name("inner")
    srv = name("srv")
    daemon.out("network", "create", a)
    daemon.out("network", "create", b)
    daemon.out("network", "create", "--internal", inner)
    try:
        daemon.out("run", "-d", "--name", srv, "--network", a, "busybox", "sh", "-c", SERVE.format(body="a"))
        ip = daemon.out("inspect", "-f", f"{{{{(index .NetworkSettings.Networks \"{a}\").IPAddress}}}}", srv).strip()
        assert daemon.out("run", "--rm", "--network", a, "busybox", "wget", "-qO-", f"http://{ip}/") == "a\n"
        r = daemon.cli("run", "--rm", "--network", b, "busybox", "sh", "-c", f"timeout 3 wget -qO- http://{ip}/; exit $?")
        assert r.returncode != 0                             # another user network: no way through
        out = daemon.out("run", "--rm", "--network", inner, "busybox", "ip", "route")
        assert "default" not in out                          # --internal: no route off the network
    finally:
        daemon.cli("rm", "-f", srv)
        daemon.cli("network", "rm", a, b, inner)


def test_connect_and_disconnect_running_container(daemon):
    net, c = name("late"), name("joiner")
    daemon.out("network", "create", "--subnet", "10.231.7.0/24", net)
    daemon.out("run", "-d", "--name", c, "busybox", "sleep", "1d")
    try:
        daemon.out("network", "connect", "--ip", "10.231.7.50", "--alias", "late-one", net, c)
        assert "10.231.7.50" in daemon.out("exec", c, "ip", "-4", "-o", "addr")
        assert "10.231.7.50\t" in daemon.out("exec", c, "cat", "/etc/hosts")      # kept right, in place
        nets = json.loads(daemon.out("inspect", "-f", "{{json .NetworkSettings.Networks}}", c))
        assert set(nets) == {"bridge", net} and nets[net]["IPAddress"] == "10.231.7.50"
        daemon.out("network", "disconnect", net, c)
        assert "10.231.7.50" not in daemon.out("exec", c, "ip", "-4", "-o", "addr")
        assert "10.231.7.50" not in daemon.out("exec", c, "cat", "/etc/hosts")
        r = daemon.cli("network", "rm", "bridge")
        assert r.returncode == 1 and b"pre-defined network and cannot be removed" in r.stderr
    finally:
        daemon.cli("rm", "-f", c)
        daemon.cli("network", "rm", net)


def test_legacy_link_hosts_and_env(daemon):
    nginx, client = name("my-nginx"), name("client")
    daemon.out("run", "-d", "--name", nginx, "--expose", "80", "-e", "SECRET=x", "busybox", "sh", "-c",
               SERVE.format(body="linked"))
    try:
        out = daemon.out("run", "--rm", "--name", client, "--link", f"{nginx}:gin", "busybox", "sh", "-c",
                         "wget -qO- http://gin/; env | grep ^GIN_ | sort; grep gin /etc/hosts")
        lines = out.splitlines()
        assert lines[0] == "linked"
        ip = daemon.out("inspect", "-f", "{{ .NetworkSettings.IPAddress }}", nginx).strip()
        assert f"GIN_PORT_80_TCP=tcp://{ip}:80" in lines and "GIN_ENV_SECRET=x" in lines
        assert f"GIN_NAME=/{client}/gin" in lines
        assert lines[-1].startswith(f"{ip}\tgin ")
    finally:
        daemon.cli("rm", "-f", nginx)


def test_network_modes_none_host_container(daemon):
    assert "eth0" not in daemon.out("run", "--rm", "--network", "none", "busybox", "ip", "-o", "link")
    host_links = daemon.out("run", "--rm", "--network", "host", "busybox", "ip", "-o", "link")
    assert "lo" in host_links and len(host_links.splitlines()) > 2
    box = name("box")
    daemon.out("run", "-d", "--name", box, "busybox", "sleep", "1d")
    try:
        mine = daemon.out("exec", box, "ip", "-4", "-o", "addr", "show", "eth0").split()[3]
        out = daemon.out("run", "--rm", "--network", f"container:{box}", "busybox", "ip", "-4", "-o", "addr",
                         "show", "eth0")
        assert out.split()[3] == mine
    finally:
        daemon.cli("rm", "-f", box)


def test_add_host_and_host_gateway(daemon):
    out = daemon.out("run", "--rm", "--add-host", "db.local:10.9.9.9", "--add-host", "gw:host-gateway",
                     "busybox", "cat", "/etc/hosts")
    assert "10.9.9.9\tdb.local" in out
    gw = json.loads(daemon.out("network", "inspect", "bridge"))[0]["IPAM"]["Config"][0]["Gateway"]
    assert f"{gw}\tgw" in out


def _counts(daemon) -> dict:
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    nat = subprocess.run(["iptables", "-t", "nat", "-S"], capture_output=True, text=True).stdout
    flt = subprocess.run(["iptables", "-S"], capture_output=True, text=True).stdout
    ns = os.path.join(daemon.exec_root, "netns")
    return {"veth": links.count(" veth"), "bridges": links.count(" br-"),
            "rules": nat.count("BARGE") + flt.count("BARGE"),
            "netns": len(os.listdir(ns)) if os.path.isdir(ns) else 0}


def _settled(daemon, want: dict, timeout: float = 10) -> dict:
    deadline = time.time() + timeout
    while True:
        got = _counts(daemon)
        if got == want or time.time() > deadline:
            return got
        time.sleep(0.1)


def test_nothing_leaks_after_stop_rm_and_sigkill(fresh_daemon):
    import signal
    d = fresh_daemon
    before = _counts(d)
    net = name("leak")
    d.out("network", "create", net)
    d.out("run", "-d", "--name", "l1", "-p", "18081:80", "--network", net, "busybox", "sleep", "1d")
    d.out("run", "-d", "--name", "l2", "-p", "18082:80", "busybox", "sleep", "1d")
    during = _counts(d)
    assert during["veth"] == before["veth"] + 2 and during["netns"] == before["netns"] + 2
    d.proc.send_signal(signal.SIGKILL)                   # the daemon dies; the containers do not
    d.proc.wait()
    d.proc = None
    d.start()
    assert fetch_port_open(18081)                        # still held after the restart
    out = d.out("run", "--rm", "--network", net, "busybox", "nslookup", "l1")
    assert "Address" in out.split("l1")[-1]              # the embedded DNS serves again
    d.out("rm", "-f", "l1", "l2")
    d.out("network", "rm", net)
    assert _settled(d, before) == before
    s = socket.socket()
    s.bind(("0.0.0.0", 18081))                           # the port is free again
    s.close()


def fetch_port_open(port: int) -> bool:
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", port))
        return False
    except OSError:
        return True
    finally:
        s.close()


def test_icc_false_blocks_containers_on_the_default_bridge(fresh_daemon):
    d = fresh_daemon
    d.configure(icc=False)
    d.stop()
    d.start()
    srv = name("srv")
    d.out("run", "-d", "--name", srv, "busybox", "sh", "-c", SERVE.format(body="icc"))
    ip = d.out("inspect", "-f", "{{ .NetworkSettings.IPAddress }}", srv).strip()
    assert fetch(f"http://{ip}/") == "icc\n"                # the host still reaches it
    r = d.cli("run", "--rm", "busybox", "sh", "-c", f"timeout 3 wget -qO- http://{ip}/; exit $?")
    assert r.returncode != 0                                # its neighbour does not
