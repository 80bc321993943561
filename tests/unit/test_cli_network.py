"""`network create|ls|inspect|rm|prune|connect|disconnect` and the networking
flags of `run`, against canned API JSON. Expected bodies, outputs and errors
were printed (or sent) by the docker CLI 28.2.2 for the same input."""
from __future__ import annotations

import json

import pytest

from barge.cli import netopt
from barge.cli.commands import network as N
from barge.cli.networkrows import go_time_text
from barge.cli.runopts import create_body
from barge.client.http import APIError
from barge.errdefs import InvalidParameter
from barge_clifake import run

NET1 = {"Name": "bgtest1", "Id": "0884c0fa45ae6acab5c256f860cbe9807959ef05dcd22371cb719f56d83f4dd1",
        "Created": "2026-11-23T16:30:12.844095068Z", "Scope": "local", "Driver": "bridge", "EnableIPv6": False,
        "IPAM": {"Driver": "default", "Options": {}, "Config": [{"Subnet": "10.123.0.0/24"}]},
        "Internal": False, "Attachable": False, "Ingress": False, "ConfigFrom": {"Network": ""},
        "ConfigOnly": False, "Containers": {}, "Options": {}, "Labels": {"a": "b", "c": ""}}
BRIDGE = {"Name": "bridge", "Id": "ce00bd460d7ea4542d73df12e907be1d06c7bee854138b9c4dc9bfbdb96cd0e5",
          "Created": "2026-11-23T16:11:40.566008071Z", "Scope": "local", "Driver": "bridge", "EnableIPv6": False,
          "IPAM": {"Driver": "default", "Options": None,
                   "Config": [{"Subnet": "172.17.0.0/16", "Gateway": "172.17.0.1"}]},
          "Internal": False, "Attachable": False, "Ingress": False, "ConfigFrom": {"Network": ""},
          "ConfigOnly": False, "Containers": {}, "Options": {"com.docker.network.bridge.name": "docker0"},
          "Labels": {}}
NET2 = {**NET1, "Name": "bgtest2", "Id": "9c80b69354b204a63408ec84426008b9bcfdab74d687fd11fe4f27309c285516",
        "Created": "2026-11-23T16:30:12.91402361Z", "Internal": True, "Labels": {}}
HOST = {**BRIDGE, "Name": "host", "Id": "4304636506ba94cec89b1e0c06b68fa3741321c87bb31054d8336d0e3f1206a9",
        "Driver": "host", "Created": "2026-11-23T13:43:55.293637925Z"}
NETS = [BRIDGE, HOST, NET2, NET1]


def _sent(client, method="POST"):
    return [c[3] for c in client.calls if c[0] == method][-1]


# ---------------------------------------------------------------- network create

FULL = ["--subnet", "10.1.0.0/16", "--gateway", "10.1.0.1", "--ip-range", "10.1.2.0/24", "--aux-address",
        "a=10.1.0.5", "--aux-address", "b=10.1.0.6", "--internal", "--attachable", "--label", "l=1", "--label", "m",
        "-o", "o1=v", "--ipv6", "--ipam-opt", "io=1", "--ipam-driver", "foo", "--scope", "local",
        "--config-from", "cf", "--ingress", "--config-only", "y"]


