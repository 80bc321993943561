"""The client's response reader: a body cut short (the daemon killed
mid-answer) is an error, never a quiet, successful end of the stream.

Docker's CLI reports such a cut as "unexpected EOF" and exits 1; a `barge
load` that printed nothing and exited 0 while barged died is what this guards.
"""
from __future__ import annotations

import io

import pytest

from barge.client.http import Response


def _resp(raw: bytes, headers: dict[str, str]) -> Response:
    return Response(None, io.BufferedReader(io.BytesIO(raw)), 200, headers)  # type: ignore[arg-type]


CHUNKED = {"transfer-encoding": "chunked"}


def test_chunked_complete():
    r = _resp(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", CHUNKED)
    assert r.read() == b"hello world"


def test_chunked_json_stream_complete():
    body = b'{"stream": "Loaded image: a:1\\n"}\r\n'
    r = _resp(f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n", CHUNKED)
    assert list(r.iter_json()) == [{"stream": "Loaded image: a:1\n"}]


@pytest.mark.parametrize("raw", [
    b"",                                   # nothing after the headers
    b"5\r\nhello\r\n",                     # no terminating zero-size chunk
    b"a\r\nhello",                         # cut inside a chunk
    b"5\r\nhel",
])
def test_chunked_cut_short_is_an_error(raw):
    r = _resp(raw, CHUNKED)
    with pytest.raises(Exception):
        r.read()


def test_chunked_json_stream_cut_short_is_an_error():
    """What `barge load` reads: progress lines, then the daemon dies."""
    r = _resp(b"", CHUNKED)
    with pytest.raises(Exception):
        list(r.iter_json())


def test_content_length_complete():
    r = _resp(b"hello", {"content-length": "5"})
    assert r.read() == b"hello"


def test_content_length_cut_short_is_an_error():
    r = _resp(b"hel", {"content-length": "5"})
    with pytest.raises(Exception):
        r.read()
