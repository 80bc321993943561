"""Registry authentication, the pure parts: credentials, `WWW-Authenticate`
challenges, token scopes, the token request."""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

_PARAM_RE = re.compile(r'\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?')


@dataclass(frozen=True)
class Credentials:
    username: str = ""
    password: str = ""
    identity_token: str = ""      # an OAuth refresh token from an earlier login
    registry_token: str = ""      # a bearer token given as is

    @property
    def anonymous(self) -> bool:
        return not (self.username or self.identity_token or self.registry_token)


@dataclass
class Challenge:
    scheme: str                   # lower case: "basic", "bearer"
    params: dict[str, str] = field(default_factory=dict)


def parse_challenges(header: str) -> list[Challenge]:
    """`Bearer realm="https://auth/token",service="reg",scope="repository:x:pull"`."""
    out: list[Challenge] = []
    rest = header.strip()
    while rest:
        m = re.match(r"([A-Za-z][A-Za-z0-9_-]*)\s*", rest)
        if not m:
            break
        ch = Challenge(m.group(1).lower())
        rest = rest[m.end():]
        while True:
            pm = _PARAM_RE.match(rest)
            if not pm or not pm.group(0).strip():
                break
            value = pm.group(2) if pm.group(2) is not None else pm.group(3)
            ch.params[pm.group(1).lower()] = re.sub(r"\\(.)", r"\1", value or "")
            rest = rest[pm.end():]
        out.append(ch)
        rest = rest.lstrip(", ")
    return out


def basic_header(creds: Credentials) -> str:
    raw = f"{creds.username}:{creds.password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def repo_scope(repo: str, actions: str) -> str:
    return f"repository:{repo}:{actions}"


def token_query(ch: Challenge, scopes: list[str], creds: Credentials) -> str:
    """The query of a GET to the challenge's realm (Docker's `client_id=docker`)."""
    q: list[tuple[str, str]] = []
    if ch.params.get("service"):
        q.append(("service", ch.params["service"]))
    for s in scopes:
        q.append(("scope", s))
    if creds.username:
        q.append(("account", creds.username))
    q.append(("client_id", "docker"))
    return urlencode(q)


def refresh_form(ch: Challenge, scopes: list[str], creds: Credentials) -> bytes:
    """The form of an OAuth2 POST to the realm with an identity (refresh) token."""
    form = [("grant_type", "refresh_token"), ("refresh_token", creds.identity_token),
            ("client_id", "docker"), ("service", ch.params.get("service", "")),
            ("scope", " ".join(scopes))]
    return urlencode(form).encode()


def token_from_response(body: bytes) -> str:
    try:
        doc = json.loads(body)
    except ValueError:
        doc = {}
    token = (doc.get("token") or doc.get("access_token")) if isinstance(doc, dict) else None
    if not token:
        raise ValueError("authorization server did not include a token in the response")
    return token


def decode_registry_auth(header: str | None) -> Credentials:
    """The `X-Registry-Auth` header: base64url JSON of Docker's AuthConfig."""
    if not header:
        return Credentials()
    s = header.strip()
    try:
        raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
        doc = json.loads(raw or b"{}")
    except (ValueError, TypeError):
        return Credentials()     # dockerd ignores an unreadable header too
    return credentials_from_json(doc if isinstance(doc, dict) else {})


def credentials_from_json(doc: dict) -> Credentials:
    def s(k: str) -> str:
        v = doc.get(k) or ""
        return v if isinstance(v, str) else ""
    user, pw = s("username"), s("password")
    if s("auth") and not user:
        try:
            user, _, pw = base64.b64decode(s("auth")).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            pass
    return Credentials(user, pw, s("identitytoken"), s("registrytoken"))
