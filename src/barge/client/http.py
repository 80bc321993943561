"""A small HTTP/1.1 client for the Engine API over a unix socket or TCP.
Hand-written (not http.client) to keep `barge` quick to start and to take
over the socket for attach."""
from __future__ import annotations

import json
import os
import socket
TYPE_CHECKING = False   # typing is slow to import; annotations only need it for checkers
if TYPE_CHECKING:
    from typing import Iterable, Iterator
from urllib.parse import quote, urlencode

from barge.spec.apiversion import MAX_API

DEFAULT_HOST = "unix:///run/barge/barge.sock"


class APIError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ConnectError(Exception):
    pass


def resolve_host(flag: str | None = None) -> str:
    return flag or os.environ.get("BARGE_HOST") or os.environ.get("DOCKER_HOST") or DEFAULT_HOST


class Response:
    def __init__(self, sock: socket.socket, rfile, status: int, headers: dict[str, str]) -> None:
        self.sock = sock
        self.rfile = rfile
        self.status = status
        self.headers = headers
        self._chunked = headers.get("transfer-encoding", "").lower() == "chunked"
        cl = headers.get("content-length")
        self._left = int(cl) if cl is not None else None
        self._chunk_left = 0
        self._done = status in (204, 304) or self._left == 0

    def read_chunk(self, n: int = 65536) -> bytes:
        """The next piece of the body; b"" at its end. A body cut short
        (the daemon died mid-answer) raises ConnectError("unexpected EOF")."""
        if self._done:
            return b""
        if self._chunked:
            return self._read_chunked(n)
        data = self.rfile.read1(n if self._left is None else min(n, self._left))
        if self._left is not None:
            self._left -= len(data)
            if not data and self._left > 0:
                raise ConnectError("unexpected EOF")
            if self._left <= 0:
                self._done = True
        if not data:
            self._done = True
        return data

    def _read_chunked(self, n: int) -> bytes:
        if self._chunk_left == 0:
            line = self.rfile.readline()
            if not line.endswith(b"\n"):
                raise ConnectError("unexpected EOF")
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise ConnectError(f"malformed chunk size: {line[:40]!r}") from None
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                self._done = True
                return b""
            self._chunk_left = size
        data = self.rfile.read1(min(n, self._chunk_left))
        if not data:
            raise ConnectError("unexpected EOF")
        self._chunk_left -= len(data)
        if self._chunk_left == 0 and not self.rfile.readline().endswith(b"\n"):
            raise ConnectError("unexpected EOF")
        return data

    def iter_chunks(self, n: int = 65536) -> Iterator[bytes]:
        while data := self.read_chunk(n):
            yield data

    def read(self) -> bytes:
        return b"".join(self.iter_chunks())

    def json(self):
        return json.loads(self.read() or b"null")

    def iter_json(self) -> Iterator[dict]:
        """A stream of JSON documents (progress messages, events)."""
        import codecs
        dec = json.JSONDecoder()
        text = codecs.getincrementaldecoder("utf-8")(errors="replace")   # a character may span chunks
        buf = ""
        for chunk in self.iter_chunks():
            buf += text.decode(chunk)
            while True:
                buf = buf.lstrip()
                if not buf:
                    break
                try:
                    obj, end = dec.raw_decode(buf)
                except ValueError:
                    break
                yield obj
                buf = buf[end:]

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class Endpoint:
    __slots__ = ("kind", "address")

    def __init__(self, kind: str, address) -> None:
        self.kind = kind          # unix | tcp
        self.address = address


def parse_host(host: str) -> Endpoint:
    if host.startswith("unix://"):
        return Endpoint("unix", host[len("unix://"):])
    if host.startswith("tcp://") or host.startswith("http://"):
        hp = host.split("://", 1)[1].rstrip("/")
        h, _, p = hp.rpartition(":")
        return Endpoint("tcp", (h or "127.0.0.1", int(p or 2375)))
    if host.startswith("/"):
        return Endpoint("unix", host)
    raise ConnectError(f'unable to parse docker host `{host}`')


