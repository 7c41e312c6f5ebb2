"""Shared fixtures of the plain-pytest suite (no Odoo, no database)."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cartona.client import CartonaClient  # noqa: E402
from sandbox import DEFAULT_TOKEN, SandboxServer, demo_orders  # noqa: E402

#: Client timeout for tests: far above a local round trip, far below a hang fault.
TIMEOUT = 0.3


def _no_setup():
    """Stands in for the setup of the repository-root package."""


def pytest_collection_modifyitems(session, config, items):
    """Never import the addon's root ``__init__.py``: it imports Odoo models.

    The repository root is the Odoo addon, so pytest sees it as a package and, before
    the first test, imports its ``__init__.py`` to look for ``setup_module``.
    """
    for item in items:
        for node in item.listchain():
            if isinstance(node, pytest.Package) and node.path == ROOT:
                node.setup = _no_setup


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