@pytest.mark.parametrize("argv, version, sent", [
    (["x"], "1.41",
     '{"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[]},"Internal":false,'
     '"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{},"Labels":{},'
     '"Name":"x","CheckDuplicate":true}'),
    (["x"], "1.45",
     '{"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[]},"Internal":false,'
     '"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{},"Labels":{},'
     '"Name":"x"}'),
    (FULL, "1.41",
     '{"Driver":"bridge","Scope":"local","EnableIPv6":true,"IPAM":{"Driver":"foo","Options":{"io":"1"},'
     '"Config":[{"Subnet":"10.1.0.0/16","IPRange":"10.1.2.0/24","Gateway":"10.1.0.1","AuxiliaryAddresses":'
     '{"a":"10.1.0.5","b":"10.1.0.6"}}]},"Internal":true,"Attachable":true,"Ingress":true,"ConfigOnly":true,'
     '"ConfigFrom":{"Network":"cf"},"Options":{"o1":"v"},"Labels":{"l":"1","m":""},"Name":"y",'
     '"CheckDuplicate":true}'),
    (["--subnet", "10.1.0.0/16,10.2.0.0/16", "--gateway", "10.2.0.1", "y"], "1.45",
     '{"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[{"Subnet":"10.1.0.0/16"},'
     '{"Subnet":"10.2.0.0/16","Gateway":"10.2.0.1"}]},"Internal":false,"Attachable":false,"Ingress":false,'
     '"ConfigOnly":false,"ConfigFrom":null,"Options":{},"Labels":{},"Name":"y"}'),
    (["--ipv4=false", "--ipv6=false", "-d", "macvlan", "y"], "1.45",
     '{"Driver":"macvlan","Scope":"","EnableIPv4":false,"EnableIPv6":false,"IPAM":{"Driver":"default",'
     '"Options":{},"Config":[]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigOnly":false,'
     '"ConfigFrom":null,"Options":{},"Labels":{},"Name":"y"}'),
])
def test_create_sends_dockers_body(argv, version, sent) -> None:
    nid = "abc123def4567890abc123def4567890abc123def4567890abc123def4567890"
    code, out, err, client = run(N.create, argv, {"POST /networks/create": {"Id": nid, "Warning": ""}},
                                 version=version)
    assert (code, out, err) == (0, nid + "\n", "")
    assert json.dumps(_sent(client), separators=(",", ":")) == sent
    assert client.calls[0][:2] == ("GET", "/_ping")


@pytest.mark.parametrize("argv, message", [
    (["--gateway", "10.1.0.1"], "every ip-range or gateway must have a corresponding subnet"),
    (["--subnet", "10.1.0.0/16", "--subnet", "10.1.0.0/24"], "multiple overlapping subnet configuration is not supported"),
    (["--subnet", "10.1.0.0/16", "--gateway", "10.3.0.1"], "no matching subnet for gateway 10.3.0.1"),
    (["--subnet", "10.1.0.0/16", "--ip-range", "10.3.0.0/24"], "no matching subnet for range 10.3.0.0/24"),
    (["--subnet", "10.1.0.0/16", "--subnet", "10.2.0.0/16", "--ip-range", "10.1.0.0/24", "--ip-range",
      "10.1.1.0/24"], "cannot configure multiple ranges (10.1.1.0/24, 10.1.0.0/24) on the same subnet (10.1.0.0/16)"),
    (["--subnet", "10.1.0.0/16", "--subnet", "10.2.0.0/16", "--gateway", "10.1.0.1", "--gateway", "10.1.0.2"],
     "cannot configure multiple gateways (10.1.0.2, 10.1.0.1) for the same subnet (10.1.0.0/16)"),
    (["--subnet", "10.1.0.0/16", "--aux-address", "a=10.3.0.1"], "no matching subnet for aux-address 10.3.0.1"),
    (["--subnet", "10.1.0.0/16", "--aux-address", "a=bad"], "no matching subnet for aux-address bad"),
    (["--subnet", "10.1.0.0/16", "--aux-address", "noeq"], "no matching subnet for aux-address "),
    (["--aux-address", "a=1.2.3.4"], "no matching subnet for aux-address 1.2.3.4"),
    (["--subnet", "10.1.0.0/16", "--gateway", "bad"], "no matching subnet for gateway bad"),
    (["--subnet", "10.1.0.0/16", "--ip-range", "bad"], "invalid CIDR address: bad"),
    (["--subnet", "10.1.0.0/16", "--subnet", "bad"], "invalid subnet: invalid CIDR address: bad"),
    (["--subnet", "bad", "--subnet", "10.1.0.0/16"], "invalid subnet: invalid CIDR address: bad"),
    (["--subnet", "bad/x", "--subnet", "10.1.0.0/16"], "invalid CIDR address: bad/x"),
    (["--subnet", "bad", "--gateway", "1.2.3.4"], "invalid subnet: invalid CIDR address: bad"),
    (["--subnet", "fd00::/64", "--gateway", "10.0.0.1"], "no matching subnet for gateway 10.0.0.1"),
])
def test_create_ipam_errors(argv, message) -> None:
    code, out, err, client = run(N.create, argv + ["y"])
    assert (code, out, err, client.calls) == (1, "", message + "\n", [])


