"""200 orders confirmed, shipped, delivered and cancelled in a mix, as users do it."""

import random

import cartona_e2e as e2e

from cartona import statuses as st

APPROVED = [st.APPROVED]
SHIPPED = [st.APPROVED, st.ASSIGNED_TO_SALESMAN]
DELIVERED = [st.APPROVED, st.ASSIGNED_TO_SALESMAN, st.DELIVERED]
CANCELLED = [st.CANCELLED_BY_SUPPLIER]
APPROVED_CANCELLED = [st.APPROVED, st.CANCELLED_BY_SUPPLIER]

#: plan -> (delivered by Cartona?, final status, allowed histories, sync status)
PLANS = {
    "approve": (False, st.APPROVED, [APPROVED], "synced"),
    "ship": (False, st.ASSIGNED_TO_SALESMAN, [SHIPPED], "synced"),
    "deliver": (False, st.DELIVERED, [DELIVERED], "synced"),
    # Cancelled before or after the approval reached Cartona: both are right.
    "cancel": (
        False,
        st.CANCELLED_BY_SUPPLIER,
        [CANCELLED, APPROVED_CANCELLED],
        "synced",
    ),
    "cancel_draft": (False, st.CANCELLED_BY_SUPPLIER, [CANCELLED], "synced"),
    # Delivered by Cartona: only a cancellation ever leaves Odoo.
    "c_approve": (True, st.PENDING, [[]], "not_synced"),
    "c_ship": (True, st.PENDING, [[]], "not_synced"),
    "c_cancel": (True, st.CANCELLED_BY_SUPPLIER, [CANCELLED], "synced"),
    "c_cancel_draft": (True, st.CANCELLED_BY_SUPPLIER, [CANCELLED], "synced"),
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
    st.PAYMENT_STANDARD,
    st.PAYMENT_CARTONA_CREDIT,
    st.PAYMENT_INSTALLMENT,
    st.PAYMENT_WALLET_TOP_UP,
]


def _plan_orders(make_orders, count=200):
    rng = random.Random(6)
    plans = (MIX * (count // len(MIX) + 1))[:count]
    rng.shuffle(plans)
    specs = []
    for index, plan in enumerate(plans):
        by_cartona = PLANS[plan][0]
        payment = (
            st.PAYMENT_STANDARD
            if plan == "deliver"
            else PAYMENTS[index % len(PAYMENTS)]
        )
        delivered_by = (
            st.DELIVERED_BY_CARTONA if by_cartona else st.DELIVERED_BY_SUPPLIER
        )
        specs.append((delivered_by, payment))
    orders = make_orders(specs, prefix="M")
    for order, plan in zip(orders, plans, strict=True):
        _by_cartona, expected, histories, sync_status = PLANS[plan]
        order.plan = plan
        order.expected = expected
        order.histories = histories
        order.sync_status = sync_status
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
        if order.by_cartona and order.expected == st.PENDING:
            assert e2e.order_requests(sandbox, order.hashed_id) == []
