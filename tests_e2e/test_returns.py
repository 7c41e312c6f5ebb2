"""Returns end to end: a real server, its job runner and the sandbox.

- Cartona reports a shipped order ``returned``; the feed brings it twice (the same
  version, then a newer one): one return, nothing pushed back.
- A storekeeper presses Delivery Failed over RPC: Cartona refuses it first (nothing
  changes in Odoo), then accepts it (the return is ready).
"""

import itertools

import pytest

from sandbox import SandboxServer
from tests_e2e import harness as e2e

REASON = "Shop closed, retailer not reachable"
_numbers = itertools.count(1)


@pytest.fixture
def returns_sandbox():
    """A sandbox of its own: its feed holds this test's order only."""
    with SandboxServer(host="127.0.0.1", port=0, token="e2e-returns-token") as server:
        yield server


def _shipped_order(rpc, odoo, world, sandbox):
    """An order pulled from Cartona, confirmed and shipped in Odoo, which the job
    runner told Cartona (``approved``, then ``assigned_to_salesman``)."""
    hashed_id = f"RET{next(_numbers):04d}"
    sandbox.state.add_order(
        {
            "hashed_id": hashed_id,
            "status": "pending",
            "delivered_by": "delivered_by_supplier",
            "retailer": {"retailer_name": "Returns retailer", "retailer_code": "RR1"},
            "order_details": [
                {
                    "internal_product_id": str(world.product_id),
                    "amount": 3,
                    "selling_price": 95.0,
                    "product_name": "Sunflower oil 1 l",
                }
            ],
        }
    )
    config_id = e2e.create_config(
        rpc,
        sandbox,
        f"Cartona e2e returns {hashed_id}",
        product_match="variant_id",
    )
    _pull(rpc, odoo, config_id)
    [order_id] = rpc.search("sale.order", [("cartona_id", "=", hashed_id)])
    e2e.confirm(rpc, [order_id])
    e2e.ship(rpc, [order_id])
    e2e.wait_until(
        lambda: sandbox.state.order(hashed_id)["status"] == "assigned_to_salesman",
        60,
        message="Cartona has the order out for delivery",
    )
    e2e.wait_until(
        lambda: _read(rpc, order_id)["marketplace_sync_status"] == "synced",
        60,
        message="the order is up to date",
    )
    return hashed_id, order_id, config_id


def _pull(rpc, odoo, config_id):
    e2e.pull_orders(rpc, config_id)
    e2e.wait_inbound_jobs(odoo.db)


def _read(rpc, order_id):
    return rpc.read(
        "sale.order",
        [order_id],
        [
            "marketplace_status",
            "marketplace_sync_status",
            "cartona_return_reason",
            "marketplace_return_picking_id",
        ],
    )[0]


def _returns(rpc, order_id):
    return rpc.search_read(
        "stock.picking",
        [("sale_id", "=", order_id), ("picking_type_code", "=", "incoming")],
        ["state", "return_id"],
    )


def test_a_returned_order_pulled_twice_makes_one_return(
    rpc, odoo, world, returns_sandbox
):
    sandbox = returns_sandbox
    hashed_id, order_id, config_id = _shipped_order(rpc, odoo, world, sandbox)
    assert sandbox.state.status_history(hashed_id) == [
        "approved",
        "assigned_to_salesman",
    ]
    sandbox.state.retailer_return(hashed_id, REASON)
    returned_at = len(sandbox.state.requests)
    _pull(rpc, odoo, config_id)
    receipts = _returns(rpc, order_id)
    assert len(receipts) == 1 and receipts[0]["state"] == "assigned"
    # The same version again, then a newer one (Cartona touched the order).
    sandbox.state.set_status(hashed_id, "returned")
    _pull(rpc, odoo, config_id)
    changed = dict(sandbox.state.order(hashed_id), note_message="seen again")
    sandbox.state.add_order(changed, fill_defaults=False)
    _pull(rpc, odoo, config_id)
    assert _returns(rpc, order_id) == receipts
    order = _read(rpc, order_id)
    assert order["marketplace_status"] == "returned"
    assert order["cartona_return_reason"] == REASON
    assert order["marketplace_return_picking_id"][0] == receipts[0]["id"]
    assert sandbox.state.acknowledged(hashed_id)
    e2e.wait_jobs_done(rpc, [e2e.Order(order_id, hashed_id, "", "")])
    # Nothing but acknowledgements went back to Cartona after it reported the return.
    sent = [
        item.get("status")
        for request in sandbox.state.requests[returned_at:]
        if request["endpoint"].startswith(e2e.STATUS_PATH)
        for item in (
            request["body"] if isinstance(request["body"], list) else [request["body"]]
        )
        if isinstance(item, dict) and item.get("hashed_id") in (hashed_id, None)
    ]
    assert sent and set(sent) == {"synced"}, sent


def test_delivery_failed_refused_then_accepted(rpc, odoo, world, returns_sandbox):
    sandbox = returns_sandbox
    hashed_id, order_id, _config_id = _shipped_order(rpc, odoo, world, sandbox)
    storekeeper = e2e.create_user(
        rpc,
        f"e2e_ret_store_{hashed_id.lower()}",
        ["stock.group_stock_user", "cartona_marketplace.group_marketplace_user"],
    )
    sandbox.state.set_returns(accept=False, status=422, message="Not allowed yet")
    action = storekeeper.call(
        "sale.order", "action_marketplace_delivery_failed", [order_id]
    )
    context = dict(action["context"])
    wizard_id = storekeeper.call(
        "marketplace.delivery.failed",
        "create",
        {"return_reason": REASON},
        context=context,
    )
    again = storekeeper.call(
        "marketplace.delivery.failed", "action_report", [wizard_id], context=context
    )
    assert again["res_id"] == wizard_id, "the dialog stays open"
    [wizard] = storekeeper.read("marketplace.delivery.failed", [wizard_id], ["refusal"])
    assert "Not allowed yet" in wizard["refusal"]
    assert _read(rpc, order_id)["marketplace_status"] == "assigned_to_salesman"
    assert not _returns(rpc, order_id)
    sandbox.state.set_returns(accept=True)
    done = storekeeper.call(
        "marketplace.delivery.failed", "action_report", [wizard_id], context=context
    )
    assert done["params"]["type"] == "success"
    assert sandbox.state.order(hashed_id)["return_reason"] == REASON
    assert _read(rpc, order_id)["marketplace_status"] == "returned"
    [receipt] = _returns(rpc, order_id)
    assert receipt["state"] == "assigned"
    # The goods are back: the storekeeper validates the return.
    storekeeper.call("stock.picking", "button_validate", [receipt["id"]])
    assert _returns(rpc, order_id)[0]["state"] == "done"
    assert sandbox.state.status_history(hashed_id) == [
        "approved",
        "assigned_to_salesman",
        "returned",
    ]