def test_create_ipam_accepts_what_docker_accepts() -> None:
    assert netopt.ipam_config(["bad"], [], [], {}) == [{"Subnet": "bad"}]       # the daemon judges it
    assert netopt.ipam_config(["10.1.0.5/16"], [], ["10.1.0.1/24"], {}) == [
        {"Subnet": "10.1.0.5/16", "Gateway": "10.1.0.1/24"}]
    assert netopt.ipam_config(["fd00::/64"], [], ["fd00::1"], {"x": "fd00::9"}) == [
        {"Subnet": "fd00::/64", "Gateway": "fd00::1", "AuxiliaryAddresses": {"x": "fd00::9"}}]


def test_create_flag_and_daemon_errors() -> None:
    code, _, err, _ = run(N.create, ["--label", " a b", "y"])
    assert code == 125 and err.startswith(
        'invalid argument " a b" for "--label" flag: label \'a b\' contains whitespaces\n\nUsage:  docker network create')
    code, _, err, _ = run(N.create, ["y", "z"])
    assert code == 1 and err.startswith("docker: 'docker network create' requires 1 argument\n")
    taken = APIError(409, "network with name y already exists")
    code, out, err, _ = run(N.create, ["y"], {"POST /networks/create": taken})
    assert (code, out, err) == (1, "", "Error response from daemon: network with name y already exists\n")


# ---------------------------------------------------------------- network ls

def test_ls_table_sorted_by_name() -> None:
    code, out, err, client = run(N.ls, [], {"GET /networks": NETS})
    assert (code, err) == (0, "")
    assert out == ("NETWORK ID     NAME      DRIVER    SCOPE\n"
                   "0884c0fa45ae   bgtest1   bridge    local\n"
                   "9c80b69354b2   bgtest2   bridge    local\n"
                   "ce00bd460d7e   bridge    bridge    local\n"
                   "4304636506ba   host      host      local\n")
    assert client.calls == [("GET", "/networks", {}, None)]


def test_ls_quiet_no_trunc_and_filters() -> None:
    _, out, _, client = run(N.ls, ["-q", "-f", "driver=bridge", "--filter", "name=bg"], {"GET /networks": NETS})
    assert out == "0884c0fa45ae\n9c80b69354b2\nce00bd460d7e\n4304636506ba\n"
    assert json.loads(client.calls[0][2]["filters"]) == {"driver": {"bridge": True}, "name": {"bg": True}}
    _, out, _, _ = run(N.ls, ["--no-trunc", "-q"], {"GET /networks": [NET1]})
    assert out == NET1["Id"] + "\n"
    _, out, _, _ = run(N.ls, ["--no-trunc"], {"GET /networks": [NET1]})
    assert out.splitlines()[1] == NET1["Id"] + "   bgtest1   bridge    local"
    _, out, _, _ = run(N.ls, ["--format", "raw", "-q"], {"GET /networks": [NET1]})
    assert out == "network_id: 0884c0fa45ae\n"
    _, out, _, _ = run(N.ls, ["--format", "{{.Name}}", "-q"], {"GET /networks": [NET1]})
    assert out == "bgtest1\n"


def test_ls_format_fields() -> None:
    fmt = '{{.ID}}|{{.Name}}|{{.Driver}}|{{.Scope}}|{{.IPv6}}|{{.IPv4}}|{{.Internal}}|{{.Labels}}|{{.Label "a"}}|{{.CreatedAt}}'
    _, out, _, _ = run(N.ls, ["--format", fmt], {"GET /networks": [NET2, NET1]})
    assert out == ("0884c0fa45ae|bgtest1|bridge|local|false|false|false|a=b,c=|b|2026-11-23 16:30:12.844095068 +0000 UTC\n"
                   "9c80b69354b2|bgtest2|bridge|local|false|false|true|||2026-11-23 16:30:12.91402361 +0000 UTC\n")
    _, out, _, _ = run(N.ls, ["--format", "json"], {"GET /networks": [NET1]})
    assert out == ('{"CreatedAt":"2026-11-23 16:30:12.844095068 +0000 UTC","Driver":"bridge","ID":"0884c0fa45ae",'
                   '"IPv4":"false","IPv6":"false","Internal":"false","Labels":"a=b,c=","Name":"bgtest1","Scope":"local"}\n')
    _, out, _, _ = run(N.ls, ["--format", "table {{.Name}}\\t{{.IPv6}}\\t{{.Labels}}"], {"GET /networks": [NET2, NET1]})
    assert out == "NAME      IPV6      LABELS\nbgtest1   false     a=b,c=\nbgtest2   false     \n"


