#!/usr/bin/env python3
"""Benchmark of cartona_marketplace: one run on one machine, figures and ratios.

Run from the repository root with the runtime's interpreter, as a module (the root
is then on ``sys.path``, so it imports ``tests_e2e.harness``, ``sandbox`` and
``cartona`` like the test suites do); Odoo is imported in-process for the measures
that need no server, a real prefork Odoo server with queue_job's runner runs the
jobs::

    ~/.local/share/cartona_marketplace/venv/bin/python -m scripts.benchmark

It creates its own database (``cm_e2e_bench_<pid>``), drops it at the end, listens on
127.0.0.1 only (Cartona is the in-process sandbox) and writes nothing in the
repository. It exits with 1 when a target is missed. Sections (``--only a,c`` runs
some):

a. Hook overhead: confirming N marketplace orders (one confirmation, one flush per
   order, as N users would) against confirming the same orders as ordinary orders
   (``is_marketplace_order`` cleared in that arm's transaction before the clock
   starts): each arm rolled back, the ratio is the median of the passes (blocks of
   100 orders, arms alternating block by block); the hook's own time is also
   measured directly (``_trigger_status_sync`` timed in-process). Queries are
   counted with the cursor's ``sql_log_count``.
b. The status job's cost, by kind of order (an order linked by hand: statuses only;
   imported orders of 1 and 30 lines with their content unchanged; a content step),
   in-process on a cold cache (with the list of its queries) and through the runner
   (queries per runjob request); see :func:`bench_job_cost`. Then throughput:
   status changes of confirmed orders, queued by a salesperson (the jobs run as
   that user), pushed through the real job runner (prefork server,
   ``--workers=2``, channel ``root.cartona:2``; again with 4) to the sandbox,
   which adds 20 ms to every status request. Wall time is the span between the
   first job's creation and the last job's ``date_done`` (database clock). SQL
   queries per job are Odoo's own per-request counter, printed by the server on the
   access-log line of each ``/queue_job/runjob`` request (everything the worker did
   for the job: acquiring it, running it, storing its result); the runner's own
   bookkeeping (a few statements per job on its connection) is not included and is
   shown apart as database transactions per job (``pg_stat_database``). Orders
   are put in a state without any push by confirming them as ordinary orders
   first, then linking them.
c. Bulk mode: ``env['marketplace.api'].update_order_status`` on 1,000 orders; the
   sandbox counts the requests.
d. Import: a feed of 1,000 orders of 5 lines pulled with Pull Orders and imported by
   the job runner; orders per second and the peak resident memory of the server's
   worker processes (psutil, sampled every 0.2 s). A missing import job is a
   missed target, never a skip.
e. Sync logs at 1,000,000 rows (``INSERT ... SELECT generate_series``, then
   ``VACUUM ANALYZE``): the list view, its filters, the order history, a group-by
   and the overview's figures, run through the ORM as the admin user (record rules
   on); median of 5 warm runs; every statement the ORM sent that reads the log table
   is explained (``EXPLAIN ANALYZE``) to show which index it uses. Then the cleanup
   cron with a 30-day retention, run by Odoo's cron runner code (one batch per
   call, a commit after each): rows deleted, batches, the longest batch and the
   longest time a DELETE held its row locks (DELETE to commit), and the latency of
   an INSERT of a log row every 20 ms from another connection meanwhile.
f. Catalog: 1,000 listed products (``--catalog-products``) changed by one inventory
   adjustment, committed in-process; the sandbox counts the ``bulk-update``
   requests, ``queue_job`` the catalog jobs, and the time is measured from the
   adjustment's commit until the sandbox holds every new stock (the job waits
   its delay of a few seconds first). Then, with the runner stopped so that only
   the user's transaction is timed, a 100-line delivery is validated by a
   storekeeper (``button_validate`` and the commit, which writes the changes and
   queues the job) with its products listed and not listed, alternating, ratio
   of the medians of the passes.
"""

import argparse
import contextlib
import datetime
import math
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from cartona.errors import ERROR_OUTCOMES
from sandbox import SandboxServer
from tests_e2e import harness as e2e

TOKEN = "bench-token-Qw3rTy"
RUNJOB_LINE = re.compile(
    r'"GET /queue_job/runjob\?db=[^&]+&job_uuid=([0-9a-f-]+) HTTP/1\.1" \d+ - '
    r"(\d+) ([\d.]+) ([\d.]+)"
)


def out(text=""):
    sys.stdout.write(f"{text}\n")
    sys.stdout.flush()


class Report:
    """Rows of ``(section, measure, value, target, verdict)``, printed as a table."""

    def __init__(self):
        self.rows = []
        self.notes = []

    def add(self, section, measure, value, target="", ok=None):
        verdict = "" if ok is None else ("ok" if ok else "MISSED")
        self.rows.append((section, measure, value, target, verdict))
        out(f"  {section} {measure}: {value} {target} {verdict}".rstrip())

    def note(self, text):
        self.notes.append(text)
        out(f"  {text}")

    def print(self):
        header = ("", "measure", "value", "target", "")
        widths = [
            max(len(str(row[i])) for row in [header, *self.rows]) for i in range(5)
        ]
        line = "  ".join("-" * w for w in widths)
        out()
        out("  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)))
        out(line)
        for row in self.rows:
            out("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
        out(line)
        for note in self.notes:
            out(f"- {note}")


# ---------------------------------------------------------------------------
# In-process Odoo
# ---------------------------------------------------------------------------


class InProcessOdoo:
    """The Odoo registry of the benchmark database, in this process."""

    def __init__(self, server):
        import odoo
        from odoo.modules.registry import Registry

        src = e2e.odoo_src()
        odoo.tools.config.parse_config(
            [
                "-c",
                str(server.conf),
                f"--addons-path={src}/addons,{src}/odoo/addons,{server.addons_dir}",
                f"--data-dir={server.data_dir}",
                "-d",
                server.db,
                "--log-level=warn",
                "--max-cron-threads=0",
            ]
        )
        self.odoo = odoo
        self.registry = Registry(server.db)

    @contextlib.contextmanager
    def env(self, uid=None, commit=True, context=None):
        """An environment on a fresh cursor; committed at the end unless ``commit``
        is false (then rolled back)."""
        from odoo import SUPERUSER_ID, api

        with self.registry.cursor() as cr:
            env = api.Environment(cr, uid or SUPERUSER_ID, dict(context or {}))
            try:
                yield env
            except BaseException:
                cr.rollback()
                raise
            if commit:
                env.flush_all()
                cr.commit()  # pylint: disable=invalid-commit
            else:
                cr.rollback()


@contextlib.contextmanager
def captured_statements():
    """Every SQL statement this thread runs, as ``(query, params)``."""
    statements = []
    thread = threading.current_thread()
    hooks = getattr(thread, "query_hooks", ())
    thread.query_hooks = (
        *hooks,
        lambda cr, query, params, start, delay: statements.append((query, params)),
    )
    try:
        yield statements
    finally:
        thread.query_hooks = hooks


def make_world(env, products=5):
    """Storable products with stock, retailers, the company's warehouse, a salesperson.

    Returns ids only (``warehouse``, ``products``, ``partners``, ``salesperson``):
    records would be bound to this environment's cursor.
    """
    from odoo import Command

    company = env.company
    if "stock_move_sms_validation" in company._fields:
        company.stock_move_sms_validation = False
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", company.id)], limit=1
    )
    items = env["product.product"].create(
        [
            {
                "name": f"Bench product {n}",
                "type": "consu",
                "is_storable": True,
                "list_price": 20.0 + n,
            }
            for n in range(products)
        ]
    )
    for product in items:
        env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, 10_000_000
        )
    partners = env["res.partner"].create(
        [{"name": f"Bench retailer {n}"} for n in range(20)]
    )
    salesperson = env["res.users"].create(
        {
            "name": "Bench salesperson",
            "login": "bench_salesperson",
            "email": "bench_salesperson@example.com",
            "groups_id": [
                Command.link(env.ref("sales_team.group_sale_salesman_all_leads").id),
                Command.link(env.ref("cartona_marketplace.group_marketplace_user").id),
            ],
        }
    )
    return {
        "warehouse": warehouse.id,
        "products": items.ids,
        "partners": partners.ids,
        "salesperson": salesperson.id,
    }


