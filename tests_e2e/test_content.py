"""Order content reaches Cartona: 100 imported orders, shipped short, lines zeroed,
backorders cancelled, while Cartona answers 5xx and drops connections.

The orders come from the sandbox's pull feed through the real import, so their lines
carry Cartona's ids. A salesperson confirms, edits and cancels them, a storekeeper
(no Cartona group) ships them, Cartona's retailer cancels some; every push goes
through the job runner. At the end Cartona's lines are what left (what was ordered,
for orders not shipped), its statuses are those of the mapping, and nothing was
accepted twice or sent after the order was closed.
"""

import time

import pytest

from sandbox import SandboxServer
from tests_e2e import harness as e2e

ORDERS = 100
FIRST_LINE_ID = 8_000_000
PRICES = (95.0, 105.0, 115.0)
#: One order in twelve of each plan; the first four get one more (100 = 12 x 8 + 4):
#: 36 orders shipped short without a backorder, a third.
CYCLE = (
    "short",
    "short",
    "short_deliver",
    "short_zero",
    "zero",
    "zero_draft",
    "backorder",
    "backorder",
    "full_deliver",
    "cancel",
    "retailer_cancel",
    "full",
)
APPROVED = ["approved"]
SHIPPED = ["approved", "assigned_to_salesman"]
DELIVERED = [*SHIPPED, "delivered"]
#: plan -> (final Cartona status, allowed histories of the supplier's statuses)
OUTCOMES = {
    "short": ("assigned_to_salesman", [SHIPPED]),
    "short_deliver": ("delivered", [DELIVERED]),
    "short_zero": ("assigned_to_salesman", [SHIPPED]),
    "zero": ("assigned_to_salesman", [SHIPPED]),
    "zero_draft": ("approved", [APPROVED]),
    "backorder": ("assigned_to_salesman", [SHIPPED]),
    "full_deliver": ("delivered", [DELIVERED]),
    # Cancelled before or after the approval reached Cartona: both are right.
    "cancel": (
        "cancelled_by_supplier",
        [["approved", "cancelled_by_supplier"], ["cancelled_by_supplier"]],
    ),
    "retailer_cancel": ("cancelled_by_retailer", [APPROVED]),
    "full": ("assigned_to_salesman", [SHIPPED]),
}
#: Armed on the single status endpoint: the first requests of a phase fail for sure,
#: then a share of the others. ``apply``: Cartona applied the request before its
#: answer was lost.
STATUS_FAULTS = [
    {"kind": "error", "status": 503, "count": 2},
    {"kind": "drop", "count": 2, "apply": True},
    {"kind": "error", "status": 503, "ratio": 0.08, "count": 12, "seed": 11},
    {"kind": "error", "status": 502, "ratio": 0.04, "count": 6, "seed": 12},
    {"kind": "error", "status": 500, "ratio": 0.04, "count": 6, "apply": True},
    {"kind": "drop", "ratio": 0.05, "count": 8, "seed": 13},
    {"kind": "drop", "ratio": 0.05, "count": 8, "apply": True, "seed": 14},
]
#: Armed on update-order-details: the same, applied-then-lost included (a re-sent
#: amount or cancellation changes nothing on Cartona).
DETAILS_FAULTS = STATUS_FAULTS


@pytest.fixture
def feed_sandbox():
    """A sandbox of its own: its feed holds exactly this test's orders."""
    with SandboxServer(host="127.0.0.1", port=0, token="e2e-content-token") as server:
        yield server


def _amounts(number):
    return (2 + number % 3, 1 + number % 4, 3)


def _feed_entry(world, number):
    return {
        "hashed_id": f"CT{number:05d}",
        "status": "pending",
        "delivered_by": "delivered_by_supplier",
        "retailer": {
            "retailer_name": f"Content retailer {number % 10}",
            "retailer_code": f"C{number % 10:03d}",
        },
        "order_details": [
            {
                "id": FIRST_LINE_ID + 10 * number + index,
                "internal_product_id": str(world.product_ids[index]),
                "product_name": f"Product {index}",
                "amount": amount,
                "selling_price": PRICES[index],
            }
            for index, amount in enumerate(_amounts(number))
        ],
    }


