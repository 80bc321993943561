"""Resolve `--user` against a container's /etc/passwd and /etc/group (pure)."""
from __future__ import annotations

from barge.errdefs import InvalidParameter
from barge.spec.container import ProcessUser


def _entries(text: str) -> list[list[str]]:
    return [ln.split(":") for ln in text.splitlines() if ln and not ln.startswith("#")]


def resolve(user: str, passwd: str, group: str, group_add: list[str] = ()) -> ProcessUser:
    name, _, grp = (user or "0").partition(":")
    users = _entries(passwd)
    groups = _entries(group)
    uid, gid, home = _find_user(name or "0", users)
    if grp:
        gid = _find_group(grp, groups)
    supplementary = []
    uname = next((u[0] for u in users if len(u) > 2 and u[2] == str(uid)), name)
    for g in groups:
        if len(g) > 3 and uname in g[3].split(",") and g[2].isdigit() and int(g[2]) != gid:
            supplementary.append(int(g[2]))
    for g in group_add:                      # --group-add: names from /etc/group, or numbers
        gid_extra = _find_group(g, groups)
        if gid_extra not in supplementary:
            supplementary.append(gid_extra)
    return ProcessUser(uid=uid, gid=gid, additional_gids=supplementary, home=home)


def _find_user(name: str, users: list[list[str]]) -> tuple[int, int, str]:
    for u in users:
        if len(u) >= 6 and (u[0] == name or u[2] == name):
            try:
                return int(u[2]), int(u[3]), u[5] or "/"
            except ValueError:
                continue
    if name.isdigit():
        return int(name), 0, "/"
    raise InvalidParameter(f"unable to find user {name}: no matching entries in passwd file")


def _find_group(name: str, groups: list[list[str]]) -> int:
    for g in groups:
        if len(g) >= 3 and (g[0] == name or g[2] == name):
            try:
                return int(g[2])
            except ValueError:
                continue
    if name.isdigit():
        return int(name)
    raise InvalidParameter(f"unable to find group {name}: no matching entries in group file")
