"""Images as the API shows them: summaries, inspect, history."""
from __future__ import annotations

from barge.errdefs import NotFound

from barge.spec import clock
from barge.store import Store
from barge.store.images import Image


def created_unix(img: Image) -> int:
    return clock.unix(img.config.get("created") or "")


def summary(img: Image, containers: int = -1, api: tuple[int, int] = (1, 45)) -> dict:
    out = {
        "Id": img.id, "ParentId": img.parent, "RepoTags": img.repo_tags,
        "RepoDigests": img.repo_digests, "Created": created_unix(img), "Size": img.size,
        "SharedSize": -1, "Labels": (img.config.get("config") or {}).get("Labels") or {},
        "Containers": containers,
    }
    if api < (1, 44):          # removed in API 1.44
        out["VirtualSize"] = img.size
    return out


def inspect(store: Store, img: Image, api: tuple[int, int] = (1, 45)) -> dict:
    """ImageInspect as the API version asks: Container/ContainerConfig until
    1.45, VirtualSize until 1.44."""
    cfg = img.config
    out = {
        "Id": img.id, "RepoTags": img.repo_tags, "RepoDigests": img.repo_digests,
        "Parent": img.parent, "Comment": cfg.get("comment", ""), "Created": cfg.get("created", ""),
        "DockerVersion": cfg.get("docker_version", ""), "Author": cfg.get("author", ""),
        "Config": _config(cfg.get("config") or {}), "Architecture": cfg.get("architecture", "amd64"),
        "Os": cfg.get("os", "linux"), "Size": img.size,
        "VirtualSize": img.size,
        "GraphDriver": {"Data": _graph_data(store, img), "Name": "overlay2"},
        "RootFS": {"Type": "layers", "Layers": img.diff_ids},
        "Metadata": {"LastTagTime": clock.rfc3339nano(int(img.stored_at * 1e9)) if img.stored_at else clock.ZERO},
    }
    if api < (1, 45):
        out["Container"] = cfg.get("container", "")
        out["ContainerConfig"] = _config(cfg.get("container_config") or {})
    if api >= (1, 44):
        del out["VirtualSize"]
    return out


def _config(c: dict) -> dict:
    keys = ("Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr",
            "ExposedPorts", "Tty", "OpenStdin", "StdinOnce", "Env", "Cmd", "Healthcheck", "ArgsEscaped",
            "Image", "Volumes", "WorkingDir", "Entrypoint", "OnBuild", "Labels", "StopSignal", "Shell")
    defaults = {"Hostname": "", "Domainname": "", "User": "", "AttachStdin": False, "AttachStdout": False,
                "AttachStderr": False, "Tty": False, "OpenStdin": False, "StdinOnce": False, "Env": None,
                "Cmd": None, "Image": "", "Volumes": None, "WorkingDir": "", "Entrypoint": None,
                "OnBuild": None, "Labels": None}
    out = {}
    for k in keys:
        if k in c:
            out[k] = c[k]
        elif k in defaults:
            out[k] = defaults[k]
    return out


def _graph_data(store: Store, img: Image) -> dict:
    if not img.chain_ids:
        return {}
    dirs = [store.layers.get(c).link for c in reversed(img.chain_ids)]
    data = {"MergedDir": "", "UpperDir": dirs[0], "WorkDir": ""}
    if len(dirs) > 1:
        data["LowerDir"] = ":".join(dirs[1:])
    return data


def history(store: Store, img: Image) -> list[dict]:
    """Newest first, like Docker: the top entry carries the image id."""
    entries = list(img.config.get("history") or [])
    chains = list(img.chain_ids)
    out = []
    li = 0
    for h in entries:
        size = 0
        if not h.get("empty_layer") and li < len(chains):
            size = store.layers.get(chains[li]).size
            li += 1
        out.append({"Id": "<missing>", "Created": clock.unix(h.get("created") or ""),
                    "CreatedBy": h.get("created_by", ""), "Tags": None, "Size": size,
                    "Comment": h.get("comment", "")})
    if not entries:
        out = [{"Id": "<missing>", "Created": clock.unix(img.config.get("created") or ""),
                "CreatedBy": "", "Tags": None, "Size": store.layers.get(c).size, "Comment": ""}
               for c in chains]
    out.reverse()
    cur = img
    for entry in out:                      # ids down the local parent chain, as Docker fills them
        entry["Id"] = cur.id
        entry["Tags"] = cur.repo_tags or None
        if not cur.parent:
            break
        try:
            cur = store.images.get_by_id(cur.parent)
        except NotFound:
            break
    return out