class Imported:
    """The imported orders of the test, their lines by Cartona id, by plan
    (``plan_of(number in the feed)``)."""

    def __init__(self, rpc, config_id, entries, plan_of):
        by_hashed = {
            row["cartona_id"]: row
            for row in rpc.search_read(
                "sale.order",
                [("marketplace_config_id", "=", config_id)],
                ["cartona_id", "order_line"],
            )
        }
        assert len(by_hashed) == len(entries), "every feed order imported once"
        lines = rpc.search_read(
            "sale.order.line",
            [("order_id.marketplace_config_id", "=", config_id)],
            ["cartona_line_ref", "product_uom_qty"],
        )
        self.line_ids = {int(line["cartona_line_ref"]): line["id"] for line in lines}
        assert len(self.line_ids) == 3 * len(entries), "each line keeps Cartona's id"
        self.orders, self.refs, self.plans = [], {}, {}
        for number, entry in enumerate(entries):
            row = by_hashed[entry["hashed_id"]]
            order = e2e.Order(
                row["id"], entry["hashed_id"], "delivered_by_supplier", ""
            )
            plan = self.plans[order.id] = plan_of(number)
            status, histories = OUTCOMES[plan]
            e2e.expect([order], plan, status, histories)
            self.refs[order.id] = [line["id"] for line in entry["order_details"]]
            amounts = _amounts(number)
            order.lines = _final_lines(plan, self.refs[order.id], amounts)
            self.orders.append(order)

    def of(self, *plans):
        """The orders of ``plans`` (as planned at the import, whatever the test
        expects of them meanwhile)."""
        return [o for o in self.orders if self.plans[o.id] in plans]

    def ids(self, *plans):
        return [o.id for o in self.of(*plans)]

    def line(self, order, index):
        """The Odoo id of the order's line ``index`` (0, 1, 2)."""
        return self.line_ids[self.refs[order.id][index]]

    def quantities(self, plans, index_to_qty):
        """``{sale line id: quantity}`` for the orders of ``plans``:
        ``index_to_qty(number in the feed, line index)`` or ``None`` to keep."""
        quantities = {}
        for order in self.of(*plans):
            number = self.orders.index(order)
            for index in range(3):
                qty = index_to_qty(number, index)
                if qty is not None:
                    quantities[self.line(order, index)] = qty
        return quantities


def _final_lines(plan, refs, amounts):
    """Cartona's lines at the end: ``{line id: amount}``, cancelled lines left out."""
    first, second, third = amounts
    wanted = {
        "short": (first - 1, 0, third),
        "short_deliver": (first - 1, 0, third),
        "short_zero": (first - 1, second, 0),
        "zero": (first, 0, third),
        "zero_draft": (0, second, third),
        "backorder": (first - 1, second, 0),
    }.get(plan, amounts)
    return {ref: amount for ref, amount in zip(refs, wanted, strict=True) if amount}


def _arm(sandbox):
    """Arm the faults on the status and details endpoints; returns a mark."""
    sandbox.state.clear_faults()
    for path, faults in (
        (e2e.SINGLE_ENDPOINT, STATUS_FAULTS),
        (e2e.DETAILS_PATH, DETAILS_FAULTS),
    ):
        for fault in faults:
            sandbox.state.add_fault(path=path, **fault)
    return len(sandbox.state.requests)


def _fired(sandbox, mark):
    """``{(endpoint kind, fault kind): count}`` of the faults fired since ``mark``."""
    fired = {}
    for request in sandbox.state.requests[mark:]:
        if request["fault"]:
            kind = "details" if request["endpoint"] == e2e.DETAILS_PATH else "status"
            key = (kind, request["fault"])
            fired[key] = fired.get(key, 0) + 1
    return fired


