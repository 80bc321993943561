"""Limit flags -> HostConfig -> OCI linux.resources, as pure tables."""
from __future__ import annotations

import pytest

from barge.cli.runopts import resources, ulimits
from barge.errdefs import InvalidParameter
from barge.oci.spec import _rlimits, resource_limits
from barge.spec import apiconv


def test_flags_to_host_config():
    hc = resources({"memory": "64m", "memory-swap": "-1", "cpus": "1.5", "pids-limit": 100,
                    "ulimit": ["nofile=10:20", "nproc=5"], "shm-size": "1g", "sysctl": ["a.b=1"],
                    "tmpfs": ["/t:size=1m"], "group-add": ["audio"], "oom-kill-disable": True})
    assert hc["Memory"] == 64 << 20 and hc["MemorySwap"] == -1 and hc["NanoCpus"] == 1_500_000_000
    assert hc["PidsLimit"] == 100 and hc["ShmSize"] == 1 << 30 and hc["OomKillDisable"]
    assert hc["Ulimits"] == [{"Name": "nofile", "Soft": 10, "Hard": 20}, {"Name": "nproc", "Soft": 5, "Hard": 5}]
    assert hc["Sysctls"] == {"a.b": "1"} and hc["Tmpfs"] == {"/t": "size=1m"} and hc["GroupAdd"] == ["audio"]
    with pytest.raises(InvalidParameter):
        ulimits(["nofile"])
    with pytest.raises(InvalidParameter, match="soft limit"):
        ulimits(["nofile=5:1"])
    with pytest.raises(InvalidParameter, match='for "--cpus" flag'):
        resources({"cpus": "lots"})


@pytest.mark.parametrize("hc,want", [
    ({}, {}),
    ({"Memory": 100 << 20}, {"memory": {"limit": 100 << 20, "swap": 200 << 20}}),
    ({"Memory": 100 << 20, "MemorySwap": -1}, {"memory": {"limit": 100 << 20, "swap": -1}}),
    ({"Memory": 64 << 20, "MemorySwap": 64 << 20, "MemoryReservation": 32 << 20, "OomKillDisable": True},
     {"memory": {"limit": 64 << 20, "swap": 64 << 20, "reservation": 32 << 20, "disableOOMKiller": True}}),
    ({"NanoCpus": 500_000_000, "CpuShares": 512, "CpusetCpus": "0"},
     {"cpu": {"shares": 512, "period": 100000, "quota": 50000, "cpus": "0"}}),
    ({"CpuPeriod": 50000, "CpuQuota": 25000}, {"cpu": {"period": 50000, "quota": 25000}}),
    ({"PidsLimit": 10}, {"pids": {"limit": 10}}),
    ({"PidsLimit": -1}, {}),
])
def test_resource_limits(hc, want):
    assert resource_limits(apiconv.to_resources(hc)) == want


def test_rlimits():
    got = _rlimits([{"Name": "nproc", "Soft": 1, "Hard": 2}, {"Name": "nofile", "Soft": 3, "Hard": 4}], 100, 200)
    assert got == [{"type": "RLIMIT_NOFILE", "hard": 4, "soft": 3}, {"type": "RLIMIT_NPROC", "hard": 2, "soft": 1}]
    with pytest.raises(InvalidParameter, match="invalid ulimit type"):
        _rlimits([{"Name": "bogus", "Soft": 1, "Hard": 1}], 1, 1)


@pytest.mark.parametrize("hc,msg", [
    ({"Memory": 1 << 20}, "Minimum memory limit allowed is 6MB"),
    ({"Memory": 64 << 20, "MemorySwap": 32 << 20}, "memoryswap limit should be larger"),
    ({"MemorySwap": 64 << 20}, "always set the Memory limit"),
    ({"NanoCpus": 3_000_000_000}, "Range of CPUs is from 0.01 to 2.00"),
    ({"NanoCpus": 1, "CpuQuota": 1}, "Nano CPUs and CPU Period cannot both be set"),
])
def test_checks(hc, msg):
    with pytest.raises(InvalidParameter, match=msg):
        apiconv.check_resources(hc, 2)


def test_update_merge():
    from barge.daemon.containers.update import merge
    hc = apiconv.fill_host_config({"Memory": 64 << 20, "MemorySwap": 128 << 20})
    new = merge(hc, {"Memory": 256 << 20, "PidsLimit": 5, "CpuShares": 0,
                     "RestartPolicy": {"Name": "always"}})
    assert new["Memory"] == 256 << 20 and new["MemorySwap"] == 512 << 20 and new["PidsLimit"] == 5
    assert new["RestartPolicy"] == {"Name": "always", "MaximumRetryCount": 0}
    assert hc["Memory"] == 64 << 20          # the old config is left as it was
    assert merge(hc, {})["Memory"] == 64 << 20


def test_device_flags():
    from barge.cli.runopts import devices
    assert devices(["/dev/fuse"]) == [{"PathOnHost": "/dev/fuse", "PathInContainer": "/dev/fuse",
                                       "CgroupPermissions": "rwm"}]
    assert devices(["/dev/a:r"])[0]["CgroupPermissions"] == "r"
    assert devices(["/dev/a:/dev/b"])[0]["PathInContainer"] == "/dev/b"
    assert devices(["/dev/a:/dev/b:rw"])[0] == {"PathOnHost": "/dev/a", "PathInContainer": "/dev/b",
                                                 "CgroupPermissions": "rw"}
    for bad in ("/dev/a:/dev/b:xyz", "/dev/a:b:rw", "/a:/b:r:x"):
        with pytest.raises(InvalidParameter):
            devices([bad])
