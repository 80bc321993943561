"""Docker image references: parse, normalise, and print the familiar form."""
from __future__ import annotations

import re
from dataclasses import dataclass

from barge.errdefs import InvalidParameter

DEFAULT_DOMAIN = "docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST_RE = re.compile(r"^sha256:[a-f0-9]{64}$")
_DOMAIN_RE = re.compile(r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$")
ID_RE = re.compile(r"^[a-f0-9]{64}$")


@dataclass(frozen=True)
class Reference:
    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def repository(self) -> str:
        """Familiar repository name: `busybox`, `me/app`, `localhost:5000/app`."""
        if self.domain == DEFAULT_DOMAIN:
            p = self.path
            return p[len(OFFICIAL_PREFIX):] if p.startswith(OFFICIAL_PREFIX) else p
        return f"{self.domain}/{self.path}"

    @property
    def full_repository(self) -> str:
        return f"{self.domain}/{self.path}"

    def familiar(self) -> str:
        return self.repository + self._suffix()

    def full(self) -> str:
        """Docker's reference.String(): "docker.io/library/busybox:latest"."""
        return self.full_repository + self._suffix()

    def _suffix(self) -> str:
        return (":" + self.tag if self.tag else "") + ("@" + self.digest if self.digest else "")

    def with_default_tag(self) -> "Reference":
        if self.tag or self.digest:
            return self
        return Reference(self.domain, self.path, DEFAULT_TAG, None)


def _split_domain(name: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        return first, rest
    if sep == "":
        return DEFAULT_DOMAIN, OFFICIAL_PREFIX + name
    if first == "index.docker.io":
        first = DEFAULT_DOMAIN
    if first == DEFAULT_DOMAIN:
        return first, rest
    return DEFAULT_DOMAIN, name


def parse(s: str) -> Reference:
    """Parse a reference like Docker's ParseNormalizedNamed. Raises InvalidParameter."""
    if not s:
        raise InvalidParameter("invalid reference format")
    if ID_RE.match(s):
        raise InvalidParameter(
            f"invalid repository name ({s}), cannot specify 64-byte hexadecimal strings")
    name, digest = s, None
    if "@" in s:
        name, _, digest = s.partition("@")
        if not _DIGEST_RE.match(digest):
            raise InvalidParameter("invalid reference format")
    tag = None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1:]
        if not _TAG_RE.match(tag):
            raise InvalidParameter("invalid reference format")
    domain, path = _split_domain(name)
    if not _DOMAIN_RE.match(domain):
        raise InvalidParameter("invalid reference format")
    if not _PATH_RE.match(path):
        if path.lower() != path:
            raise InvalidParameter(f"invalid reference format: repository name ({path}) must be lowercase")
        raise InvalidParameter("invalid reference format")
    if len(domain) + 1 + len(path) > 255:
        raise InvalidParameter("invalid reference format: repository name must not be more than 255 characters")
    return Reference(domain, path, tag, digest)


def normalize(s: str) -> str:
    """`busybox` -> `busybox:latest`, keeping digests; familiar form."""
    return parse(s).with_default_tag().familiar()
