"""Shared fixtures: a real barged on a temporary socket and data root."""
from __future__ import annotations

import pytest

from barge_testlib import running_daemon


@pytest.fixture(scope="session")
def daemon():
    with running_daemon() as d:
        yield d


@pytest.fixture
def fresh_daemon():
    """A daemon of the test's own, for restarts and crashes."""
    with running_daemon() as d:
        yield d
