"""Test support for CLI commands: a fake daemon client answering canned API JSON."""
from __future__ import annotations

import io
import sys

from barge.cli.context import Context, Exit


class _Resp:
    def __init__(self, body):
        self.body = body

    def json(self):
        return self.body

    def close(self):
        pass


class FakeClient:
    """Answers "METHOD /path" from `routes` (JSON, or an exception to raise),
    records each call as (method, path, params without Nones, json body)."""

    def __init__(self, routes, version="1.45"):
        self.routes, self.calls, self.version = routes, [], version

    def _answer(self, method, path, params=None, json_body=None):
        self.calls.append((method, path, {k: v for k, v in (params or {}).items() if v is not None}, json_body))
        answer = self.routes.get(f"{method} {path}", {})
        if isinstance(answer, Exception):
            raise answer
        return answer

    def get_json(self, path, params=None):
        return self._answer("GET", path, params)

    def get(self, path, params=None):
        return _Resp(self._answer("GET", path, params))

    def post(self, path, params=None, json_body=None):
        return _Resp(self._answer("POST", path, params, json_body))

    def delete(self, path, params=None):
        return _Resp(self._answer("DELETE", path, params))


def run(func, argv, routes=None, stdin="", version="1.45"):
    """Run a command function as `docker`; returns (exit code, stdout, stderr, client)."""
    ctx = Context("docker", "", None)
    ctx._client = FakeClient(routes or {}, version)
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr, sys.stdin = out, err, io.StringIO(stdin)
    try:
        code = func(ctx, argv)
    except Exit as e:
        code = e.code
    finally:
        sys.stdout, sys.stderr, sys.stdin = saved
    return code, out.getvalue(), err.getvalue(), ctx._client