def test_ls_errors() -> None:
    code, _, err, _ = run(N.ls, ["--format", "{{.Foo}}"], {"GET /networks": [NET1]})
    assert (code, err) == (1, 'template parsing error: template: :1:2: executing "" at <.Foo>: '
                              "can't evaluate field Foo in type *network.networkContext\n")
    code, _, err, _ = run(N.ls, ["-f", "bad"])
    assert code == 125 and err.startswith('invalid argument "bad" for "-f, --filter" flag: bad format of filter '
                                          "(expected name=value)\n")
    code, _, err, _ = run(N.ls, [], {"GET /networks": APIError(400, "Invalid filter 'foo'")})
    assert (code, err) == (1, "Error response from daemon: Invalid filter 'foo'\n")


def test_natural_order_of_names() -> None:
    nets = [{**NET1, "Name": n} for n in ("n10", "n9", "N2", "n1")]
    _, out, _, _ = run(N.ls, ["--format", "{{.Name}}"], {"GET /networks": nets})
    assert out == "N2\nn1\nn9\nn10\n"


@pytest.mark.parametrize("created, text", [
    ("2026-11-23T16:30:12.844095068Z", "2026-11-23 16:30:12.844095068 +0000 UTC"),
    ("2026-11-23T16:30:12.910000000Z", "2026-11-23 16:30:12.91 +0000 UTC"),
    ("2026-11-23T16:30:12Z", "2026-11-23 16:30:12 +0000 UTC"),
    (None, "0001-01-01 00:00:00 +0000 UTC"),
])
def test_go_time_text(created, text) -> None:
    assert go_time_text(created) == text


# ---------------------------------------------------------------- network inspect

def test_inspect_prints_the_daemons_json() -> None:
    code, out, err, client = run(N.inspect, ["bgtest1"], {"GET /networks/bgtest1": NET1})
    assert (code, err) == (0, "") and json.loads(out) == [NET1]
    assert out.startswith('[\n    {\n        "Name": "bgtest1",\n        "Id": ')
    _, _, _, client = run(N.inspect, ["-v", "bgtest1"], {"GET /networks/bgtest1": NET1})
    assert client.calls == [("GET", "/networks/bgtest1", {"verbose": "true"}, None)]


def test_inspect_missing() -> None:
    routes = {"GET /networks/nope": APIError(404, "network nope not found"), "GET /networks/bgtest1": NET1}
    code, out, err, _ = run(N.inspect, ["nope"], routes)
    assert (code, out, err) == (1, "[]\n", "Error response from daemon: network nope not found\n")
    code, out, err, _ = run(N.inspect, ["nope", "bgtest1", "-f", "{{.Name}}"], routes)
    assert (code, out, err) == (1, "bgtest1\n", "Error response from daemon: network nope not found\n")


@pytest.mark.parametrize("fmt, out", [
    ("{{.Options}}", "map[]\nmap[com.docker.network.bridge.name:docker0]\n"),
    ("{{.IPAM.Config}}", "[{10.123.0.0/24   map[]}]\n[{172.17.0.0/16  172.17.0.1 map[]}]\n"),
    ("{{.IPAM}}", "{default map[] [{10.123.0.0/24   map[]}]}\n{default map[] [{172.17.0.0/16  172.17.0.1 map[]}]}\n"),
    ("{{.Containers}} {{.ConfigFrom}} {{.Peers}} {{.Services}} {{.EnableIPv4}}", "map[] {} [] map[] false\n" * 2),
    ("{{.Created}}", "2026-11-23 16:30:12.844095068 +0000 UTC\n2026-11-23 16:11:40.566008071 +0000 UTC\n"),
    ("{{.Labels}} {{.Labels.zz}}", "map[a:b c:] <no value>\nmap[] <no value>\n"),
    ("{{.Id}}", f"{NET1['Id']}\n{BRIDGE['Id']}\n"),            # the raw JSON's key
    ("{{.ID}}", f"{NET1['Id']}\n{BRIDGE['Id']}\n"),            # the Go struct's field
    ("{{json .IPAM}}", '{"Driver":"default","Options":{},"Config":[{"Subnet":"10.123.0.0/24"}]}\n'
                       '{"Driver":"default","Options":null,"Config":[{"Subnet":"172.17.0.0/16","Gateway":"172.17.0.1"}]}\n'),
    ("{{range .IPAM.Config}}{{.Subnet}}{{end}}", "10.123.0.0/24\n172.17.0.0/16\n"),
])
def test_inspect_templates_run_on_dockers_types(fmt, out) -> None:
    routes = {"GET /networks/bgtest1": NET1, "GET /networks/bridge": BRIDGE}
    assert run(N.inspect, ["-f", fmt, "bgtest1", "bridge"], routes)[:3] == (0, out, "")


