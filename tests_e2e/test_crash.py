"""The Odoo server is SIGKILLed in the middle of a run, then restarted.

What queue_job does about it (queue_job 18.0.3.1.2, ``jobrunner/runner.py``): a running
job holds a row lock on its ``queue_job_lock`` row inside the job's transaction. A
killed worker's connection dies with it, so PostgreSQL releases that lock; at each
iteration of its loop, the job runner of the restarted server sets back to
``pending`` every ``enqueued`` or ``started`` job whose lock row is no longer held
and whose ``date_enqueued`` is more than 10 seconds old (``retry`` + 1 for started
ones; past ``max_retries`` it becomes ``failed`` with ``JobFoundDead``). The loop runs
at start-up and whenever a job notification arrives or a channel's wake-up time
(an ``eta``) is due, at the latest every 60 seconds.

Found here: until that pass, the dead jobs still count as running in the runner's
channel, so right after a restart they hold the two slots of ``root.cartona`` and
nothing else of the channel runs: with no other job activity the channel stalls for
up to 10 + 60 seconds after the crash. The test does not wait that long: once the
10-second grace is over it wakes the runner with a ``NOTIFY queue_job`` (what any new
job or job change does), and the requeue happens at once.
"""

import time

from tests_e2e import harness as e2e


def _status_requests(sandbox, orders):
    ids = {o.hashed_id for o in orders}
    return [
        r
        for r in sandbox.state.requests
        if r["endpoint"].startswith(e2e.SINGLE_ENDPOINT)
        and r["endpoint"][len(e2e.SINGLE_ENDPOINT) :] in ids
    ]


def _kill_mid_run(rpc, sandbox, odoo, orders, act):
    """Run ``act()``, SIGKILL once a quarter of its pushes reached Cartona, restart.

    Returns the jobs that were in flight (enqueued or started) at the kill.
    """
    before = len(_status_requests(sandbox, orders))
    act()
    e2e.wait_until(
        lambda: len(_status_requests(sandbox, orders)) - before >= len(orders) // 4,
        60,
        interval=0.05,
        message="a quarter of the pushes",
    )
    odoo.kill()
    left = e2e.jobs(odoo.db, orders, ("pending", "enqueued", "started"))
    in_flight = [job for job in left if job[1] in ("enqueued", "started")]
    assert left, "the kill came too late: every job had finished"
    sandbox.state.clear_faults()
    odoo.start()
    rpc.reconnect()
    e2e.requeue_dead_jobs(odoo.db, [job[0] for job in in_flight])
    return in_flight


def test_sigkill_mid_run_loses_nothing_and_sends_nothing_twice(
    rpc, sandbox, odoo, config_id, make_orders
):
    orders = make_orders([("delivered_by_supplier", "standard")] * 40, prefix="K")
    e2e.expect(orders, "approve", "approved", [["approved"]])
    log_offset = odoo.log_size()

    # Phase 1: confirmations; Cartona is slow, so some pushes are in flight at the kill.
    sandbox.state.add_fault("latency", ratio=1.0, seconds=0.3, path=e2e.STATUS_PATH)
    started = time.monotonic()
    in_flight = _kill_mid_run(
        rpc, sandbox, odoo, orders, lambda: e2e.confirm(rpc, [o.id for o in orders])
    )
    e2e.wait_converged(rpc, sandbox, orders, timeout=150, server=odoo)
    assert time.monotonic() - started < 120

    # Phase 2: the same after shipping half of them.
    shipped = orders[:20]
    e2e.expect(
        shipped, "ship", "assigned_to_salesman", [["approved", "assigned_to_salesman"]]
    )
    sandbox.state.add_fault("latency", ratio=1.0, seconds=0.3, path=e2e.STATUS_PATH)
    in_flight_2 = _kill_mid_run(
        rpc, sandbox, odoo, shipped, lambda: e2e.ship(rpc, [o.id for o in shipped])
    )
    e2e.wait_converged(rpc, sandbox, orders, timeout=150, server=odoo)

    # Nothing lost, nothing applied twice. Requests are not counted strictly: a push
    # cut by the kill may have reached Cartona, and its re-send is a no-op there.
    problems = e2e.check_orders(rpc, sandbox, orders, strict_requests=False)
    assert not problems, "\n".join(problems)
    # No job stays behind in started/enqueued, none failed as JobFoundDead.
    assert not e2e.jobs(odoo.db, orders, e2e.OPEN_JOB_STATES)
    assert not e2e.failed_jobs(rpc, orders)
    assert in_flight + in_flight_2, "no kill caught a job in flight"
    log = odoo.log_text(log_offset)
    for uuid, *_rest in in_flight + in_flight_2:
        assert f"Re-queued dead job with uuid: {uuid}" in log, uuid
