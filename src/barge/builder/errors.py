"""A build step that failed: its message and the exit code the CLI ends with."""
from __future__ import annotations


class StepFailed(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code
