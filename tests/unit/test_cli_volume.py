"""`volume create|ls|inspect|rm|prune` and the volume rows of `system df`,
against canned API JSON. Expected outputs were printed by the docker CLI
28.2.2 for the same API answers."""
from __future__ import annotations

import json

import pytest

from barge.cli import diskusage
from barge.cli.commands import volume as V
from barge.cli.commands._common import encode_filters, filter_arg, label_arg
from barge.cli.volumerows import VolumeRow, natural_key
from barge.client.http import APIError
from barge.errdefs import InvalidParameter
from barge_clifake import run

VOLS = [
    {"Name": "v10", "Driver": "local", "Mountpoint": "/m/v10", "Scope": "local", "Labels": {"b": "2", "a": "1"},
     "CreatedAt": "2024-01-01T00:00:00Z", "Options": None, "UsageData": {"Size": 2048, "RefCount": 3}},
    {"Name": "v9", "Driver": "local", "Mountpoint": "/m/v9", "Scope": "local", "Labels": None},
    {"Name": "V2", "Driver": "x", "Mountpoint": "", "Scope": "global", "UsageData": {"Size": -1, "RefCount": 0}},
]
ANON = "269b385471b826b68149e012c2a55c9787cd79d8a582fb8ebde22f681e74373e"


def not_found(name):
    return APIError(404, f"get {name}: no such volume")


# ---------------------------------------------------------------- volume ls

@pytest.mark.parametrize("fmt,quiet,want", [
    ("", False, "DRIVER    VOLUME NAME\nx         V2\nlocal     v9\nlocal     v10\n"),
    ("table", True, "V2\nv9\nv10\n"),
    ("{{.Name}} {{.Links}} {{.Size}} {{.Labels}}", False, "V2 0 -1B \nv9 N/A N/A \nv10 3 2.048kB a=1,b=2\n"),
    ("{{.Driver}}", True, "x\nlocal\nlocal\n"),        # -q gives way to a custom format
    ("table {{.Driver}}", True, "DRIVER\nx\nlocal\nlocal\n"),
    ("raw", False, "name: V2\ndriver: x\n\nname: v9\ndriver: local\n\nname: v10\ndriver: local\n\n"),
    ("raw", True, "name: V2\nname: v9\nname: v10\n"),
    ('table {{.Label "a"}}\t{{.Scope}}\t{{.Mountpoint}}', False,
     "a         SCOPE     MOUNTPOINT\n          global    \n          local     /m/v9\n1         local     /m/v10\n"),
])
def test_ls_formats(fmt, quiet, want):
    assert V.render_volumes(VOLS, fmt, quiet) == want


def test_ls_json():
    lines = V.render_volumes(VOLS, "json", False).splitlines()
    assert json.loads(lines[2]) == {
        "Availability": "N/A", "Driver": "local", "Group": "N/A", "Labels": "a=1,b=2", "Links": "3",
        "Mountpoint": "/m/v10", "Name": "v10", "Scope": "local", "Size": "2.048kB", "Status": "N/A"}
    assert lines[0].startswith('{"Availability":"N/A","Driver":"x",')


def test_ls_empty_and_bad_template():
    assert V.render_volumes([], "", False) == "DRIVER    VOLUME NAME\n"
    with pytest.raises(InvalidParameter, match="template parsing error: .*can't evaluate field ID"):
        V.render_volumes(VOLS, "{{.ID}}", False)


def test_ls_sends_filters_and_prints():
    code, out, err, client = run(V.ls, ["-f", "dangling=true", "-f", "Label = foo", "-f", ""],
                                 {"GET /volumes": {"Volumes": VOLS[:1], "Warnings": ["w"]}})
    assert (code, out, err) == (0, "DRIVER    VOLUME NAME\nlocal     v10\n", "")
    filters = json.loads(client.calls[0][2]["filters"])
    assert filters == {"dangling": {"true": True}, "label": {"foo": True}}


def test_ls_errors():
    code, _, err, _ = run(V.ls, ["-f", "x"])
    assert code == 125
    assert err.startswith('invalid argument "x" for "-f, --filter" flag: bad format of filter (expected name=value)\n\n'
                          "Usage:  docker volume ls [OPTIONS]\n")
    code, _, err, _ = run(V.ls, [], {"GET /volumes": APIError(400, "Invalid filter 'foo'")})
    assert (code, err) == (1, "Error response from daemon: Invalid filter 'foo'\n")
    code, _, err, _ = run(V.ls, ["--format", "{{.Name"], {"GET /volumes": {"Volumes": VOLS}})
    assert (code, err) == (1, "template parsing error: template: :1: unclosed action\n")


