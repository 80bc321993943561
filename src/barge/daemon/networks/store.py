"""Networks on disk: `networks/<id>.json`, Docker's Network shape (without
Containers, which come from the container records). The predefined `bridge`,
`host` and `none` networks are made on first start and kept."""
from __future__ import annotations

import json
import os

from barge.errdefs import NotFound
from barge.spec import clock, ids
from barge.util.atomic import write_json

PREDEFINED = ("bridge", "host", "none")
BRIDGE_NAME_OPT = "com.docker.network.bridge.name"
ICC_OPT = "com.docker.network.bridge.enable_icc"
MASQ_OPT = "com.docker.network.bridge.enable_ip_masquerade"


def new_record(name: str, driver: str, subnet: str = "", gateway: str = "", ip_range: str = "",
               aux: dict | None = None, internal: bool = False, attachable: bool = False,
               options: dict | None = None, labels: dict | None = None, ipam_options: dict | None = None) -> dict:
    config = []
    if subnet:
        entry = {"Subnet": subnet, "Gateway": gateway}
        if ip_range:
            entry["IPRange"] = ip_range
        if aux:
            entry["AuxiliaryAddresses"] = dict(aux)
        config.append(entry)
    return {"Name": name, "Id": ids.new_id(), "Created": clock.rfc3339nano(), "Scope": "local",
            "Driver": driver, "EnableIPv6": False,
            "IPAM": {"Driver": "default", "Options": ipam_options if ipam_options is not None else {},
                     "Config": config},
            "Internal": internal, "Attachable": attachable, "Ingress": False,
            "ConfigFrom": {"Network": ""}, "ConfigOnly": False,
            "Options": dict(options or {}), "Labels": dict(labels or {})}


def bridge_of(net: dict) -> str:
    return net["Options"].get(BRIDGE_NAME_OPT) or "br-" + net["Id"][:12]


def subnet_of(net: dict) -> dict | None:
    cfg = net["IPAM"]["Config"]
    return cfg[0] if cfg else None


class NetworkStore:
    def __init__(self, root: str) -> None:
        self.root = root
        os.makedirs(root, exist_ok=True)
        self._by_id: dict[str, dict] = {}

    def load(self) -> None:
        for f in os.listdir(self.root):
            if f.endswith(".json") and not f.startswith("."):
                try:
                    with open(os.path.join(self.root, f)) as fh:
                        net = json.load(fh)
                    self._by_id[net["Id"]] = net
                except (OSError, ValueError, KeyError):
                    continue

    def save(self, net: dict) -> None:
        write_json(os.path.join(self.root, net["Id"] + ".json"), net, 0o600)
        self._by_id[net["Id"]] = net

    def delete(self, net: dict) -> None:
        try:
            os.unlink(os.path.join(self.root, net["Id"] + ".json"))
        except FileNotFoundError:
            pass
        self._by_id.pop(net["Id"], None)

    def all(self) -> list[dict]:
        return list(self._by_id.values())

    def by_name(self, name: str) -> dict | None:
        for n in self._by_id.values():
            if n["Name"] == name:
                return n
        return None

    def get(self, ref: str) -> dict:
        """By full id, then name, then unique id prefix — Docker's order."""
        if ref in self._by_id:
            return self._by_id[ref]
        n = self.by_name(ref)
        if n:
            return n
        found = [n for i, n in self._by_id.items() if ref and i.startswith(ref)]
        if len(found) == 1:
            return found[0]
        raise NotFound(f"network {ref} not found")
