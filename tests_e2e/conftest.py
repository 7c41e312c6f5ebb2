"""Session fixtures of the end-to-end suite.

Per session: PostgreSQL up, a fresh database with the addon installed (and Egypt's
chart of accounts, ``l10n_eg``, when the Odoo tree has it), the Cartona
sandbox in-process, and a real Odoo server (prefork, ``queue_job`` runner) on free
127.0.0.1 ports. At the end the server is stopped and the database dropped.

Run from the repository root (on ``sys.path`` through ``pyproject.toml``):
``~/.local/share/cartona_marketplace/venv/bin/python -m pytest tests_e2e -q``.
``CARTONA_E2E_TEMPLATE_DB=<db>`` (development only) clones that database and upgrades
the addon instead of installing it, to iterate faster; ``CARTONA_E2E_KEEP_DB=1``
keeps the database for a post-mortem.
"""

import itertools
import os

import pytest

from sandbox import SandboxServer
from tests_e2e import harness as e2e

SANDBOX_TOKEN = "e2e-token-Zq8WmXr4Lk2Vb7Nc"
_config_names = itertools.count(1)


@pytest.fixture(scope="session")
def runtime():
    missing = e2e.runtime_missing()
    if missing:
        pytest.skip(f"end-to-end suite needs the Odoo runtime: {missing}")
    e2e.ensure_postgres()


@pytest.fixture(scope="session")
def odoo(runtime, tmp_path_factory):
    """The running Odoo server of the session, on a fresh database."""
    db = f"cm_e2e_{os.getpid()}"
    server = e2e.OdooServer(db, tmp_path_factory.mktemp("odoo"))
    e2e.drop_database(db)
    try:
        server.install(
            template=os.environ.get("CARTONA_E2E_TEMPLATE_DB"),
            extra_modules=e2e.chart_modules(),
        )
        server.start()
        # Two jobs of the channel can run at once, in two worker processes.
        assert server.channel_capacity(e2e.CHANNEL) >= 2
        assert len(server.http_workers()) >= 2
        yield server
    finally:
        server.stop()
        if not os.environ.get("CARTONA_E2E_KEEP_DB"):
            e2e.drop_database(db)
        server.cleanup()


@pytest.fixture(scope="session")
def sandbox():
    with SandboxServer(host="127.0.0.1", port=0, token=SANDBOX_TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def rpc(odoo):
    return e2e.OdooRPC(odoo.url, odoo.db, *e2e.ADMIN)


@pytest.fixture(scope="session")
def world(rpc):
    return e2e.setup_world(rpc)


@pytest.fixture(scope="session")
def salesperson(rpc, world):
    """A salesperson of the Cartona team (all orders), over RPC."""
    return e2e.create_user(
        rpc,
        "e2e_salesperson",
        [
            "sales_team.group_sale_salesman_all_leads",
            "cartona_marketplace.group_marketplace_user",
        ],
    )


@pytest.fixture(scope="session")
def storekeeper(rpc, world):
    """A warehouse user with no Cartona group, over RPC."""
    return e2e.create_user(rpc, "e2e_storekeeper", ["stock.group_stock_user"])


@pytest.fixture
def config_id(rpc, sandbox, world):
    """A configuration of its own for each test; faults cleared before and after."""
    sandbox.state.clear_faults()
    config = e2e.create_config(rpc, sandbox, f"Cartona e2e {next(_config_names)}")
    yield config
    sandbox.state.clear_faults()


@pytest.fixture
def make_orders(rpc, sandbox, world, config_id):
    def make(specs, **kwargs):
        return e2e.create_orders(rpc, sandbox, world, config_id, specs, **kwargs)

    return make