@pytest.mark.parametrize("names,want", [
    (["v10", "v9", "V2"], ["V2", "v9", "v10"]),
    (["a02", "a2", "a1", "a"], ["a", "a1", "a2", "a02"]),
    (["b", "1a", "a", "10", "9", "a02", "a2", "a1", "V2", "v10", "v9", "é", "z", "a0", "a00", "a01", "a001"],
     ["1a", "9", "10", "V2", "a", "a0", "a00", "a1", "a01", "a001", "a2", "a02", "b", "v9", "v10", "z", "é"]),
    ([ANON, "cu1", "bvtest-a"], [ANON, "bvtest-a", "cu1"]),
    (["x-1-2", "x-1-10", "x-01-3"], ["x-1-2", "x-1-10", "x-01-3"]),
])
def test_natural_order(names, want):
    assert sorted(names, key=natural_key) == want


def test_row_cluster_fields():
    row = VolumeRow({"Name": "c", "ClusterVolume": {"Spec": {"Group": "g", "Availability": "active"},
                                                   "Info": {"VolumeID": "id"}, "PublishStatus": [{}, {}]}})
    assert (row.Group, row.Availability, row.Status) == ("g", "active", "in use (2 nodes)")
    assert VolumeRow({"ClusterVolume": {}}).Status == "pending creation"


# ---------------------------------------------------------------- flags shared with other commands

@pytest.mark.parametrize("arg,want", [
    ("dangling=true", "dangling=true"), ("Label = foo", "label=foo"), ("LABEL!=y", "label!=y"),
    ("name=a=b", "name=a=b"), ("", ""),
])
def test_filter_arg(arg, want):
    assert filter_arg(arg) == want


def test_filter_arg_errors_and_encoding():
    with pytest.raises(ValueError, match=r"bad format of filter \(expected name=value\)"):
        filter_arg("x")
    assert encode_filters([""]) is None and encode_filters(None) is None
    assert json.loads(encode_filters(["all=true", "label=x", "label=y"])) == {
        "all": {"true": True}, "label": {"x": True, "y": True}}


@pytest.mark.parametrize("value,msg", [
    ("=x", "invalid label '=x': empty name"),
    ("", "invalid label '': empty name"),
    ("  =x", "invalid label '  =x': empty name"),
    ("c =d", "label 'c ' contains whitespaces"),
    ("  c =d", "label 'c ' contains whitespaces"),
    ("a\tb=c", "label 'a\tb' contains whitespaces"),
    ("a b", "label 'a b' contains whitespaces"),
])
def test_label_arg_errors(value, msg):
    with pytest.raises(ValueError) as e:
        label_arg(value)
    assert str(e.value) == msg


def test_label_arg_keeps_valid_values():
    for value in (" a=b", "\ta=b", "a", "a= b ", "c\n=d"):
        assert label_arg(value) == value


# ---------------------------------------------------------------- volume create

def test_create_body():
    opts = {"driver": "foo", "label": ["a=b", "c", "d="], "opt": {"a": "b", "c": "", "": "x", "d": "e=f"}, "name": ""}
    assert V.create_body(opts, ["v1"]) == {"Driver": "foo", "DriverOpts": {"a": "b", "c": "", "": "x", "d": "e=f"},
                                           "Labels": {"a": "b", "c": "", "d": ""}, "Name": "v1"}
    assert V.create_body({"driver": "local", "label": [], "opt": {}, "name": ""}, []) == {"Driver": "local"}
    assert V.create_body({"driver": "local", "label": [], "opt": {}, "name": "n1"}, []) == {"Driver": "local",
                                                                                            "Name": "n1"}


def test_create_command():
    code, out, err, client = run(V.create, ["-o", "type=tmpfs", "--label", "k=v", "v1"],
                                 {"POST /volumes/create": {"Name": "v1", "Driver": "local"}})
    assert (code, out, err) == (0, "v1\n", "")
    assert client.calls == [("POST", "/volumes/create", {},
                             {"Driver": "local", "DriverOpts": {"type": "tmpfs"}, "Labels": {"k": "v"}, "Name": "v1"})]
    code, out, _, _ = run(V.create, [], {"POST /volumes/create": {"Name": ANON}})
    assert (code, out) == (0, ANON + "\n")


