"""What the embedded DNS answers and what /etc/hosts and legacy links say:
names of containers on the networks the asker shares with them."""
from __future__ import annotations

from barge.daemon.container import Container

ENV_SKIP = ("HOME", "PATH", "HOSTNAME")


def _user_net_ids(c: Container) -> set[str]:
    return {ep["NetworkID"] for name, ep in c.networks.items() if name != "bridge" and ep.get("IPAddress")}


def _link_aliases(c: Container) -> dict[str, str]:
    """alias -> container name, from `--link name:alias` on user networks."""
    out = {}
    for ep in c.networks.values():
        for link in ep.get("Links") or []:
            name, _, alias = link.partition(":")
            out[(alias or name).lower()] = name.lstrip("/")
    return out


def lookup(registry, key: str, name: str, qtype: str) -> list[str] | None:
    try:
        me = registry.get(key)
    except Exception:
        return None
    name = name.lower().rstrip(".")
    shared = _user_net_ids(me)
    target = _link_aliases(me).get(name)
    ips = []
    for other in registry.all():
        if not other.state.running:
            continue
        for ep in other.networks.values():
            if ep.get("NetworkID") not in shared or not ep.get("IPAddress"):
                continue
            names = {other.name.lower(), other.id[:12]} | {a.lower() for a in ep.get("Aliases") or []}
            if name in names or name == other.id or (target and other.name == target):
                ips.append(ep["IPAddress"])
    if not ips:
        return None
    return ips if qtype == "A" else []


def reverse(registry, key: str, ip: str) -> str | None:
    try:
        me = registry.get(key)
    except Exception:
        return None
    shared = _user_net_ids(me)
    for other in registry.all():
        for net_name, ep in other.networks.items():
            if ep.get("NetworkID") in shared and ep.get("IPAddress") == ip and other.state.running:
                return f"{other.name}.{net_name}"
    return None


def own_hosts_lines(c: Container) -> list[tuple[str, str]]:
    host = c.config.get("Hostname") or c.id[:12]
    return [(ep["IPAddress"], host) for ep in c.networks.values() if ep.get("IPAddress")]


def legacy_links(registry, c: Container) -> list[tuple[Container, str]]:
    """(linked container, alias) for HostConfig.Links ("/name:/me/alias" or "name:alias")."""
    from barge.errdefs import InvalidParameter
    out = []
    for link in c.host_config.get("Links") or []:
        name, _, alias = link.partition(":")
        name = name.lstrip("/")
        alias = alias.rsplit("/", 1)[-1] if alias else name
        target = registry.get(name)
        if not target.state.running:
            raise InvalidParameter(f"Cannot link to a non running container: /{target.name} AS /{c.name}/{alias}")
        out.append((target, alias))
    return out


def link_hosts(links: list[tuple[Container, str]]) -> list[tuple[str, str]]:
    out = []
    for target, alias in links:
        ip = (target.networks.get("bridge") or {}).get("IPAddress")
        if ip:
            names = " ".join(dict.fromkeys([alias, target.id[:12], target.name]))
            out.append((ip, names))
    return out


def link_env(c: Container, links: list[tuple[Container, str]]) -> list[str]:
    """Docker's legacy link variables: ALIAS_PORT_80_TCP=tcp://ip:80, ALIAS_NAME, ALIAS_ENV_*."""
    env = []
    for target, alias in links:
        ip = (target.networks.get("bridge") or {}).get("IPAddress") or ""
        prefix = alias.upper().replace("-", "_")
        ports = sorted((target.config.get("ExposedPorts") or {}), key=lambda p: (int(p.split("/")[0]), p))
        for i, p in enumerate(ports):
            port, _, proto = p.partition("/")
            proto = proto or "tcp"
            url = f"{proto}://{ip}:{port}"
            if i == 0:
                env.append(f"{prefix}_PORT={url}")
            base = f"{prefix}_PORT_{port}_{proto.upper()}"
            env += [f"{base}={url}", f"{base}_ADDR={ip}", f"{base}_PORT={port}", f"{base}_PROTO={proto}"]
        env.append(f"{prefix}_NAME=/{c.name}/{alias}")
        for e in target.config.get("Env") or []:
            k, _, v = e.partition("=")
            if k not in ENV_SKIP:
                env.append(f"{prefix}_ENV_{k}={v}")
    return env