def make_config(env, sandbox, name, **values):
    vals = {
        "name": name,
        "api_base_url": sandbox.base_url,
        "allow_local_sandbox": True,  # the sandbox listens on 127.0.0.1
        "auth_token": TOKEN,
        "timeout": 10,
        "pull_interval": 0,
    }
    vals.update(values)
    return env["marketplace.config"].create(vals)


def make_orders(env, sandbox, config, world, count, prefix, marketplace=True):
    """Draft orders (one line) linked by hand to Cartona, known to the sandbox as
    pending. Without ``marketplace`` they are ordinary orders carrying their Cartona
    fields: confirmed as such, then linked, they reach a state without any push."""
    product_id, partners = world["products"][0], world["partners"]
    vals_list, hashed = [], []
    for number in range(count):
        hashed_id = f"{prefix}{number:06d}"
        hashed.append(hashed_id)
        vals_list.append(
            {
                "partner_id": partners[number % len(partners)],
                "warehouse_id": world["warehouse"],
                "is_marketplace_order": marketplace,
                "cartona_id": hashed_id,
                "marketplace_config_id": config.id,
                "delivered_by": "delivered_by_supplier",
                "marketplace_status": "pending",
                "order_line": [
                    (0, 0, {"product_id": product_id, "product_uom_qty": 2})
                ],
            }
        )
    orders = env["sale.order"].create(vals_list)
    for hashed_id in hashed:
        sandbox.state.add_order(
            {
                "hashed_id": hashed_id,
                "status": "pending",
                "order_details": [
                    {"internal_product_id": str(product_id), "amount": 2}
                ],
            }
        )
    return orders


def confirmed_orders(env, sandbox, config, world, count, prefix):
    """Ids of marketplace orders confirmed in Odoo, still pending on Cartona, with
    no job queued: confirmed as ordinary orders, then linked."""
    orders = make_orders(env, sandbox, config, world, count, prefix, marketplace=False)
    for start in range(0, count, 200):
        orders[start : start + 200].action_confirm()
        env.flush_all()
    orders.write({"is_marketplace_order": True})
    env.flush_all()
    return orders.ids


# ---------------------------------------------------------------------------
# (a) hook overhead
# ---------------------------------------------------------------------------


#: Orders per block in (a): the arms alternate block by block.
BLOCK = 100


def bench_hook_overhead(odoo, report, order_ids, passes):
    """Ratio of confirmation time with the sync hook on and off.

    Each pass confirms every order twice, arm by arm in blocks of :data:`BLOCK`
    orders, alternating which arm goes first, every block rolled back: a load
    change on the machine hits both arms alike. The hook's own time is also
    measured directly (``_trigger_status_sync`` timed in-process), which gives a
    ratio that does not depend on the noise of two long runs.
    """
    with odoo.env(commit=False) as env:
        order_class = type(env["sale.order"])
    original = order_class._trigger_status_sync
    hook = {"seconds": 0.0}

    def timed_trigger(self):
        started = time.perf_counter()
        try:
            return original(self)
        finally:
            hook["seconds"] += time.perf_counter() - started

    def arm(ids, enabled):
        hook["seconds"] = 0.0
        with odoo.env(commit=False) as env:
            orders = env["sale.order"].browse(ids)
            if not enabled:
                # The same orders as ordinary orders: what marketplace orders add.
                orders.write({"is_marketplace_order": False})
                env.flush_all()
            jobs_before = env["queue.job"].search_count([])
            queries = env.cr.sql_log_count
            started = time.perf_counter()
            for order in orders:
                order.action_confirm()
                env.flush_all()
            elapsed = time.perf_counter() - started
            queries = env.cr.sql_log_count - queries
            jobs = env["queue.job"].search_count([]) - jobs_before
        return [elapsed, queries, jobs, hook["seconds"]]

    order_class._trigger_status_sync = timed_trigger
    try:
        arm(order_ids[:BLOCK], True)  # warm-up (rolled back like every arm)
        runs, block_ratios = [], []
        for number in range(passes):
            totals = {True: [0.0, 0, 0, 0.0], False: [0.0, 0, 0, 0.0]}
            for index, start in enumerate(range(0, len(order_ids), BLOCK)):
                ids = order_ids[start : start + BLOCK]
                first = (number + index) % 2 == 0
                block = {enabled: arm(ids, enabled) for enabled in (first, not first)}
                block_ratios.append(block[True][0] / block[False][0])
                for enabled, values in block.items():
                    totals[enabled] = [
                        a + b for a, b in zip(totals[enabled], values, strict=True)
                    ]
            runs.append(totals)
            on, off = totals[True], totals[False]
            out(
                f"  (a) pass {number + 1}: on {on[0]:.2f} s, off {off[0]:.2f} s, "
                f"ratio {on[0] / off[0]:.3f}, hook {on[3]:.2f} s, jobs {on[2]}, "
                f"load {os.getloadavg()[0]:.2f}"
            )
    finally:
        order_class._trigger_status_sync = original
    count = len(order_ids)
    ratios = [run[True][0] / run[False][0] for run in runs]
    ratio = statistics.median(ratios)
    off_ms = statistics.median([run[False][0] / count * 1000 for run in runs])
    hook_ms = statistics.median([run[True][3] / count * 1000 for run in runs])
    extra_q = statistics.median(
        [(run[True][1] - run[False][1]) / count for run in runs]
    )
    jobs = runs[-1][True][2]
    attributed = (off_ms + hook_ms) / off_ms
    report.add(
        "(a)",
        f"confirm {count} orders, sync on/off (median of {passes} passes)",
        f"{ratio:.3f}",
        "<= 1.05",
        ratio <= 1.05,
    )
    report.add("(a)", "ratios of the passes", ", ".join(f"{r:.3f}" for r in ratios))
    report.add(
        "(a)",
        f"median of the {len(block_ratios)} block ratios ({BLOCK} orders)",
        f"{statistics.median(block_ratios):.3f}",
    )
    report.add("(a)", "confirmation without sync", f"{off_ms:.1f} ms/order")
    report.add(
        "(a)",
        "time inside the sync hook (timed directly)",
        f"{hook_ms:.2f} ms/order -> ratio {attributed:.3f}",
        "<= 1.05",
        attributed <= 1.05,
    )
    report.add("(a)", "queries added by the hook", f"{extra_q:+.1f} per order")
    report.add(
        "(a)",
        "jobs enqueued (sync on)",
        f"{jobs} for {count} orders",
        f"= {count}",
        jobs == count,
    )


# ---------------------------------------------------------------------------
# (b) throughput through the job runner
# ---------------------------------------------------------------------------


