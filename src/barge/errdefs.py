"""The error taxonomy. Every error crossing a layer is one of these; `api`
maps each class to an HTTP status in one table."""


class BargeError(Exception):
    """Base of all barge errors; the message is what the user sees."""


class NotFound(BargeError):
    pass


class InvalidParameter(BargeError):
    pass


class Conflict(BargeError):
    pass


class NotModified(BargeError):
    pass


class Unauthorized(BargeError):
    pass


class Forbidden(BargeError):
    pass


class Unavailable(BargeError):
    pass


class NotImplementedErr(BargeError):
    pass


class System(BargeError):
    pass
