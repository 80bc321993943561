"""A client of one registry (the distribution API, `/v2/`): ping and the
auth challenge flow, manifests, blobs (verified downloads, uploads, mounts),
tags, search. Blocking: call it from worker threads. One client per
operation, built with the token scopes that operation needs."""
from __future__ import annotations

from typing import Callable
from urllib.parse import quote, urlencode, urljoin, urlsplit

from barge import errdefs
from barge.distribution import auth, manifest as mf, transport
from barge.distribution.auth import Credentials
from barge.distribution.transport import Body, NetError, Timeouts

HUB_DOMAIN = "docker.io"
HUB_REGISTRY = "registry-1.docker.io"
HUB_INDEX = "index.docker.io"
MANIFEST_LIMIT = 4 << 20
CONFIG_LIMIT = 16 << 20
MONOLITHIC_MAX = 16 << 20
UPLOAD_CHUNK = 16 << 20

Progress = Callable[[int], None]


def registry_host(domain: str) -> str:
    """Where a reference's domain is served: `docker.io` -> registry-1.docker.io."""
    return HUB_REGISTRY if domain in (HUB_DOMAIN, HUB_INDEX) else domain


class RegistryClient:
    def __init__(self, domain: str, creds: Credentials = Credentials(), scopes: list[str] = (),
                 insecure: list[str] = (), timeouts: Timeouts = Timeouts(),
                 certs_dir: str = transport.CERTS_DIR) -> None:
        self.domain = domain
        self.host = registry_host(domain)
        self.creds = creds
        self.scopes = list(scopes)
        self.insecure = list(insecure)
        self.timeouts = timeouts
        self.certs_dir = certs_dir
        self.scheme: str | None = None
        self.challenge: auth.Challenge | None = None
        self._authorization: str | None = None

    # --- endpoint, ping and auth --------------------------------------------

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        self.ping()
        return f"{self.scheme}://{self.host}{path}"

    def ping(self) -> None:
        """Find the endpoint (HTTPS, then HTTP where allowed) and its challenge."""
        if self.scheme:
            return
        schemes = ["https", "http"] if transport.allows_http(self.host, self.insecure) else ["https"]
        err = ""
        for scheme in schemes:
            url = f"{scheme}://{self.host}/v2/"
            try:
                with self._raw("GET", url, {}) as resp:
                    resp.read_limited(1 << 20)
            except NetError as e:
                err = f'Get "{url}": {e}'
                if str(e).startswith("tls: failed to verify"):
                    break       # it speaks TLS: plain HTTP would only hide why it failed
                continue
            self.scheme = scheme
            if resp.status == 401:
                self.challenge = _pick(auth.parse_challenges(resp.header("WWW-Authenticate")))
            return
        raise errdefs.System(err)

    def authorization(self) -> str | None:
        if self._authorization is None:
            self._authorization = self._authorize(self.scopes) or ""
        return self._authorization or None

    def _authorize(self, scopes: list[str]) -> str | None:
        self.ping()
        ch = self.challenge
        if ch is None:
            return None
        if ch.scheme == "basic":
            return None if self.creds.anonymous else auth.basic_header(self.creds)
        if self.creds.registry_token:
            return "Bearer " + self.creds.registry_token
        return "Bearer " + self._fetch_token(ch, scopes)

    def _fetch_token(self, ch: auth.Challenge, scopes: list[str]) -> str:
        realm = ch.params.get("realm", "")
        if not realm.startswith(("http://", "https://")):
            raise errdefs.System(f"invalid token realm {realm!r} from {self.host}")
        if self.creds.identity_token:
            hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
            method, url, body = "POST", realm, auth.refresh_form(ch, scopes, self.creds)
        else:
            hdrs = {} if self.creds.anonymous else {"Authorization": auth.basic_header(self.creds)}
            sep = "&" if "?" in realm else "?"
            method, url, body = "GET", realm + sep + auth.token_query(ch, scopes, self.creds), None
        try:
            with self._raw(method, url, hdrs, body) as resp:
                data = resp.read_limited(1 << 20)
        except NetError as e:
            raise errdefs.System(f'{method.title()} "{url}": {e}') from None
        if resp.status != 200:
            code, text = transport.error_text(resp.status, resp.reason, data)
            raise transport.status_error(resp.status if resp.status in (401, 403) else 401, text,
                                         code or "UNAUTHORIZED")
        try:
            return auth.token_from_response(data)
        except ValueError as e:
            raise errdefs.System(str(e)) from None

    def login(self) -> None:
        """Check the credentials: Docker's loginV2 (a GET of /v2/ with them)."""
        url = self.url("/v2/")
        try:
            authz = self._authorize([])
        except errdefs.BargeError as e:
            raise errdefs.Unauthorized(f'Get "{url}": {e}') from None
        hdrs = {"Authorization": authz} if authz else {}
        with self._raw("GET", url, hdrs) as resp:
            resp.read_limited(1 << 20)
        if resp.status != 200:
            raise errdefs.Unauthorized(
                f"login attempt to {url} failed with status: {resp.status} {resp.reason}")

    # --- requests -------------------------------------------------------------

    def _raw(self, method: str, url: str, headers: dict, body=None) -> transport.Response:
        return transport.request(method, url, headers, body, self.timeouts, self.certs_dir)

    def request(self, method: str, path: str, headers: dict | None = None, body=None,
                ok: tuple[int, ...] = (200,)) -> transport.Response:
        """A request with auth; redirects followed for GET/HEAD; errors raised."""
        url = self.url(path)
        hdrs = dict(headers or {})
        authz = self.authorization()
        if authz:
            hdrs["Authorization"] = authz
        elif self.challenge and self.challenge.scheme == "basic":
            raise errdefs.Unauthorized(f'{method.title()} "{url}": no basic auth credentials')
        for _ in range(6):
            try:
                resp = self._raw(method, url, hdrs, body)
            except NetError as e:
                raise errdefs.System(f'{method.title()} "{url}": {e}') from None
            if resp.status in (301, 302, 303, 307, 308) and method in ("GET", "HEAD"):
                resp.close()
                nxt = urljoin(url, resp.header("Location"))
                if urlsplit(nxt).netloc != urlsplit(url).netloc:
                    hdrs.pop("Authorization", None)
                url = nxt
                continue
            break
        if resp.status in ok:
            return resp
        with resp:
            data = resp.read_limited(1 << 20) if method != "HEAD" else b""
        code, text = transport.error_text(resp.status, resp.reason, data)
        raise transport.status_error(resp.status, text, code)

    # --- manifests --------------------------------------------------------------

    def get_manifest(self, repo: str, ref: str) -> tuple[bytes, str, str]:
        """(raw bytes, media type, digest) of `repo`'s manifest `ref` (tag or digest)."""
        path = f"/v2/{repo}/manifests/{quote(ref)}"
        with self.request("GET", path, {"Accept": mf.ACCEPT}) as resp:
            raw = resp.read_limited(MANIFEST_LIMIT)
            ctype = resp.header("Content-Type")
        digest = mf.digest_of(raw)
        if ref.startswith("sha256:") and digest != ref:
            raise errdefs.System(f"manifest verification failed for digest {ref}")
        return raw, mf.media_type_of(raw, ctype), digest

    def put_manifest(self, repo: str, ref: str, raw: bytes, media_type: str) -> str:
        path = f"/v2/{repo}/manifests/{quote(ref)}"
        with self.request("PUT", path, {"Content-Type": media_type}, raw, ok=(200, 201, 202)):
            pass
        return mf.digest_of(raw)

    def tags(self, repo: str) -> list[str]:
        out: list[str] = []
        path: str | None = f"/v2/{repo}/tags/list"
        while path:
            with self.request("GET", path) as resp:
                doc = _json(resp.read_limited(16 << 20))
                link = resp.header("Link")
            out.extend(doc.get("tags") or [])
            path = _next_link(link)
        return out

    # --- blobs ----------------------------------------------------------------

    def blob_size(self, repo: str, digest: str) -> int | None:
        """The blob's size when the registry has it (HEAD), else None."""
        try:
            with self.request("HEAD", f"/v2/{repo}/blobs/{digest}") as resp:
                length = resp.header("Content-Length")
        except errdefs.NotFound:
            return None
        return int(length) if length.isdigit() else -1

    def open_blob(self, repo: str, digest: str) -> transport.Response:
        """The blob's bytes as a stream, unverified: see `copy.store_verified`."""
        return self.request("GET", f"/v2/{repo}/blobs/{digest}")

    def fetch_small(self, repo: str, desc: mf.Descriptor, limit: int = CONFIG_LIMIT) -> bytes:
        if desc.size > limit:
            raise errdefs.InvalidParameter(f"blob {desc.digest} is too large ({desc.size} bytes)")
        with self.request("GET", f"/v2/{repo}/blobs/{desc.digest}") as resp:
            data = resp.read_limited(limit)
        if len(data) != desc.size or mf.digest_of(data) != desc.digest:
            raise errdefs.System(f"image config verification failed for digest {desc.digest}")
        return data

    def mount_blob(self, repo: str, digest: str, from_repo: str) -> bool:
        """Cross-repository mount; False when the registry wants an upload instead."""
        q = urlencode({"mount": digest, "from": from_repo})
        with self.request("POST", f"/v2/{repo}/blobs/uploads/?{q}", ok=(201, 202)) as resp:
            location = resp.header("Location")
            status = resp.status
        if status == 202 and location:     # an upload session we will not use
            try:
                self.request("DELETE", location, ok=(200, 202, 204, 404)).close()
            except errdefs.BargeError:
                pass
        return status == 201

    def upload_blob(self, repo: str, digest: str, size: int, src, progress: Progress | None = None) -> None:
        """POST a session, then one PUT (small blobs) or PATCH chunks and a closing PUT."""
        with self.request("POST", f"/v2/{repo}/blobs/uploads/", ok=(202,)) as resp:
            location = resp.header("Location")
        if not location:
            raise errdefs.System(f"registry {self.host} gave no upload location")
        if size <= MONOLITHIC_MAX:
            body = Body(src, size, progress)
        else:
            location = self._patch_chunks(location, src, size, progress)
            body = b""
        with self.request("PUT", _with_query(location, {"digest": digest}),
                          {"Content-Type": "application/octet-stream"}, body, ok=(201, 204)):
            pass

    def _patch_chunks(self, location: str, src, size: int, progress: Progress | None) -> str:
        sent = 0
        while sent < size:
            n = min(UPLOAD_CHUNK, size - sent)
            hdrs = {"Content-Type": "application/octet-stream",
                    "Content-Range": f"{sent}-{sent + n - 1}"}
            with self.request("PATCH", location, hdrs, Body(src, n, progress), ok=(202, 204)) as resp:
                location = resp.header("Location") or location
            sent += n
        return location

    # --- search -----------------------------------------------------------------

    def search(self, term: str, limit: int) -> dict:
        q = urlencode({"q": term, "n": str(limit)})
        with self.request("GET", f"/v1/search?{q}") as resp:
            return _json(resp.read_limited(16 << 20))


def _pick(challenges: list[auth.Challenge]) -> auth.Challenge | None:
    for scheme in ("bearer", "basic"):
        for ch in challenges:
            if ch.scheme == scheme:
                return ch
    return None


def _with_query(location: str, params: dict) -> str:
    sep = "&" if "?" in location else "?"
    return location + sep + urlencode(params)


def _next_link(link: str) -> str | None:
    """`</v2/x/tags/list?last=b&n=2>; rel="next"` -> the path."""
    if link and 'rel="next"' in link and "<" in link:
        return link[link.index("<") + 1:link.index(">")]
    return None


def _json(data: bytes) -> dict:
    import json
    try:
        doc = json.loads(data)
    except ValueError:
        raise errdefs.System("invalid JSON from the registry") from None
    return doc if isinstance(doc, dict) else {}