def bench_throughput(odoo, server, sandbox, report, world, config_id, count):
    workers = server.workers
    with odoo.env() as env:
        order_ids = confirmed_orders(
            env,
            sandbox,
            env["marketplace.config"].browse(config_id),
            world,
            count,
            f"T{workers}-",
        )
    out(f"  (b) {count} confirmed orders ready")
    sandbox.state.clear_faults()
    sandbox.state.add_fault("latency", ratio=1.0, seconds=0.02, path=e2e.STATUS_PATH)
    requests_before = len(sandbox.state.requests)
    log_offset = server.log_size()
    db = server.db
    last_job = e2e.sql(db, "SELECT coalesce(max(id), 0) FROM queue_job")[0][0]
    xact_before = e2e.sql(
        db, "SELECT xact_commit FROM pg_stat_database WHERE datname = %s", (db,)
    )[0][0]
    # Queued by a salesperson, as from the order form: the jobs run as that user,
    # not as the superuser that bypasses access rights.
    with odoo.env(uid=world["salesperson"]) as env:
        env["sale.order"].browse(order_ids)._enqueue_status_sync("combined")

    def progress():
        return e2e.sql(
            db,
            "SELECT count(*) FILTER (WHERE state = 'done'), "
            "count(*) FILTER (WHERE state = 'failed'), count(*) "
            "FROM queue_job WHERE id > %s AND channel = %s",
            (last_job, e2e.CHANNEL),
        )[0]

    started = time.monotonic()
    e2e.wait_until(
        lambda: sum(progress()[:2]) >= count, 600, interval=0.5, message="jobs"
    )
    wall = time.monotonic() - started
    done, failed, total = progress()
    span = e2e.sql(
        db,
        "SELECT extract(epoch FROM max(date_done) - min(date_created)) "
        "FROM queue_job WHERE id > %s AND channel = %s",
        (last_job, e2e.CHANNEL),
    )[0][0]
    xact_after = e2e.sql(
        db, "SELECT xact_commit FROM pg_stat_database WHERE datname = %s", (db,)
    )[0][0]
    sandbox.state.clear_faults()
    synced = e2e.sql(
        db,
        "SELECT count(*) FROM sale_order WHERE id IN %s AND marketplace_status = %s "
        "AND marketplace_sync_status = 'synced'",
        (tuple(order_ids), "approved"),
    )[0][0]
    per_request, per_job = _runjob_queries(server, log_offset, last_job)
    requests = len(sandbox.state.requests) - requests_before
    span = float(span or wall)
    report.add(
        "(b)",
        f"{count} status pushes via the job runner, {workers} workers",
        f"{span:.1f} s",
        "< 60 s",
        span < 60 and done == count,
    )
    report.add("(b)", f"throughput, {workers} workers", f"{count / span:.1f} orders/s")
    report.add("(b)", "jobs done / failed / created", f"{done} / {failed} / {total}")
    report.add(
        "(b)",
        "orders synced to approved",
        f"{synced} / {count}",
        f"= {count}",
        synced == count,
    )
    report.add("(b)", "HTTP requests per order", f"{requests / count:.2f}")
    if per_request:
        report.add(
            "(b)",
            "SQL queries per runjob request",
            f"median {statistics.median(per_request):g}, "
            f"p95 {sorted(per_request)[int(len(per_request) * 0.95) - 1]}, "
            f"max {max(per_request)}",
            "<= 19",
            statistics.median(per_request) <= 19,
        )
        report.add(
            "(b)",
            "SQL queries per job (all its runs)",
            f"mean {sum(per_job.values()) / len(per_job):.1f} over {len(per_job)} jobs",
        )
    report.add(
        "(b)",
        "DB transactions per job (runner + worker)",
        f"{(xact_after - xact_before) / count:.1f}",
    )


def _runjob_queries(server, log_offset, last_job):
    """SQL queries of each ``/queue_job/runjob`` request for the jobs after
    ``last_job`` on the Cartona channel, from the server's access log lines since
    ``log_offset``: ``(per request, {uuid: all its requests})``."""
    uuids = {
        row[0]
        for row in e2e.sql(
            server.db,
            "SELECT uuid FROM queue_job WHERE id > %s AND channel = %s",
            (last_job, e2e.CHANNEL),
        )
    }
    per_request, per_job = [], {}
    for match in RUNJOB_LINE.finditer(server.log_text(log_offset)):
        if match.group(1) in uuids:
            queries = int(match.group(2))
            per_request.append(queries)
            per_job[match.group(1)] = per_job.get(match.group(1), 0) + queries
    return per_request, per_job


#: A record of the server's log: time, pid, level, database, logger, message.
LOG_RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (\d+) (\w+) \S+ ([\w.]+): ", re.M
)
#: Server option that logs every SQL statement with its worker's pid.
LOG_SQL = "--log-handler=odoo.sql_db:DEBUG"


def _runjob_statements(server, log_offset):
    """``{job uuid: [SQL statements of its first runjob request]}`` from the log
    since ``log_offset`` of a server started with :data:`LOG_SQL`: a worker serves
    one request at a time, so the statements a pid logs after its previous
    request belong to the request its next access-log line ends."""
    text = server.log_text(log_offset)
    records = list(LOG_RECORD.finditer(text))
    pending, by_uuid = {}, {}
    for record, following in zip(records, [*records[1:], None], strict=True):
        pid, logger = record.group(1), record.group(3)
        message = text[record.end() : following.start() if following else None]
        if logger == "odoo.sql_db" and "] query: " in message:
            pending.setdefault(pid, []).append(message.split("] query: ", 1)[1])
        elif logger == "werkzeug":
            statements = pending.pop(pid, [])
            match = RUNJOB_LINE.search(message)
            if match:
                by_uuid.setdefault(match.group(1), statements)
    return by_uuid


def bench_runner_floor(odoo, server, report, order_ids):
    """What any job costs through queue_job's runner, whatever it does.

    The same runner and channel run a job whose method sends one query
    (``sale.order.exists``): the queries of its runjob request are queue_job's and
    Odoo's HTTP layer's own, plus that one.
    """
    db = server.db
    last_job = e2e.sql(db, "SELECT coalesce(max(id), 0) FROM queue_job")[0][0]
    log_offset = server.log_size()
    with odoo.env() as env:
        for order in env["sale.order"].browse(order_ids):
            order.with_delay(channel=e2e.CHANNEL, description="benchmark").exists()
    e2e.wait_until(
        lambda: not e2e.sql(
            db,
            "SELECT count(*) FROM queue_job WHERE id > %s AND state != 'done'",
            (last_job,),
        )[0][0],
        300,
        interval=0.5,
        message="no-op jobs",
    )
    per_request, _per_job = _runjob_queries(server, log_offset, last_job)
    report.add(
        "(b)",
        "SQL queries per runjob request, a one-query job (queue_job's floor)",
        f"median {statistics.median(per_request):g} over {len(per_request)} jobs",
    )


#: Orders per case of the job's cost, in-process and through the runner (medians).
JOB_SAMPLES = 20
#: Issue 15: the simpler connector's status job, measured on this kind of machine.
JOB_QUERIES_TARGET = 16
RUNJOB_QUERIES_TARGET = 19


