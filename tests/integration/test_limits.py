"""Limits are enforced by the kernel: a test exceeds each and sees the effect."""
from __future__ import annotations

import uuid


def test_memory_limit_oom_kills_and_is_reported(daemon):
    n = f"oom-{uuid.uuid4().hex[:6]}"
    r = daemon.cli("run", "--name", n, "-m", "16m", "--memory-swap", "16m", "busybox", "sh", "-c",
                   'x=$(head -c 100m /dev/zero | tr "\\0" a); echo survived')
    try:
        assert r.returncode == 137 and b"survived" not in r.stdout
        assert daemon.out("inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}}",
                          n) == "true 137 16777216\n"
    finally:
        daemon.cli("rm", "-f", n)


def test_pids_limit_caps_a_fork_bomb(daemon):
    script = "i=0; while [ $i -lt 20 ]; do sleep 0.5 & i=$((i+1)); done; wait; echo all-forked"
    r = daemon.cli("run", "--rm", "--pids-limit", "8", "busybox", "sh", "-c", script, timeout=30)
    assert r.returncode != 0 and b"can't fork" in r.stderr and b"all-forked" not in r.stdout
    r = daemon.cli("run", "--rm", "busybox", "sh", "-c", script, timeout=30)
    assert r.returncode == 0 and r.stdout == b"all-forked\n"


def test_cpu_ulimit_shm_tmpfs_sysctl_groups(daemon):
    out = daemon.out("run", "--rm", "--cpus", "0.5", "--cpu-shares", "512", "--ulimit", "nproc=100:200",
                     "--shm-size", "16m", "--tmpfs", "/scratch:size=1m", "--sysctl", "net.ipv4.ip_forward=1",
                     "--group-add", "1234", "busybox", "sh", "-c",
                     "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.shares; ulimit -u; ulimit -Hu;"
                     " df -k /dev/shm /scratch | tail -2 | awk '{print $2}'; id -G; cat /proc/sys/net/ipv4/ip_forward")
    assert out.split() == ["50000", "512", "100", "200", "16384", "1024", "0", "1234", "1"]


def test_bad_limits_are_refused(daemon):
    r = daemon.cli("run", "--rm", "-m", "1m", "busybox", "true")
    assert r.returncode == 125 and b"Minimum memory limit allowed is 6MB" in r.stderr
    r = daemon.cli("run", "--rm", "-m", "64m", "--memory-swap", "32m", "busybox", "true")
    assert r.returncode == 125 and b"Minimum memoryswap limit should be larger than memory limit" in r.stderr
    r = daemon.cli("run", "--rm", "--cpus", "99", "busybox", "true")
    assert r.returncode == 125 and b"Range of CPUs is from 0.01" in r.stderr
    r = daemon.cli("run", "--rm", "--ulimit", "nofile=10:5", "busybox", "true")
    assert r.returncode == 125 and b"soft limit must be less than or equal to hard limit" in r.stderr


def test_update_a_running_container(daemon):
    n = f"upd-{uuid.uuid4().hex[:6]}"
    daemon.out("run", "-d", "--name", n, "-m", "64m", "busybox", "sleep", "300")
    try:
        assert daemon.out("update", "-m", "128m", "--memory-swap", "256m", "--pids-limit", "40", "--cpus", "0.5",
                          "--restart", "on-failure:3", n) == n + "\n"
        inside = daemon.out("exec", n, "sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
                            "/sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us")
        assert inside.split() == [str(128 << 20), "40", "50000"]
        assert daemon.out("inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} "
                          "{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}",
                          n) == f"{128 << 20} 40 on-failure:3\n"
        r = daemon.cli("update", "-m", "1m", n)
        assert r.returncode == 1 and b"Minimum memory limit allowed is 6MB" in r.stderr
        r = daemon.cli("update", n)
        assert r.returncode == 1 and b"you must provide one or more flags" in r.stderr
    finally:
        daemon.cli("rm", "-f", n)


def test_device_is_added_with_its_cgroup_permissions(daemon):
    import os
    import stat as st
    if not os.path.exists("/dev/loop0") or not st.S_ISBLK(os.stat("/dev/loop0").st_mode):
        import pytest
        pytest.skip("no /dev/loop0 here")
    out = daemon.cli("run", "--rm", "--device", "/dev/loop0:/dev/xloop:r", "busybox", "sh", "-c",
                     "ls -l /dev/xloop; dd if=/dev/xloop of=/dev/null count=1; "
                     "dd if=/dev/zero of=/dev/xloop count=1")
    assert out.stdout.decode().startswith("b") and b"xloop" in out.stdout
    assert b"can't open '/dev/xloop': Operation not permitted" in out.stderr     # written: refused
    assert out.stderr.count(b"Operation not permitted") == 1                      # read: allowed
    r = daemon.cli("run", "--rm", "busybox", "sh", "-c", "mknod /tmp/l b 7 0 && dd if=/tmp/l count=1")
    assert b"Operation not permitted" in r.stderr                                  # not given: no access
    r = daemon.cli("run", "--rm", "--device", "/dev/nope", "busybox", "true")
    assert r.returncode == 125 and b'adding custom device "/dev/nope": no such file or directory' in r.stderr
