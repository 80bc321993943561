"""Shared fixtures: a real barged on a temporary socket and data root."""
from __future__ import annotations

import pytest

from barge_testlib import Daemon, needs_root


@pytest.fixture(scope="session")
def daemon():
    needs_root()
    d = Daemon().start()
    try:
        d.make_busybox()
        yield d
    finally:
        d.destroy()


@pytest.fixture
def fresh_daemon():
    """A daemon of the test's own, for restarts and crashes."""
    needs_root()
    d = Daemon().start()
    try:
        d.make_busybox()
        yield d
    finally:
        d.destroy()
