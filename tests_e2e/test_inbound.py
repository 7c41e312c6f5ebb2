"""Inbound: a feed of 500 orders, 5 % invalid, and a SIGKILL during the import.

The import and acknowledgement jobs are looked up where ``harness`` says they are
(``IMPORT_JOB``, ``ACK_JOB``): if they move, this test fails and says so.
"""

import threading
import time

import pytest

from sandbox import SandboxServer
from tests_e2e import harness as e2e

FEED_SIZE = 500
INVALID_EVERY = 20  # 5 %


@pytest.fixture
def feed_sandbox():
    """A sandbox of its own: its feed holds exactly this test's orders."""
    with SandboxServer(host="127.0.0.1", port=0, token="e2e-inbound-token") as server:
        yield server


def _feed(world, size):
    """``(valid, invalid)`` lists of feed entries; every 20th entry is invalid."""
    valid, invalid = [], []
    for number in range(size):
        hashed_id = f"IN{number:05d}"
        entry = {
            "hashed_id": hashed_id,
            "status": "pending",
            "delivered_by": "delivered_by_supplier",
            "retailer": {
                "retailer_name": f"Inbound retailer {number % 40}",
                "retailer_code": f"R{number % 40:03d}",
            },
            "order_details": [
                {
                    "internal_product_id": str(world.product_id),
                    "amount": 1 + number % 5,
                    "selling_price": 95.0,
                    "product_name": "Sunflower oil 1 l",
                }
            ],
        }
        if number % INVALID_EVERY == INVALID_EVERY - 1:
            kind = (number // INVALID_EVERY) % 3
            if kind == 0:  # a product nobody has
                entry["order_details"][0]["internal_product_id"] = "999999999"
            elif kind == 1:  # a quantity that is not a number
                entry["order_details"][0]["amount"] = "twelve"
            else:  # a date that does not exist
                entry["delivery_day"] = "2025-13-45"
            invalid.append(entry)
        else:
            valid.append(entry)
    return valid, invalid


def _imported(db, config_id):
    return {
        row[0]: row[1]
        for row in e2e.sql(
            db,
            "SELECT cartona_id, count(*) FROM sale_order "
            "WHERE marketplace_config_id = %s GROUP BY cartona_id",
            (config_id,),
        )
    }


class AckWatcher(threading.Thread):
    """Checks, all along, that every acknowledged order is committed in Odoo.

    Reads the sandbox first, the database second: an order acknowledged before its
    import committed shows up as acknowledged but missing.
    """

    def __init__(self, sandbox, db, config_id, hashed_ids):
        super().__init__(daemon=True, name="ack-watcher")
        self.sandbox, self.db, self.config_id = sandbox, db, config_id
        self.hashed_ids = hashed_ids
        self.violations = set()
        self.checks = 0
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            acked = {h for h in self.hashed_ids if self.sandbox.state.acknowledged(h)}
            if acked:
                committed = set(_imported(self.db, self.config_id))
                self.violations |= acked - committed
            self.checks += 1
            time.sleep(0.1)

    def stop(self):
        self._stop_event.set()
        self.join(timeout=10)


def test_feed_of_500_with_invalid_orders_and_a_kill(rpc, odoo, world, feed_sandbox):
    e2e.job_functions(rpc, e2e.IMPORT_JOB, e2e.ACK_JOB)
    valid, invalid = _feed(world, FEED_SIZE)
    for entry in valid + invalid:
        feed_sandbox.state.add_order(entry)
    config_id = e2e.create_config(
        rpc,
        feed_sandbox,
        "Cartona e2e inbound",
        product_match="variant_id",
        pull_interval=0,
        pull_page_size=100,
    )
    watcher = AckWatcher(
        feed_sandbox, odoo.db, config_id, [e["hashed_id"] for e in valid + invalid]
    )
    watcher.start()
    try:
        e2e.pull_orders(rpc, config_id)  # Pull Orders: 500 import jobs queued
        e2e.wait_until(
            lambda: len(_imported(odoo.db, config_id)) >= 100,
            120,
            message="100 imported orders",
        )
        odoo.kill()
        assert len(_imported(odoo.db, config_id)) < len(valid), "killed too late"
        odoo.start()
        rpc.reconnect()
        time.sleep(11)  # queue_job's grace before it requeues dead jobs
        e2e.sql(odoo.db, "SELECT pg_notify('queue_job', 'e2e-wake-up')")
        e2e.wait_inbound_jobs(odoo.db)
        # The next pull (the cron's, here the button) brings back what is not
        # acknowledged: the invalid orders, and any import the kill interrupted.
        e2e.pull_orders(rpc, config_id)
        e2e.wait_inbound_jobs(odoo.db)
    finally:
        watcher.stop()

    imported = _imported(odoo.db, config_id)
    assert (
        not watcher.violations
    ), f"acknowledged before commit: {sorted(watcher.violations)[:10]}"
    assert watcher.checks > 10
    # Every valid order exists once, and Cartona knows it was received.
    missing = [e["hashed_id"] for e in valid if e["hashed_id"] not in imported]
    assert not missing, f"{len(missing)} valid orders not imported: {missing[:10]}"
    assert set(imported.values()) == {1}, "an order was imported twice"
    unacked = [
        e["hashed_id"]
        for e in valid
        if not feed_sandbox.state.acknowledged(e["hashed_id"])
    ]
    assert not unacked, f"{len(unacked)} valid orders never acknowledged"
    # Every invalid one is not imported, logged with its reasons, unacknowledged.
    invalid_ids = [e["hashed_id"] for e in invalid]
    assert not set(invalid_ids) & set(imported)
    logs = rpc.search_read(
        "marketplace.sync.log",
        [
            ("config_id", "=", config_id),
            ("direction", "=", "inbound"),
            ("cartona_id", "in", invalid_ids),
        ],
        ["cartona_id", "outcome", "error_message"],
    )
    logged = {log["cartona_id"] for log in logs if log["outcome"] != "success"}
    assert logged == set(invalid_ids)
    assert all(log["error_message"] for log in logs if log["outcome"] != "success")
    assert not any(feed_sandbox.state.acknowledged(h) for h in invalid_ids)
    assert not e2e.inbound_jobs(odoo.db, ["failed"])