def bench_job_cost(odoo, server, sandbox, report, world, samples=JOB_SAMPLES):
    """The status job's cost by kind of order, in-process and through the runner.

    Cases: an order linked by hand (statuses only, no lines recorded) and orders
    imported from the feed with 1 and 30 lines, each confirmed, so the job sends
    ``approved`` with the content unchanged; then a content step (a salesperson
    lowers a line of an approved imported order: the job sends the lines). In-process,
    each job runs on a cold cache (``invalidate_all``) after a warm-up, as a runjob
    request starts in a worker, as the salesperson, rolled back; its queries are the
    cursor's ``sql_log_count`` and are listed. Through the runner, the same actions
    are committed and the queries of each runjob request are read in the access log.
    """
    with odoo.env() as env:
        # Each account has its responsible salesperson, as README's configuration
        # asks: imported orders are theirs, orders linked by hand their seller's.
        hand_config = make_config(
            env, sandbox, "Bench linked by hand", user_id=world["salesperson"]
        )
        hand_orders = make_orders(env, sandbox, hand_config, world, 2 * samples, "H")
        hand_orders.write({"user_id": world["salesperson"]})
        hand = hand_orders.ids
    # The imported orders come from a feed of their own.
    feed = SandboxServer(host="127.0.0.1", port=0, token=TOKEN).start()
    try:
        with odoo.env() as env:
            config_id = make_config(
                env,
                feed,
                "Bench job cost",
                product_match="variant_id",
                user_id=world["salesperson"],
            ).id
        products = world_products(odoo, world)
        imported = {}
        for lines in (1, 30):
            for number in range(2 * samples):
                # 3 units a line at least: lowering one leaves it on the order.
                feed.state.add_order(
                    feed_entry(f"J{lines:02d}{number:05d}", products, lines, 3)
                )
        last_job = last_job_id(server.db)
        with odoo.env() as env:
            env["marketplace.config"].browse(config_id).action_pull_orders()
        wait_jobs(server.db, last_job, "imports of the job-cost orders")
        with odoo.env() as env:
            for lines in (1, 30):
                orders = env["sale.order"].search(
                    [
                        ("marketplace_config_id", "=", config_id),
                        ("cartona_id", "=like", f"J{lines:02d}%"),
                    ],
                    order="cartona_id",
                )
                assert len(orders) == 2 * samples, f"{len(orders)} imported"
                assert all(len(o.order_line) == lines for o in orders)
                imported[lines] = orders.ids
        cases = [
            ("order linked by hand (statuses only)", hand),
            ("imported order, 1 line, content unchanged", imported[1]),
            ("imported order, 30 lines, content unchanged", imported[30]),
        ]

        def confirm(order):
            order.action_confirm()

        def lower_a_line(order):
            line = order.order_line[:1]
            line.product_uom_qty -= 1

        def one_query_job(order):
            order.with_delay(channel=e2e.CHANNEL, description="benchmark").exists()

        _job_cost_runner(
            odoo,
            server,
            report,
            world,
            "a one-query job (queue_job's and Odoo's own part)",
            hand[samples:],
            one_query_job,
            None,
        )
        # (label, orders measured in-process, orders measured through the runner,
        # what the salesperson does before the job); the content step works on
        # orders the runner has approved.
        runs = [(label, ids[:samples], ids[samples:], confirm) for label, ids in cases]
        runs += [
            (
                f"content step: a line lowered, imported order of {lines} lines",
                imported[lines][samples:],
                imported[lines][samples:],
                lower_a_line,
            )
            for lines in (1, 30)
        ]
        for label, in_process, through_runner, prepare in runs:
            _job_cost_in_process(odoo, report, world, label, in_process, prepare)
            _job_cost_runner(
                odoo,
                server,
                report,
                world,
                label,
                through_runner,
                prepare,
                RUNJOB_QUERIES_TARGET,
            )
    finally:
        feed.stop()


def _job_cost_in_process(odoo, report, world, label, order_ids, prepare):
    """Queries and time of the job of each order after ``prepare(order)``, on a
    cold cache, as the salesperson, all rolled back (Cartona still gets the
    requests: the sandbox applies them)."""
    counts, times, listing = [], [], None
    with odoo.env(
        uid=world["salesperson"], commit=False, context={"job_uuid": "bench"}
    ) as env:
        orders = env["sale.order"].browse(order_ids)
        prepare(orders[0])  # warm-up: registry caches, as in a worker
        orders[0]._sync_status_to_marketplace("combined")
        for order in orders[1:]:
            prepare(order)
            env.flush_all()
            env.invalidate_all()
            queries = env.cr.sql_log_count
            started = time.perf_counter()
            with captured_statements() as statements:
                result = order._sync_status_to_marketplace("combined")
                env.flush_all()
            times.append((time.perf_counter() - started) * 1000)
            counts.append(env.cr.sql_log_count - queries)
            if listing is None:
                listing = (result, [query for query, _params in statements])
    median = statistics.median(counts)
    report.add(
        "(b)",
        f"job in-process, {label}",
        f"{median:g} queries, {statistics.median(times):.1f} ms "
        f"(median of {len(counts)}; min {min(counts)}, max {max(counts)})",
        f"<= {JOB_QUERIES_TARGET}",
        median <= JOB_QUERIES_TARGET,
    )
    result, queries = listing
    report.note(f"(b) the {len(queries)} queries of one job, {label} ({result}):")
    for number, query in enumerate(queries, 1):
        report.note(f"    {number:2d}. {_one_line(query)}")


def _one_line(query, width=150):
    text = re.sub(r"\s+", " ", str(query)).strip()
    return text if len(text) <= width else f"{text[: width - 3]}..."


def _job_cost_runner(odoo, server, report, world, label, order_ids, prepare, target):
    """Queries of each runjob request of the jobs that ``prepare(order)``, committed
    as the salesperson, queues; the statements of the first request are listed."""
    db = server.db
    last_job = last_job_id(db)
    log_offset = server.log_size()
    with odoo.env(uid=world["salesperson"]) as env:
        for order in env["sale.order"].browse(order_ids):
            prepare(order)
    wait_jobs(db, last_job, f"jobs of {label}")
    per_request, _per_job = _runjob_queries(server, log_offset, last_job)
    median = statistics.median(per_request)
    report.add(
        "(b)",
        f"job via the runner, {label}",
        f"median {median:g} queries per runjob request "
        f"({len(per_request)} requests; min {min(per_request)}, "
        f"max {max(per_request)})",
        "" if target is None else f"<= {target}",
        None if target is None else median <= target,
    )
    # The statements of a request of the median's size (a worker's first request
    # also fills its caches).
    statements = min(
        _runjob_statements(server, log_offset).values(),
        key=lambda listed: abs(len(listed) - median),
        default=None,
    )
    if statements:
        report.note(
            f"(b) the {len(statements)} queries of one runjob request, {label}:"
        )
        for number, query in enumerate(statements, 1):
            report.note(f"    {number:2d}. {_one_line(query)}")


# ---------------------------------------------------------------------------
# (c) bulk mode
# ---------------------------------------------------------------------------


def bench_bulk(odoo, sandbox, report, order_ids, batch_size):
    before = len(sandbox.state.requests)
    with odoo.env(commit=False) as env:
        orders = env["sale.order"].browse(order_ids)
        config = orders.marketplace_config_id
        config.status_batch_size = batch_size
        started = time.perf_counter()
        results = env["marketplace.api"].update_order_status(orders, "approved")
        elapsed = time.perf_counter() - started
    sent = [
        r for r in sandbox.state.requests[before:] if r["endpoint"] == e2e.STATUS_PATH
    ]
    applied = sum(len(result) for result in results)
    limit = math.ceil(len(order_ids) / batch_size)
    report.add(
        "(c)",
        f"requests for {len(order_ids)} orders, batch_size {batch_size}",
        f"{len(sent)}",
        f"<= {limit:g}",
        len(sent) <= limit,
    )
    report.add("(c)", "orders applied by Cartona", f"{applied}")
    report.add("(c)", "bulk push time", f"{elapsed:.2f} s")


# ---------------------------------------------------------------------------
# (d) import
# ---------------------------------------------------------------------------


def feed_entry(hashed_id, products, lines, amount=1):
    """A pending feed order of ``lines`` lines over ``products`` (``(id, name)``),
    matched by variant id, of ``amount`` to ``amount + 4`` units each."""
    number = int(re.sub(r"\D", "", hashed_id) or 0)
    return {
        "hashed_id": hashed_id,
        "status": "pending",
        "retailer": {
            "retailer_name": f"Importer {number % 50}",
            "retailer_code": f"IR{number % 50:03d}",
        },
        "order_details": [
            {
                "internal_product_id": str(products[line % len(products)][0]),
                "amount": amount + line % 5,
                "selling_price": 20.0 + line,
                "product_name": products[line % len(products)][1],
            }
            for line in range(lines)
        ],
    }


def world_products(odoo, world):
    with odoo.env() as env:
        return [
            (product.id, product.name)
            for product in env["product.product"].browse(world["products"])
        ]


