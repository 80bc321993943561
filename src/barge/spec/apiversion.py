"""The Engine API versions barge speaks; shared by the daemon and the client."""

MIN_API = "1.24"
MAX_API = "1.45"
