# Shared pytest setup for tests/unit: kept minimal and generic, several suites use it.
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pathlib
import sys

import pytest

# Test doubles live in tests/fixtures (STYLE.md rule 17); make them importable as plain modules.
FIXTURES = pathlib.Path(__file__).resolve().parents[1] / 'fixtures'
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))


@pytest.fixture(scope='session')
def _canned_server_session():
    from canned_http import CannedServer

    with CannedServer() as server:
        yield server


@pytest.fixture
def canned_server(_canned_server_session):
    """A tests/fixtures/canned_http.CannedServer (a real HTTP server answering from a script), with no routes and no
    recorded requests at the start of each test. One server serves the whole session: starting one per test costs
    more than most tests."""
    _canned_server_session.reset()
    yield _canned_server_session
    _canned_server_session.reset()


@pytest.fixture
def closed_url():
    """A URL where nothing listens (connection refused)."""
    from canned_http import closed_port_url

    return closed_port_url()
