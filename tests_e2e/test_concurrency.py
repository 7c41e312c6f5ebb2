"""Two job-runner workers on the same orders: no status is pushed twice."""

import threading
import time
from collections import defaultdict

from tests_e2e import harness as e2e


def _press(rpc, button, order_ids, rounds, errors):
    """A salesperson going through the orders' forms, pressing ``button`` on each,
    again and again."""
    for _round in range(rounds):
        for order_id in order_ids:
            try:
                button(rpc, [order_id])
            except e2e.RPCError as exc:  # reported, checked by the test
                errors.append(exc)
            time.sleep(0.05)


def test_two_workers_on_the_same_orders_push_once(
    rpc, salesperson, sandbox, odoo, config_id, make_orders
):
    orders = make_orders([("delivered_by_supplier", "standard")] * 16, prefix="W")
    e2e.expect(orders, "approve", "approved", [["approved"]])
    ids = [o.id for o in orders]
    # Slow answers keep both workers busy with jobs of the same orders.
    sandbox.state.add_fault("latency", ratio=1.0, seconds=0.5, path=e2e.STATUS_PATH)
    errors = []
    # Two salespeople, logged in already: their first presses come while the
    # confirmation's jobs wait for a worker. Sync Status (the basic mapping, a job
    # of its own beside the automatic one) starts from the orders whose jobs run
    # last, Enhanced Sync (deduplicated with the waiting automatic job) from the
    # first ones.
    users = [
        threading.Thread(
            target=_press,
            args=(
                e2e.OdooRPC(odoo.url, odoo.db, salesperson.login, e2e.PASSWORD),
                button,
                order_ids,
                2,
                errors,
            ),
            name=button.__name__,
        )
        for button, order_ids in (
            (e2e.sync_status_button, ids[::-1]),
            (e2e.enhanced_sync_button, ids),
        )
    ]
    e2e.confirm(salesperson, ids)  # the automatic trigger enqueues the first jobs
    for user in users:
        user.start()
    for user in users:
        user.join(timeout=120)
    e2e.wait_converged(rpc, sandbox, orders, timeout=120, server=odoo)

    assert not errors, errors
    problems = e2e.check_orders(rpc, sandbox, orders)
    assert not problems, "\n".join(problems)
    assert not e2e.failed_jobs(rpc, orders)
    # The same orders really were handled by several jobs (Sync Status queues the
    # basic mapping's job beside the waiting automatic one; orders whose first job
    # already ran get none: about half of them), in both worker processes.
    jobs_by_order = defaultdict(list)
    for _uuid, state, order_ids, _retry, pid, _result, _exc in e2e.jobs(
        odoo.db, orders
    ):
        assert state == "done"
        for order_id in order_ids:
            jobs_by_order[order_id].append(pid)
    several = [pids for pids in jobs_by_order.values() if len(pids) >= 2]
    assert len(several) >= len(orders) // 4, jobs_by_order
    assert any(len(set(pids)) >= 2 for pids in several), jobs_by_order
