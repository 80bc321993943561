"""ContainerSpec -> OCI config.json: table tests of minimal input -> exact output."""
from __future__ import annotations

import copy
import json
import os
import resource
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from barge.errdefs import InvalidParameter
from barge.oci.defaults import ALL_CAPABILITIES, DEFAULT_CAPABILITIES
from barge.oci.spec import (
    HostFacts,
    build_config,
    capabilities_from_status,
    parse_security_opts,
    replace_or_append_env,
    tweak_capabilities,
)
from barge.spec.container import BundlePaths, ContainerSpec, HostDefaults, ProcessUser

REFERENCE_PROFILE = Path("/work/shared/reference/docker-default-seccomp.json")
DEFAULT_CAPS = list(DEFAULT_CAPABILITIES)
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

TINY_PROFILE = {
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 1,
    "archMap": [{"architecture": "SCMP_ARCH_X86_64",
                 "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
    "syscalls": [
        {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["chroot"], "action": "SCMP_ACT_ALLOW",
         "includes": {"caps": ["CAP_SYS_CHROOT"]}},
    ],
}


def make_spec(**kw) -> ContainerSpec:
    kw.setdefault("cmd", ["sh"])
    kw.setdefault("hostname", "c0ffee")
    return ContainerSpec(image="busybox", **kw)


def make_paths(**kw) -> BundlePaths:
    base = dict(rootfs="/b/rootfs", hostname_file="/b/hostname", hosts_file="/b/hosts",
                resolv_conf="/b/resolv.conf", container_id="abc123")
    base.update(kw)
    return BundlePaths(**base)


def build(spec=None, user=None, host=None, paths=None, facts=None) -> dict:
    return build_config(spec or make_spec(), user or ProcessUser(),
                        host or HostDefaults(), paths or make_paths(), facts)


def mount(config: dict, destination: str) -> dict:
    [m] = [m for m in config["mounts"] if m["destination"] == destination]
    return m


EXPECTED_DEFAULT = {
    "ociVersion": "1.0.2",
    "process": {
        "terminal": False,
        "user": {"uid": 0, "gid": 0, "additionalGids": [0]},
        "args": ["sh"],
        "env": [PATH_ENV, "HOSTNAME=c0ffee", "HOME=/root"],
        "cwd": "/",
        "capabilities": {"bounding": DEFAULT_CAPS, "effective": DEFAULT_CAPS,
                         "permitted": DEFAULT_CAPS},
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 20000, "soft": 1024}],
    },
    "root": {"path": "/b/rootfs", "readonly": False},
    "hostname": "c0ffee",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", "ro"]},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
         "options": ["ro", "nosuid", "noexec", "nodev"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=67108864"]},
        {"destination": "/etc/resolv.conf", "type": "bind", "source": "/b/resolv.conf",
         "options": ["rbind", "rprivate"]},
        {"destination": "/etc/hostname", "type": "bind", "source": "/b/hostname",
         "options": ["rbind", "rprivate"]},
        {"destination": "/etc/hosts", "type": "bind", "source": "/b/hosts",
         "options": ["rbind", "rprivate"]},
    ],
    "linux": {
        "namespaces": [{"type": "mount"}, {"type": "network"}, {"type": "uts"},
                       {"type": "pid"}, {"type": "ipc"}],
        "cgroupsPath": "/barge/abc123",
        "sysctl": {"net.ipv4.ip_unprivileged_port_start": "0",
                   "net.ipv4.ping_group_range": "0 2147483647"},
        "resources": {"devices": [
            {"allow": False, "access": "rwm"},
            {"allow": True, "type": "c", "major": 1, "minor": 5, "access": "rwm"},
            {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
            {"allow": True, "type": "c", "major": 1, "minor": 9, "access": "rwm"},
            {"allow": True, "type": "c", "major": 1, "minor": 8, "access": "rwm"},
            {"allow": True, "type": "c", "major": 5, "minor": 0, "access": "rwm"},
            {"allow": True, "type": "c", "major": 5, "minor": 1, "access": "rwm"},
            {"allow": False, "type": "c", "major": 10, "minor": 229, "access": "rwm"},
        ]},
        "maskedPaths": ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
                        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                        "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
                        "/sys/devices/virtual/powercap"],
        "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                          "/proc/sysrq-trigger"],
    },
}


def test_default_config_is_dockers():
    assert build() == EXPECTED_DEFAULT


