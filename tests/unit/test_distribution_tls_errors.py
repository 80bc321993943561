"""TLS failures reach the user in Go's words, and a registry that answers in
TLS is not retried over plain HTTP (which would hide why it failed)."""
from __future__ import annotations

import ssl

import pytest

from barge import errdefs
from barge.distribution import client as client_mod
from barge.distribution import transport


def _verify_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    e = ssl.SSLCertVerificationError(1, "certificate verify failed")
    e.verify_code, e.verify_message = code, message
    return e


@pytest.mark.parametrize("code,message,want", [
    (18, "self-signed certificate", "x509: certificate signed by unknown authority"),
    (20, "unable to get local issuer certificate", "x509: certificate signed by unknown authority"),
    (10, "certificate has expired", "x509: certificate has expired or is not yet valid"),
    (64, "IP address mismatch", "x509: certificate is not valid for 127.0.0.1"),
    (99, "something else", "x509: something else"),
])
def test_x509_wording(code, message, want):
    text = transport._net_text(_verify_error(code, message), "127.0.0.1:5000")
    assert text == f"tls: failed to verify certificate: {want}"


def test_ping_does_not_fall_back_to_http_after_a_certificate_error(monkeypatch):
    calls = []

    def fake_request(method, url, headers, body, timeouts, certs_dir):
        calls.append(url)
        raise transport.NetError("tls: failed to verify certificate: x509: certificate signed by unknown authority")
    monkeypatch.setattr(transport, "request", fake_request)
    c = client_mod.RegistryClient("127.0.0.1:5000")
    with pytest.raises(errdefs.System) as e:
        c.ping()
    assert calls == ["https://127.0.0.1:5000/v2/"]
    assert str(e.value) == ('Get "https://127.0.0.1:5000/v2/": tls: failed to verify certificate: '
                            "x509: certificate signed by unknown authority")


def test_ping_falls_back_to_http_on_loopback_when_tls_is_not_spoken(monkeypatch):
    calls = []

    def fake_request(method, url, headers, body, timeouts, certs_dir):
        calls.append(url)
        raise transport.NetError("dial tcp 127.0.0.1:5000: connect: connection refused")
    monkeypatch.setattr(transport, "request", fake_request)
    with pytest.raises(errdefs.System):
        client_mod.RegistryClient("127.0.0.1:5000").ping()
    assert calls == ["https://127.0.0.1:5000/v2/", "http://127.0.0.1:5000/v2/"]
