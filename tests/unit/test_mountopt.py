"""Table tests: `--mount` values, `-v` specs, `--volumes-from` and
`--volume-driver` -> the ContainerCreate body. Expected values and error texts
were printed by the docker CLI 28.2.2 (the body captured from its request)."""
from __future__ import annotations

import pytest

from barge.cli import flags as fl
from barge.cli.commands.run import CREATE_FLAGS
from barge.cli.mountopt import csv_record, parse_mount, split_volume_spec, volumes_and_binds
from barge.cli.runopts import create_body
from barge.errdefs import InvalidParameter

CWD = "/tmp/vcli"


@pytest.mark.parametrize("value,want", [
    ("type=volume,src=v,dst=/m,volume-label=a=b,volume-opt=o=1",
     {"Type": "volume", "Source": "v", "Target": "/m",
      "VolumeOptions": {"Labels": {"a": "b"}, "DriverConfig": {"Options": {"o": "1"}}}}),
    ("type=bind,src=.,dst=/b,bind-propagation=rshared,ro",
     {"Type": "bind", "Source": CWD, "Target": "/b", "ReadOnly": True, "BindOptions": {"Propagation": "rshared"}}),
    ("type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1777",
     {"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 67108864, "Mode": 0o1777}}),
    ("target=/x", {"Type": "volume", "Target": "/x"}),
    ("destination=/x,src=", {"Type": "volume", "Target": "/x"}),
    ("target=/x,target=/y", {"Type": "volume", "Target": "/y"}),
    ("Type=bind,target=/x", {"Type": "bind", "Target": "/x"}),
    ("type=VOLUME,TARGET=/x,SRC=v", {"Type": "volume", "Source": "v", "Target": "/x"}),
    ("type=npipe,src=a,target=/x", {"Type": "npipe", "Source": "a", "Target": "/x"}),
    ("RO,target=/x", {"Type": "volume", "Target": "/x", "ReadOnly": True}),
    ("ro=True,target=/x", {"Type": "volume", "Target": "/x", "ReadOnly": True}),
    ("ro=t,target=/x", {"Type": "volume", "Target": "/x", "ReadOnly": True}),
    ("target=/x,ro=0", {"Type": "volume", "Target": "/x"}),
    ("target=/x,ro,readonly=FALSE", {"Type": "volume", "Target": "/x"}),
    ("volume-nocopy,target=/x", {"Type": "volume", "Target": "/x", "VolumeOptions": {"NoCopy": True, "DriverConfig": {}}}),
    ("Volume-NoCopy,target=/x", {"Type": "volume", "Target": "/x", "VolumeOptions": {"NoCopy": True, "DriverConfig": {}}}),
    ("volume-nocopy=false,target=/x", {"Type": "volume", "Target": "/x", "VolumeOptions": {"DriverConfig": {}}}),
    ("volume-driver=foo,target=/x", {"Type": "volume", "Target": "/x", "VolumeOptions": {"DriverConfig": {"Name": "foo"}}}),
    ("volume-subpath=a/b,src=v,target=/x",
     {"Type": "volume", "Source": "v", "Target": "/x", "VolumeOptions": {"Subpath": "a/b", "DriverConfig": {}}}),
    ("volume-label=k,target=/x", {"Type": "volume", "Target": "/x", "VolumeOptions": {"Labels": {"k": ""}, "DriverConfig": {}}}),
    ("volume-label==v,target=/x", {"Type": "volume", "Target": "/x", "VolumeOptions": {"DriverConfig": {}}}),
    ("target=/x,volume-label=a=b,volume-label=a=c",
     {"Type": "volume", "Target": "/x", "VolumeOptions": {"Labels": {"a": "c"}, "DriverConfig": {}}}),
    ('target=/x,"volume-label=a=b,c"',
     {"Type": "volume", "Target": "/x", "VolumeOptions": {"Labels": {"a": "b,c"}, "DriverConfig": {}}}),
    ('"volume-opt=o=a,b",target=/x',
     {"Type": "volume", "Target": "/x", "VolumeOptions": {"DriverConfig": {"Options": {"o": "a,b"}}}}),
    ("type=volume,src=v,target=/x,volume-opt=a",
     {"Type": "volume", "Source": "v", "Target": "/x", "VolumeOptions": {"DriverConfig": {"Options": {"a": ""}}}}),
    ("type=volume,src=v,target=/x,volume-opt==a",
     {"Type": "volume", "Source": "v", "Target": "/x", "VolumeOptions": {"DriverConfig": {}}}),
    ("type=bind,src=/a,target=/x,bind-recursive=disabled",
     {"Type": "bind", "Source": "/a", "Target": "/x", "BindOptions": {"NonRecursive": True}}),
    ("type=bind,src=/a,target=/x,bind-recursive=enabled", {"Type": "bind", "Source": "/a", "Target": "/x"}),
    ("type=volume,bind-recursive=enabled,target=/x", {"Type": "volume", "Target": "/x"}),
    ("type=bind,src=/a,target=/x,bind-recursive=writable,ro",
     {"Type": "bind", "Source": "/a", "Target": "/x", "ReadOnly": True, "BindOptions": {"ReadOnlyNonRecursive": True}}),
    ("type=bind,src=/a,target=/x,bind-recursive=readonly,ro,bind-propagation=rprivate",
     {"Type": "bind", "Source": "/a", "Target": "/x", "ReadOnly": True,
      "BindOptions": {"Propagation": "rprivate", "ReadOnlyForceRecursive": True}}),
    ("type=bind,src=/a,target=/x,bind-nonrecursive",
     {"Type": "bind", "Source": "/a", "Target": "/x", "BindOptions": {"NonRecursive": True}}),
    ("type=bind,src=/a,dst=/x,bind-propagation=RSHARED",
     {"Type": "bind", "Source": "/a", "Target": "/x", "BindOptions": {"Propagation": "rshared"}}),
    ("type=bind,src=/a,target=/x,consistency=Cached",
     {"Type": "bind", "Source": "/a", "Target": "/x", "Consistency": "cached"}),
    ("type=bind,src=./x,target=/x", {"Type": "bind", "Source": "/tmp/vcli/x", "Target": "/x"}),
    ("type=bind,src=../x,target=/x", {"Type": "bind", "Source": "/tmp/x", "Target": "/x"}),
    ("type=bind,src=.x,target=/x", {"Type": "bind", "Source": "/tmp/vcli/.x", "Target": "/x"}),
    ("type=bind,src=~/x,target=/x", {"Type": "bind", "Source": "~/x", "Target": "/x"}),
    ("type=tmpfs,target=/x", {"Type": "tmpfs", "Target": "/x"}),
    ("type=tmpfs,target=/x,tmpfs-size=0", {"Type": "tmpfs", "Target": "/x", "TmpfsOptions": {}}),
    ("type=tmpfs,target=/x,tmpfs-mode=0", {"Type": "tmpfs", "Target": "/x", "TmpfsOptions": {}}),
    ("type=tmpfs,target=/x,tmpfs-size=1.5g", {"Type": "tmpfs", "Target": "/x", "TmpfsOptions": {"SizeBytes": 1610612736}}),
    ("tmpfs-size=1 k,type=tmpfs,target=/x", {"Type": "tmpfs", "Target": "/x", "TmpfsOptions": {"SizeBytes": 1024}}),
    ("tmpfs-size=10KiB,type=tmpfs,target=/x", {"Type": "tmpfs", "Target": "/x", "TmpfsOptions": {"SizeBytes": 10240}}),
    ("target=/x,tmpfs-mode=0777,type=tmpfs", {"Type": "tmpfs", "Target": "/x", "TmpfsOptions": {"Mode": 511}}),
    ("tmpfs-mode=37777777777,type=tmpfs,target=/x", {"Type": "tmpfs", "Target": "/x", "TmpfsOptions": {"Mode": 4294967295}}),
    ("image-subpath=a,type=image,target=/x", {"Type": "image", "Target": "/x", "ImageOptions": {"Subpath": "a"}}),
    ('target=/x,"ro"', {"Type": "volume", "Target": "/x", "ReadOnly": True}),
    ("target=/x\nfoo", {"Type": "volume", "Target": "/x"}),
    ("\ntarget=/x", {"Type": "volume", "Target": "/x"}),
    ("target=/x\r\n", {"Type": "volume", "Target": "/x"}),
])
def test_parse_mount(value, want):
    assert parse_mount(value, cwd=CWD) == want


@pytest.mark.parametrize("value,msg", [
    ("", "EOF"),
    ("\n\n", "EOF"),
    (" ", "invalid field ' ' must be a key=value pair"),
    ("target", "invalid field 'target' must be a key=value pair"),
    (",target=/x", "invalid field '' must be a key=value pair"),
    ("target=/x,", "invalid field '' must be a key=value pair"),
    ("bind-create-src,type=bind,target=/x", "invalid field 'bind-create-src' must be a key=value pair"),
    ('target=/x,"a""b"', "invalid field 'a\"b' must be a key=value pair"),
    ('target=/x,"a\nb"', "invalid field 'a\nb' must be a key=value pair"),
    ("foo=bar,target=/x", "unexpected key 'foo' in 'foo=bar'"),
    (" target=/x", "unexpected key ' target' in ' target=/x'"),
    ("bind-create-src=true,type=bind,target=/x", "unexpected key 'bind-create-src' in 'bind-create-src=true'"),
    ("type=,target=/x", "type is required"),
    ("type=foo", "target is required"),
    ("type=bind,src=/a", "target is required"),
    ("target=", "target is required"),
    ("type=bind,volume-nocopy", "target is required"),
    ("ro=yes,target=/x", "invalid value for ro: yes"),
    ("readonly=2,target=/x", "invalid value for readonly: 2"),
    ("target=/x,readonly=", "invalid value for readonly: "),
    ("volume-nocopy=x,target=/x", "invalid value for volume-nocopy: x"),
    ("bind-nonrecursive=x,type=bind,target=/x", "invalid value for bind-nonrecursive: x"),
    ("tmpfs-size=abc,type=tmpfs,target=/x", "invalid value for tmpfs-size: abc"),
    ("tmpfs-size=-1,type=tmpfs,target=/x", "invalid value for tmpfs-size: -1"),
    ("tmpfs-size=,type=tmpfs,target=/x", "invalid value for tmpfs-size: "),
    ("tmpfs-mode=999,type=tmpfs,target=/x", "invalid value for tmpfs-mode: 999"),
    ("tmpfs-mode=8,type=tmpfs,target=/x", "invalid value for tmpfs-mode: 8"),
    ("tmpfs-mode=+7,type=tmpfs,target=/x", "invalid value for tmpfs-mode: +7"),
    ("tmpfs-mode=,type=tmpfs,target=/x", "invalid value for tmpfs-mode: "),
    ("tmpfs-mode=40000000000,type=tmpfs,target=/x", "invalid value for tmpfs-mode: 40000000000"),
    ("bind-recursive=foo,type=bind,target=/x",
     'invalid value for bind-recursive: foo (must be "enabled", "disabled", "writable", or "readonly")'),
    ("target=/x,bind-recursive=Enabled",
     'invalid value for bind-recursive: Enabled (must be "enabled", "disabled", "writable", or "readonly")'),
    ("type=bind,volume-nocopy,target=/x", "cannot mix 'volume-*' options with mount type 'bind'"),
    ("type=tmpfs,bind-propagation=rprivate,target=/x", "cannot mix 'bind-*' options with mount type 'tmpfs'"),
    ("type=volume,tmpfs-size=1m,target=/x", "cannot mix 'tmpfs-*' options with mount type 'volume'"),
    ("target=/x,image-subpath=a", "cannot mix 'image-*' options with mount type 'volume'"),
    ("type=npipe,target=/x,bind-propagation=shared", "cannot mix 'bind-*' options with mount type 'npipe'"),
    ("type=tmpfs,volume-nocopy,bind-propagation=x,image-subpath=a,target=/x",
     "cannot mix 'volume-*' options with mount type 'tmpfs'"),
    ("type=tmpfs,bind-propagation=x,image-subpath=a,target=/x", "cannot mix 'image-*' options with mount type 'tmpfs'"),
    ("type=volume,bind-propagation=x,tmpfs-mode=1,target=/x", "cannot mix 'bind-*' options with mount type 'volume'"),
    ("type=bind,tmpfs-mode=1,bind-recursive=writable,target=/x", "cannot mix 'tmpfs-*' options with mount type 'bind'"),
    ("bind-recursive=writable,type=bind,target=/x",
     "option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction"),
    ("type=bind,bind-recursive=readonly,target=/x",
     "option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction"),
    ("bind-recursive=readonly,ro,type=bind,target=/x",
     "option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction"),
    ('a"b', 'parse error on line 1, column 2: bare " in non-quoted-field'),
    ('target="/x"', 'parse error on line 1, column 8: bare " in non-quoted-field'),
    ('é"', 'parse error on line 1, column 3: bare " in non-quoted-field'),
    ('"a,target=/x', 'parse error on line 1, column 13: extraneous or missing " in quoted-field'),
    ('"target=/x"x', 'parse error on line 1, column 11: extraneous or missing " in quoted-field'),
    ('target=/x,"', 'parse error on line 1, column 12: extraneous or missing " in quoted-field'),
    ('"a\nb', 'record on line 1; parse error on line 2, column 2: extraneous or missing " in quoted-field'),
])
def test_parse_mount_errors(value, msg):
    with pytest.raises(ValueError) as e:
        parse_mount(value, cwd=CWD)
    assert str(e.value) == msg


def test_csv_record_quotes():
    assert csv_record('a,"b,c","d""e",') == ["a", "b,c", 'd"e', ""]
    assert csv_record('"x\ny",z\nignored') == ["x\ny", "z"]


def test_bind_nonrecursive_warns_only_with_a_value():
    seen: list[str] = []
    parse_mount("type=bind,src=/a,target=/x,bind-nonrecursive", warn=seen.append)
    assert seen == []
    parse_mount("type=bind,src=/a,target=/x,bind-nonrecursive=true", warn=seen.append)
    assert seen == ["bind-nonrecursive is deprecated, use bind-recursive=disabled instead"]


def _run_error(argv):
    cmd = fl.Command("run", "[OPTIONS] IMAGE [COMMAND] [ARG...]", flags=CREATE_FLAGS, interspersed=False,
                     min_args=1)
    with pytest.raises(fl.FlagError) as e:
        fl.parse(cmd, argv)
    return e.value, fl.format_usage_error("docker", cmd, e.value)


def test_mount_flag_errors_are_usage_errors():
    err, text = _run_error(["--mount", "type=foo", "busybox"])
    assert err.exit_code == 125
    assert text == ('invalid argument "type=foo" for "--mount" flag: target is required\n\n'
                    "Usage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
                    "Run 'docker run --help' for more information")
    err, _ = _run_error(["--mount", 'a"b', "busybox"])
    assert str(err) == ('invalid argument "a\\"b" for "--mount" flag: '
                        'parse error on line 1, column 2: bare " in non-quoted-field')
    err, _ = _run_error(["--mount=", "busybox"])
    assert str(err) == 'invalid argument "" for "--mount" flag: EOF'


# ---------------------------------------------------------------- -v

@pytest.mark.parametrize("spec,volumes,binds", [
    ("/data", {"/data": {}}, []),
    ("/data:ro", {}, ["/data:ro"]),              # source "/data", target "ro": the daemon judges it
    ("./rel:/r", {}, ["/tmp/vcli/rel:/r"]),
    (".:/dot", {}, ["/tmp/vcli:/dot"]),
    ("../up:/up", {}, ["/tmp/up:/up"]),
    ("..:/y", {}, ["/tmp:/y"]),
    (".foo:/x", {}, ["/tmp/vcli/.foo:/x"]),
    ("~/x:/y", {}, ["~/x:/y"]),
    ("name:/n:ro", {}, ["name:/n:ro"]),
    ("/abs:/a:rw,z", {}, ["/abs:/a:rw,z"]),
    ("a/b:/c", {}, ["a/b:/c"]),
    ("a", {"a": {}}, []),
    ("ab", {"ab": {}}, []),
    ("./", {"./": {}}, []),
    ("./x", {"./x": {}}, []),
    ("a:", {"a:": {}}, []),
    ("a:b", {"a:b": {}}, []),                     # "a:" reads as a Windows drive
    ("a:/b", {"a:/b": {}}, []),
    ("C:/x", {"C:/x": {}}, []),
    ("é:/x", {"é:/x": {}}, []),
    ("a:b:c", {}, ["a:b:c"]),
    ("c:\\x:/y", {}, ["c:\\x:/y"]),
    ("/a:/b:c:d", {}, ["/a:/b:c:d"]),            # "c:d" is one (drive-like) options field
    ("/a//b/:/c/", {}, ["/a//b/:/c/"]),
])
def test_volume_specs(spec, volumes, binds):
    assert volumes_and_binds([spec], CWD) == (volumes, binds)


@pytest.mark.parametrize("spec,msg", [
    ("", "invalid empty volume spec"),
    (":/x", "invalid spec: :/x: empty section between colons"),
    ("/x:", "invalid spec: /x:: empty section between colons"),
    ("/a:/b:", "invalid spec: /a:/b:: empty section between colons"),
    ("/a:/b:cc:d", "invalid spec: /a:/b:cc:d: too many colons"),
])
def test_volume_spec_errors(spec, msg):
    with pytest.raises(InvalidParameter) as e:
        split_volume_spec(spec)
    assert str(e.value) == msg


def test_duplicate_specs_count_once():
    assert volumes_and_binds(["/x:/y", "/z", "/x:/y", "/z"], CWD) == ({"/z": {}}, ["/x:/y"])


def test_create_body_volumes_and_mounts():
    mount = parse_mount("type=tmpfs,dst=/t", cwd=CWD)
    o = {"volume": ["/data", "./rel:/r"], "mount": [mount], "volumes-from": ["c1", "c2:ro"],
         "volume-driver": "foo"}
    body = create_body(o, "busybox", [], {}, {}, {}, cwd=CWD)
    hc = body["HostConfig"]
    assert body["Volumes"] == {"/data": {}}
    assert hc["Binds"] == ["/tmp/vcli/rel:/r"]
    assert hc["Mounts"] == [{"Type": "tmpfs", "Target": "/t"}]
    assert hc["VolumesFrom"] == ["c1", "c2:ro"]
    assert hc["VolumeDriver"] == "foo"


def test_create_body_without_volumes():
    body = create_body({}, "busybox", [], {}, {}, {})
    hc = body["HostConfig"]
    assert "Volumes" not in body
    assert hc["Binds"] is None and hc["Mounts"] is None and hc["VolumesFrom"] is None
    assert hc["VolumeDriver"] == ""


def test_create_body_bad_volume_spec():
    with pytest.raises(InvalidParameter, match="too many colons"):
        create_body({"volume": ["/a:/b:cc:d"]}, "busybox", [], {}, {}, {})
