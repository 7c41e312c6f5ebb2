"""Shared fixtures of the plain-pytest suite (no Odoo, no database)."""

import pytest

from cartona.client import CartonaClient
from sandbox import DEFAULT_TOKEN, SandboxServer, demo_orders

#: Client timeout for tests: far above a local round trip, far below a hang fault.
TIMEOUT = 0.3


@pytest.fixture(scope="session")
def _sandbox_server():
    with SandboxServer(port=0, token=DEFAULT_TOKEN, orders=demo_orders()) as server:
        yield server


@pytest.fixture
def sandbox(_sandbox_server):
    """A sandbox on a free port with the demo orders, reset for each test."""
    _sandbox_server.state.reset()
    yield _sandbox_server
    _sandbox_server.state.reset()


@pytest.fixture
def client(sandbox):
    """A client of ``sandbox`` with a tiny timeout."""
    with CartonaClient(
        sandbox.base_url, DEFAULT_TOKEN, timeout=TIMEOUT, allow_local=True
    ) as cartona:
        yield cartona
