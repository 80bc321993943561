"""`barge registry serve`: an OCI distribution (Docker Registry HTTP API V2) server."""