def wait_jobs(db, last_job, what, timeout=900):
    """Wait until every job created after ``last_job`` is finished."""
    e2e.wait_until(
        lambda: not e2e.sql(
            db,
            "SELECT count(*) FROM queue_job WHERE id > %s AND state IN %s",
            (last_job, e2e.OPEN_JOB_STATES),
        )[0][0],
        timeout,
        interval=0.5,
        message=what,
    )


def last_job_id(db):
    return e2e.sql(db, "SELECT coalesce(max(id), 0) FROM queue_job")[0][0]


def bench_import(odoo, server, report, world, count, lines):
    with odoo.env() as env:
        if e2e.IMPORT_JOB[0] not in env.registry:
            # A moved import job must be pointed at, not skipped in silence.
            report.add("(d)", "import", f"no model {e2e.IMPORT_JOB[0]}", "", False)
            return
    products = world_products(odoo, world)
    feed = SandboxServer(host="127.0.0.1", port=0, token=TOKEN).start()
    try:
        for number in range(count):
            feed.state.add_order(feed_entry(f"IMP{number:06d}", products, lines))
        with odoo.env() as env:
            config = make_config(
                env,
                feed,
                "Bench import",
                product_match="variant_id",
                pull_page_size=200,
            )
            config_id = config.id
        db = server.db
        last_job = last_job_id(db)
        workers = [
            p for p in psutil.Process(server.process.pid).children(recursive=True)
        ]
        baseline = max(p.memory_info().rss for p in workers)
        peak = {"rss": baseline}
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                for proc in workers:
                    with contextlib.suppress(psutil.Error):
                        peak["rss"] = max(peak["rss"], proc.memory_info().rss)
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        with odoo.env() as env:
            env["marketplace.config"].browse(config_id).action_pull_orders()
        pulled = time.perf_counter() - started

        wait_jobs(db, last_job, "imports")
        sampling.set()
        sampler.join()
        span = e2e.sql(
            db,
            "SELECT extract(epoch FROM max(date_done) - min(date_created)) "
            "FROM queue_job WHERE id > %s AND model_name = %s AND method_name = %s",
            (last_job, *e2e.IMPORT_JOB),
        )[0][0]
        imported = e2e.sql(
            db,
            "SELECT count(*) FROM sale_order WHERE marketplace_config_id = %s",
            (config_id,),
        )[0][0]
        acked = sum(
            1 for number in range(count) if feed.state.acknowledged(f"IMP{number:06d}")
        )
    finally:
        feed.stop()
    span = float(span)
    report.add(
        "(d)",
        f"import {count} orders x {lines} lines",
        f"{span:.1f} s " f"({count / span:.1f} orders/s)",
    )
    report.add("(d)", "pull (read feed, queue jobs)", f"{pulled:.1f} s")
    report.add(
        "(d)",
        "orders imported / acknowledged",
        f"{imported} / {acked}",
        f"= {count}",
        imported == count and acked == count,
    )
    report.add(
        "(d)",
        "worker RSS peak (baseline)",
        f"{peak['rss'] / 2**20:.0f} MiB ({baseline / 2**20:.0f} MiB)",
    )


# ---------------------------------------------------------------------------
# (e) the sync log at 1,000,000 rows
# ---------------------------------------------------------------------------

FILL_LOGS = """
INSERT INTO marketplace_sync_log (
    order_id, order_ref, cartona_id, config_id, company_id, direction, operation,
    status_sent, http_method, endpoint, request_body, status_code, response_body,
    duration_ms, outcome, error_message, job_uuid, user_id,
    create_uid, write_uid, create_date, write_date)
SELECT o.ids[1 + g %% o.n], 'S' || lpad((1 + g %% o.n)::text, 5, '0'),
       'B' || lpad((g %% 50000)::text, 6, '0'), %(config)s, %(company)s,
       'outbound', 'status_push',
       (ARRAY['approved', 'assigned_to_salesman', 'delivered',
              'cancelled_by_supplier'])[1 + g %% 4],
       'POST', 'order/update-order-status/B' || lpad((g %% 50000)::text, 6, '0'),
       '{"status": "approved"}', s.code, '{"status": "approved"}',
       (g %% 300) / 3.0, s.outcome,
       CASE WHEN s.outcome = 'success' THEN NULL ELSE 'sandbox: simulated' END,
       md5(g::text), 2, 2, 2,
       now() AT TIME ZONE 'utc' - (g %% 129600) * INTERVAL '1 minute',
       now() AT TIME ZONE 'utc' - (g %% 129600) * INTERVAL '1 minute'
FROM generate_series(1, %(rows)s) AS g
CROSS JOIN (SELECT array_agg(id) AS ids, count(*) AS n FROM sale_order) AS o
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN g %% 100 < 90 THEN 'success'
        WHEN g %% 100 < 95 THEN 'transient_error'
        WHEN g %% 100 < 97 THEN 'rejected'
        WHEN g %% 100 < 99 THEN 'blocked'
        ELSE 'auth_error' END AS outcome,
        CASE WHEN g %% 100 < 90 THEN 200 WHEN g %% 100 < 95 THEN 503
             WHEN g %% 100 < 97 THEN 422 WHEN g %% 100 < 99 THEN 0
             ELSE 401 END AS code
) AS s
"""


def bench_logs(odoo, server, report, config_id, rows):
    db = server.db
    with odoo.env() as env:
        company_id = env["marketplace.config"].browse(config_id).company_id.id
    started = time.perf_counter()
    e2e.sql(db, FILL_LOGS, {"config": config_id, "company": company_id, "rows": rows})
    e2e.sql(db, "VACUUM ANALYZE marketplace_sync_log")
    filled = time.perf_counter() - started
    total = e2e.sql(db, "SELECT count(*) FROM marketplace_sync_log")[0][0]
    report.add("(e)", "sync-log rows (generated in)", f"{total:,} ({filled:.0f} s)")

    from odoo.fields import Datetime

    with odoo.env(uid=2, commit=False) as env:  # admin: record rules apply
        Log = env["marketplace.sync.log"]
        order_id = env["sale.order"].search([], limit=1, order="id").id
        since = Datetime.to_string(Datetime.now() - datetime.timedelta(days=1))
        list_spec = {
            name: {}
            for name in (
                "create_date",
                "cartona_id",
                "direction",
                "operation",
                "status_sent",
                "status_code",
                "outcome",
                "error_message",
                "duration_ms",
            )
        }
        for many2one in ("order_id", "user_id", "config_id", "company_id"):
            list_spec[many2one] = {"fields": {"display_name": {}}}

        def listing(domain):
            return lambda: Log.web_search_read(
                domain, list_spec, limit=80, count_limit=10001
            )

        config = env["marketplace.config"].browse(config_id)
        cases = [
            ("list view (newest first, 80 rows + count)", listing([])),
            ("filter Errors", listing([("outcome", "in", ERROR_OUTCOMES)])),
            ("filter Blocked by Rules", listing([("outcome", "=", "blocked")])),
            ("filter Last 24 Hours", listing([("create_date", ">=", since)])),
            (
                "filters Errors + Last 24 Hours",
                listing(
                    [("outcome", "in", ERROR_OUTCOMES), ("create_date", ">=", since)]
                ),
            ),
            (
                "order history (Sync Logs button)",
                listing([("order_id", "=", order_id)]),
            ),
            (
                "search External Order ID (= value)",
                listing([("cartona_id", "=", "B012345")]),
            ),
            (
                "search External Order ID (ilike, search view)",
                listing([("cartona_id", "ilike", "B012345")]),
            ),
            (
                "count by outcome (group by)",
                lambda: Log.web_read_group([], ["outcome"], ["outcome"]),
            ),
            (
                "overview figures of a config",
                lambda: (config.invalidate_recordset(), config.dashboard_errors_24h),
            ),
        ]
        for label, run in cases:
            run()  # warm-up
            timings = []
            for _repeat in range(5):
                env.invalidate_all()
                started = time.perf_counter()
                with captured_statements() as statements:
                    run()
                timings.append((time.perf_counter() - started) * 1000)
            median = statistics.median(timings)
            plans = [
                _plan(env.cr, query, params)
                for query, params in statements
                if "marketplace_sync_log" in str(query)
                and str(query).lstrip().upper().startswith("SELECT")
            ]
            report.add("(e)", label, f"{median:.1f} ms", "< 200 ms", median < 200)
            report.note(f"(e) plan of {label!r}: {'; '.join(plans) or 'no log query'}")
    _bench_log_cleanup(odoo, db, report, config_id, company_id)