def test_create_errors():
    code, _, err, client = run(V.create, ["--name", "n1", "v1"])
    assert (code, err, client.calls) == (
        1, "conflicting options: cannot specify a volume-name through both --name and as a positional arg\n", [])
    code, _, err, _ = run(V.create, ["--label", "=x", "v1"])
    assert code == 125 and err.startswith('invalid argument "=x" for "--label" flag: invalid label \'=x\': empty name')
    code, _, err, _ = run(V.create, ["a", "b"])
    assert code == 1 and err.startswith("docker: 'docker volume create' requires at most 1 argument")
    code, _, err, _ = run(V.create, ["v1"], {"POST /volumes/create": APIError(500, "boom")})
    assert (code, err) == (1, "Error response from daemon: boom\n")


# ---------------------------------------------------------------- volume inspect

B = {"CreatedAt": "2026-11-23T16:14:12Z", "Driver": "local", "Labels": {"com.example.x": "1", "foo": ""},
     "Mountpoint": "/var/lib/docker-ref/volumes/bvtest-b/_data", "Name": "bvtest-b", "Options": None, "Scope": "local"}
A = {"Scope": "local", "Options": None, "Name": "bvtest-a", "Mountpoint": "/v/a/_data", "Labels": None,
     "Driver": "local", "CreatedAt": "2026-11-23T16:14:12Z"}
INSPECT = {"GET /volumes/bvtest-b": B, "GET /volumes/bvtest-a": A,
           "GET /volumes/nope": not_found("nope"), "GET /volumes/nope2": not_found("nope2")}


def test_inspect_json():
    code, out, err, _ = run(V.inspect, ["bvtest-b"], INSPECT)
    assert (code, err) == (0, "")
    assert out == json.dumps([B], indent=4) + "\n"
    assert out.splitlines()[2] == '        "CreatedAt": "2026-11-23T16:14:12Z",'
    code, out, err, _ = run(V.inspect, ["-f", "json", "bvtest-a", "nope"], INSPECT)
    assert out == ('[{"CreatedAt":"2026-11-23T16:14:12Z","Driver":"local","Labels":null,'
                   '"Mountpoint":"/v/a/_data","Name":"bvtest-a","Options":null,"Scope":"local"}]\n')
    assert (code, err) == (1, "Error response from daemon: get nope: no such volume\n")


def test_inspect_missing():
    code, out, err, _ = run(V.inspect, ["nope", "bvtest-b", "nope2"], INSPECT)
    assert code == 1 and json.loads(out) == [B]
    assert err == ("Error response from daemon: get nope: no such volume\n"
                   "Error response from daemon: get nope2: no such volume\n")
    assert run(V.inspect, ["nope"], INSPECT)[:3] == (
        1, "[]\n", "Error response from daemon: get nope: no such volume\n")
    assert run(V.inspect, ["-f", "{{.Name}}", "nope"], INSPECT)[:3] == (
        1, "\n", "Error response from daemon: get nope: no such volume\n")


@pytest.mark.parametrize("fmt,out,err,code", [
    ("{{.Name}} {{.Labels}} {{.Options}} {{.UsageData}}", "bvtest-b map[com.example.x:1 foo:] map[] <nil>\n"
     "bvtest-a map[] map[] <nil>\n", "Error response from daemon: get nope: no such volume\n", 1),
    ("{{.Nope}}", "\n", "template parsing error: template: :1:2: executing \"\" at <.Nope>: "
     "can't evaluate field Nope in type volume.Volume\n" * 2, 1),
    ("{{.Name", "", "template parsing error: template: :1: unclosed action\n", 64),
    ("table {{.Name}}", "table bvtest-b\ntable bvtest-a\n", "", 0),
    ("{{json .}}", json.dumps(B, separators=(",", ":")) + "\n" + json.dumps(dict(sorted(A.items())),
                                                                             separators=(",", ":")) + "\n", "", 0),
])
def test_inspect_templates(fmt, out, err, code):
    refs = ["bvtest-b", "nope", "bvtest-a"] if code == 1 and "Labels" in fmt else ["bvtest-b", "bvtest-a"]
    assert run(V.inspect, ["-f", fmt] + refs, INSPECT)[:3] == (code, out, err)


# ---------------------------------------------------------------- volume rm

