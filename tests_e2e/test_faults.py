"""Faults injected in the sandbox while users work: Odoo must converge, exactly once."""

import pytest

from tests_e2e import harness as e2e

#: Each scenario: the faults armed at the start of each phase of the run.
FAULTS = {
    "5xx_bursts": [
        {"kind": "error", "status": 503, "count": 10},
        {"kind": "error", "status": 500, "count": 3},
        {"kind": "error", "status": 502, "count": 3},
    ],
    "429_retry_after": [{"kind": "rate_limit", "count": 8, "seconds": 3}],
    # The config timeout is 1 s; half of the hung requests were applied by Cartona
    # before the answer was lost.
    "timeouts": [
        {"kind": "hang", "seconds": 4, "count": 4},
        {"kind": "hang", "seconds": 4, "count": 4, "apply": True},
    ],
    "dropped_connections": [
        {"kind": "drop", "count": 5},
        {"kind": "drop", "count": 5, "apply": True},
    ],
}


def _arm(sandbox, faults):
    """Arm the faults; returns ``(mark, count)`` for :func:`_fired`."""
    sandbox.state.clear_faults()
    for fault in faults:
        sandbox.state.add_fault(path=e2e.STATUS_PATH, **fault)
    return len(sandbox.state.requests), sum(fault["count"] for fault in faults)


def _fired(sandbox, faults, mark):
    kinds = {fault["kind"] for fault in faults}
    return sum(1 for r in sandbox.state.requests[mark:] if r["fault"] in kinds)


def _orders(make_orders, supplier=24, cartona=6):
    payments = [
        "standard",
        "cartona_credit",
        "installment",
        "wallet_top_up",
    ]
    specs = [
        ("delivered_by_supplier", payments[n % len(payments)]) for n in range(supplier)
    ] + [("delivered_by_cartona", "standard")] * cartona
    orders = make_orders(specs, prefix="F")
    e2e.expect(
        [o for o in orders if o.by_cartona], "c_keep", "pending", [[]], "not_synced"
    )
    e2e.expect(
        [o for o in orders if not o.by_cartona], "approve", "approved", [["approved"]]
    )
    return orders


def _expect_phase_two(orders):
    supplier = [o for o in orders if not o.by_cartona]
    by_cartona = [o for o in orders if o.by_cartona]
    shipped, cancelled = supplier[:8], supplier[8:14]
    c_cancelled = by_cartona[:3]
    e2e.expect(
        shipped, "ship", "assigned_to_salesman", [["approved", "assigned_to_salesman"]]
    )
    e2e.expect(
        cancelled,
        "cancel",
        "cancelled_by_supplier",
        [["approved", "cancelled_by_supplier"]],
    )
    e2e.expect(
        c_cancelled, "c_cancel", "cancelled_by_supplier", [["cancelled_by_supplier"]]
    )
    return shipped, cancelled + c_cancelled


@pytest.mark.parametrize("scenario", sorted(FAULTS))
def test_faults_converge_exactly_once(
    scenario, rpc, sandbox, odoo, config_id, make_orders
):
    faults = FAULTS[scenario]
    if scenario == "timeouts":
        rpc.write("marketplace.config", [config_id], {"timeout": 1})
    orders = _orders(make_orders)
    start = len(sandbox.state.requests)

    # Phase 1: every order confirmed while Cartona misbehaves.
    mark, armed = _arm(sandbox, faults)
    for first in range(0, len(orders), 10):
        e2e.confirm(rpc, [o.id for o in orders[first : first + 10]])
    e2e.wait_converged(rpc, sandbox, orders, timeout=120, server=odoo)
    assert _fired(sandbox, faults, mark) == armed, "not every armed fault fired"

    # Phase 2: shipping and cancelling while Cartona misbehaves again.
    mark, armed = _arm(sandbox, faults)
    shipped, cancelled = _expect_phase_two(orders)
    e2e.ship(rpc, [o.id for o in shipped])
    e2e.cancel(rpc, [o.id for o in cancelled])
    e2e.wait_converged(rpc, sandbox, orders, timeout=120, server=odoo)
    assert _fired(sandbox, faults, mark) == armed, "not every armed fault fired"

    problems = e2e.check_orders(rpc, sandbox, orders)
    assert not problems, "\n".join(problems[:30])
    assert not e2e.failed_jobs(rpc, orders)
    if scenario == "429_retry_after":
        _assert_retry_after_respected(sandbox.state.requests[start:], seconds=3)


