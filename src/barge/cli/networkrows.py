"""Networks as the docker CLI shows them: `network ls` rows (its
networkContext: `{{.ID}}`, `{{.Name}}`, `{{.IPv6}}`, ...) and the typed value
`network inspect -f` templates run on first (Go's network.Inspect, whose
`.Created` prints as a Go time and whose structs print as `{a b c}`)."""
from __future__ import annotations

import re

from barge.cli.rows import _Row, truncate_id

NETWORK_TABLE = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
NETWORK_RAW = "network_id: {{.ID}}\nname: {{.Name}}\ndriver: {{.Driver}}\nscope: {{.Scope}}\n"
NETWORK_HEADERS = {
    "ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE", "IPv4": "IPV4",
    "IPv6": "IPV6", "Internal": "INTERNAL", "Labels": "LABELS", "CreatedAt": "CREATED AT",
}
_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")
GO_ZERO_TIME = "0001-01-01 00:00:00 +0000 UTC"


def network_format(fmt: str, quiet: bool) -> str:
    """docker's network NewFormat: `-q` only overrides "table" and "raw"."""
    if fmt in ("", "table"):
        return "{{.ID}}" if quiet else NETWORK_TABLE
    if fmt == "raw":
        return "network_id: {{.ID}}" if quiet else NETWORK_RAW
    return fmt


def go_time_text(value: str | None) -> str:
    """An API time ("2024-01-02T03:04:05.123Z") as Go's time.Time.String()
    prints it once parsed: "2024-01-02 03:04:05.123 +0000 UTC"."""
    m = _RFC3339.match(value or "")
    if not m:
        return GO_ZERO_TIME
    day, clock, frac, zone = m.groups()
    frac = (frac or "")[:9].rstrip("0")
    text = f"{day} {clock}" + (f".{frac}" if frac else "")
    if zone == "Z":
        return f"{text} +0000 UTC"
    offset = zone[:3] + zone[4:]
    import calendar
    import time
    secs = (int(zone[1:3]) * 60 + int(zone[4:])) * 60 * (-1 if zone[0] == "-" else 1)
    local = time.localtime(calendar.timegm(time.strptime(f"{day} {clock}", "%Y-%m-%d %H:%M:%S")) - secs)
    # Go names the zone when the offset is the local one's at that time
    name = local.tm_zone if local.tm_gmtoff == secs else offset
    return f"{text} {offset} {name}"


class NetworkRow(_Row):
    """One GET /networks item, as `docker network ls` shows it."""

    __slots__ = ("_n", "_trunc")
    __go_type__ = "*network.networkContext"
    _JSON_FIELDS = ("CreatedAt", "Driver", "ID", "IPv4", "IPv6", "Internal", "Labels", "Name", "Scope")

    def __init__(self, network: dict, trunc: bool = True) -> None:
        self._n, self._trunc = network, trunc

    @property
    def ID(self) -> str:  # noqa: N802 - Go template field names
        nid = self._n.get("Id") or ""
        return truncate_id(nid) if self._trunc else nid

    @property
    def Name(self) -> str:  # noqa: N802
        return self._n.get("Name") or ""

    @property
    def Driver(self) -> str:  # noqa: N802
        return self._n.get("Driver") or ""

    @property
    def Scope(self) -> str:  # noqa: N802
        return self._n.get("Scope") or ""

    def _flag(self, key: str) -> str:
        return "true" if self._n.get(key) else "false"

    @property
    def IPv4(self) -> str:  # noqa: N802
        return self._flag("EnableIPv4")

    @property
    def IPv6(self) -> str:  # noqa: N802
        return self._flag("EnableIPv6")

    @property
    def Internal(self) -> str:  # noqa: N802
        return self._flag("Internal")

    @property
    def Labels(self) -> str:  # noqa: N802
        return ",".join(f"{k}={v}" for k, v in sorted((self._n.get("Labels") or {}).items()))

    def Label(self, name: str) -> str:  # noqa: N802
        return (self._n.get("Labels") or {}).get(name, "")

    @property
    def CreatedAt(self) -> str:  # noqa: N802
        return go_time_text(self._n.get("Created"))


