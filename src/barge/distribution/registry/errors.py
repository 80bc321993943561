"""The distribution spec's error codes, their HTTP statuses and JSON bodies."""
from __future__ import annotations

import json

STATUS: dict[str, int] = {
    "BLOB_UNKNOWN": 404, "BLOB_UPLOAD_INVALID": 400, "BLOB_UPLOAD_UNKNOWN": 404,
    "DIGEST_INVALID": 400, "MANIFEST_BLOB_UNKNOWN": 400, "MANIFEST_INVALID": 400,
    "MANIFEST_UNKNOWN": 404, "NAME_INVALID": 400, "NAME_UNKNOWN": 404, "SIZE_INVALID": 400,
    "UNAUTHORIZED": 401, "DENIED": 403, "UNSUPPORTED": 405, "RANGE_INVALID": 416,
    "TOOMANYREQUESTS": 429,
}
MESSAGES: dict[str, str] = {
    "BLOB_UNKNOWN": "blob unknown to registry",
    "BLOB_UPLOAD_INVALID": "blob upload invalid",
    "BLOB_UPLOAD_UNKNOWN": "blob upload unknown to registry",
    "DIGEST_INVALID": "provided digest did not match uploaded content",
    "MANIFEST_BLOB_UNKNOWN": "manifest references a manifest or blob unknown to registry",
    "MANIFEST_INVALID": "manifest invalid",
    "MANIFEST_UNKNOWN": "manifest unknown to registry",
    "NAME_INVALID": "invalid repository name",
    "NAME_UNKNOWN": "repository name not known to registry",
    "SIZE_INVALID": "provided length did not match content length",
    "UNAUTHORIZED": "authentication required",
    "DENIED": "requested access to the resource is denied",
    "UNSUPPORTED": "the operation is unsupported",
    "RANGE_INVALID": "invalid content range",
    "TOOMANYREQUESTS": "too many requests",
}


class RegistryError(Exception):
    """An error answered to the client as `{"errors": [{code, message, detail}]}`."""

    def __init__(self, code: str, message: str | None = None, detail=None, status: int | None = None,
                 headers: list[tuple[str, str]] | None = None) -> None:
        self.code = code
        self.headers = headers or []
        self.message = message or MESSAGES.get(code, code.lower())
        self.detail = detail
        self.status = status or STATUS.get(code, 400)
        super().__init__(f"{self.code}: {self.message}")

    def body(self) -> bytes:
        err = {"code": self.code, "message": self.message, "detail": self.detail}
        return json.dumps({"errors": [err]}).encode()
