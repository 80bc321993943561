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


def message_of(exc: BaseException) -> str:
    """What the client sees: errors' own text; OS errors worded as Go's are."""
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror[0].lower() + exc.strerror[1:]
        return f"{exc.filename}: {text}" if exc.filename else text
    return str(exc) or exc.__class__.__name__


def status_of(exc: BaseException) -> int:
    for cls, code in STATUS:
        if isinstance(exc, cls):
            return code
    return 500
