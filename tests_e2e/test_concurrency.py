"""Two job-runner workers on the same orders: no status is pushed twice."""

import threading
import time
from collections import defaultdict

import cartona_e2e as e2e

from cartona import statuses as st

STATUS_PATH = "order/update-order-status"


def _press(odoo, button, order_ids, presses, errors):
    """A user pressing ``button`` on the same orders again and again."""
    rpc = e2e.OdooRPC(odoo.url, odoo.db, *e2e.ADMIN)
    for _press_number in range(presses):
        try:
            button(rpc, order_ids)
        except e2e.RPCError as exc:  # reported, checked by the test
            errors.append(exc)
        time.sleep(0.2)


def test_two_workers_on_the_same_orders_push_once(
    rpc, sandbox, odoo, config_id, make_orders
):
    orders = make_orders(
        [(st.DELIVERED_BY_SUPPLIER, st.PAYMENT_STANDARD)] * 16, prefix="W"
    )
    for order in orders:
        order.plan, order.expected, order.histories = (
            "approve",
            st.APPROVED,
            [[st.APPROVED]],
        )
    ids = [o.id for o in orders]
    # Slow answers keep both workers busy with jobs of the same orders.
    sandbox.state.add_fault("latency", ratio=1.0, seconds=0.2, path=STATUS_PATH)
    errors = []
    users = [
        threading.Thread(
            target=_press, args=(odoo, button, ids, 4, errors), name=button.__name__
        )
        for button in (e2e.sync_status_button, e2e.enhanced_sync_button)
    ]
    e2e.confirm(rpc, ids)  # the automatic trigger enqueues the first jobs
    for user in users:
        user.start()
    for user in users:
        user.join(timeout=120)
    e2e.wait_converged(rpc, sandbox, orders, timeout=120, server=odoo)

    assert not errors, errors
    problems = e2e.check_orders(rpc, sandbox, orders)
    assert not problems, "\n".join(problems)
    assert not e2e.failed_jobs(rpc, orders)
    # The same orders really were handled by several jobs, in both worker processes.
    jobs_by_order = defaultdict(list)
    for _uuid, state, order_ids, _retry, pid, _result, _exc in e2e.jobs(
        odoo.db, orders
    ):
        assert state == "done"
        for order_id in order_ids:
            jobs_by_order[order_id].append(pid)
    assert all(len(pids) >= 2 for pids in jobs_by_order.values()), jobs_by_order
    assert any(len(set(pids)) >= 2 for pids in jobs_by_order.values()), jobs_by_order