def test_config_is_json_and_defaults_are_not_shared():
    first = build()
    json.dumps(first)
    first["mounts"][0]["options"].append("ro")
    first["linux"]["maskedPaths"].clear()
    first["process"]["capabilities"]["bounding"].clear()
    assert build() == EXPECTED_DEFAULT


# --- capabilities -------------------------------------------------------------

@pytest.mark.parametrize("add, drop, expected", [
    ([], [], DEFAULT_CAPS),
    (["NET_ADMIN"], [], DEFAULT_CAPS + ["CAP_NET_ADMIN"]),
    (["cap_net_admin"], [], DEFAULT_CAPS + ["CAP_NET_ADMIN"]),
    (["Sys_Admin"], ["kill", "CAP_MKNOD"],
     [c for c in DEFAULT_CAPS if c not in ("CAP_KILL", "CAP_MKNOD")] + ["CAP_SYS_ADMIN"]),
    (["CHOWN"], [], DEFAULT_CAPS),                   # already there: not doubled
    ([], ["ALL"], []),
    (["chown", "net_bind_service"], ["all"], ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"]),
    (["ALL"], [], list(ALL_CAPABILITIES)),
    (["all"], ["SYS_ADMIN", "cap_net_admin"],
     [c for c in ALL_CAPABILITIES if c not in ("CAP_SYS_ADMIN", "CAP_NET_ADMIN")]),
])
def test_capabilities(add, drop, expected):
    assert tweak_capabilities(add, drop, privileged=False) == expected
    caps = build(make_spec(cap_add=add, cap_drop=drop))["process"]["capabilities"]
    assert caps == {"bounding": expected, "effective": expected, "permitted": expected}


@pytest.mark.parametrize("add, drop, message", [
    (["FOO"], [], 'invalid CapAdd: unknown capability: "CAP_FOO"'),
    (["cap_foo"], [], 'invalid CapAdd: unknown capability: "CAP_FOO"'),
    ([], ["bar"], 'invalid CapDrop: unknown capability: "CAP_BAR"'),
    (["foo"], ["bar"], 'invalid CapAdd: unknown capability: "CAP_FOO"'),
    (["CAP_"], [], 'invalid CapAdd: unknown capability: "CAP_"'),
])
def test_bad_capability_names(add, drop, message):
    with pytest.raises(InvalidParameter) as err:
        build(make_spec(cap_add=add, cap_drop=drop))
    assert str(err.value) == message


def test_capability_the_host_cannot_grant():
    facts = HostFacts(capabilities=tuple(c for c in ALL_CAPABILITIES if c != "CAP_SYS_RESOURCE"))
    with pytest.raises(InvalidParameter) as err:
        build(make_spec(cap_add=["sys_resource"]), facts=facts)
    assert str(err.value) == (
        'invalid CapAdd: capability not supported by your kernel or not available '
        'in the current environment: "CAP_SYS_RESOURCE"')


def test_add_all_takes_the_hosts_capabilities():
    facts = HostFacts(capabilities=("CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"))
    config = build(make_spec(cap_add=["ALL"], cap_drop=["KILL"]), facts=facts)
    assert config["process"]["capabilities"]["bounding"] == ["CAP_CHOWN", "CAP_SYS_ADMIN"]


def test_capabilities_from_status():
    status = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001fffeffffff\n"
    caps = capabilities_from_status(status)
    assert caps == tuple(c for c in ALL_CAPABILITIES if c != "CAP_SYS_RESOURCE")
    assert capabilities_from_status("CapEff:\t0000000000000003\n") == (
        "CAP_CHOWN", "CAP_DAC_OVERRIDE")


# --- privileged and read-only -----------------------------------------------

def test_privileged():
    device = {"path": "/dev/sda", "type": "b", "major": 8, "minor": 0,
              "fileMode": 0o660, "uid": 0, "gid": 6}
    facts = HostFacts(capabilities=("CAP_CHOWN", "CAP_SYS_ADMIN"), devices=(device,))
    host = HostDefaults(seccomp_profile=TINY_PROFILE)
    config = build(make_spec(privileged=True, cap_drop=["CHOWN"]), host=host, facts=facts)
    linux = config["linux"]
    assert config["process"]["capabilities"] == {
        "bounding": ["CAP_CHOWN", "CAP_SYS_ADMIN"],
        "effective": ["CAP_CHOWN", "CAP_SYS_ADMIN"],
        "permitted": ["CAP_CHOWN", "CAP_SYS_ADMIN"]}
    assert linux["resources"] == {"devices": [{"allow": True, "access": "rwm"}]}
    assert linux["devices"] == [device]
    assert "maskedPaths" not in linux and "readonlyPaths" not in linux
    assert "seccomp" not in linux
    assert mount(config, "/sys")["options"] == ["nosuid", "noexec", "nodev"]
    assert mount(config, "/sys/fs/cgroup")["options"] == ["nosuid", "noexec", "nodev"]


def test_read_only_root():
    config = build(make_spec(read_only=True))
    assert config["root"] == {"path": "/b/rootfs", "readonly": True}
    for dest in ("/etc/resolv.conf", "/etc/hostname", "/etc/hosts"):
        assert mount(config, dest)["options"] == ["rbind", "ro", "rprivate"]
    expected_defaults = EXPECTED_DEFAULT["mounts"][:7]
    assert config["mounts"][:7] == expected_defaults


def test_read_only_privileged_keeps_sys_writable():
    config = build(make_spec(read_only=True, privileged=True))
    assert mount(config, "/sys")["options"] == ["nosuid", "noexec", "nodev"]
    assert mount(config, "/sys/fs/cgroup")["options"] == ["nosuid", "noexec", "nodev"]
    assert mount(config, "/etc/hosts")["options"] == ["rbind", "ro", "rprivate"]


# --- network modes -------------------------------------------------------------

NETNS_SYSCTLS = {"net.ipv4.ip_unprivileged_port_start": "0",
                 "net.ipv4.ping_group_range": "0 2147483647"}


@pytest.mark.parametrize("mode, netns_path, network_ns, sysctl", [
    ("default", None, {"type": "network"}, NETNS_SYSCTLS),
    ("bridge", None, {"type": "network"}, NETNS_SYSCTLS),
    ("none", None, {"type": "network"}, NETNS_SYSCTLS),
    ("mynet", None, {"type": "network"}, NETNS_SYSCTLS),
    ("bridge", "/run/barge/netns/abc", {"type": "network", "path": "/run/barge/netns/abc"},
     NETNS_SYSCTLS),
    ("host", None, None, None),
    ("host", "/run/barge/netns/abc", None, None),
    ("container:web", "/proc/42/ns/net", {"type": "network", "path": "/proc/42/ns/net"}, None),
])
def test_network_modes(mode, netns_path, network_ns, sysctl):
    config = build(make_spec(network_mode=mode), paths=make_paths(netns_path=netns_path))
    namespaces = config["linux"]["namespaces"]
    assert [n for n in namespaces if n["type"] == "network"] == ([network_ns] if network_ns else [])
    assert [n["type"] for n in namespaces if n["type"] != "network"] == ["mount", "uts", "pid", "ipc"]
    assert config["linux"].get("sysctl") == sysctl


def test_container_network_mode_needs_a_namespace_path():
    with pytest.raises(InvalidParameter):
        build(make_spec(network_mode="container:web"))


# --- user, env, process --------------------------------------------------------

@pytest.mark.parametrize("user, expected_user, caps", [
    (ProcessUser(), {"uid": 0, "gid": 0, "additionalGids": [0]},
     {"bounding": DEFAULT_CAPS, "effective": DEFAULT_CAPS, "permitted": DEFAULT_CAPS}),
    (ProcessUser(uid=1000, gid=50, home="/home/u"),
     {"uid": 1000, "gid": 50, "additionalGids": [50]}, {"bounding": DEFAULT_CAPS}),
    (ProcessUser(uid=1000, gid=50, additional_gids=[10, 50, 20]),
     {"uid": 1000, "gid": 50, "additionalGids": [50, 10, 20]}, {"bounding": DEFAULT_CAPS}),
    (ProcessUser(uid=0, gid=0, additional_gids=[0, 1, 2]),
     {"uid": 0, "gid": 0, "additionalGids": [0, 1, 2]},
     {"bounding": DEFAULT_CAPS, "effective": DEFAULT_CAPS, "permitted": DEFAULT_CAPS}),
])
def test_user(user, expected_user, caps):
    process = build(user=user)["process"]
    assert process["user"] == expected_user
    assert process["capabilities"] == caps


@pytest.mark.parametrize("env, tty, home, expected", [
    ([], False, "/root", [PATH_ENV, "HOSTNAME=c0ffee", "HOME=/root"]),
    ([], True, "/root", [PATH_ENV, "HOSTNAME=c0ffee", "TERM=xterm", "HOME=/root"]),
    (["FOO=1", "PATH=/bin", "HOSTNAME=zz"], True, "/root",
     ["PATH=/bin", "HOSTNAME=zz", "TERM=xterm", "FOO=1", "HOME=/root"]),
    (["HOME=/data", "A=b=c"], False, "/root",
     [PATH_ENV, "HOSTNAME=c0ffee", "HOME=/data", "A=b=c"]),
    (["TERM=vt100"], True, "/home/u",
     [PATH_ENV, "HOSTNAME=c0ffee", "TERM=vt100", "HOME=/home/u"]),
    (["PATH"], False, "", ["HOSTNAME=c0ffee", "HOME=/"]),
])
def test_env(env, tty, home, expected):
    config = build(make_spec(env=env, tty=tty), user=ProcessUser(home=home))
    assert config["process"]["env"] == expected
    assert config["process"]["terminal"] is tty


@pytest.mark.parametrize("defaults, overrides, expected", [
    (["A=1", "B=2"], ["B=3", "C=4"], ["A=1", "B=3", "C=4"]),
    (["A=1", "B=2"], ["A"], ["B=2"]),
    (["A=1"], ["A", "A=5"], ["A=5"]),
    (["A=1"], ["C", "C=1", "C=2"], ["A=1", "C=1", "C=2"]),
])
def test_replace_or_append_env(defaults, overrides, expected):
    assert replace_or_append_env(defaults, overrides) == expected


@pytest.mark.parametrize("kw, args, cwd", [
    (dict(cmd=["ls", "-l"]), ["ls", "-l"], "/"),
    (dict(entrypoint=["/entry.sh"], cmd=["run"], working_dir="/app"), ["/entry.sh", "run"], "/app"),
    (dict(entrypoint=["top"], cmd=[]), ["top"], "/"),
])
def test_args_and_cwd(kw, args, cwd):
    process = build(make_spec(**kw))["process"]
    assert process["args"] == args
    assert process["cwd"] == cwd


def test_no_command():
    with pytest.raises(InvalidParameter, match="No command specified"):
        build(make_spec(cmd=[]))


@pytest.mark.parametrize("limits", [(1024, 20000), (20000, 20000), (512, 4096)])
def test_rlimits_come_from_the_daemon(limits):
    config = build(host=HostDefaults(rlimit_nofile=limits))
    assert config["process"]["rlimits"] == [
        {"type": "RLIMIT_NOFILE", "soft": limits[0], "hard": limits[1]}]


def test_hostname_domainname_cgroups():
    config = build(make_spec(hostname="web", domainname="example.com"),
                   paths=make_paths(cgroup_parent="/barge/", container_id="f00"))
    assert config["hostname"] == "web"
    assert config["domainname"] == "example.com"
    assert config["linux"]["cgroupsPath"] == "/barge/f00"
    assert "domainname" not in build()


# --- security options -----------------------------------------------------------

@pytest.mark.parametrize("opts, nnp", [
    ([], False),
    (["no-new-privileges"], True),
    (["no-new-privileges:true"], True),
    (["no-new-privileges=true"], True),
    (["no-new-privileges=1"], True),
    (["no-new-privileges=false"], False),
    (["no-new-privileges", "no-new-privileges=false"], False),
    (["apparmor=unconfined", "label=disable", "label:type:svirt_t"], False),
])
def test_no_new_privileges(opts, nnp):
    process = build(make_spec(security_opt=opts))["process"]
    assert process.get("noNewPrivileges", False) is nnp
    assert ("noNewPrivileges" in process) is nnp


@pytest.mark.parametrize("opt, message", [
    ("foo", 'invalid --security-opt 1: "foo"'),
    ("foo=bar", 'invalid --security-opt 2: "foo=bar"'),
    ("no-new-privileges=maybe", 'invalid --security-opt 2: "no-new-privileges=maybe"'),
])
def test_bad_security_opts(opt, message):
    with pytest.raises(InvalidParameter) as err:
        parse_security_opts([opt])
    assert str(err.value) == message


@pytest.mark.parametrize("opts, privileged, has_seccomp", [
    ([], False, True),
    (["seccomp=builtin"], False, True),
    (["seccomp="], False, True),
    (["seccomp=unconfined"], False, False),
    (["seccomp:unconfined"], False, False),
    ([], True, False),
])
def test_seccomp_selection(opts, privileged, has_seccomp):
    host = HostDefaults(seccomp_profile=TINY_PROFILE)
    linux = build(make_spec(security_opt=opts, privileged=privileged), host=host)["linux"]
    assert ("seccomp" in linux) is has_seccomp


def test_seccomp_follows_the_capabilities():
    host = HostDefaults(seccomp_profile=TINY_PROFILE)
    with_chroot = build(host=host)["linux"]["seccomp"]
    assert with_chroot == {
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
                     {"names": ["chroot"], "action": "SCMP_ACT_ALLOW"}]}
    without = build(make_spec(cap_drop=["SYS_CHROOT"]), host=host)["linux"]["seccomp"]
    assert without["syscalls"] == [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]