def _assert_retry_after_respected(requests_seen, seconds):
    by_endpoint = {}
    for request in requests_seen:
        by_endpoint.setdefault(request["endpoint"], []).append(request)
    checked = 0
    for sent in by_endpoint.values():
        for current, following in zip(sent, sent[1:], strict=False):
            if current["status"] == 429:
                checked += 1
                waited = following["time"] - current["time"]
                assert (
                    waited >= seconds - 0.5
                ), f"retried {waited:.2f} s after a 429 asking for {seconds} s"
    assert checked, "no order was retried after a 429"


def _error_orders(rpc, orders):
    rows = e2e.read_orders(rpc, orders)
    return [o for o in orders if rows[o.id]["marketplace_sync_status"] == "error"]


def _malformed_run(rpc, sandbox, odoo, make_orders):
    orders = _orders(make_orders, supplier=20, cartona=0)
    faults = [
        {"kind": "malformed", "count": 4},
        {"kind": "malformed", "count": 4, "apply": True},
    ]
    mark, armed = _arm(sandbox, faults)
    e2e.confirm(rpc, [o.id for o in orders])
    e2e.wait_jobs_done(rpc, orders, server=odoo)
    assert _fired(sandbox, faults, mark) == armed
    return orders


def test_malformed_json_is_retried_and_converges_once(
    rpc, sandbox, odoo, config_id, make_orders
):
    """A malformed answer may hide an applied change: it is logged and retried."""
    orders = _malformed_run(rpc, sandbox, odoo, make_orders)  # jobs all done
    e2e.wait_converged(rpc, sandbox, orders, timeout=10, server=odoo)
    assert not _error_orders(rpc, orders), "a malformed answer is retried, not final"
    logs = e2e.sync_logs(rpc, orders)
    outcomes = [log["outcome"] for o in orders for log in logs.get(o.id, [])]
    assert outcomes.count("protocol_error") == 8, "each malformed answer is logged"
    problems = e2e.check_orders(rpc, sandbox, orders)
    assert not problems, "\n".join(problems)


def test_401_storm_pauses_the_config_then_recovers(
    rpc, sandbox, odoo, config_id, make_orders
):
    orders = _orders(make_orders, supplier=20, cartona=0)
    mark = len(sandbox.state.requests)
    sandbox.state.add_fault("auth", ratio=1.0, path=e2e.STATUS_PATH)
    e2e.confirm(rpc, [o.id for o in orders])
    e2e.wait_jobs_done(rpc, orders, server=odoo)

    config = rpc.read("marketplace.config", [config_id], ["connection_status"])[0]
    assert config["connection_status"] == "auth_failed"
    sent = sandbox.state.requests[mark:]
    refused = [r for r in sent if r["status"] == 401]
    # Paused, not burning retries: only the jobs already running when the first 401
    # came back reached Cartona (the channel runs two at a time).
    assert 1 <= len(refused) <= 3, f"{len(refused)} requests hit the 401 storm"
    assert len(sent) == len(refused)
    rows = e2e.read_orders(rpc, orders)
    assert {rows[o.id]["marketplace_sync_status"] for o in orders} == {"error"}
    assert not e2e.failed_jobs(rpc, orders)
    logs = e2e.sync_logs(rpc, orders)
    outcomes = [log["outcome"] for o in orders for log in logs.get(o.id, [])]
    # Every refused request is logged; every other attempt stopped before Cartona.
    # (A job whose 401 collided with another job flagging the config is retried by
    # queue_job and then finds the config paused: auth_error, then blocked.)
    assert outcomes.count("auth_error") == len(refused)
    assert {logs[o.id][-1]["outcome"] for o in orders} <= {"auth_error", "blocked"}

    # The manager fixes the token (here: Cartona accepts it again), tests the
    # connection, and the users press Sync Status on the orders in error.
    sandbox.state.clear_faults()
    result = rpc.call("marketplace.config", "action_test_connection", [config_id])
    assert result["params"]["type"] == "success", result
    config = rpc.read("marketplace.config", [config_id], ["connection_status"])[0]
    assert config["connection_status"] == "connected"
    e2e.sync_status_button(rpc, [o.id for o in orders])
    e2e.wait_converged(rpc, sandbox, orders, timeout=60, server=odoo)
    problems = e2e.check_orders(rpc, sandbox, orders)
    assert not problems, "\n".join(problems)