LOG_RETENTION_DAYS = 30  # FILL_LOGS spreads 90 days: two thirds are older
CLEANUP_CRON = "cartona_marketplace.ir_cron_marketplace_sync_log_cleanup"
INSERT_LOG = """
INSERT INTO marketplace_sync_log (
    config_id, company_id, direction, operation, outcome, cartona_id, order_ref,
    create_uid, write_uid, create_date, write_date)
VALUES (%(config)s, %(company)s, 'outbound', 'status_push', 'success', 'BNEW00',
        'SNEW', 2, 2, now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc')
"""


LOCK_TIMEOUT_MS = 100


def _concurrent_inserts(db, params, stop, writes):
    """Insert a log row every 20 ms on its own connection (autocommit) until
    ``stop`` is set: ``writes["ms"]`` times each INSERT with its commit,
    ``writes["lock_waits"]`` counts the INSERTs that waited for a lock longer than
    ``LOCK_TIMEOUT_MS`` (``lock_timeout`` cancels them)."""
    import psycopg2

    conn = e2e.pg_connect(db)
    try:
        with conn.cursor() as cr:
            cr.execute("SET lock_timeout = %s", (f"{LOCK_TIMEOUT_MS}ms",))
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    cr.execute(INSERT_LOG, params)
                except psycopg2.errors.LockNotAvailable:
                    writes["lock_waits"] += 1
                writes["ms"].append((time.perf_counter() - started) * 1000)
                stop.wait(0.02)
    finally:
        conn.close()


def _write_latency(writes):
    ms = sorted(writes["ms"])
    p99 = ms[min(len(ms) - 1, math.ceil(len(ms) * 0.99) - 1)]
    return (
        f"{statistics.median(ms):.1f} / {p99:.1f} / {ms[-1]:.1f} ms "
        f"({len(ms)} inserts, {writes['lock_waits']} lock waits)"
    )


def _timed_writes(db, params):
    """Start the writer thread; returns ``(writes, stop)``: ``stop()`` ends it."""
    writes, event = {"ms": [], "lock_waits": 0}, threading.Event()
    writer = threading.Thread(
        target=_concurrent_inserts, args=(db, params, event, writes)
    )
    writer.start()

    def stop():
        event.set()
        writer.join()

    return writes, stop


def _bench_log_cleanup(odoo, db, report, config_id, company_id):
    """The cleanup cron on the full table, run by Odoo's own cron runner code
    (``_acquire_one_job`` + ``_process_job``: up to 10 calls per run, a commit
    after each, the job left ready while rows remain), while another connection
    inserts log rows. Each DELETE is timed from its start to the commit that ends
    its transaction: the time it holds its row locks."""
    from odoo import sql_db
    from odoo.fields import Datetime

    with odoo.env() as env:
        cron = env.ref(CLEANUP_CRON)
        cron_id = cron.id
        env["ir.config_parameter"].set_param(
            "cartona_marketplace.log_retention_days", str(LOG_RETENTION_DAYS)
        )
        cron.nextcall = Datetime.now() - datetime.timedelta(minutes=1)
    older = (
        "SELECT count(*) FROM marketplace_sync_log WHERE create_date < "
        "now() AT TIME ZONE 'utc' - %s * INTERVAL '1 day'"
    )
    last_progress = e2e.sql(db, "SELECT coalesce(max(id), 0) FROM ir_cron_progress")
    # the plan of one batch, in a transaction rolled back
    with odoo.env(commit=False) as env:
        with captured_statements() as statements:
            env["marketplace.sync.log"]._cron_cleanup()
        delete = next(s for s in statements if "DELETE" in str(s[0]).upper())
        report.note(f"(e) plan of a cleanup batch: {_plan(env.cr, *delete)}")

    commits, deletes = [], []
    original_commit = sql_db.Cursor.commit

    def timed_commit(cursor):
        result = original_commit(cursor)
        commits.append(time.time())
        return result

    def on_query(cr, query, params, start, delay):
        if str(query).lstrip().upper().startswith("DELETE FROM"):
            deletes.append(start)

    params = {"config": config_id, "company": company_id}
    idle, stop = _timed_writes(db, params)  # the same writer, nothing else running
    time.sleep(10)
    stop()
    IrCron = odoo.registry["ir.cron"]
    connection = sql_db.db_connect(db)
    thread = threading.current_thread()
    hooks = getattr(thread, "query_hooks", ())
    runs = 0
    expected = e2e.sql(db, older, (LOG_RETENTION_DAYS,))[0][0]
    writes, stop = _timed_writes(db, params)
    started = time.perf_counter()
    sql_db.Cursor.commit = timed_commit
    thread.query_hooks = (*hooks, on_query)
    try:
        while True:
            with connection.cursor() as cron_cr:
                job = IrCron._acquire_one_job(cron_cr, cron_id)
                if not job:
                    break
                IrCron._process_job(connection, cron_cr, job)
                runs += 1
    finally:
        thread.query_hooks = hooks
        sql_db.Cursor.commit = original_commit
        elapsed = time.perf_counter() - started
        stop()
    batches, deleted = e2e.sql(
        db,
        "SELECT count(*), coalesce(sum(done), 0) FROM ir_cron_progress "
        "WHERE cron_id = %s AND id > %s AND done > 0",
        (cron_id, last_progress[0][0]),
    )[0]
    left = e2e.sql(db, older, (LOG_RETENTION_DAYS,))[0][0]
    holds, spans = [], []
    for start in deletes:
        end = next(t for t in commits if t >= start)
        before = max((t for t in commits if t <= start), default=start)
        holds.append((end - start) * 1000)
        spans.append((end - before) * 1000)
    report.add(
        "(e)",
        f"cleanup cron, retention {LOG_RETENTION_DAYS} days: rows deleted",
        f"{deleted:,} ({expected:,} older at the start, {left} left) in "
        f"{batches} batches, {runs} cron runs, {elapsed:.1f} s",
        "none older left",
        deleted >= expected and not left,
    )
    report.add(
        "(e)",
        "cleanup batch (10,000 rows), median / longest",
        f"{statistics.median(spans):.0f} / {max(spans):.0f} ms",
    )
    report.add(
        "(e)",
        "cleanup row locks held (DELETE to commit), median / longest",
        f"{statistics.median(holds):.0f} / {max(holds):.0f} ms",
        "< 1,000 ms",
        max(holds) < 1000,
    )
    report.add(
        "(e)",
        "log INSERT every 20 ms, alone: p50 / p99 / max",
        _write_latency(idle),
    )
    report.add(
        "(e)",
        "the same INSERTs during the cleanup: p50 / p99 / max",
        _write_latency(writes),
        f"no lock wait > {LOCK_TIMEOUT_MS} ms",
        not writes["lock_waits"],
    )


