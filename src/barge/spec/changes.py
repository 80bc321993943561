"""`--change` instructions for import/commit, applied to an image config (pure)."""
from __future__ import annotations

import json
import shlex

from barge.errdefs import InvalidParameter

ALLOWED = ("CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "STOPSIGNAL", "USER",
           "VOLUME", "WORKDIR")


def _json_or_shell(rest: str) -> list[str]:
    rest = rest.strip()
    if rest.startswith("["):
        try:
            v = json.loads(rest)
            if isinstance(v, list) and all(isinstance(x, str) for x in v):
                return v
        except ValueError:
            pass
    return ["/bin/sh", "-c", rest]


def _pairs(rest: str, instr: str) -> list[tuple[str, str]]:
    words = shlex.split(rest)
    if not words:
        raise InvalidParameter(f"{instr} requires at least one argument")
    if "=" not in words[0]:
        if len(words) < 2 and instr == "ENV":
            raise InvalidParameter("ENV must have two arguments")
        key, _, value = rest.strip().partition(" ")
        return [(key, value.strip())]
    out = []
    for w in words:
        if "=" not in w:
            raise InvalidParameter(f"Syntax error - can't find = in \"{w}\". Must be of the form: name=value")
        k, _, v = w.partition("=")
        out.append((k, v))
    return out


def apply(config: dict, changes: list[str]) -> dict:
    """Return a copy of the image `config` section with `changes` applied."""
    cfg = json.loads(json.dumps(config or {}))
    for change in changes:
        for line in change.splitlines():
            line = line.strip()
            if not line:
                continue
            instr, _, rest = line.partition(" ")
            up = instr.upper()
            if up not in ALLOWED:
                raise InvalidParameter(f"{instr.lower()} is not a valid change command")
            _apply_one(cfg, up, rest.strip())
    return cfg


def _apply_one(cfg: dict, instr: str, rest: str) -> None:
    if instr == "CMD":
        cfg["Cmd"] = _json_or_shell(rest)
    elif instr == "ENTRYPOINT":
        cfg["Entrypoint"] = _json_or_shell(rest)
    elif instr == "ENV":
        env = [e for e in cfg.get("Env") or []]
        for k, v in _pairs(rest, "ENV"):
            keys = [e.split("=", 1)[0] for e in env]
            if k in keys:                  # replaced where it stands, as Docker does
                env[keys.index(k)] = f"{k}={v}"
            else:
                env.append(f"{k}={v}")
        cfg["Env"] = env
    elif instr == "LABEL":
        labels = dict(cfg.get("Labels") or {})
        labels.update(_pairs(rest, "LABEL"))
        cfg["Labels"] = labels
    elif instr == "EXPOSE":
        ports = dict(cfg.get("ExposedPorts") or {})
        for p in rest.split():
            ports[p if "/" in p else p + "/tcp"] = {}
        cfg["ExposedPorts"] = ports
    elif instr == "VOLUME":
        vols = dict(cfg.get("Volumes") or {})
        for v in (json.loads(rest) if rest.startswith("[") else rest.split()):
            vols[v] = {}
        cfg["Volumes"] = vols
    elif instr == "WORKDIR":
        cfg["WorkingDir"] = rest
    elif instr == "USER":
        cfg["User"] = rest
    elif instr == "STOPSIGNAL":
        cfg["StopSignal"] = rest
    elif instr == "ONBUILD":
        cfg["OnBuild"] = list(cfg.get("OnBuild") or []) + [rest]
