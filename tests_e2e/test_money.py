"""Money end to end: a worker killed while invoicing still leaves exactly one invoice.

A Cartona-delivered order paid partly by Cartona credit comes in ``delivered`` from
the sandbox's feed; the account invoices on delivery (``post``), so the import queues
the invoice job (identity key ``cartona-invoice-<id>``). The job builds and posts the
invoice, then books Cartona's share and reconciles it with the invoice. The test
holds a SHARE lock on ``account_partial_reconcile``: the job blocks at that
reconciliation, its invoice and settlement written but not committed, and the whole
server is SIGKILLed there (as test_crash.py does). After the restart queue_job
requeues the dead job (see :func:`harness.requeue_dead_jobs`) and it runs again.

Then the same order is invoiced again on purpose: the done job re-run, Cartona's feed
bringing the delivered order once more, Retry. Each time there is one posted customer
invoice, one settlement entry, and the retailer owes the cash the driver brings back.
"""

import itertools

import pytest

from sandbox import SandboxServer
from tests_e2e import harness as e2e

INVOICE_JOB = ("sale.order", "_marketplace_make_invoice")
CREDIT = 100.0
PRICE, AMOUNT = 95.0, 3
_numbers = itertools.count(1)


@pytest.fixture
def money_sandbox():
    """A sandbox of its own: its feed holds this test's order only."""
    with SandboxServer(host="127.0.0.1", port=0, token="e2e-money-token") as server:
        yield server


def _invoice_jobs(db, order_id, states=None):
    """The invoice jobs of the order as ``(uuid, state, result)`` rows."""
    query = (
        "SELECT uuid, state, result FROM queue_job "
        "WHERE model_name = %s AND method_name = %s "
        "AND ((records #>> '{}')::jsonb -> 'ids') @> %s::jsonb"
    )
    params = [*INVOICE_JOB, f"[{order_id}]"]
    if states:
        query += " AND state IN %s"
        params.append(tuple(states))
    return e2e.sql(db, query + " ORDER BY id", params)


def _job_waits_on_a_lock(db, order_id):
    """The order's invoice job is running and waits for a table lock."""
    started = _invoice_jobs(db, order_id, ("started",))
    waiting = e2e.sql(
        db,
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = %s AND wait_event_type = 'Lock'",
        (db,),
    )[0][0]
    return started if started and waiting else None


def _money(rpc, order_id, config_id):
    """The order's customer invoices and settlement entries, and its figures."""
    invoices = rpc.search_read(
        "account.move",
        [
            ("move_type", "=", "out_invoice"),
            ("line_ids.sale_line_ids.order_id", "=", order_id),
        ],
        ["state", "amount_total", "marketplace_settlement_move_id"],
    )
    cartona = rpc.read("marketplace.config", [config_id], ["settlement_partner_id"])[0]
    entries = {
        line["move_id"][0]
        for line in rpc.search_read(
            "account.move.line",
            [
                ("partner_id", "=", cartona["settlement_partner_id"][0]),
                ("parent_state", "=", "posted"),
            ],
            ["move_id"],
        )
    }
    order = rpc.read(
        "sale.order",
        [order_id],
        ["marketplace_cash_to_collect", "marketplace_cartona_share"],
    )[0]
    return invoices, entries, order


def _assert_one_invoice(rpc, order_id, config_id):
    invoices, entries, order = _money(rpc, order_id, config_id)
    assert [i["state"] for i in invoices] == ["posted"], invoices
    [invoice] = invoices
    assert invoice["amount_total"] == pytest.approx(PRICE * AMOUNT, abs=0.01)
    assert len(entries) == 1, f"settlement entries {entries}"
    assert invoice["marketplace_settlement_move_id"][0] in entries
    assert order["marketplace_cash_to_collect"] == pytest.approx(
        PRICE * AMOUNT - CREDIT, abs=0.01
    )
    assert order["marketplace_cartona_share"] == pytest.approx(CREDIT, abs=0.01)
    return invoice


def _wait_invoice_jobs_done(rpc, odoo, order_id):
    e2e.wait_until(
        lambda: not _invoice_jobs(odoo.db, order_id, e2e.OPEN_JOB_STATES),
        90,
        interval=1,
        message=lambda: f"invoice jobs {_invoice_jobs(odoo.db, order_id)}\n"
        f"{odoo.log_tail(25)}",
    )
    assert not _invoice_jobs(odoo.db, order_id, ("failed",))