def test_rejected_transition_is_a_visible_error(
    rpc, sandbox, odoo, config_id, make_orders
):
    orders = _orders(make_orders, supplier=5, cartona=0)
    e2e.confirm(rpc, [o.id for o in orders])
    e2e.wait_converged(rpc, sandbox, orders, timeout=60, server=odoo)
    for order in orders:  # Cartona delivered them meanwhile
        sandbox.state.set_status(order.hashed_id, "delivered")
    before = {o.id: len(e2e.order_requests(sandbox, o.hashed_id)) for o in orders}
    e2e.cancel(rpc, [o.id for o in orders])
    e2e.wait_jobs_done(rpc, orders, server=odoo)

    rows = e2e.read_orders(rpc, orders)
    logs = e2e.sync_logs(rpc, orders)
    for order in orders:
        row = rows[order.id]
        assert row["state"] == "cancel"
        assert row["marketplace_sync_status"] == "error"
        assert row["marketplace_status"] == "approved"
        assert "cannot change order status from 'delivered'" in (
            row["marketplace_error_message"] or ""
        ), row["marketplace_error_message"]
        assert logs[order.id][-1]["outcome"] == "rejected"
        # Refused once, not retried blindly.
        sent = e2e.order_requests(sandbox, order.hashed_id)[before[order.id] :]
        assert [r["status"] for r in sent] == [422]
        assert sandbox.state.status_history(order.hashed_id) == ["approved"]
    assert not e2e.failed_jobs(rpc, orders)


def test_lost_answer_in_a_multi_step_push_is_reconciled(
    rpc, sandbox, odoo, config_id, make_orders
):
    rpc.write("marketplace.config", [config_id], {"timeout": 1})
    # Confirmed and shipped while still ordinary orders, then linked to Cartona:
    # Cartona has them pending, Odoo wants them shipped, and nothing was pushed yet.
    orders = make_orders(
        [("delivered_by_supplier", "standard")] * 4, prefix="F", marketplace=False
    )
    ids = [o.id for o in orders]
    e2e.confirm(rpc, ids)
    e2e.ship(rpc, ids)
    rpc.write("sale.order", ids, {"is_marketplace_order": True})
    sandbox.state.clear_faults()
    for order in orders:
        # The first step goes through; Cartona applies the second, its answer is lost.
        path = f"{e2e.SINGLE_ENDPOINT}{order.hashed_id}"
        sandbox.state.add_fault("latency", count=1, seconds=0, path=path)
        sandbox.state.add_fault("hang", count=1, seconds=3, apply=True, path=path)
    e2e.expect(
        orders, "ship", "assigned_to_salesman", [["approved", "assigned_to_salesman"]]
    )
    e2e.enhanced_sync_button(rpc, ids)
    e2e.wait_jobs_done(rpc, orders, server=odoo)
    e2e.wait_converged(rpc, sandbox, orders, timeout=10, server=odoo)
    # The step whose answer was lost went again, and Cartona took it as a no-op.
    problems = e2e.check_orders(rpc, sandbox, orders)
    assert not problems, "\n".join(problems)
