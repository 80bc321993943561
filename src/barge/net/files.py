"""The /etc/hosts, /etc/hostname and /etc/resolv.conf a container gets."""
from __future__ import annotations

import ipaddress

DEFAULT_HOSTS = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n"
)
FALLBACK_NAMESERVERS = ("8.8.8.8", "8.8.4.4")


def hosts(extra: list[tuple[str, str]] = ()) -> str:
    """Docker's default hosts file plus `ip\\tnames` lines."""
    return DEFAULT_HOSTS + "".join(f"{ip}\t{names}\n" for ip, names in extra)


def _is_loopback(addr: str) -> bool:
    try:
        return ipaddress.ip_address(addr.split("%")[0]).is_loopback
    except ValueError:
        return False


def resolv_conf(host_text: str, dns: list[str] = (), search: list[str] = (),
                options: list[str] = (), host_network: bool = False) -> str:
    """The host's resolv.conf without loopback resolvers (unreachable from a
    container's own netns), with --dns/--dns-search/--dns-option applied."""
    servers, searches, opts, other = [], [], [], []
    for line in host_text.splitlines():
        parts = line.split()
        if not parts or parts[0].startswith(("#", ";")):
            continue
        if parts[0] == "nameserver" and len(parts) > 1:
            if host_network or not _is_loopback(parts[1]):
                servers.append(parts[1])
        elif parts[0] in ("search", "domain"):
            searches = parts[1:]
        elif parts[0] == "options":
            opts += parts[1:]
        else:
            other.append(line)
    servers = list(dns) or servers or list(FALLBACK_NAMESERVERS)
    searches = list(search) or searches
    opts = list(options) or opts
    out = "".join(f"nameserver {s}\n" for s in servers)
    if searches:
        out += "search " + " ".join(searches) + "\n"
    if opts:
        out += "options " + " ".join(opts) + "\n"
    return out
