"""What a CLI command gets: its name, the daemon client, and Docker's ways of failing."""
from __future__ import annotations

import sys


class Exit(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class Context:
    def __init__(self, prog: str, command: str, host: str | None) -> None:
        self.prog = prog
        self.command = command
        self.host = host
        self._client = None

    @property
    def client(self):
        if self._client is None:
            from barge.client.http import Client
            self._client = Client(self.host)
        return self._client

    def out(self, text: str = "", end: str = "\n") -> None:
        sys.stdout.write(text + end)

    def err(self, text: str) -> None:
        sys.stderr.write(text + "\n")

    def daemon_error(self, e: Exception, code: int = 1) -> int:
        """Print an API or connection error the way the Docker CLI does; return the exit code."""
        from barge.client.http import APIError, ConnectError
        if isinstance(e, APIError):
            self.err(f"Error response from daemon: {e.message}")
        elif isinstance(e, ConnectError):
            self.err(str(e))
        else:
            self.err(str(e))
        return code
