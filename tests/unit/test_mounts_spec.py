"""spec.mounts: -v strings and API Mount objects -> MountPoints, with Docker's errors."""
import pytest

from barge.errdefs import InvalidParameter
from barge.oci import mounts as oci_mounts
from barge.spec import mounts
from barge.spec.mounts import MountPoint


@pytest.mark.parametrize("raw, want", [
    ("/host:/ctr", dict(type="bind", source="/host", destination="/ctr", rw=True, mode="",
                        propagation="rprivate", create_source=True)),
    ("/host:/ctr:ro", dict(type="bind", rw=False, mode="ro")),
    ("/host:/ctr:ro,z", dict(type="bind", rw=False, mode="ro,z")),
    ("/host/:/ctr/sub/../x/", dict(source="/host", destination="/ctr/x")),
    ("/host:/ctr:rslave", dict(propagation="rslave")),
    ("name:/data", dict(type="volume", name="name", destination="/data", driver="local",
                        copy_data=True, anonymous=False, create_source=False)),
    ("name:/data:nocopy", dict(type="volume", copy_data=False, mode="nocopy")),
    ("name:/data:ro", dict(type="volume", rw=False)),
    ("/data", dict(type="volume", name="", anonymous=True, destination="/data")),
])
def test_parse_bind(raw, want):
    mp = mounts.parse_bind(raw)
    for k, v in want.items():
        assert getattr(mp, k) == v, k


@pytest.mark.parametrize("raw, err", [
    ("/x:/", "invalid volume specification: '/x:/': invalid mount config for type \"bind\": "
             "invalid specification: destination can't be '/'"),
    ("/tmp:x", "invalid volume specification: '/tmp:x': invalid mount config for type \"bind\": "
               "invalid mount path: 'x' mount path must be absolute"),
    ("/tmp:/x:foo", "invalid mode: foo"),
    ("/tmp:/x:ro,rw", "invalid mode: ro,rw"),
    ("a:b:c:d", "invalid volume specification: 'a:b:c:d'"),
    ("/foo:rw", "invalid volume specification: '/foo:rw'"),
    (":/x", "invalid volume specification: ':/x'"),
    ("rel", "invalid volume specification: 'rel': invalid mount config for type \"volume\": "
            "invalid mount path: 'rel' mount path must be absolute"),
])
def test_parse_bind_errors(raw, err):
    with pytest.raises(InvalidParameter) as e:
        mounts.parse_bind(raw)
    assert str(e.value) == err