def _plan(cr, query, params):
    """How one statement reads the log table: the index(es) used, or a seq scan."""
    from odoo.tools import SQL

    cr.execute(SQL("EXPLAIN (ANALYZE, BUFFERS) %s", SQL(query, *(params or ()))))
    lines = [row[0] for row in cr.fetchall()]
    used = []
    for line in lines:
        match = re.search(
            r"(Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? "
            r"(?:using|on) (\S+)",
            line,
        )
        if match and "marketplace_sync_log" in match.group(2):
            used.append(f"{match.group(1).lower()} {match.group(2)}")
        if "Seq Scan on marketplace_sync_log" in line:
            used.append("SEQ SCAN")
    runtime = next((line.strip() for line in lines if "Execution Time" in line), "")
    return f"{', '.join(dict.fromkeys(used)) or 'no scan of the table'} [{runtime}]"


# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# (f) catalog: stock and prices of listed products
# ---------------------------------------------------------------------------

CATALOG_PATH = "supplier-product/bulk-update"


def _catalog_products(env, sandbox, warehouse, prefix, count, listed, config=None):
    """``count`` storable products with stock, in Cartona's catalog, listed on
    ``config`` when ``listed``. Returns their ids."""
    products = env["product.product"].create(
        [
            {
                "name": f"Bench catalog {prefix}{n}",
                "default_code": f"{prefix}{n:05d}",
                "type": "consu",
                "is_storable": True,
                "list_price": 10.0 + n % 50,
            }
            for n in range(count)
        ]
    )
    quants = (
        env["stock.quant"]
        .with_context(inventory_mode=True)
        .create(
            [
                {
                    "product_id": product.id,
                    "location_id": warehouse.lot_stock_id.id,
                    "inventory_quantity": 1_000,
                }
                for product in products
            ]
        )
    )
    quants.action_apply_inventory()
    sandbox.state.put_products(
        [
            {"id": product.id, "internal_product_id": product.default_code}
            for product in products
        ]
    )
    if listed:
        env["marketplace.product"].create(
            [{"config_id": config.id, "product_id": p.id} for p in products]
        )
    return products.ids


def _catalog_idle(db, config_id):
    """Whether no catalog job of the account is open and none of its changes waits.

    The account's own jobs only (their identity key names it): another section's
    account may keep a job retrying against its stopped sandbox."""
    return not e2e.sql(
        db,
        "SELECT (SELECT count(*) FROM queue_job WHERE method_name = '_sync_catalog' "
        "AND identity_key = %s AND state IN %s) "
        "+ (SELECT count(*) FROM marketplace_product_change WHERE config_id = %s)",
        (f"cartona-catalog-{config_id}", e2e.OPEN_JOB_STATES, config_id),
    )[0][0]


def _delivery(env, warehouse, product_ids, quantity=1):
    """A confirmed, reserved delivery of ``product_ids``."""
    from odoo import Command

    customers = env.ref("stock.stock_location_customers")
    picking = env["stock.picking"].create(
        {
            "picking_type_id": warehouse.out_type_id.id,
            "location_id": warehouse.lot_stock_id.id,
            "location_dest_id": customers.id,
            "move_ids": [
                Command.create(
                    {
                        "name": "bench",
                        "product_id": product_id,
                        "product_uom_qty": quantity,
                        "location_id": warehouse.lot_stock_id.id,
                        "location_dest_id": customers.id,
                    }
                )
                for product_id in product_ids
            ],
        }
    )
    picking.action_confirm()
    picking.action_assign()
    return picking.id


def bench_catalog(odoo, server, sandbox, report, world, count, batch_size, passes):
    """(f) One inventory adjustment of ``count`` listed products through the real
    runner, then validating a 100-line delivery with and without listings."""
    from odoo.addons.cartona_marketplace.models.marketplace_product_change import (
        CATALOG_DELAY,
    )

    db = server.db
    with odoo.env() as env:
        warehouse = env["stock.warehouse"].browse(world["warehouse"])
        config = make_config(
            env, sandbox, "Bench catalog", catalog_batch_size=batch_size, timeout=30
        )
        config_id = config.id
        listed = _catalog_products(env, sandbox, warehouse, "BL", count, True, config)
    e2e.wait_until(
        lambda: _catalog_idle(db, config_id), 600, interval=0.5, message="listing"
    )
    out(f"  (f) {count} products listed and sent")

    # 1. One inventory adjustment changes every listed product.
    last_job = e2e.sql(db, "SELECT coalesce(max(id), 0) FROM queue_job")[0][0]
    requests_before = len(sandbox.state.requests)
    started = time.monotonic()
    with odoo.env() as env:
        stock = env["stock.warehouse"].browse(world["warehouse"]).lot_stock_id
        quants = (
            env["stock.quant"]
            .with_context(inventory_mode=True)
            .create(
                [
                    {
                        "product_id": product_id,
                        "location_id": stock.id,
                        "inventory_quantity": 1_000 + n % 97 + 1,
                    }
                    for n, product_id in enumerate(listed)
                ]
            )
        )
        quants.action_apply_inventory()
    committed = time.monotonic()
    wanted = {f"BL{n:05d}": 1_000 + n % 97 + 1 for n in range(count)}

    def arrived():
        stock = {
            p["internal_product_id"]: p.get("available_stock_quantity")
            for p in sandbox.state.catalog
            if p["internal_product_id"] in wanted
        }
        return stock == wanted

    e2e.wait_until(arrived, 600, interval=0.1, message="Cartona's stock")
    arrived_at = time.monotonic()
    e2e.wait_until(lambda: _catalog_idle(db, config_id), 120, interval=0.5)
    jobs = e2e.sql(
        db,
        "SELECT count(*), extract(epoch FROM max(date_done) - min(date_started)), "
        "extract(epoch FROM min(date_started) - min(date_created)) "
        "FROM queue_job WHERE id > %s AND method_name = '_sync_catalog'",
        (last_job,),
    )[0]
    sent = [
        r
        for r in sandbox.state.requests[requests_before:]
        if r["endpoint"] == CATALOG_PATH
    ]
    limit = math.ceil(count / batch_size)
    report.add(
        "(f)",
        f"requests for {count} products changed by one adjustment, "
        f"batch_size {batch_size}",
        f"{len(sent)}",
        f"<= {limit}",
        len(sent) <= limit,
    )
    report.add("(f)", "catalog jobs", f"{jobs[0]}", "<= 2", jobs[0] <= 2)
    report.add(
        "(f)",
        f"inventory adjustment of {count} products (user's transaction)",
        f"{committed - started:.2f} s",
    )
    report.add(
        "(f)",
        "commit -> Cartona has them all",
        f"{arrived_at - committed:.1f} s (queued -> started "
        f"{float(jobs[2] or 0):.1f} s, of which the job's delay {CATALOG_DELAY} s; "
        f"run {float(jobs[1] or 0):.1f} s)",
    )

    # 2. Validating a 100-line delivery, its products listed or not: 200 products
    # made alike, 100 of them listed (and sent). The runner is then stopped: only
    # the user's transaction is timed (hooks, marks at commit, the job queued after
    # it), not the jobs it queues.
    with odoo.env() as env:
        warehouse = env["stock.warehouse"].browse(world["warehouse"])
        alike = _catalog_products(env, sandbox, warehouse, "BD", 200, False)
        env["marketplace.product"].create(
            [{"config_id": config_id, "product_id": p} for p in alike[:100]]
        )
    e2e.wait_until(lambda: _catalog_idle(db, config_id), 300, interval=0.5)
    server.stop()
    listed, unlisted = alike[:100], alike[100:]
    with odoo.env() as env:
        warehouse = env["stock.warehouse"].browse(world["warehouse"])
        storekeeper = (
            env["res.users"]
            .create(
                {
                    "name": "Bench storekeeper",
                    "login": "bench_storekeeper",
                    "groups_id": [(4, env.ref("stock.group_stock_user").id)],
                }
            )
            .id
        )
        pickings = {
            arm: [_delivery(env, warehouse, ids) for _pass in range(passes + 1)]
            for arm, ids in (("listed", listed), ("unlisted", unlisted))
        }

    # The catalog's own work on the user's path, timed directly: the marks written
    # at commit and the job queued after it, in a transaction of its own (the
    # hooks on quants cost no query).
    from odoo.addons.cartona_marketplace.models import marketplace_product_change

    with odoo.env(commit=False) as env:
        change_class = type(env["marketplace.product.change"])
    originals = (
        change_class._insert_marks,
        marketplace_product_change.queue_catalog_jobs,
    )
    hooks = {"seconds": 0.0}

    def timed(original):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                hooks["seconds"] += time.perf_counter() - started

        return wrapper

    def validate(picking_id):
        hooks["seconds"] = 0.0
        started = time.perf_counter()
        with odoo.env(uid=storekeeper) as env:
            picking = env["stock.picking"].browse(picking_id)
            for move in picking.move_ids:
                move.quantity = move.product_uom_qty
                move.picked = True
            queries = env.cr.sql_log_count
            picking.button_validate()
            env.flush_all()
            queries = env.cr.sql_log_count - queries
        return time.perf_counter() - started, queries, hooks["seconds"]

    change_class._insert_marks = timed(originals[0])
    marketplace_product_change.queue_catalog_jobs = timed(originals[1])
    try:
        for arm in ("listed", "unlisted"):  # warm-up
            validate(pickings[arm].pop())
        runs = {"listed": [], "unlisted": []}
        for number in range(passes):
            order = ("listed", "unlisted") if number % 2 else ("unlisted", "listed")
            for arm in order:
                runs[arm].append(validate(pickings[arm][number]))
    finally:
        change_class._insert_marks = originals[0]
        marketplace_product_change.queue_catalog_jobs = originals[1]
    times = {arm: [run[0] for run in values] for arm, values in runs.items()}
    ratios = [a / b for a, b in zip(times["listed"], times["unlisted"], strict=True)]
    ratio = statistics.median(ratios)
    listed_s = statistics.median(times["listed"])
    unlisted_s = statistics.median(times["unlisted"])
    hook_s = statistics.median([run[2] for run in runs["listed"]])
    best = min(times["listed"]) / min(times["unlisted"])
    report.add(
        "(f)",
        f"validate a 100-line delivery, listed vs not (median of {passes} ratios)",
        f"{ratio:.3f} ({listed_s:.2f} s vs {unlisted_s:.2f} s)",
        "<= 1.05",
        ratio <= 1.05,
    )
    report.add("(f)", "ratios of the passes", ", ".join(f"{r:.3f}" for r in ratios))
    report.add(
        "(f)",
        "best run of each arm, listed vs not",
        f"{best:.3f} ({min(times['listed']):.2f} s vs {min(times['unlisted']):.2f} s)",
    )
    report.add(
        "(f)",
        "catalog work at commit (marks + job), timed directly",
        f"{hook_s * 1000:.1f} ms -> ratio {(unlisted_s + hook_s) / unlisted_s:.3f}",
        "<= 1.05",
        (unlisted_s + hook_s) / unlisted_s <= 1.05,
    )
    report.add(
        "(f)",
        "queries before the commit, listed vs not",
        f"{statistics.median([run[1] for run in runs['listed']]):g} vs "
        f"{statistics.median([run[1] for run in runs['unlisted']]):g}",
    )
    server.start()


