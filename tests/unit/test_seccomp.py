"""Docker seccomp profile -> OCI linux.seccomp: table tests."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from barge.errdefs import InvalidParameter
from barge.oci.defaults import DEFAULT_CAPABILITIES
from barge.oci.seccomp import native_arch, parse_kernel, translate

REFERENCE_PROFILE = Path("/work/shared/reference/docker-default-seccomp.json")
DEFAULT_CAPS = list(DEFAULT_CAPABILITIES)

ARCH_MAP = [
    {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
    {"architecture": "SCMP_ARCH_S390X", "subArchitectures": ["SCMP_ARCH_S390"]},
    {"architecture": "SCMP_ARCH_RISCV64", "subArchitectures": None},
]


def profile(*rules: dict, **top) -> dict:
    base = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "archMap": ARCH_MAP,
            "syscalls": list(rules)}
    base.update(top)
    return base


def names(result: dict) -> list[list[str]]:
    return [s["names"] for s in result["syscalls"]]


ALLOW_READ = {"names": ["read"], "action": "SCMP_ACT_ALLOW"}


@pytest.mark.parametrize("arch, expected", [
    ("x86_64", ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]),
    ("amd64", ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]),
    ("aarch64", ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]),
    ("s390x", ["SCMP_ARCH_S390X", "SCMP_ARCH_S390"]),
    ("riscv64", ["SCMP_ARCH_RISCV64"]),
])
def test_architectures_from_arch_map(arch, expected):
    assert translate(profile(ALLOW_READ), DEFAULT_CAPS, arch)["architectures"] == expected


@pytest.mark.parametrize("arch", ["sparc64", "armv7l", "ppc64le"])
def test_arch_missing_from_map_leaves_architectures_out(arch):
    assert "architectures" not in translate(profile(ALLOW_READ), DEFAULT_CAPS, arch)


def test_plain_architectures_list_is_copied():
    p = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
         "syscalls": [ALLOW_READ]}
    assert translate(p, DEFAULT_CAPS, "x86_64") == {
        "defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}


def test_architectures_and_arch_map_together_is_an_error():
    with pytest.raises(InvalidParameter, match="use either 'architectures' or 'archMap'"):
        translate(profile(ALLOW_READ, architectures=["SCMP_ARCH_X86"]), DEFAULT_CAPS, "x86_64")


def test_exact_output():
    rules = [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "dropped"},
        {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 40, "valueTwo": 0, "op": "SCMP_CMP_GT"}]},
        {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 2114060288, "valueTwo": 7, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
        {"name": "mkdir", "action": "SCMP_ACT_LOG"},
    ]
    assert translate(profile(*rules), DEFAULT_CAPS, "x86_64") == {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [
            {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_GT"}]},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 2114060288, "valueTwo": 7,
                       "op": "SCMP_CMP_MASKED_EQ"}]},
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
            {"names": ["mkdir"], "action": "SCMP_ACT_LOG"},
        ],
    }


def test_name_and_names_together_is_an_error():
    rule = {"name": "read", "names": ["write"], "action": "SCMP_ACT_ALLOW"}
    with pytest.raises(InvalidParameter, match="use either 'name' or 'names'"):
        translate(profile(rule), DEFAULT_CAPS, "x86_64")


@pytest.mark.parametrize("p", [{}, {"defaultAction": "", "syscalls": []}])
def test_empty_profile_disables_seccomp(p):
    assert translate(p, DEFAULT_CAPS, "x86_64") is None


def test_default_errno_ret_only_when_given():
    p = profile(ALLOW_READ)
    del p["defaultErrnoRet"]
    assert "defaultErrnoRet" not in translate(p, DEFAULT_CAPS, "x86_64")


INCLUDE_ADMIN = {"names": ["mount"], "action": "SCMP_ACT_ALLOW",
                 "includes": {"caps": ["CAP_SYS_ADMIN"]}}
INCLUDE_TWO = {"names": ["both"], "action": "SCMP_ACT_ALLOW",
               "includes": {"caps": ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE"]}}
EXCLUDE_ADMIN = {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                 "excludes": {"caps": ["CAP_SYS_ADMIN", "CAP_BPF"]}}


@pytest.mark.parametrize("caps, expected", [
    (DEFAULT_CAPS, [["read"], ["clone"]]),
    (DEFAULT_CAPS + ["CAP_SYS_ADMIN"], [["read"], ["mount"]]),
    (DEFAULT_CAPS + ["CAP_SYS_PTRACE"], [["read"], ["clone"]]),
    (DEFAULT_CAPS + ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE"], [["read"], ["mount"], ["both"]]),
    (DEFAULT_CAPS + ["CAP_BPF"], [["read"]]),
    ([], [["read"], ["clone"]]),
])
def test_capability_conditions(caps, expected):
    p = profile(ALLOW_READ, INCLUDE_ADMIN, INCLUDE_TWO, EXCLUDE_ADMIN)
    assert names(translate(p, caps, "x86_64")) == expected


AMD64_ONLY = {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW",
              "includes": {"arches": ["amd64", "x32"]}}
ARM_ONLY = {"names": ["breakpoint"], "action": "SCMP_ACT_ALLOW",
            "includes": {"arches": ["arm", "arm64"]}}
NOT_S390 = {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
            "excludes": {"arches": ["s390", "s390x"]}}


@pytest.mark.parametrize("arch, expected", [
    ("x86_64", [["arch_prctl"], ["clone"]]),
    ("aarch64", [["breakpoint"], ["clone"]]),
    ("s390x", []),
    ("i686", [["clone"]]),
])
def test_arch_conditions(arch, expected):
    p = profile(AMD64_ONLY, ARM_ONLY, NOT_S390)
    assert names(translate(p, DEFAULT_CAPS, arch)) == expected


NEW_KERNEL_ONLY = {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW",
                   "includes": {"minKernel": "4.8"}}
OLD_KERNEL_ONLY = {"names": ["legacy"], "action": "SCMP_ACT_ALLOW",
                   "excludes": {"minKernel": "5.10"}}


@pytest.mark.parametrize("kernel, expected", [
    ("4.7.0-1-amd64", [["legacy"]]),
    ("4.8", [["ptrace"], ["legacy"]]),
    ("4.19.0-21-amd64", [["ptrace"], ["legacy"]]),
    ("5.10.0", [["ptrace"]]),
    ("6.18.44-fc-v657", [["ptrace"]]),
    (None, [["ptrace"]]),
])
def test_min_kernel(kernel, expected):
    p = profile(NEW_KERNEL_ONLY, OLD_KERNEL_ONLY)
    assert names(translate(p, DEFAULT_CAPS, "x86_64", kernel)) == expected


@pytest.mark.parametrize("release, expected", [
    ("6.18.44-fc-v657", (6, 18)), ("3.12-1-amd64", (3, 12)), ("5.4", (5, 4)),
])
def test_parse_kernel(release, expected):
    assert parse_kernel(release) == expected


def test_bad_kernel_version():
    with pytest.raises(InvalidParameter):
        translate(profile(NEW_KERNEL_ONLY), DEFAULT_CAPS, "x86_64", "linux")


@pytest.mark.parametrize("machine, native", [
    ("x86_64", "amd64"), ("aarch64", "arm64"), ("i686", "x86"), ("armv7l", "arm"),
    ("ppc64le", "ppc64le"), ("s390x", "s390x"),
])
def test_native_arch(machine, native):
    assert native_arch(machine) == native


def test_translate_does_not_mutate_the_profile():
    p = profile(ALLOW_READ, INCLUDE_ADMIN, {"name": "mkdir", "action": "SCMP_ACT_LOG"})
    before = copy.deepcopy(p)
    result = translate(p, DEFAULT_CAPS + ["CAP_SYS_ADMIN"], "x86_64")
    result["syscalls"][0]["names"].append("write")
    assert p == before


# --- Docker's default profile ------------------------------------------------

@pytest.fixture(scope="module")
def docker_profile() -> dict:
    if not REFERENCE_PROFILE.exists():
        pytest.skip("reference profile not present")
    return json.loads(REFERENCE_PROFILE.read_text())


def _rules_with(result: dict, name: str) -> list[dict]:
    return [s for s in result["syscalls"] if name in s["names"]]


def test_docker_default_profile_default_caps(docker_profile):
    result = translate(docker_profile, DEFAULT_CAPS, "x86_64", "6.18.44")
    assert result["defaultAction"] == "SCMP_ACT_ERRNO"
    assert result["defaultErrnoRet"] == 1
    assert result["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    assert [s for s in result["syscalls"] if s["names"] == ["clone3"]] == [
        {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]
    [clone] = [s for s in result["syscalls"] if s["names"] == ["clone"]]
    assert clone["args"] == [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}]
    assert _rules_with(result, "chroot")           # CAP_SYS_CHROOT is a default cap
    assert _rules_with(result, "arch_prctl")       # amd64 rule
    assert not _rules_with(result, "mount")        # needs CAP_SYS_ADMIN
    assert not _rules_with(result, "reboot")       # needs CAP_SYS_BOOT
    assert not _rules_with(result, "s390_runtime_instr")
    assert not _rules_with(result, "breakpoint")
    assert _rules_with(result, "ptrace")           # minKernel 4.8 met


def test_docker_default_profile_with_sys_admin(docker_profile):
    result = translate(docker_profile, DEFAULT_CAPS + ["CAP_SYS_ADMIN"], "x86_64", "6.18.44")
    assert _rules_with(result, "mount")
    assert not [s for s in result["syscalls"] if s["names"] == ["clone3"]]
    assert not [s for s in result["syscalls"] if s["names"] == ["clone"]]


def test_docker_default_profile_old_kernel(docker_profile):
    result = translate(docker_profile, DEFAULT_CAPS, "x86_64", "4.4.0")
    assert not _rules_with(result, "ptrace")
