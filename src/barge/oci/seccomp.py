"""Docker seccomp profile -> OCI `linux.seccomp`.

A Docker profile (see shared/reference/docker-default-seccomp.json) is a
superset of the OCI one: rules carry `includes`/`excludes` conditions on the
container's capabilities, the host architecture and the kernel version, and
`archMap` lists each native architecture with its sub-architectures. The
translation keeps the rules whose conditions hold, in profile order, with the
same filtering rules as moby's `profiles/seccomp` setupSeccomp:

- excludes: the rule is dropped if the arch is listed, if ANY listed cap is in
  the bounding set, or if the kernel is at least `minKernel`;
- includes: the rule is dropped unless the arch is listed, ALL listed caps are
  in the bounding set, and the kernel is at least `minKernel`.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from barge.errdefs import InvalidParameter

# `os.uname().machine` (or a Go GOARCH) -> libseccomp's native arch name, the
# vocabulary of the profile's `arches` conditions.
_MACHINE_TO_NATIVE: dict[str, str] = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "i386": "x86",
    "i486": "x86",
    "i586": "x86",
    "i686": "x86",
    "386": "x86",
    "x86": "x86",
    "aarch64": "arm64",
    "arm64": "arm64",
    "arm": "arm",
    "armv6l": "arm",
    "armv7l": "arm",
    "armv8l": "arm",
    "ppc": "ppc",
    "ppc64": "ppc64",
    "ppc64le": "ppc64le",
    "s390": "s390",
    "s390x": "s390x",
    "mips64": "mips64",
    "riscv64": "riscv64",
    "loongarch64": "loong64",
    "loong64": "loong64",
}

# libseccomp native arch name -> the SCMP_ARCH_* constant used in archMap.
_NATIVE_TO_SCMP: dict[str, str] = {
    "x86": "SCMP_ARCH_X86",
    "amd64": "SCMP_ARCH_X86_64",
    "x32": "SCMP_ARCH_X32",
    "arm": "SCMP_ARCH_ARM",
    "arm64": "SCMP_ARCH_AARCH64",
    "mips64": "SCMP_ARCH_MIPS64",
    "mips64n32": "SCMP_ARCH_MIPS64N32",
    "mipsel64": "SCMP_ARCH_MIPSEL64",
    "mipsel64n32": "SCMP_ARCH_MIPSEL64N32",
    "mipsel": "SCMP_ARCH_MIPSEL",
    "ppc": "SCMP_ARCH_PPC",
    "ppc64": "SCMP_ARCH_PPC64",
    "ppc64le": "SCMP_ARCH_PPC64LE",
    "s390": "SCMP_ARCH_S390",
    "s390x": "SCMP_ARCH_S390X",
    "riscv64": "SCMP_ARCH_RISCV64",
    "loong64": "SCMP_ARCH_LOONGARCH64",
}

_KERNEL_RE = re.compile(r"^(\d+)\.(\d+)")


def native_arch(machine: str) -> str:
    """The libseccomp name for `os.uname().machine` ("x86_64" -> "amd64")."""
    return _MACHINE_TO_NATIVE.get(machine, machine)


def parse_kernel(release: str) -> tuple[int, int]:
    """Kernel "version.major" of a release string; the rest is ignored, as in
    moby ("5.10.0-21-amd64" -> (5, 10))."""
    m = _KERNEL_RE.match(release.strip())
    if not m:
        raise InvalidParameter(f"failed to parse kernel version {release!r}")
    return int(m.group(1)), int(m.group(2))


def translate(
    profile: dict,
    caps: Sequence[str],
    arch: str,
    kernel: str | None = None,
) -> dict | None:
    """Translate a Docker seccomp profile for a container.

    `caps` is the container's bounding capability set, `arch` the host's
    `os.uname().machine`, `kernel` its `os.uname().release`. With no kernel
    given, every `minKernel` condition counts as met (a current kernel).
    Returns None for a profile with neither a default action nor rules, which
    Docker treats as "seccomp disabled".
    """
    syscalls = profile.get("syscalls") or []
    if not profile.get("defaultAction") and not syscalls:
        return None
    if profile.get("architectures") and profile.get("archMap"):
        raise InvalidParameter(
            "'architectures' and 'archMap' were specified in the seccomp profile, "
            "use either 'architectures' or 'archMap'"
        )
    native = native_arch(arch)
    capset = frozenset(caps)
    kernel_version = parse_kernel(kernel) if kernel is not None else None

    out: dict = {"defaultAction": profile.get("defaultAction", "")}
    if profile.get("defaultErrnoRet") is not None:
        out["defaultErrnoRet"] = profile["defaultErrnoRet"]
    architectures = _architectures(profile, native)
    if architectures:
        out["architectures"] = architectures
    for key in ("flags", "listenerPath", "listenerMetadata"):
        if profile.get(key):
            out[key] = _copy(profile[key])
    out["syscalls"] = [
        _oci_syscall(rule)
        for rule in syscalls
        if _applies(rule, capset, native, kernel_version)
    ]
    return out


def _architectures(profile: dict, native: str) -> list[str]:
    archs = list(profile.get("architectures") or [])
    scmp = _NATIVE_TO_SCMP.get(native)
    for entry in profile.get("archMap") or []:
        if scmp is not None and entry.get("architecture") == scmp:
            archs.append(entry["architecture"])
            archs.extend(entry.get("subArchitectures") or [])
            break
    return archs


def _kernel_at_least(minimum: str, kernel: tuple[int, int] | None) -> bool:
    if kernel is None:
        return True
    return kernel >= parse_kernel(minimum)


def _applies(
    rule: dict, caps: frozenset[str], native: str, kernel: tuple[int, int] | None
) -> bool:
    excludes = rule.get("excludes") or {}
    if native in (excludes.get("arches") or []):
        return False
    if any(c in caps for c in excludes.get("caps") or []):
        return False
    if excludes.get("minKernel") and _kernel_at_least(excludes["minKernel"], kernel):
        return False

    includes = rule.get("includes") or {}
    arches = includes.get("arches") or []
    if arches and native not in arches:
        return False
    if not all(c in caps for c in includes.get("caps") or []):
        return False
    if includes.get("minKernel") and not _kernel_at_least(includes["minKernel"], kernel):
        return False
    return True


def _oci_syscall(rule: dict) -> dict:
    names = list(rule.get("names") or [])
    if rule.get("name"):
        if names:
            raise InvalidParameter(
                "'name' and 'names' were specified in the seccomp profile, "
                "use either 'name' or 'names'"
            )
        names = [rule["name"]]
    call: dict = {"names": names, "action": rule.get("action", "")}
    if rule.get("errnoRet") is not None:
        call["errnoRet"] = rule["errnoRet"]
    args = [_oci_arg(a) for a in rule.get("args") or []]
    if args:
        call["args"] = args
    return call


def _oci_arg(arg: dict) -> dict:
    out = {"index": arg.get("index", 0), "value": arg.get("value", 0)}
    # valueTwo is omitempty in the OCI Go types, so a zero never reaches runc.
    if arg.get("valueTwo"):
        out["valueTwo"] = arg["valueTwo"]
    out["op"] = arg.get("op", "")
    return out


def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
