"""HTTP for the registry client: one blocking request per connection
(call it from worker threads), short connect timeouts, TLS with Docker's
`certs.d/<host>/` layout, bodies streamed in chunks, Go-worded errors."""
from __future__ import annotations

import glob
import http.client
import ipaddress
import json
import os
import socket
import ssl
from dataclasses import dataclass
from typing import BinaryIO, Callable
from urllib.parse import urlsplit

from barge import errdefs

CHUNK = 1 << 20
CERTS_DIR = "/etc/barge/certs.d"


@dataclass
class Timeouts:
    connect: float = 5.0
    read: float = 60.0


@dataclass
class Body:
    """A request body read from `reader` (`length` bytes), with progress."""
    reader: BinaryIO
    length: int
    progress: Callable[[int], None] | None = None


class NetError(Exception):
    """The request never got an HTTP answer (refused, no such host, TLS, timeout)."""


class Response:
    def __init__(self, conn: http.client.HTTPConnection, resp: http.client.HTTPResponse, url: str) -> None:
        self._conn = conn
        self._resp = resp
        self.url = url
        self.status = resp.status
        self.reason = resp.reason
        self.headers = resp.headers

    def header(self, name: str, default: str = "") -> str:
        return self._resp.getheader(name, default) or default

    def read(self, n: int = -1) -> bytes:
        try:
            return self._resp.read(n) if n >= 0 else self._resp.read()
        except (OSError, http.client.HTTPException) as e:
            raise errdefs.System(f"reading {self.url}: {_net_text(e, urlsplit(self.url).netloc)}") from None

    def read_limited(self, limit: int) -> bytes:
        data = self.read(limit + 1)
        if len(data) > limit:
            raise errdefs.InvalidParameter(f"response from {self.url} is larger than {limit} bytes")
        return data

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "Response":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def split_host(host: str) -> tuple[str, int | None]:
    u = urlsplit("//" + host)
    return (u.hostname or host), u.port


def is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def allows_http(host: str, insecure: list[str] | tuple[str, ...] = ()) -> bool:
    """Docker's rule: plain HTTP for loopback registries and `insecure-registries`
    (names with or without port, or CIDRs holding the registry's IP)."""
    hostname, _ = split_host(host)
    if is_loopback(hostname):
        return True
    for entry in insecure:
        entry = entry.removeprefix("http://").removeprefix("https://").rstrip("/")
        if entry in (host, hostname):
            return True
        if "/" in entry:
            try:
                if ipaddress.ip_address(hostname) in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return False


def ssl_context(host: str, certs_dir: str = CERTS_DIR) -> ssl.SSLContext:
    """System CAs plus `<certs_dir>/<host>/*.crt`; a client cert from `*.cert` + `*.key`."""
    ctx = ssl.create_default_context()
    d = os.path.join(certs_dir, host)
    for ca in sorted(glob.glob(os.path.join(d, "*.crt"))):
        ctx.load_verify_locations(ca)
    for cert in sorted(glob.glob(os.path.join(d, "*.cert"))):
        key = cert[:-len(".cert")] + ".key"
        if os.path.exists(key):
            ctx.load_cert_chain(cert, key)
    return ctx


def request(method: str, url: str, headers: dict[str, str], body: bytes | Body | None,
            timeouts: Timeouts, certs_dir: str = CERTS_DIR) -> Response:
    """Send one request on a new connection; raise NetError when no answer came."""
    u = urlsplit(url)
    conn = _connect(u.scheme, u.netloc, timeouts, certs_dir)
    try:
        target = (u.path or "/") + (f"?{u.query}" if u.query else "")
        conn.putrequest(method, target, skip_accept_encoding=True)
        length = len(body) if isinstance(body, bytes) else (body.length if body else 0)
        if body is not None or method in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", str(length))
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.putheader("User-Agent", "barge/1.0 (docker-compatible)")
        conn.endheaders()
        if isinstance(body, bytes) and body:
            conn.send(body)
        elif isinstance(body, Body):
            _send(conn, body)
        return Response(conn, conn.getresponse(), url)
    except (OSError, http.client.HTTPException) as e:
        conn.close()
        raise NetError(_net_text(e, u.netloc)) from None
    except BaseException:
        conn.close()
        raise