def test_inspect_template_json_and_raw_fallback_errors() -> None:
    routes = {"GET /networks/bgtest1": NET1}
    _, out, _, _ = run(N.inspect, ["-f", "{{json .}}", "bgtest1"], routes)
    assert out == ('{"Name":"bgtest1","Id":"0884c0fa45ae6acab5c256f860cbe9807959ef05dcd22371cb719f56d83f4dd1",'
                   '"Created":"2026-11-23T16:30:12.844095068Z","Scope":"local","Driver":"bridge","EnableIPv4":false,'
                   '"EnableIPv6":false,"IPAM":{"Driver":"default","Options":{},"Config":[{"Subnet":"10.123.0.0/24"}]},'
                   '"Internal":false,"Attachable":false,"Ingress":false,"ConfigFrom":{"Network":""},"ConfigOnly":false,'
                   '"Containers":{},"Options":{},"Labels":{"a":"b","c":""}}\n')
    code, out, err, _ = run(N.inspect, ["-f", "{{.IPAM.Foo}}", "bgtest1"], routes)
    assert (code, out, err) == (1, "\n", 'template parsing error: template: :1:7: executing "" at <.IPAM.Foo>: '
                                         'map has no entry for key "Foo"\n')
    code, out, err, _ = run(N.inspect, ["-f", "json", "bgtest1"], routes)
    assert (code, json.loads(out)) == (0, [NET1])


def test_inspect_containers_as_structs() -> None:
    ep = {"Name": "web", "EndpointID": "e1", "MacAddress": "02:42:0a:7b:00:02", "IPv4Address": "10.123.0.2/24",
          "IPv6Address": ""}
    routes = {"GET /networks/bgtest1": {**NET1, "Containers": {"c1": ep}}}
    _, out, _, _ = run(N.inspect, ["-f", "{{.Containers}}|{{range .Containers}}{{.IPv4Address}}{{end}}|"
                                         "{{json .Containers}}", "bgtest1"], routes)
    assert out == ("map[c1:{web e1 02:42:0a:7b:00:02 10.123.0.2/24 }]|10.123.0.2/24|" + json.dumps(
        {"c1": ep}, separators=(",", ":")) + "\n")


# ---------------------------------------------------------------- rm, prune

def test_rm_prints_names_and_errors() -> None:
    routes = {"DELETE /networks/nope": APIError(404, "network nope not found"),
              "DELETE /networks/bridge": APIError(403, "bridge is a pre-defined network and cannot be removed")}
    code, out, err, client = run(N.rm, ["a", "nope", "bridge", "b"], routes)
    assert (code, out) == (1, "a\nb\n")
    assert err == ("Error response from daemon: network nope not found\n"
                   "Error response from daemon: bridge is a pre-defined network and cannot be removed\n"
                   "exit status 1\n")
    assert [c[:2] for c in client.calls[:2]] == [("GET", "/networks/a"), ("DELETE", "/networks/a")]
    assert run(N.rm, ["-f", "nope"], routes)[:3] == (0, "", "")
    assert run(N.rm, ["--force", "nope", "bridge"], routes)[0] == 1


def test_rm_ingress_asks_first() -> None:
    routes = {"GET /networks/ingress": {"Ingress": True}}
    code, out, _, client = run(N.rm, ["ingress"], routes, stdin="n\n")
    assert code == 0 and out.startswith("WARNING! Before removing the routing-mesh network")
    assert not [c for c in client.calls if c[0] == "DELETE"]
    code, out, _, _ = run(N.rm, ["ingress"], routes, stdin="y\n")
    assert code == 0 and out.endswith("[y/N] ingress\n")