def test_rm():
    routes = {"DELETE /volumes/nope": not_found("nope"),
              "DELETE /volumes/used": APIError(409, "remove used: volume is in use - [abc]")}
    code, out, err, client = run(V.rm, ["a", "nope", "used", "b"], routes)
    assert (code, out) == (1, "a\nb\n")
    assert err == ("Error response from daemon: get nope: no such volume\n"
                   "Error response from daemon: remove used: volume is in use - [abc]\n")
    code, out, err, client = run(V.rm, ["-f", "nope"], {})
    assert (code, out, err) == (0, "nope\n", "")
    assert client.calls == [("DELETE", "/volumes/nope", {"force": True}, None)]


def test_rm_needs_a_name():
    code, _, err, _ = run(V.rm, [])
    assert code == 1
    assert err == ("docker: 'docker volume rm' requires at least 1 argument\n\n"
                   "Usage:  docker volume rm [OPTIONS] VOLUME [VOLUME...]\n\n"
                   "See 'docker volume rm --help' for more information\n")


# ---------------------------------------------------------------- volume prune

PRUNED = {"POST /volumes/prune": {"VolumesDeleted": ["a", "b"], "SpaceReclaimed": 123456}}


@pytest.mark.parametrize("argv,question", [
    ([], "WARNING! This will remove anonymous local volumes not used by at least one container.\n"),
    (["-a"], "WARNING! This will remove all local volumes not used by at least one container.\n"),
])
def test_prune_prompt(argv, question):
    code, out, err, client = run(V.prune, argv, PRUNED, stdin="n\n")
    assert (code, out, err, client.calls) == (0, question + "Are you sure you want to continue? [y/N] ", "", [])
    code, out, _, client = run(V.prune, argv, PRUNED, stdin="y\n")
    assert out.endswith("[y/N] Deleted Volumes:\na\nb\n\nTotal reclaimed space: 123.5kB\n")


def test_prune_filters():
    code, out, _, client = run(V.prune, ["-f", "-a", "--filter", "label=x", "--filter", "LABEL!=y"], PRUNED)
    assert (code, out) == (0, "Deleted Volumes:\na\nb\n\nTotal reclaimed space: 123.5kB\n")
    assert json.loads(client.calls[0][2]["filters"]) == {"label": {"x": True}, "label!": {"y": True},
                                                          "all": {"true": True}}
    code, out, _, client = run(V.prune, ["-f"], {"POST /volumes/prune": {"VolumesDeleted": None,
                                                                           "SpaceReclaimed": 5}})
    assert (code, out, client.calls[0][2]) == (0, "Total reclaimed space: 0B\n", {})


def test_prune_all_conflicts_with_an_all_filter():
    code, out, err, client = run(V.prune, ["-a", "--filter", "all=1"], PRUNED)
    assert (code, out, err, client.calls) == (
        1, "", "conflicting options: cannot specify both --all and --filter all=1\n", [])


# ---------------------------------------------------------------- system df

DF = {"LayersSize": 0, "Images": [], "Containers": [], "BuildCache": None, "Volumes": [
    {"Name": "zeta", "Driver": "local", "UsageData": {"Size": 1500, "RefCount": 0}},
    {"Name": "alpha-long-name", "Driver": "local", "UsageData": {"Size": -1, "RefCount": 2}},
    {"Name": "b", "Driver": "local", "UsageData": {"Size": 500, "RefCount": 1}}]}


def test_df_summary():
    rows = [r.__json__() for r in diskusage.summary_rows(DF)]
    assert rows[1] == {"Active": "0", "Reclaimable": "0B", "Size": "0B", "TotalCount": "0", "Type": "Containers"}
    assert rows[2] == {"Active": "2", "Reclaimable": "1.5kB (75%)", "Size": "2kB", "TotalCount": "3",
                       "Type": "Local Volumes"}
    assert rows[0]["Reclaimable"] == "0B"
    empty = diskusage.volume_row([]).__json__()
    assert (empty["TotalCount"], empty["Size"], empty["Reclaimable"]) == ("0", "0B", "0B")
    used = diskusage.volume_row([{"UsageData": {"Size": 52, "RefCount": 1}}]).__json__()
    assert (used["Active"], used["Size"], used["Reclaimable"]) == ("1", "52B", "0B (0%)")


def test_df_verbose_volumes():
    text = diskusage.verbose(DF)
    assert text.endswith("Local Volumes space usage:\n\n"
                         "VOLUME NAME       LINKS     SIZE\n"
                         "zeta              0         1.5kB\n"
                         "alpha-long-name   2         -1B\n"
                         "b                 1         500B\n\n"
                         "Build cache usage: 0B\n\n"
                         "CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n")