def _connect(scheme: str, netloc: str, t: Timeouts, certs_dir: str) -> http.client.HTTPConnection:
    hostname, port = split_host(netloc)
    try:
        if scheme == "https":
            conn = http.client.HTTPSConnection(hostname, port or 443, timeout=t.connect,
                                               context=ssl_context(netloc, certs_dir))
        else:
            conn = http.client.HTTPConnection(hostname, port or 80, timeout=t.connect)
        conn.connect()
    except (OSError, http.client.HTTPException) as e:
        raise NetError(_net_text(e, netloc)) from None
    conn.sock.settimeout(t.read)
    return conn


def _send(conn: http.client.HTTPConnection, body: Body) -> None:
    left = body.length
    while left > 0:
        chunk = body.reader.read(min(CHUNK, left))
        if not chunk:
            raise errdefs.System(f"upload source ended {left} bytes early")
        conn.send(chunk)
        left -= len(chunk)
        if body.progress:
            body.progress(len(chunk))


def _net_text(e: BaseException, netloc: str) -> str:
    """Go's wording for what went wrong on the wire."""
    hostname, port = split_host(netloc)
    if isinstance(e, socket.gaierror):
        return f"dial tcp: lookup {hostname}: no such host"
    if isinstance(e, ConnectionRefusedError):
        return f"dial tcp {_addr(hostname, port)}: connect: connection refused"
    if isinstance(e, (socket.timeout, TimeoutError)):
        return f"dial tcp {_addr(hostname, port)}: i/o timeout"
    if isinstance(e, ssl.SSLError) and "WRONG_VERSION_NUMBER" in str(e):
        return "http: server gave HTTP response to HTTPS client"
    if isinstance(e, ssl.SSLCertVerificationError):
        return f"tls: failed to verify certificate: {_x509_text(e, hostname)}"
    if isinstance(e, (http.client.RemoteDisconnected, http.client.IncompleteRead, ConnectionResetError)):
        return "unexpected EOF"
    if isinstance(e, OSError) and e.strerror:
        return f"dial tcp {_addr(hostname, port)}: {e.strerror.lower()}"
    return str(e) or e.__class__.__name__


def _x509_text(e: ssl.SSLCertVerificationError, hostname: str) -> str:
    """Go's crypto/x509 wording for OpenSSL's verify codes."""
    code = e.verify_code
    if code in (2, 18, 19, 20, 21):     # no issuer, self-signed (in chain), unable to verify leaf
        return "x509: certificate signed by unknown authority"
    if code in (9, 10):
        return "x509: certificate has expired or is not yet valid"
    if code in (62, 64):                # hostname / IP mismatch
        return f"x509: certificate is not valid for {hostname}"
    return f"x509: {e.verify_message}"


def _addr(hostname: str, port: int | None) -> str:
    try:
        hostname = socket.gethostbyname(hostname) if hostname == "localhost" else hostname
    except OSError:
        pass
    return f"{hostname}:{port}" if port else hostname


def error_text(status: int, reason: str, body: bytes) -> tuple[str, str]:
    """(code, text) of a registry error answer, as Docker's errcode prints it:
    `manifest unknown: manifest unknown`, `unauthorized: authentication required`."""
    try:
        doc = json.loads(body) if body else {}
    except ValueError:
        doc = {}
    errors = doc.get("errors") if isinstance(doc, dict) else None
    if errors and isinstance(errors, list) and isinstance(errors[0], dict):
        code = str(errors[0].get("code") or "UNKNOWN")
        msg = str(errors[0].get("message") or "")
        return code, f"{code.lower().replace('_', ' ')}: {msg}" if msg else code.lower().replace("_", " ")
    if isinstance(doc, dict) and doc.get("details") and status == 401:
        return "UNAUTHORIZED", f"unauthorized: {doc['details']}"
    if status == 401:
        return "UNAUTHORIZED", "unauthorized: authentication required"
    return "", f"received unexpected HTTP status: {status} {reason}"


def status_error(status: int, text: str, code: str = "") -> errdefs.BargeError:
    cls = {401: errdefs.Unauthorized, 403: errdefs.Forbidden, 404: errdefs.NotFound}.get(
        status, errdefs.System)
    if code == "DENIED":
        cls = errdefs.Forbidden
    err = cls(text)
    err.code = code      # the registry's error code, for callers that translate it
    return err