def _pull_and_wait(rpc, odoo, config_id):
    e2e.pull_orders(rpc, config_id)
    e2e.wait_inbound_jobs(odoo.db)


def _outbound_changes(sandbox, mark=0):
    """Status and lines requests since ``mark`` (acknowledgements left out)."""
    return [
        r
        for r in sandbox.state.requests[mark:]
        if r["endpoint"] == e2e.DETAILS_PATH
        or (
            r["endpoint"].startswith(e2e.STATUS_PATH)
            and not (
                isinstance(r["body"], list)
                and {i.get("status") for i in r["body"]} == {e2e.SYNCED}
            )
        )
    ]


def _import(rpc, odoo, world, sandbox, count, plan_of):
    """``count`` orders imported through the pull feed (a manager's Pull Orders);
    returns ``(config id, Imported)``. Nothing is echoed back to Cartona."""
    e2e.job_functions(rpc, e2e.IMPORT_JOB, e2e.ACK_JOB)
    entries = [_feed_entry(world, number) for number in range(count)]
    for entry in entries:
        sandbox.state.add_order(entry)
    config_id = e2e.create_config(
        rpc, sandbox, f"Cartona e2e content ({count})", product_match="variant_id"
    )
    _pull_and_wait(rpc, odoo, config_id)
    assert all(sandbox.state.acknowledged(e["hashed_id"]) for e in entries)
    assert _outbound_changes(sandbox) == []
    return config_id, Imported(rpc, config_id, entries, plan_of)