def test_prune() -> None:
    routes = {"POST /networks/prune": {"NetworksDeleted": ["n1", "n2"]}}
    code, out, err, client = run(N.prune, ["--filter", "until=1h", "--filter", "label=a"], routes, stdin="y\n")
    assert (code, err) == (0, "")
    assert out == (f"{N.PRUNE_WARNING}\nAre you sure you want to continue? [y/N] Deleted Networks:\nn1\nn2\n\n")
    assert json.loads(client.calls[0][2]["filters"]) == {"until": {"1h": True}, "label": {"a": True}}
    code, out, _, client = run(N.prune, [], routes, stdin="n\n")
    assert (code, out.endswith("[y/N] "), client.calls) == (0, True, [])
    assert run(N.prune, ["-f"], {"POST /networks/prune": {"NetworksDeleted": None}})[:3] == (0, "", "")


# ---------------------------------------------------------------- connect, disconnect

ZERO_EP = {"NetworkID": "", "EndpointID": "", "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
           "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "DNSNames": None}


def test_connect_body() -> None:
    code, out, err, client = run(N.connect, ["net1", "ctr1"])
    assert (code, out, err) == (0, "", "")
    assert client.calls[0][1] == "/networks/net1/connect"
    assert _sent(client) == {"Container": "ctr1", "EndpointConfig": {
        "IPAMConfig": {}, "Links": None, "Aliases": [], "MacAddress": "", "DriverOpts": {}, "GwPriority": 0, **ZERO_EP}}
    argv = ["--alias", "a1", "--alias", "a2,a3", "--ip", "10.0.0.5", "--ip6", "fd00::5", "--link", "c2", "--link",
            "c3:al", "--link-local-ip", "169.254.1.1", "--driver-opt", "k=v,k2=v2", "--driver-opt", " k3 = V ",
            "--gw-priority", "5", "net1", "ctr1"]
    ep = _sent(run(N.connect, argv)[3])["EndpointConfig"]
    assert ep == {"IPAMConfig": {"IPv4Address": "10.0.0.5", "IPv6Address": "fd00::5", "LinkLocalIPs": ["169.254.1.1"]},
                  "Links": ["c2", "c3:al"], "Aliases": ["a1", "a2", "a3"], "MacAddress": "",
                  "DriverOpts": {"k": "v", "k2": "v2", "k3": "V"}, "GwPriority": 5, **ZERO_EP}
    ep = _sent(run(N.connect, ["--alias", "", "--link-local-ip", "", "--ip", "bad", "n", "c"])[3])["EndpointConfig"]
    assert (ep["Aliases"], ep["IPAMConfig"]) == ([], {"IPv4Address": "bad"})


def test_connect_errors() -> None:
    code, _, err, client = run(N.connect, ["--driver-opt", "novalue", "net1", "ctr1"])
    assert (code, err, client.calls) == (1, "invalid key/value pair format in driver options\n", [])
    code, _, err, _ = run(N.connect, ["--link", "bad:x:y", "net1", "ctr1"])
    assert code == 125 and err.startswith('invalid argument "bad:x:y" for "--link" flag: bad format for links: bad:x:y\n')
    code, _, err, _ = run(N.connect, ["--gw-priority", "x", "n", "c"])
    assert code == 125 and err.startswith('invalid argument "x" for "--gw-priority" flag: strconv.ParseInt: '
                                          'parsing "x": invalid syntax\n')
    code, _, err, _ = run(N.connect, ["net1"])
    assert code == 1 and err.startswith("docker: 'docker network connect' requires 2 arguments\n")
    routes = {"POST /networks/n/connect": APIError(404, "No such container: c")}
    assert run(N.connect, ["n", "c"], routes)[:3] == (1, "", "Error response from daemon: No such container: c\n")


def test_disconnect_body() -> None:
    _, _, _, client = run(N.disconnect, ["net1", "ctr1"])
    assert client.calls == [("POST", "/networks/net1/disconnect", {}, {"Container": "ctr1", "Force": False})]
    assert _sent(run(N.disconnect, ["-f", "net1", "ctr1"])[3]) == {"Container": "ctr1", "Force": True}


# ---------------------------------------------------------------- run/create networking flags

def _ep(**fields) -> dict:
    return {**netopt.endpoint_settings(), **fields}


def _net(o: dict) -> tuple:
    body = create_body(o, "busybox", [], {}, {}, {})
    hc = body["HostConfig"]
    return hc["NetworkMode"], hc["Links"], body["NetworkingConfig"]["EndpointsConfig"]


@pytest.mark.parametrize("o, mode, links, endpoints", [
    ({}, "default", None, {"default": _ep()}),
    ({"network": ["host"]}, "host", None, {}),
    ({"network": ["none"]}, "none", None, {}),
    ({"network": ["container:abc"]}, "container:abc", None, {}),
    ({"network": ["default"]}, "default", None, {}),
    ({"network": ["bridge"], "link": ["c2"]}, "bridge", ["c2"], {}),
    ({"link": ["c2"]}, "default", ["c2"], {"default": _ep()}),
    ({"network": ["net1"], "network-alias": ["a1", "a2"], "ip": "10.0.0.5", "ip6": "fd00::5", "link": ["c2", "c3:al"],
      "link-local-ip": ["169.254.1.1", "fe80::1"]}, "net1", ["c2", "c3:al"],
     {"net1": _ep(IPAMConfig={"IPv4Address": "10.0.0.5", "IPv6Address": "fd00::5",
                              "LinkLocalIPs": ["169.254.1.1", "fe80::1"]}, Links=["c2", "c3:al"], Aliases=["a1", "a2"])}),
    ({"network": ["net1", "net2"]}, "net1", None, {"net1": _ep(), "net2": _ep()}),
    ({"network": ["name=net1,alias=x,ip=10.0.0.9", "net2"]}, "net1", None,
     {"net1": _ep(IPAMConfig={"IPv4Address": "10.0.0.9"}, Aliases=["x"]), "net2": _ep()}),
    ({"network": ["net1", "name=net2,alias=b"], "network-alias": ["a"]}, "net1", None,
     {"net1": _ep(Aliases=["a"]), "net2": _ep(Aliases=["b"])}),
    ({"network": ["name=n1", "name=n2,link-local-ip=169.254.0.9"], "link-local-ip": ["169.254.0.1"], "ip": "10.1.1.1"},
     "n1", None, {"n1": _ep(IPAMConfig={"IPv4Address": "10.1.1.1", "LinkLocalIPs": ["169.254.0.1"]}),
                  "n2": _ep(IPAMConfig={"LinkLocalIPs": ["169.254.0.9"]})}),
    ({"network": ["name=net1,driver-opt=a=b,driver-opt=c=d,gw-priority=3,ip6=fd00::2,link-local-ip=169.254.0.2"]},
     "net1", None, {"net1": _ep(IPAMConfig={"IPv6Address": "fd00::2", "LinkLocalIPs": ["169.254.0.2"]},
                                DriverOpts={"a": "b", "c": "d"}, GwPriority=3)}),
    ({"network": ["NAME=Net1,Alias=B,mac-address=02:42:AC:11:00:02"]}, "net1", None,
     {"net1": _ep(Aliases=["b"], MacAddress="02:42:ac:11:00:02")}),
    ({"mac-address": "02:42:AC:11:00:02"}, "default", None, {"default": _ep(MacAddress="02:42:AC:11:00:02")}),
    ({"network": ["host"], "mac-address": "02:42:ac:11:00:02:aa:bb"}, "host", None,
     {"host": _ep(MacAddress="02:42:ac:11:00:02:aa:bb")}),
    ({"ip": "bad", "ip6": "bad", "link-local-ip": ["x"]}, "default", None,
     {"default": _ep(IPAMConfig={"IPv4Address": "bad", "IPv6Address": "bad", "LinkLocalIPs": ["x"]})}),
    ({"network": "none"}, "none", None, {}),
])
def test_run_network_flags(o, mode, links, endpoints) -> None:
    assert _net(o) == (mode, links, endpoints)


@pytest.mark.parametrize("o, message", [
    ({"network-alias": ["a1"]}, "network-scoped aliases are only supported for user-defined networks"),
    ({"network": ["bridge"], "network-alias": ["a1"]}, "network-scoped aliases are only supported for user-defined networks"),
    ({"network": ["host", "net1"]}, "conflicting options: cannot attach both user-defined and non-user-defined network-modes"),
    ({"network": ["net1", "net1"]}, 'network "net1" is specified multiple times'),
    ({"network": [""]}, "no name set for network"),
    ({"mac-address": "bad"}, "bad is not a valid mac address"),
    ({"network": ["name=net1,mac-address=zz"]}, "zz is not a valid mac address"),
    ({"network": ["name=net1,alias=b"], "network-alias": ["a"]},
     "conflicting options: cannot specify both --network-alias and per-network alias"),
    ({"network": ["name=n1,ip=1.1.1.1"], "ip": "10.1.1.1"},
     "conflicting options: cannot specify both --ip and per-network IPv4 address"),
    ({"network": ["name=n1,mac-address=02:42:ac:11:00:02"], "mac-address": "02:42:ac:11:00:03"},
     "conflicting options: cannot specify both --mac-address and per-network MAC address"),
])
def test_run_network_errors(o, message) -> None:
    with pytest.raises(InvalidParameter) as info:
        _net(o)
    assert str(info.value) == message


@pytest.mark.parametrize("value, message", [
    ("name=net1,foo=bar", "invalid field key foo"),
    ("net1,alias=x", "invalid field net1"),
    ("alias=x", "network name/id is not specified"),
    ("a=b", "invalid field key a"),
    ("name=net1,driver-opt=x", "invalid key value pair format in driver options"),
    ("name=Net1,gw-priority=x", "invalid gw-priority (x): invalid syntax"),
])
def test_network_flag_errors(value, message) -> None:
    with pytest.raises(ValueError) as info:
        netopt.validate_network(value)
    assert str(info.value) == message
    assert netopt.validate_network("my-net") == "my-net"


@pytest.mark.parametrize("value, result", [
    ("h:1.2.3.4", "h:1.2.3.4"), ("g:host-gateway", "g:host-gateway"), ("x=1.2.3.4", "x:1.2.3.4"),
    ("h:[::1]", "h:::1"), ("h=::1", "h:::1"), ("h:::1", "h:::1"), ("h: 1.2.3.4", "h: 1.2.3.4"),
    ("h:0:0:0:0:0:0:0:1", "h:0:0:0:0:0:0:0:1"),
    ("x", ValueError('bad format for add-host: "x"')), (":1.2.3.4", ValueError('bad format for add-host: ":1.2.3.4"')),
    ("h:bad", ValueError('invalid IP address in add-host: "bad"')),
    ("a:b:1.2.3.4", ValueError('invalid IP address in add-host: "b:1.2.3.4"')),
])
def test_add_host(value, result) -> None:
    if isinstance(result, Exception):
        with pytest.raises(ValueError, match=str(result).replace("[", r"\[")):
            netopt.validate_extra_host(value)
    else:
        assert netopt.validate_extra_host(value) == result


def test_dns_and_dns_search_and_link() -> None:
    assert [netopt.validate_ip(v) for v in ("0:0:0:0:0:0:0:1", " 1.1.1.1", "::ffff:127.0.0.1", "FE80::1")] == [
        "::1", "1.1.1.1", "127.0.0.1", "fe80::1"]
    with pytest.raises(ValueError, match="IP address is not correctly formatted: bad"):
        netopt.validate_ip("bad")
    assert netopt.is_loopback("127.1.2.3") and netopt.is_loopback("::1") and not netopt.is_loopback("8.8.8.8")
    assert [netopt.validate_dns_search(v) for v in (".", "ok.com.", " x.y ")] == [".", "ok.com", "x.y"]
    for bad in (".bad", "a..b", "123", "a" * 300):
        with pytest.raises(ValueError, match="is not a valid domain"):
            netopt.validate_dns_search(bad)
    assert netopt.validate_link("c2") == "c2" and netopt.validate_link("c3:al") == "c3:al"
    with pytest.raises(ValueError, match="empty string specified for links"):
        netopt.validate_link("")
    with pytest.raises(ValueError, match="bad format for links: a:b:c"):
        netopt.validate_link("a:b:c")


def test_mac_forms() -> None:
    good = ("02:42:ac:11:00:02", "02-42-AC-11-00-02", "0242.ac11.0002", "02:42:ac:11:00:02:aa:bb")
    bad = ("bad", "02:42:ac:11:00", "02:42-ac:11:00:02", "02:42:ac:11:00:0g", "0242.ac11.00:2")
    assert all(map(netopt.valid_mac, good)) and not any(map(netopt.valid_mac, bad))
