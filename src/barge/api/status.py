"""The one table from error class to HTTP status."""
from __future__ import annotations

from barge import errdefs

STATUS = (
    (errdefs.NotFound, 404),
    (errdefs.InvalidParameter, 400),
    (errdefs.Conflict, 409),
    (errdefs.NotModified, 304),
    (errdefs.Unauthorized, 401),
    (errdefs.Forbidden, 403),
    (errdefs.Unavailable, 503),
    (errdefs.NotImplementedErr, 501),
    (errdefs.System, 500),
)


def status_of(exc: BaseException) -> int:
    for cls, code in STATUS:
        if isinstance(exc, cls):
            return code
    return 500
