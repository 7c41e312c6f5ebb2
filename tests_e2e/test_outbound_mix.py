"""200 orders confirmed, shipped, delivered and cancelled in a mix, as users do it."""

import random

from tests_e2e import harness as e2e

APPROVED = ["approved"]
SHIPPED = ["approved", "assigned_to_salesman"]
DELIVERED = ["approved", "assigned_to_salesman", "delivered"]
CANCELLED = ["cancelled_by_supplier"]
APPROVED_CANCELLED = ["approved", "cancelled_by_supplier"]

#: plan -> (delivered by Cartona?, final status, allowed histories, sync status)
PLANS = {
    "approve": (False, "approved", [APPROVED], "synced"),
    "ship": (False, "assigned_to_salesman", [SHIPPED], "synced"),
    "deliver": (False, "delivered", [DELIVERED], "synced"),
    # Cancelled before or after the approval reached Cartona: both are right.
    "cancel": (
        False,
        "cancelled_by_supplier",
        [CANCELLED, APPROVED_CANCELLED],
        "synced",
    ),
    "cancel_draft": (False, "cancelled_by_supplier", [CANCELLED], "synced"),
    # Delivered by Cartona: only a cancellation ever leaves Odoo.
    "c_approve": (True, "pending", [[]], "not_synced"),
    "c_ship": (True, "pending", [[]], "not_synced"),
    "c_cancel": (True, "cancelled_by_supplier", [CANCELLED], "synced"),
    "c_cancel_draft": (True, "cancelled_by_supplier", [CANCELLED], "synced"),
}
MIX = (
    ["approve"] * 6
    + ["ship"] * 4
    + ["deliver"] * 4
    + ["cancel"] * 3
    + ["cancel_draft"]
    + ["c_approve"] * 2
    + ["c_ship"] * 2
    + ["c_cancel"] * 2
    + ["c_cancel_draft"]
)  # 25 plans, repeated 8 times: 200 orders
PAYMENTS = [
    "standard",
    "cartona_credit",
    "installment",
    "wallet_top_up",
]


def _plan_orders(make_orders, count=200):
    rng = random.Random(6)
    plans = (MIX * (count // len(MIX) + 1))[:count]
    rng.shuffle(plans)
    specs = []
    for index, plan in enumerate(plans):
        by_cartona = PLANS[plan][0]
        payment = "standard" if plan == "deliver" else PAYMENTS[index % len(PAYMENTS)]
        delivered_by = "delivered_by_cartona" if by_cartona else "delivered_by_supplier"
        specs.append((delivered_by, payment))
    orders = make_orders(specs, prefix="M")
    for order, plan in zip(orders, plans, strict=True):
        _by_cartona, expected, histories, sync_status = PLANS[plan]
        e2e.expect([order], plan, expected, histories, sync_status)
    return orders


def _ids(orders, *plans):
    return [o.id for o in orders if o.plan in plans]


def test_mixed_flow_of_200_orders(rpc, sandbox, odoo, make_orders):
    orders = _plan_orders(make_orders)
    rounds = [orders[start : start + 20] for start in range(0, len(orders), 20)]
    previous = []
    for number, batch in enumerate(rounds):
        to_confirm = [o.id for o in batch if not o.plan.endswith("cancel_draft")]
        if number % 2:
            e2e.confirm(rpc, to_confirm)  # the list view's batch action
        else:
            for order_id in to_confirm:  # one form at a time
                e2e.confirm(rpc, [order_id])
        e2e.cancel(rpc, _ids(batch, "cancel_draft", "c_cancel_draft"))
        # Some cancellations right away, before the approval job ran ...
        e2e.cancel(rpc, _ids(batch, "cancel", "c_cancel")[:1])
        # ... the rest of the previous round's work while its jobs are running.
        if previous:
            e2e.ship(rpc, _ids(previous, "ship", "deliver", "c_ship"))
            e2e.cancel(rpc, _ids(previous, "cancel", "c_cancel")[1:])
        previous = batch
    e2e.ship(rpc, _ids(previous, "ship", "deliver", "c_ship"))
    e2e.cancel(rpc, _ids(previous, "cancel", "c_cancel")[1:])

    # Confirm Delivery; pressed again when a sync job holds the order at that moment.
    for order_id in _ids(orders, "deliver"):
        result, _busy = e2e.confirm_delivery(rpc, order_id)
        assert result["params"]["type"] == "success", result

    e2e.wait_converged(rpc, sandbox, orders, timeout=240, server=odoo)
    problems = e2e.check_orders(rpc, sandbox, orders)
    assert not problems, "\n".join(problems[:30])
    assert not e2e.failed_jobs(rpc, orders)
    # Cartona-delivered orders never asked for anything but cancellations.
    for order in orders:
        if order.by_cartona and order.expected == "pending":
            assert e2e.order_requests(sandbox, order.hashed_id) == []