class Client:
    def __init__(self, host: str | None = None, version: str | None = None) -> None:
        self.host = resolve_host(host)
        self.endpoint = parse_host(self.host)
        self.version = version or os.environ.get("DOCKER_API_VERSION") or MAX_API
        self._negotiated = version is not None

    def _connect(self) -> socket.socket:
        ep = self.endpoint
        try:
            if ep.kind == "unix":
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(ep.address)
            else:
                s = socket.create_connection(ep.address)
        except (FileNotFoundError, ConnectionRefusedError) as e:
            raise ConnectError(
                f"Cannot connect to the Docker daemon at {self.host}. Is the docker daemon running?") from e
        except PermissionError as e:
            raise ConnectError(f"permission denied while trying to connect to the daemon socket at {self.host}") from e
        return s

    def _url(self, path: str, params: dict | None) -> str:
        url = f"/v{self.version}{quote(path, safe='/:@')}"
        if params:
            items = []
            for k, v in params.items():
                if v is None:
                    continue
                if isinstance(v, bool):
                    v = "1" if v else "0"
                if isinstance(v, (list, tuple)):
                    items += [(k, str(x)) for x in v]
                else:
                    items.append((k, str(v)))
            if items:
                url += "?" + urlencode(items)
        return url

    def request(self, method: str, path: str, params: dict | None = None, body=None,
                json_body=None, headers: dict | None = None, upgrade: bool = False) -> Response:
        resp = self._request_once(method, path, params, body, json_body, headers, upgrade)
        if resp.status == 400 and not self._negotiated:
            msg = _error_message(resp)
            lower = _max_version_from(msg)
            if not lower:
                raise APIError(400, msg)
            self.version = lower        # retried at the daemon's version; its errors are errors too
            resp = self._request_once(method, path, params, body, json_body, headers, upgrade)
        self._negotiated = True
        if resp.status >= 400:
            raise APIError(resp.status, _error_message(resp))
        return resp

    def _request_once(self, method, path, params, body, json_body, headers, upgrade) -> Response:
        s = self._connect()
        hdrs = {"Host": "docker", "User-Agent": "barge-cli"}
        if json_body is not None:
            body = json.dumps(json_body).encode()
            hdrs["Content-Type"] = "application/json"
        if upgrade:
            hdrs["Connection"] = "Upgrade"
            hdrs["Upgrade"] = "tcp"
        hdrs.update(headers or {})
        chunked = body is not None and not isinstance(body, (bytes, bytearray))
        if isinstance(body, (bytes, bytearray)):
            hdrs["Content-Length"] = str(len(body))
        elif chunked:
            hdrs["Transfer-Encoding"] = "chunked"
        elif method in ("POST", "PUT"):
            hdrs["Content-Length"] = "0"
        head = f"{method} {self._url(path, params)} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
        try:
            if isinstance(body, (bytes, bytearray)):
                s.sendall(head.encode() + body)
            else:
                s.sendall(head.encode())
                if chunked:
                    _send_chunked(s, body)
        except BrokenPipeError:
            pass
        rfile = s.makefile("rb", buffering=65536)
        resp = _read_head(s, rfile)
        if method == "HEAD":
            resp._done = True     # a HEAD answer has no body, whatever its headers say
        return resp

    # conveniences
    def get(self, path, params=None, **kw) -> Response:
        return self.request("GET", path, params, **kw)

    def post(self, path, params=None, **kw) -> Response:
        return self.request("POST", path, params, **kw)

    def delete(self, path, params=None, **kw) -> Response:
        return self.request("DELETE", path, params, **kw)

    def get_json(self, path, params=None):
        r = self.get(path, params)
        try:
            return r.json()
        finally:
            r.close()


def _send_chunked(s: socket.socket, body: Iterable[bytes]) -> None:
    for chunk in body:
        if chunk:
            s.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    s.sendall(b"0\r\n\r\n")


def _read_head(s: socket.socket, rfile) -> Response:
    line = rfile.readline()
    if not line:
        raise ConnectError("the daemon closed the connection")
    parts = line.decode("latin-1").split(" ", 2)
    status = int(parts[1])
    headers: dict[str, str] = {}
    while True:
        h = rfile.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    return Response(s, rfile, status, headers)


def _error_message(resp: Response) -> str:
    raw = resp.read() if not resp._done else b""
    resp.close()
    try:
        return json.loads(raw).get("message", "") or raw.decode(errors="replace")
    except (ValueError, AttributeError):
        return raw.decode(errors="replace").strip()


def _max_version_from(msg: str) -> str | None:
    marker = "Maximum supported API version is "
    if "is too new" in msg and marker in msg:
        return msg.split(marker, 1)[1].split()[0].strip()
    return None