@pytest.mark.parametrize("m, want", [
    ({"Type": "bind", "Source": "/s", "Target": "/t", "ReadOnly": True},
     dict(type="bind", source="/s", rw=False, propagation="rprivate", create_source=False)),
    ({"Type": "bind", "Source": "/s", "Target": "/t", "BindOptions": {"Propagation": "rshared",
                                                                      "NonRecursive": True}},
     dict(propagation="rshared", nonrecursive=True)),
    ({"Type": "bind", "Source": "/s", "Target": "/t", "BindOptions": {"CreateMountpoint": True}},
     dict(create_source=True)),
    ({"Type": "volume", "Target": "/t"}, dict(type="volume", anonymous=True, copy_data=True)),
    ({"Type": "volume", "Source": "v", "Target": "/t",
      "VolumeOptions": {"NoCopy": True, "Labels": {"a": "b"},
                        "DriverConfig": {"Name": "local", "Options": {"type": "tmpfs"}}}},
     dict(name="v", copy_data=False, volume_labels={"a": "b"}, volume_opts={"type": "tmpfs"})),
    ({"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 1 << 20, "Mode": 0o1777}},
     dict(type="tmpfs", tmpfs_options="mode=1777,size=1m")),
    ({"Type": "tmpfs", "Target": "/t", "ReadOnly": True, "TmpfsOptions": {"SizeBytes": 3 << 30}},
     dict(tmpfs_options="ro,size=3g", rw=False)),
    ({"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 1000}},
     dict(tmpfs_options="size=1000")),
])
def test_parse_mount(m, want):
    mp = mounts.parse_mount(m)
    for k, v in want.items():
        assert getattr(mp, k) == v, k


@pytest.mark.parametrize("m, err", [
    ({"Type": "bind", "Target": "/t"}, 'invalid mount config for type "bind": field Source must not be empty'),
    ({"Type": "bind", "Source": "rel", "Target": "/t"},
     "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute"),
    ({"Type": "bind", "Source": "/s", "Target": "/t", "BindOptions": {"Propagation": "weird"}},
     'invalid mount config for type "bind": invalid propagation mode: weird'),
    ({"Type": "bind", "Source": "/s", "Target": "/t", "VolumeOptions": {}},
     'invalid mount config for type "bind": field VolumeOptions must not be specified'),
    ({"Type": "volume", "Target": "/t", "BindOptions": {}},
     'invalid mount config for type "volume": field BindOptions must not be specified'),
    ({"Type": "volume", "Target": "/t", "ReadOnly": True},
     'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes'),
    ({"Type": "tmpfs", "Source": "x", "Target": "/t"},
     'invalid mount config for type "tmpfs": field Source must not be specified'),
    ({"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": -1}},
     'invalid mount config for type "tmpfs": invalid tmpfs size: -1'),
    ({"Type": "foo", "Target": "/t"}, 'invalid mount config for type "foo": mount type unknown'),
    ({"Type": "bind", "Source": "/s"}, 'invalid mount config for type "bind": field Target must not be empty'),
    ({"Type": "bind", "Source": "/s", "Target": "/"},
     "invalid mount config for type \"bind\": invalid specification: destination can't be '/'"),
    ("nope", "json: cannot unmarshal value into Go struct field HostConfig.Mounts of type mount.Mount"),
])
def test_parse_mount_errors(m, err):
    with pytest.raises(InvalidParameter) as e:
        mounts.parse_mount(m)
    assert str(e.value) == err


@pytest.mark.parametrize("name, ok", [
    ("db", True), ("a..b", True), ("my_vol-1.x", True), ("0abc", True),
    ("a", False), ("..", False), ("x/y", False), ("-x", False), (".x", False), ("a b", False),
])
def test_validate_name(name, ok):
    if ok:
        mounts.validate_name(name)
    else:
        with pytest.raises(InvalidParameter, match=f"create {name}: "):
            mounts.validate_name(name)


def test_volume_name_error_wording():
    with pytest.raises(InvalidParameter) as e:
        mounts.validate_name("foo/bar")
    assert str(e.value) == (
        'create foo/bar: "foo/bar" includes invalid characters for a local volume name, only '
        '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path')


def test_plan_precedence_and_duplicates():
    cfg = {"Volumes": {"/data": {}, "/img": {}}}
    hc = {"Binds": ["/h:/data", "named:/n"], "Mounts": [{"Type": "tmpfs", "Target": "/t"}]}
    got = {m.destination: m for m in mounts.plan(cfg, hc)}
    assert got["/data"].type == "bind"                      # the bind covers the image's VOLUME
    assert got["/img"].anonymous and got["/img"].implicit and got["/img"].mode == ""
    assert got["/n"].mode == "z"                            # local named volumes show "z", as Docker
    assert got["/t"].type == "tmpfs"
    for hc in ({"Binds": ["/a:/x", "/b:/x"]}, {"Binds": ["/a:/x"], "Mounts": [{"Type": "tmpfs", "Target": "/x"}]},
               {"Binds": ["/a:/x"], "Tmpfs": {"/x": ""}}):
        with pytest.raises(InvalidParameter, match="^Duplicate mount point: /x$"):
            mounts.plan({}, hc)


def test_plan_rejects_non_string_binds():
    with pytest.raises(InvalidParameter, match="HostConfig.Binds"):
        mounts.plan({}, {"Binds": [1]})


def test_volumes_from_inherits_with_mode():
    src = MountPoint(type="volume", destination="/d", name="v", rw=True, copy_data=True, mode="z")
    ro = mounts.inherit(src, "ro")
    assert (ro.rw, ro.mode, ro.copy_data, ro.name) == (False, "ro", False, "v")
    assert mounts.inherit(src, "").rw and mounts.inherit(src, "").mode == "z"
    assert mounts.parse_volumes_from("c:rw") == ("c", "rw")
    with pytest.raises(InvalidParameter, match="invalid mode: xx"):
        mounts.parse_volumes_from("c:xx")


def test_merge_volumes_from_precedence():
    planned = mounts.plan({"Volumes": {"/img": {}}}, {"Binds": ["/h:/b"]})
    inherited = [MountPoint(type="volume", destination="/img", name="other"),
                 MountPoint(type="volume", destination="/b", name="lost")]
    got = {m.destination: m for m in mounts.merge_volumes_from(planned, inherited)}
    assert got["/img"].name == "other"     # volumes-from beats the image's VOLUME
    assert got["/b"].type == "bind"        # an explicit bind beats volumes-from


def test_inspect_shapes():
    v = MountPoint(type="volume", destination="/d", name="v", source="/vol/v/_data", driver="local", mode="z")
    assert v.inspect() == {"Type": "volume", "Name": "v", "Source": "/vol/v/_data", "Destination": "/d",
                           "Driver": "local", "Mode": "z", "RW": True, "Propagation": ""}
    b = mounts.parse_bind("/tmp:/b:ro,z")
    assert b.inspect() == {"Type": "bind", "Source": "/tmp", "Destination": "/b", "Mode": "ro,z",
                           "RW": False, "Propagation": "rprivate"}
    assert MountPoint.from_dict(b.to_dict()) == b


def test_oci_translation():
    bind = mounts.parse_bind("/h:/b:ro")
    vol = MountPoint(type="volume", destination="/d", source="/vol/_data")
    tmp = mounts.parse_mount({"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 65536}})
    nr = mounts.parse_mount({"Type": "bind", "Source": "/s", "Target": "/n",
                             "BindOptions": {"NonRecursive": True, "Propagation": "rslave"}})
    assert oci_mounts.to_oci(bind) == {"destination": "/b", "type": "bind", "source": "/h",
                                       "options": ["rbind", "ro", "rprivate"]}
    assert oci_mounts.to_oci(vol)["options"] == ["rbind"]
    assert oci_mounts.to_oci(tmp) == {"destination": "/t", "type": "tmpfs", "source": "tmpfs",
                                      "options": ["noexec", "nosuid", "nodev", "rprivate", "size=64k"]}
    assert oci_mounts.to_oci(nr)["options"] == ["bind", "rslave"]
    assert oci_mounts.rootfs_propagation([bind, nr]) == "rslave"
    assert oci_mounts.rootfs_propagation([bind]) is None
    assert oci_mounts.rootfs_propagation([mounts.parse_bind("/h:/s:shared"), nr]) == "rshared"


def test_oci_merge_order():
    defaults = [{"destination": "/proc"}, {"destination": "/dev"}, {"destination": "/dev/shm"}]
    net = [{"destination": "/etc/hosts"}, {"destination": "/etc/resolv.conf"}]
    user = [{"destination": "/etc/resolv.conf", "mine": 1}, {"destination": "/etc"}, {"destination": "/dev/shm", "mine": 1}]
    got = oci_mounts.merge(defaults, net, user)
    assert [m["destination"] for m in got] == ["/proc", "/dev", "/etc", "/etc/resolv.conf", "/dev/shm", "/etc/hosts"]
    assert got[3].get("mine") and got[4].get("mine")
    got = oci_mounts.merge(defaults, net, [{"destination": "/dev"}])
    assert [m["destination"] for m in got] == ["/proc", "/dev", "/etc/hosts", "/etc/resolv.conf"]