def test_no_daemon_profile_means_no_seccomp():
    assert "seccomp" not in build(host=HostDefaults(seccomp_profile=None))["linux"]


def test_custom_seccomp_profile_json():
    custom = {"defaultAction": "SCMP_ACT_ALLOW",
              "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}
    spec = make_spec(security_opt=["seccomp=" + json.dumps(custom)])
    seccomp = build(spec, host=HostDefaults(seccomp_profile=TINY_PROFILE))["linux"]["seccomp"]
    assert seccomp == {"defaultAction": "SCMP_ACT_ALLOW",
                       "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}
    with pytest.raises(InvalidParameter, match="Decoding seccomp profile failed"):
        build(make_spec(security_opt=["seccomp={not json"]))


def test_inputs_are_not_mutated():
    spec = make_spec(env=["A=1"], cap_add=["net_admin"])
    profile = copy.deepcopy(TINY_PROFILE)
    build(spec, host=HostDefaults(seccomp_profile=profile))
    assert spec.env == ["A=1"] and spec.cap_add == ["net_admin"]
    assert profile == TINY_PROFILE


# --- runc accepts what we write -------------------------------------------------

RUNC = "/usr/sbin/runc"
BUSYBOX = "/bin/busybox"


def _runc_available() -> bool:
    return os.geteuid() == 0 and os.path.exists(RUNC) and os.path.exists(BUSYBOX)


@pytest.mark.skipif(not _runc_available(), reason="needs root, runc and /bin/busybox")
@pytest.mark.parametrize("kw, user", [
    ({}, ProcessUser()),
    ({"read_only": True, "network_mode": "none", "security_opt": ["no-new-privileges"]},
     ProcessUser(uid=1000, gid=1000, home="/")),
    ({"cap_add": ["SYS_ADMIN"], "cap_drop": ["NET_RAW"], "tty": False}, ProcessUser()),
    ({"privileged": True}, ProcessUser()),
])
def test_runc_runs_the_config(tmp_path, kw, user):
    from barge.oci.spec import probe_host_facts

    bundle = tmp_path / "bundle"
    (bundle / "rootfs" / "bin").mkdir(parents=True)
    shutil.copy2(BUSYBOX, bundle / "rootfs" / "bin" / "busybox")
    for name, text in (("hostname", "c0ffee\n"), ("hosts", "127.0.0.1 localhost\n"),
                       ("resolv.conf", "nameserver 127.0.0.1\n")):
        (tmp_path / name).write_text(text)
    container_id = "barge-test-" + uuid.uuid4().hex[:12]
    paths = BundlePaths(
        rootfs=str(bundle / "rootfs"), hostname_file=str(tmp_path / "hostname"),
        hosts_file=str(tmp_path / "hosts"), resolv_conf=str(tmp_path / "resolv.conf"),
        cgroup_parent="", container_id=container_id)
    profile = json.loads(REFERENCE_PROFILE.read_text()) if REFERENCE_PROFILE.exists() else None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    host = HostDefaults(rlimit_nofile=(soft, hard), arch=os.uname().machine,
                        seccomp_profile=profile)
    spec = make_spec(cmd=["/bin/busybox", "true"], **kw)
    config = build_config(spec, user, host, paths, probe_host_facts())
    (bundle / "config.json").write_text(json.dumps(config))

    state = tmp_path / "state"
    try:
        result = subprocess.run(
            [RUNC, "--root", str(state), "run", "-b", str(bundle), container_id],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
    finally:
        subprocess.run([RUNC, "--root", str(state), "delete", "-f", container_id],
                       capture_output=True, timeout=60)
