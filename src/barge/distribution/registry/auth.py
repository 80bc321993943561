"""Authentication (htpasswd Basic, or HMAC-signed bearer tokens) and per-repository access."""
from __future__ import annotations

import asyncio
import base64
import binascii
import fnmatch
import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass, field

import bcrypt


SERVICE = "barge-registry"
REALM = "barge-registry"
ALL_ACTIONS = frozenset({"pull", "push", "delete"})


@dataclass(frozen=True)
class Scope:
    type: str
    name: str
    actions: frozenset[str]

    def __str__(self) -> str:
        return f"{self.type}:{self.name}:{','.join(sorted(self.actions))}"


def parse_scopes(values: list[str]) -> list[Scope]:
    out = []
    for v in values:
        for s in v.split():
            parts = s.split(":")
            if len(parts) >= 3:
                out.append(Scope(parts[0], ":".join(parts[1:-1]), frozenset(a for a in parts[-1].split(",") if a)))
    return out


def read_htpasswd(path: str) -> dict[str, bytes]:
    users = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and ":" in line:
                user, h = line.split(":", 1)
                users[user] = h.strip().encode()
    return users


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


@dataclass
class Auth:
    htpasswd: str | None = None
    access: list[dict] = field(default_factory=list)
    token: bool = False
    secret: bytes = b""
    token_ttl: int = 300
    realm: str | None = None
    _users: dict[str, bytes] = field(default_factory=dict)
    _mtime: float = -1.0
    _verified: dict[tuple[str, bytes], bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.secret:
            self.secret = os.urandom(32)

    @property
    def enabled(self) -> bool:
        return bool(self.htpasswd)

    # ---- credentials
    def _load_users(self) -> dict[str, bytes]:
        mtime = os.stat(self.htpasswd).st_mtime
        if mtime != self._mtime:
            self._users, self._mtime, self._verified = read_htpasswd(self.htpasswd), mtime, {}
        return self._users

    async def check_basic(self, header: str | None) -> str | None:
        """The user named by a valid `Authorization: Basic` header; None if absent or wrong."""
        if not header or not header.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        stored = self._load_users().get(user)
        if stored is None:
            return None
        key = (user, hashlib.sha256(password.encode()).digest())
        if self._verified.get(key) == stored:
            return user
        try:
            ok = await asyncio.to_thread(bcrypt.checkpw, password.encode(), stored)
        except ValueError:
            ok = False
        if ok:
            self._verified[key] = stored
        return user if ok else None

    # ---- access rules
    def permitted(self, user: str | None, scope: Scope) -> frozenset[str]:
        if user is None:
            return frozenset()
        if scope.type == "registry":
            return frozenset(scope.actions)
        if not self.access:
            return ALL_ACTIONS | {"*"}
        got: set[str] = set()
        for rule in self.access:
            if rule.get("user") not in (user, "*"):
                continue
            if any(fnmatch.fnmatchcase(scope.name, pat) for pat in rule.get("repos", ["*"])):
                acts = set(rule.get("actions", []))
                got |= (ALL_ACTIONS | {"*"}) if "*" in acts else acts
        return frozenset(got)

    def allows(self, user: str | None, scope: Scope) -> bool:
        return scope.actions <= self.permitted(user, scope) or "*" in self.permitted(user, scope)

    # ---- tokens
    def issue(self, user: str | None, scopes: list[Scope]) -> dict:
        now = int(time.time())
        access = []
        for s in scopes:
            granted = s.actions & self.permitted(user, s) if "*" not in self.permitted(user, s) else s.actions
            access.append({"type": s.type, "name": s.name, "actions": sorted(granted)})
        claims = {"iss": SERVICE, "sub": user or "", "aud": SERVICE, "iat": now,
                  "exp": now + self.token_ttl, "access": access}
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        sig = _b64(hmac.new(self.secret, payload.encode(), hashlib.sha256).digest())
        token = f"{payload}.{sig}"
        return {"token": token, "access_token": token, "expires_in": self.token_ttl,
                "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}

    def verify(self, token: str) -> dict | None:
        payload, _, sig = token.partition(".")
        want = _b64(hmac.new(self.secret, payload.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(want, sig):
            return None
        try:
            claims = json.loads(_unb64(payload))
        except (ValueError, binascii.Error):
            return None
        return claims if claims.get("exp", 0) > time.time() else None

    @staticmethod
    def token_allows(claims: dict, scope: Scope) -> bool:
        for a in claims.get("access", []):
            if a.get("type") == scope.type and a.get("name") == scope.name:
                if scope.actions <= set(a.get("actions", [])) or "*" in a.get("actions", []):
                    return True
        return False