NetworkRow.__name__ = NetworkRow.__go_type__     # the type name template errors show


class GoStruct:
    """A Go struct value for templates: its fields by name, `{a b c}` when
    printed, and `json` as the API gives it."""

    __slots__ = ("_fields", "_json")

    def __init__(self, fields: dict, json_value) -> None:
        self._fields, self._json = fields, json_value

    def __getattr__(self, name: str):
        try:
            return self._fields[name]
        except KeyError:
            raise AttributeError(name) from None

    def __str__(self) -> str:
        from barge.util.gotemplate_fmt import format_value
        return "{" + " ".join(format_value(v) for v in self._fields.values()) + "}"

    def __json__(self):
        return self._json


class GoTime(GoStruct):
    """A time.Time: prints as Go's String(), marshals as the API's RFC 3339 text."""

    __slots__ = ()

    def __init__(self, value: str | None) -> None:
        super().__init__({}, value or "0001-01-01T00:00:00Z")

    def __str__(self) -> str:
        return go_time_text(self._json)


def _ipam_config(c: dict) -> GoStruct:
    fields = {"Subnet": c.get("Subnet") or "", "IPRange": c.get("IPRange") or "",
              "Gateway": c.get("Gateway") or "", "AuxAddress": c.get("AuxiliaryAddresses") or {}}
    return GoStruct(fields, {k: v for k, v in c.items()
                             if k in ("Subnet", "IPRange", "Gateway", "AuxiliaryAddresses") and v})


def _endpoint(e: dict) -> GoStruct:
    fields = {k: e.get(k) or "" for k in ("Name", "EndpointID", "MacAddress", "IPv4Address", "IPv6Address")}
    return GoStruct(fields, fields)


def go_network(n: dict) -> GoStruct:
    """A GET /networks/{id} answer as docker's network.Inspect struct: what
    `network inspect -f` runs a template on before the raw JSON."""
    ipam = n.get("IPAM") or {}
    configs = ipam.get("Config")
    ipam_fields = {"Driver": ipam.get("Driver") or "", "Options": ipam.get("Options") or {},
                   "Config": [_ipam_config(c) for c in configs or ()]}
    ipam_json = {"Driver": ipam.get("Driver") or "", "Options": ipam.get("Options"),
                 "Config": [c.__json__() for c in ipam_fields["Config"]] if configs is not None else None}
    containers = {k: _endpoint(v or {}) for k, v in (n.get("Containers") or {}).items()}
    config_from = {"Network": (n.get("ConfigFrom") or {}).get("Network") or ""}
    fields = {
        "Name": n.get("Name") or "", "ID": n.get("Id") or "", "Created": GoTime(n.get("Created")),
        "Scope": n.get("Scope") or "", "Driver": n.get("Driver") or "",
        "EnableIPv4": bool(n.get("EnableIPv4")), "EnableIPv6": bool(n.get("EnableIPv6")),
        "IPAM": GoStruct(ipam_fields, ipam_json), "Internal": bool(n.get("Internal")),
        "Attachable": bool(n.get("Attachable")), "Ingress": bool(n.get("Ingress")),
        "ConfigFrom": GoStruct(config_from, config_from), "ConfigOnly": bool(n.get("ConfigOnly")),
        "Containers": containers, "Options": n.get("Options") or {}, "Labels": n.get("Labels") or {},
        "Peers": n.get("Peers") or [], "Services": n.get("Services") or {},
    }
    as_json = {("Id" if k == "ID" else k): v for k, v in fields.items() if k not in ("Peers", "Services")}
    as_json.update({"Containers": n.get("Containers") if n.get("Containers") is None else containers,
                    "Options": n.get("Options"), "Labels": n.get("Labels")})
    as_json.update({k: n[k] for k in ("Peers", "Services") if n.get(k)})
    return GoStruct(fields, as_json)