def test_content_of_100_imported_orders_reaches_cartona(
    rpc, salesperson, storekeeper, odoo, world, feed_sandbox
):
    config_id, imported = _import(
        rpc, odoo, world, feed_sandbox, ORDERS, lambda n: CYCLE[n % len(CYCLE)]
    )
    orders = imported.orders

    # Phase 1, Cartona failing now and then: the salesperson zeroes a line of some
    # quotations, confirms everything, zeroes lines of confirmed orders, cancels a
    # few; the storekeeper ships, short and without backorder for a third.
    mark = _arm(feed_sandbox)
    e2e.set_line_quantities(
        salesperson,
        {imported.line(o, 0): 0 for o in imported.of("zero_draft")},
    )
    to_confirm = [o.id for o in orders]
    for start in range(0, len(to_confirm), 10):
        batch = to_confirm[start : start + 10]
        if start % 20:
            e2e.confirm(salesperson, batch)  # the list view's batch action
        else:
            for order_id in batch:  # one form at a time
                e2e.confirm(salesperson, [order_id])
    e2e.set_line_quantities(
        salesperson,
        {imported.line(o, 1): 0 for o in imported.of("zero")}
        | {imported.line(o, 2): 0 for o in imported.of("short_zero")},
    )
    e2e.cancel(salesperson, imported.ids("cancel"))
    amounts = [_amounts(number) for number in range(ORDERS)]
    e2e.ship(
        storekeeper,
        imported.ids("short", "short_deliver"),
        imported.quantities(
            ["short", "short_deliver"],
            lambda n, i: {0: amounts[n][0] - 1, 1: 0}.get(i),
        ),
        backorder=False,
    )
    e2e.ship(
        storekeeper,
        imported.ids("short_zero"),
        imported.quantities(
            ["short_zero"], lambda n, i: amounts[n][0] - 1 if i == 0 else None
        ),
        backorder=False,
    )
    e2e.ship(storekeeper, imported.ids("zero", "full", "full_deliver"))
    e2e.ship(
        storekeeper,
        imported.ids("backorder"),
        imported.quantities(
            ["backorder"], lambda n, i: {0: amounts[n][0] - 1, 2: 0}.get(i)
        ),
        backorder=True,
    )
    # Confirmed deliveries and retailer cancellations come later; while a backorder
    # is open, Cartona keeps the order approved, its lines untouched.
    e2e.expect(
        imported.of("short_deliver", "full_deliver"),
        "deliver",
        "assigned_to_salesman",
        [SHIPPED],
    )
    e2e.expect(
        imported.of("backorder", "retailer_cancel"), "wait", "approved", [APPROVED]
    )
    e2e.wait_converged(rpc, feed_sandbox, orders, timeout=300, server=odoo)
    fired = _fired(feed_sandbox, mark)
    for order in imported.of("backorder"):
        sent = e2e.order_requests(feed_sandbox, order.hashed_id)
        assert {r["endpoint"] for r in sent} == {
            f"{e2e.SINGLE_ENDPOINT}{order.hashed_id}"
        }, f"{order.hashed_id}: sent while a backorder is open: {sent}"

    # Phase 2, Cartona failing again: the storekeeper cancels the backorders.
    mark = _arm(feed_sandbox)
    backorders = e2e.open_deliveries(storekeeper, imported.ids("backorder"))
    assert len(backorders) == len(imported.of("backorder"))
    storekeeper.call("stock.picking", "action_cancel", backorders)
    e2e.expect(imported.of("backorder"), "backorder", "assigned_to_salesman", [SHIPPED])
    e2e.wait_converged(rpc, feed_sandbox, orders, timeout=300, server=odoo)
    for key, count in _fired(feed_sandbox, mark).items():
        fired[key] = fired.get(key, 0) + count
    feed_sandbox.state.clear_faults()

    # Phase 3: the retailer cancels some approved orders on Cartona (pulled in), the
    # salesperson confirms the delivery of others; then presses Retry and Enhanced
    # Sync on every closed order: nothing more may leave.
    closed_at = time.time()
    for order in imported.of("retailer_cancel"):
        feed_sandbox.state.retailer_cancel(order.hashed_id, "delayed_order")
        order.closed_at = closed_at
    _pull_and_wait(rpc, odoo, config_id)
    for order in imported.of("short_deliver", "full_deliver"):
        result, _busy = e2e.confirm_delivery(salesperson, order.id)
        assert result["params"]["type"] == "success", result
    for plan, (status, histories) in OUTCOMES.items():
        e2e.expect(imported.of(plan), plan, status, histories)
    e2e.wait_converged(rpc, feed_sandbox, orders, timeout=120, server=odoo)
    closed = imported.ids("short_deliver", "full_deliver", "cancel", "retailer_cancel")
    mark = len(feed_sandbox.state.requests)
    e2e.retry_button(salesperson, closed)
    e2e.enhanced_sync_button(salesperson, closed)
    e2e.wait_converged(rpc, feed_sandbox, orders, timeout=60, server=odoo)
    assert _outbound_changes(feed_sandbox, mark) == []

    problems = e2e.check_orders(rpc, feed_sandbox, orders)
    assert not problems, "\n".join(problems[:30])
    assert not e2e.failed_jobs(rpc, orders)
    # Every kind of fault hit both endpoints.
    kinds = {"error", "drop"}
    assert {(e, k) for e in ("status", "details") for k in kinds} <= set(fired), fired


def test_lost_answer_of_a_line_cancellation(
    rpc, salesperson, odoo, world, feed_sandbox
):
    """A line zeroed on a quotation; Cartona cancels it but the answer is lost."""
    _config_id, imported = _import(
        rpc, odoo, world, feed_sandbox, 4, lambda n: "zero_draft"
    )
    orders = imported.orders
    e2e.expect(orders, "zero_draft", "pending", [[]])
    feed_sandbox.state.add_fault(
        "drop", count=len(orders), apply=True, path=e2e.DETAILS_PATH
    )
    e2e.set_line_quantities(salesperson, {imported.line(o, 0): 0 for o in orders})
    e2e.wait_jobs_done(rpc, orders, server=odoo)
    problems = e2e.check_orders(rpc, feed_sandbox, orders)
    assert not problems, "\n".join(problems)