def _pull(rpc, odoo, config_id):
    e2e.pull_orders(rpc, config_id)
    e2e.wait_inbound_jobs(odoo.db)


def test_a_worker_killed_while_invoicing_leaves_one_invoice(
    rpc, odoo, world, money_sandbox
):
    sandbox = money_sandbox
    if e2e.chart_modules():
        # The session's company runs under Egypt's chart (harness.load_chart).
        company = rpc.read("res.company", [world.company_id], ["chart_template"])[0]
        assert company["chart_template"] == e2e.CHART[1]
    hashed_id = f"MONEY{next(_numbers):04d}"
    sandbox.state.add_order(
        {
            "hashed_id": hashed_id,
            "status": "delivered",
            "delivered_by": "delivered_by_cartona",
            "retailer": {"retailer_name": "Money retailer", "retailer_code": "MR1"},
            "cartona_credit": CREDIT,
            "order_details": [
                {
                    "internal_product_id": str(world.product_id),
                    "amount": AMOUNT,
                    "selling_price": PRICE,
                    "product_name": "Sunflower oil 1 l",
                }
            ],
        }
    )
    config_id = e2e.create_config(
        rpc,
        sandbox,
        f"Cartona e2e money {hashed_id}",
        product_match="variant_id",
        invoice_on_delivery="post",
    )
    log_offset = odoo.log_size()

    # The job will block at its reconciliation: everything before is written.
    blocker = e2e.pg_connect(odoo.db)
    blocker.autocommit = False
    try:
        with blocker.cursor() as cr:
            cr.execute("LOCK TABLE account_partial_reconcile IN SHARE MODE")
        _pull(rpc, odoo, config_id)
        [order_id] = rpc.search("sale.order", [("cartona_id", "=", hashed_id)])
        [(uuid, _state, _result)] = e2e.wait_until(
            lambda: _job_waits_on_a_lock(odoo.db, order_id),
            60,
            interval=0.2,
            message=lambda: f"the invoice job blocked while invoicing: "
            f"{_invoice_jobs(odoo.db, order_id)}\n{odoo.log_tail(25)}",
        )
        odoo.kill()
    finally:
        blocker.rollback()
        blocker.close()
    # The kill rolled the job's transaction back: nothing was invoiced.
    assert not e2e.sql(
        odoo.db,
        "SELECT count(*) FROM account_move_line l JOIN sale_order_line_invoice_rel r "
        "ON r.invoice_line_id = l.id JOIN sale_order_line s "
        "ON s.id = r.order_line_id WHERE s.order_id = %s",
        (order_id,),
    )[0][0]
    assert _invoice_jobs(odoo.db, order_id, ("started",))

    odoo.start()
    rpc.reconnect()
    e2e.requeue_dead_jobs(odoo.db, [uuid])
    _wait_invoice_jobs_done(rpc, odoo, order_id)
    assert f"Re-queued dead job with uuid: {uuid}" in odoo.log_text(log_offset)
    assert [row[:2] for row in _invoice_jobs(odoo.db, order_id)] == [(uuid, "done")]
    invoice = _assert_one_invoice(rpc, order_id, config_id)

    # The done job run again, as a person re-queuing it would.
    e2e.sql(
        odoo.db,
        "UPDATE queue_job SET state = 'pending', date_done = NULL WHERE uuid = %s",
        (uuid,),
    )
    e2e.sql(odoo.db, "SELECT pg_notify('queue_job', 'e2e-rerun')")
    _wait_invoice_jobs_done(rpc, odoo, order_id)
    assert "already invoiced" in _invoice_jobs(odoo.db, order_id)[0][2]
    # Cartona's feed brings the delivered order again; Retry on the order.
    sandbox.state.set_status(hashed_id, "delivered")
    _pull(rpc, odoo, config_id)
    e2e.retry_button(rpc, [order_id])
    _wait_invoice_jobs_done(rpc, odoo, order_id)
    assert _assert_one_invoice(rpc, order_id, config_id)["id"] == invoice["id"]
