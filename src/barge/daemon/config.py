"""Daemon settings: flags over `daemon.json` over defaults."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from barge.errdefs import InvalidParameter

DEFAULT_SOCKET = "unix:///run/barge/barge.sock"


@dataclass
class DaemonConfig:
    data_root: str = "/var/lib/barge"
    exec_root: str = "/run/barge"
    hosts: list[str] = field(default_factory=lambda: [DEFAULT_SOCKET])
    pidfile: str = ""
    log_driver: str = "json-file"
    log_opts: dict[str, str] = field(default_factory=dict)
    debug: bool = False
    seccomp_profile: str = ""       # path; "" = Docker's built-in default; "unconfined"
    labels: list[str] = field(default_factory=list)
    bridge: str = "barge0"          # the default network's bridge device
    bip: str = ""                   # the default bridge's gateway/prefix, e.g. "172.30.0.1/16"
    default_address_pools: list = field(default_factory=list)
    icc: bool = True
    iptables: bool = True
    mtu: int = 1500
    insecure_registries: list[str] = field(default_factory=list)   # plain HTTP allowed (and loopback)

    @property
    def runc_root(self) -> str:
        return os.path.join(self.exec_root, "runc")

    @property
    def exit_dir(self) -> str:
        return os.path.join(self.exec_root, "exits")

    @property
    def socket_dir(self) -> str:
        return os.path.join(self.exec_root, "s")


_KEYS = {"data-root": "data_root", "exec-root": "exec_root", "hosts": "hosts", "pidfile": "pidfile",
         "log-driver": "log_driver", "log-opts": "log_opts", "debug": "debug",
         "seccomp-profile": "seccomp_profile", "labels": "labels", "bridge": "bridge", "bip": "bip",
         "default-address-pools": "default_address_pools", "icc": "icc", "iptables": "iptables", "mtu": "mtu",
         "insecure-registries": "insecure_registries"}
# Docker keys barge accepts and ignores (they belong to later features)
_IGNORED = {"ip-forward", "registry-mirrors",
            "storage-driver", "features", "experimental", "dns",
            "dns-search", "dns-opts", "live-restore", "max-concurrent-downloads", "userland-proxy",
            "default-ulimits", "log-level", "default-runtime", "runtimes"}


def load_file(path: str) -> dict:
    try:
        with open(path) as f:
            raw = json.load(f)
    except FileNotFoundError:
        return {}
    except ValueError as e:
        raise InvalidParameter(f"unable to configure the daemon with file {path}: {e}") from None
    if not isinstance(raw, dict):
        raise InvalidParameter(f"unable to configure the daemon with file {path}: not a JSON object")
    out = {}
    for k, v in raw.items():
        if k in _KEYS:
            out[_KEYS[k]] = v
        elif k not in _IGNORED:
            raise InvalidParameter(
                f"unable to configure the daemon with file {path}: the following directives don't match any configuration option: {k}")
    return out


def build(file_values: dict, flag_values: dict) -> DaemonConfig:
    cfg = DaemonConfig()
    for src in (file_values, flag_values):
        for k, v in src.items():
            if v is not None and v != [] and v != "":   # note: False (icc, iptables) is a value
                setattr(cfg, k, v)
    return cfg