def _server_setup(workers):
    """``(workers, channels)``: ``root.cartona`` as wide as the HTTP workers."""
    return workers, f"root:{max(4, workers)},root.cartona:{workers}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="a,b,c,d,e,f", help="sections to run")
    parser.add_argument("--orders", type=int, default=1000, help="(a) orders")
    parser.add_argument("--passes", type=int, default=3, help="(a) passes")
    parser.add_argument("--pushes", type=int, default=2000, help="(b) status changes")
    parser.add_argument("--batch-size", type=int, default=100, help="(c) batch size")
    parser.add_argument("--imports", type=int, default=1000, help="(d) feed orders")
    parser.add_argument("--log-rows", type=int, default=1_000_000, help="(e) rows")
    parser.add_argument(
        "--catalog-products", type=int, default=1000, help="(f) listed products"
    )
    parser.add_argument(
        "--workers",
        default="2,4",
        help="(b) HTTP workers of each throughput run, also the capacity of "
        "root.cartona; (d) uses the first",
    )
    parser.add_argument("--template-db", help="clone this database (development)")
    parser.add_argument("--keep-db", action="store_true", help="keep the database")
    args = parser.parse_args()
    sections = set(args.only.split(","))
    worker_counts = [int(count) for count in args.workers.split(",")]
    missing = e2e.runtime_missing()
    if missing:
        out(f"benchmark needs the Odoo runtime: {missing}")
        return 2
    e2e.ensure_postgres()
    report = Report()
    db = f"cm_e2e_bench_{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="cartona_bench_"))
    server = e2e.OdooServer(db, workdir)
    server.configure(*_server_setup(worker_counts[0]))
    sandbox = SandboxServer(host="127.0.0.1", port=0, token=TOKEN).start()
    out(
        f"cartona_marketplace benchmark: {datetime.datetime.now():%Y-%m-%d %H:%M}, "
        f"{os.cpu_count()} CPUs, {args.workers} workers, database {db}, "
        f"logs in {workdir}"
    )
    try:
        e2e.drop_database(db)
        out("installing the addon in a fresh database ...")
        server.install(template=args.template_db)
        odoo = InProcessOdoo(server)
        with odoo.env() as env:
            world = make_world(env)
            config_id = make_config(env, sandbox, "Bench").id
            orders = make_orders(
                env,
                sandbox,
                env["marketplace.config"].browse(config_id),
                world,
                args.orders,
                "A",
            )
            order_ids = orders.ids
        if "a" in sections:
            out(f"(a) hook overhead: {args.orders} confirmations x 2 x {args.passes}")
            bench_hook_overhead(odoo, report, order_ids, args.passes)
        if "c" in sections:
            out("(c) bulk mode")
            bench_bulk(odoo, sandbox, report, order_ids[:1000], args.batch_size)
        if "b" in sections:
            out(f"(b) the status job's cost, {JOB_SAMPLES} orders a case")
            server.stop()
            server.configure(*_server_setup(worker_counts[0]))
            server.extra_args = [LOG_SQL]  # lists each request's statements
            server.start()
            bench_job_cost(odoo, server, sandbox, report, world)
            server.extra_args = []
            for workers in worker_counts:
                server.stop()
                server.configure(*_server_setup(workers))
                server.start()
                out(
                    f"(b) throughput: {args.pushes} status changes through the "
                    f"runner, {workers} workers"
                )
                bench_throughput(
                    odoo, server, sandbox, report, world, config_id, args.pushes
                )
            bench_runner_floor(odoo, server, report, order_ids[:200])
        if "d" in sections:
            server.stop()
            server.configure(*_server_setup(worker_counts[0]))
            server.start()
            out(f"(d) import: {args.imports} feed orders")
            bench_import(odoo, server, report, world, args.imports, 5)
        if "f" in sections:
            server.stop()
            server.configure(*_server_setup(worker_counts[0]))
            server.start()
            out(f"(f) catalog: {args.catalog_products} listed products")
            bench_catalog(
                odoo,
                server,
                sandbox,
                report,
                world,
                args.catalog_products,
                args.batch_size,
                args.passes + 12,
            )
        server.stop()
        if "e" in sections:
            out(f"(e) sync log at {args.log_rows:,} rows")
            bench_logs(odoo, server, report, config_id, args.log_rows)
    finally:
        server.stop()
        sandbox.stop()
        if not args.keep_db:
            with contextlib.suppress(Exception):
                import odoo as odoo_module

                odoo_module.sql_db.close_all()
            e2e.drop_database(db)
        server.cleanup()
    report.print()
    return 1 if any(row[4] == "MISSED" for row in report.rows) else 0


if __name__ == "__main__":
    sys.exit(main())
