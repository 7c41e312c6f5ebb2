"""The harness of the end-to-end suite and the benchmark: a real Odoo server, JSON-RPC,
user actions, checks.

Nothing here imports Odoo nor the addon's core (``cartona/``). The suite drives a
real Odoo 18 server (``queue_job`` loaded server-wide, its job runner, prefork
workers) over JSON-RPC as its users would, and the Cartona sandbox in-process, all
on 127.0.0.1. What Cartona allows is checked against the rows of ``cartona-api.md``
(``tests_unit/documented.py``), so a wrong row in the core fails a check here.

Imported as ``tests_e2e.harness``: the repository root is on ``sys.path`` (pytest's
``pythonpath``; ``python -m scripts.benchmark`` from the root).
"""

import ast
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import requests
from psycopg2 import sql as pg_sql

from tests_unit import documented as doc

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = Path(
    os.environ.get("CARTONA_RUNTIME")
    or Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local/share")
    / "cartona_marketplace"
)
PYTHON = RUNTIME / "venv" / "bin" / "python"
#: The ports this suite may listen on (HTTP and gevent of the Odoo server).
PORT_RANGE = range(18080, 18100)
CHANNEL = "root.cartona"
#: The addon's queue jobs as ``(model, method)``: the one place to change when a job
#: moves to another model. A job missing from the database fails the suite
#: (:func:`check_job_functions`), it never skips a test.
STATUS_JOB = ("sale.order", "_sync_status_to_marketplace")
IMPORT_JOB = ("marketplace.order.processor", "_import_order")
ACK_JOB = ("marketplace.order.acknowledgement", "_acknowledge_orders")
JOB_METHOD = STATUS_JOB[1]
#: Retry pattern of the status job on the test database: retries within seconds.
FAST_RETRY_PATTERN = {1: 1, 3: 2, 5: 3}
OPEN_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")
STATUS_PATH = "order/update-order-status"
SINGLE_ENDPOINT = f"{STATUS_PATH}/"
DETAILS_PATH = "order/update-order-details"
#: The pseudo-status of acknowledgements (section 3.2): it changes no order.
SYNCED = "synced"
ADMIN = ("admin", "admin")


# ---------------------------------------------------------------------------
# Small tools
# ---------------------------------------------------------------------------


def wait_until(predicate, timeout, interval=0.5, message="condition"):
    """Poll ``predicate()`` until it returns a truthy value, which is returned.

    Raises ``AssertionError`` after ``timeout`` seconds; ``message`` may be a callable
    producing the diagnostics at that moment.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"timed out after {timeout:g} s waiting for: {text}")
        time.sleep(interval)


def free_port(exclude=()):
    """A port of :data:`PORT_RANGE` nobody listens on, on 127.0.0.1."""
    for port in PORT_RANGE:
        if port in exclude:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORT_RANGE.start}-{PORT_RANGE.stop - 1}")


def odoo_src():
    """The Odoo source tree chosen by scripts/setup.sh, or ``None``."""
    path_file = RUNTIME / "odoo_src_path"
    if not path_file.is_file():
        return None
    src = Path(path_file.read_text().strip())
    return src if (src / "odoo-bin").is_file() else None


def runtime_missing():
    """Why the suite cannot run here, or ``None`` when the Odoo runtime is complete."""
    if not PYTHON.is_file():
        return f"no virtualenv in {RUNTIME} (run scripts/setup.sh)"
    if odoo_src() is None:
        return f"no Odoo source tree recorded in {RUNTIME}/odoo_src_path"
    if not (RUNTIME / "odoo.conf").is_file():
        return f"no {RUNTIME}/odoo.conf"
    return None


def pg_params():
    """libpq parameters of the runtime (same defaults as scripts/_env.sh)."""
    return {
        "host": os.environ.get("PGHOST", "127.0.0.1"),
        "port": int(os.environ.get("PGPORT", "5432")),
        "user": os.environ.get("PGUSER") or _login_name(),
    }


def _login_name():
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def ensure_postgres():
    """Start the local PostgreSQL cluster when it is down (as scripts/_env.sh does)."""
    script = f'source "{ROOT}/scripts/_env.sh" && ensure_postgres && ensure_pg_role'
    subprocess.run(["bash", "-c", script], check=True, timeout=120)


def pg_connect(dbname="postgres"):
    conn = psycopg2.connect(dbname=dbname, **pg_params())
    conn.autocommit = True
    return conn


def sql(dbname, query, params=None):
    """Rows of one query run directly on the database (works while Odoo is down)."""
    conn = pg_connect(dbname)
    try:
        with conn.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall() if cr.description else []
    finally:
        conn.close()


def drop_database(name):
    sql(
        "postgres",
        pg_sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            pg_sql.Identifier(name)
        ),
    )


def clone_database(template, name):
    sql(
        "postgres",
        pg_sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            pg_sql.Identifier(name), pg_sql.Identifier(template)
        ),
    )


# ---------------------------------------------------------------------------
# The Odoo server
# ---------------------------------------------------------------------------


class OdooServer:
    """A real Odoo server in its own process group, as production runs it.

    ``--load=base,web,queue_job`` and ``--workers`` make it a prefork server whose
    job runner dispatches jobs to the HTTP workers; ``channels`` go to a config file
    written in ``workdir`` next to the runtime's options.
    """

    def __init__(
        self, db, workdir, workers=2, channels="root:4,root.cartona:2", extra_args=()
    ):
        self.db = db
        self.extra_args = list(extra_args)
        self.workdir = Path(workdir)
        self.workers = workers
        self.channels = channels
        self.addons_dir = self.workdir / "addons"
        self.data_dir = self.workdir / "data"
        self.conf = self.workdir / "odoo.conf"
        self.logfile = self.workdir / "odoo.log"
        self.http_port = free_port()
        self.gevent_port = free_port(exclude={self.http_port})
        self.process = None
        self.starts = 0
        self._start_offset = 0
        self._prepare()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http_port}"

    def configure(self, workers, channels):
        """Set the HTTP workers and job channels of the next :meth:`start`."""
        if self.process is not None:
            raise RuntimeError("stop the Odoo server before configuring it")
        self.workers, self.channels = workers, channels
        self._prepare()

    def _prepare(self):
        self.addons_dir.mkdir(parents=True, exist_ok=True)
        link = self.addons_dir / "cartona_marketplace"
        if not link.exists():
            link.symlink_to(ROOT)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(self._config_text())

    def _config_text(self):
        """The runtime's ``[options]`` (database access), our ``[queue_job]``."""
        import configparser

        runtime = configparser.ConfigParser(interpolation=None)
        runtime.read(RUNTIME / "odoo.conf")
        options = dict(runtime["options"]) if runtime.has_section("options") else {}
        keep = ("db_host", "db_port", "db_user", "db_password", "admin_passwd")
        lines = ["[options]"]
        lines += [f"{key} = {options[key]}" for key in keep if key in options]
        lines += ["list_db = False", "", "[queue_job]", f"channels = {self.channels}"]
        return "\n".join(lines) + "\n"

    def _base_command(self):
        src = odoo_src()
        return [
            str(PYTHON),
            str(src / "odoo-bin"),
            "-c",
            str(self.conf),
            f"--addons-path={src}/addons,{src}/odoo/addons,{self.addons_dir}",
            f"--data-dir={self.data_dir}",
            "-d",
            self.db,
        ]

    def _env(self):
        env = dict(os.environ)
        # The suite's channels, not whatever the calling shell exports.
        for key in list(env):
            if key.startswith("ODOO_QUEUE_JOB_") or key.lower().endswith("_proxy"):
                env.pop(key)
        # Keep every request on 127.0.0.1: anything else (IAP, SMS, ...) goes to a
        # proxy that does not exist and fails at once.
        dead_proxy = "http://127.0.0.1:9"
        env.update(
            HTTP_PROXY=dead_proxy,
            HTTPS_PROXY=dead_proxy,
            http_proxy=dead_proxy,
            https_proxy=dead_proxy,
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
        )
        return env

    def install(self, template=None, timeout=900, extra_modules=()):
        """Create the database with the addon installed (without demo data).

        ``template`` (development only) clones an existing database and upgrades the
        addon instead of installing it from scratch; ``extra_modules`` are installed
        with the addon (e.g. :func:`chart_modules`).
        """
        log = self.workdir / "install.log"
        if template:
            clone_database(template, self.db)
            action = ["-u", "cartona_marketplace"]
            if extra_modules:
                action += ["-i", ",".join(extra_modules)]
        else:
            modules = ",".join(["cartona_marketplace", *extra_modules])
            action = ["-i", modules, "--without-demo=all"]
        command = (
            self._base_command()
            + action
            + [
                "--stop-after-init",
                f"--http-port={self.http_port}",
                f"--logfile={log}",
            ]
        )
        done = subprocess.run(command, env=self._env(), timeout=timeout, check=False)
        text = log.read_text(errors="replace") if log.exists() else ""
        if done.returncode != 0 or "Modules loaded" not in text:
            raise RuntimeError(
                f"installing cartona_marketplace in {self.db} failed "
                f"(exit {done.returncode}); see {log}:\n{text[-3000:]}"
            )

    def start(self, timeout=180):
        """Start the server and wait for /web/login and the job runner."""
        if self.process is not None:
            raise RuntimeError("the Odoo server is already running")
        if not self.starts:
            # Ports are taken at the first start, not when the object is made:
            # another server (another suite on this machine) may have taken them
            # since, and would answer for this one.
            self.http_port = free_port()
            self.gevent_port = free_port(exclude={self.http_port})
        offset = self.logfile.stat().st_size if self.logfile.exists() else 0
        self._start_offset = offset
        command = self._base_command() + [
            # One database, named by -d and no --db-filter: Odoo then knows it
            # without listing PostgreSQL's databases. With a filter, every runjob
            # request (it carries no session) opens a new connection to the
            # "postgres" database to list them (odoo.service.db.list_dbs).
            "--http-interface=127.0.0.1",
            f"--http-port={self.http_port}",
            f"--gevent-port={self.gevent_port}",
            f"--workers={self.workers}",
            # No cron worker: nothing runs behind the tests' back (the inbound pull
            # cron is triggered explicitly where a test needs it).
            "--max-cron-threads=0",
            "--limit-time-real=600",
            "--limit-time-cpu=600",
            "--load=base,web,queue_job",
            f"--logfile={self.logfile}",
            *self.extra_args,
        ]
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            command,
            env=self._env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.starts += 1
        wait_until(
            self._login_page_up,
            timeout,
            message=lambda: f"Odoo serving /web/login\n{self.log_tail()}",
        )
        wait_until(
            lambda: f"queue job runner ready for db {self.db}" in self.log_text(offset),
            60,
            message=lambda: f"the queue_job runner to start\n{self.log_tail()}",
        )
        # The websocket (gevent) process: one that crash-loops is respawned every
        # second and eats a core while everything else seems to work.
        wait_until(
            self._websocket_up,
            60,
            message=lambda: f"Odoo's websocket process on {self.gevent_port}\n"
            f"{self.log_tail()}",
        )
        return self

    def _websocket_up(self):
        try:
            response = requests.get(
                f"http://127.0.0.1:{self.gevent_port}/websocket/health", timeout=5
            )
        except requests.RequestException:
            return False
        return response.status_code == 200

    def channel_capacity(self, channel):
        """Capacity of ``channel`` as the job runner configured it (from the log)."""
        found = re.findall(
            rf"Configured channel: {re.escape(channel)}\(C:(\d+),", self.log_text()
        )
        return int(found[-1]) if found else 0

    def http_workers(self):
        """Pids of the HTTP workers alive since the last start (from the log)."""
        text = self.log_text(self._start_offset)
        return set(re.findall(r"Worker WorkerHTTP \((\d+)\) alive", text))

    def _login_page_up(self):
        if self.process.poll() is not None:
            raise AssertionError(
                f"Odoo exited with {self.process.returncode}\n{self.log_tail()}"
            )
        try:
            response = requests.get(f"{self.url}/web/login", timeout=10)
        except requests.RequestException:
            return False
        return response.status_code == 200

    def kill(self):
        """SIGKILL the whole process group: master, HTTP workers, job runner."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None
        # Workers already inside a request die with the group; give the kernel a
        # moment to close their database sockets.
        time.sleep(0.5)

    def stop(self, timeout=60):
        """Graceful stop (SIGTERM, then SIGKILL when it does not end in time)."""
        if self.process is None:
            return
        try:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return
        with contextlib.suppress(ProcessLookupError):  # a worker ending its request
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None

    def log_text(self, offset=0):
        if not self.logfile.exists():
            return ""
        with self.logfile.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode("utf-8", errors="replace")

    def log_size(self):
        return self.logfile.stat().st_size if self.logfile.exists() else 0

    def log_tail(self, lines=40):
        return "\n".join(self.log_text().splitlines()[-lines:])

    def cleanup(self):
        shutil.rmtree(self.data_dir, ignore_errors=True)


# ---------------------------------------------------------------------------
# JSON-RPC
# ---------------------------------------------------------------------------


class RPCError(Exception):
    """An error answered by Odoo: ``name`` is the exception class path."""

    def __init__(self, error):
        data = error.get("data") or {}
        self.name = data.get("name") or ""
        self.message = data.get("message") or error.get("message") or ""
        self.debug = data.get("debug") or ""
        super().__init__(f"{self.name}: {self.message}")


class OdooRPC:
    """``/jsonrpc`` client of one user, with the ORM methods a test needs."""

    _ids = itertools.count(1)

    def __init__(self, url, db, login, password, timeout=300):
        self.url = url
        self.db = db
        self.login = login
        self.password = password
        self.timeout = timeout
        self.session = requests.Session()
        self.uid = self._service("common", "login", db, login, password)
        if not self.uid:
            raise RuntimeError(f"cannot log in as {login} on {db}")

    def _service(self, service, method, *args):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": list(args)},
            "id": next(self._ids),
        }
        response = self.session.post(
            f"{self.url}/jsonrpc", json=payload, timeout=self.timeout
        )
        response.raise_for_status()
        data = response.json()
        if data.get("error"):
            raise RPCError(data["error"])
        return data.get("result")

    def call(self, model, method, *args, **kwargs):
        """``execute_kw``: ``model.method(*args, **kwargs)`` as this user."""
        return self._service(
            "object",
            "execute_kw",
            self.db,
            self.uid,
            self.password,
            model,
            method,
            list(args),
            kwargs,
        )

    def search(self, model, domain, **kwargs):
        return self.call(model, "search", domain, **kwargs)

    def search_count(self, model, domain):
        return self.call(model, "search_count", domain)

    def search_read(self, model, domain, fields, **kwargs):
        return self.call(model, "search_read", domain, fields, **kwargs)

    def read(self, model, ids, fields):  # pylint: disable=method-required-super
        return self.call(model, "read", ids, fields)

    def create(self, model, vals):  # pylint: disable=method-required-super
        return self.call(model, "create", vals)

    def write(self, model, ids, vals):  # pylint: disable=method-required-super
        return self.call(model, "write", ids, vals)

    def reconnect(self):
        """A fresh HTTP session (after the server restarted)."""
        self.session.close()
        self.session = requests.Session()


# ---------------------------------------------------------------------------
# What a user does in the UI, through RPC
# ---------------------------------------------------------------------------

#: The button a user presses in wizards the flows may open, by wizard model.
WIZARD_BUTTONS = {
    "sale.order.cancel": "action_cancel",
    "marketplace.cancel.reason": "action_cancel_orders",
    "stock.backorder.confirmation": "process",
}


def follow_action(
    rpc, action, record_model=None, record_ids=(), values=None, buttons=None
):
    """Complete a wizard an action opened, pressing the button a user would press.

    Known wizards use :data:`WIZARD_BUTTONS` (``buttons`` overrides it by model);
    others their form's primary button. Returns the final result (``True``, a
    notification, ...).
    """
    buttons = {**WIZARD_BUTTONS, **(buttons or {})}
    for _depth in range(5):
        if not (
            isinstance(action, dict)
            and action.get("type") == "ir.actions.act_window"
            and action.get("target") == "new"
        ):
            return action
        model = action["res_model"]
        context = action.get("context") or {}
        if isinstance(context, str):
            context = ast.literal_eval(context)
        context = dict(context)
        if record_model and record_ids:
            context.setdefault("active_model", record_model)
            context.setdefault("active_ids", list(record_ids))
            context.setdefault("active_id", list(record_ids)[0])
        wizard_id = action.get("res_id") or rpc.call(
            model, "create", values or {}, context=context
        )
        button = buttons.get(model) or primary_button(rpc, model)
        action = rpc.call(model, button, [wizard_id], context=context)
    raise AssertionError(f"wizards keep opening: {action}")


def primary_button(rpc, model):
    """Name of the primary object button of ``model``'s form view."""
    views = rpc.call(model, "get_views", [[False, "form"]])
    arch = ET.fromstring(views["views"]["form"]["arch"])
    buttons = [b for b in arch.iter("button") if b.get("type") == "object"]
    for button in buttons:
        if "btn-primary" in (button.get("class") or ""):
            return button.get("name")
    if not buttons:
        raise AssertionError(f"no button to press on {model}")
    return buttons[0].get("name")


def confirm(rpc, order_ids):
    """Confirm quotations (the Confirm button; the list's batch action for many)."""
    result = rpc.call("sale.order", "action_confirm", list(order_ids))
    return follow_action(rpc, result, "sale.order", order_ids)


def open_deliveries(rpc, order_ids):
    """The customer deliveries of the orders still to be done."""
    return rpc.search(
        "stock.picking",
        [
            ("sale_id", "in", list(order_ids)),
            ("picking_type_code", "=", "outgoing"),
            ("state", "not in", ("done", "cancel")),
        ],
    )


def ship(rpc, order_ids, quantities=None, backorder=True):
    """Validate the customer deliveries of the orders, as a storekeeper does.

    Every move is picked in full, or in the quantity ``quantities`` gives for its
    sale order line (``{sale line id: quantity}``). When less than ordered leaves,
    Odoo's backorder dialog is answered "Create Backorder" or, without
    ``backorder``, "No Backorder".
    """
    pickings = open_deliveries(rpc, order_ids)
    if not pickings:
        raise AssertionError(f"no delivery to validate for orders {order_ids}")
    rpc.call("stock.picking", "action_assign", pickings)
    moves = rpc.search_read(
        "stock.move",
        [("picking_id", "in", pickings), ("state", "!=", "cancel")],
        ["product_uom_qty", "sale_line_id"],
    )
    quantities = quantities or {}
    by_qty = {}
    for move in moves:
        line_id = move["sale_line_id"] and move["sale_line_id"][0]
        qty = quantities.get(line_id, move["product_uom_qty"])
        by_qty.setdefault(qty, []).append(move["id"])
    for qty, move_ids in by_qty.items():
        rpc.write("stock.move", move_ids, {"quantity": qty, "picked": True})
    result = rpc.call("stock.picking", "button_validate", pickings)
    answer = "process" if backorder else "process_cancel_backorder"
    return follow_action(
        rpc,
        result,
        "stock.picking",
        pickings,
        buttons={"stock.backorder.confirmation": answer},
    )


def cancel(rpc, order_ids):
    """Cancel each order with its Cancel button (answering the wizard it opens)."""
    for order_id in order_ids:
        result = rpc.call("sale.order", "action_cancel", [order_id])
        follow_action(rpc, result, "sale.order", [order_id])


def set_line_quantities(rpc, quantities):
    """Change ordered quantities in the order form (``{sale line id: quantity}``):
    one save of each order, as a salesperson editing its lines."""
    lines = rpc.read("sale.order.line", list(quantities), ["order_id"])
    by_order = {}
    for line in lines:
        by_order.setdefault(line["order_id"][0], []).append(line["id"])
    for order_id, line_ids in by_order.items():
        commands = [
            (1, line_id, {"product_uom_qty": quantities[line_id]})
            for line_id in line_ids
        ]
        rpc.write("sale.order", [order_id], {"order_line": commands})


def confirm_delivery(rpc, order_id, otp=None, attempts=20):
    """Press Confirm Delivery; a user presses again while a sync job holds the order.

    Returns ``(notification, busy)`` where ``busy`` counts the presses refused
    because a job was syncing the same order.
    """
    busy = 0
    for _attempt in range(attempts):
        try:
            result = rpc.call(
                "sale.order", "action_confirm_marketplace_delivery", [order_id]
            )
            values = {"retailer_otp": otp} if otp else None
            return follow_action(rpc, result, "sale.order", [order_id], values), busy
        except RPCError as exc:
            if "being synced by another job" not in exc.message:
                raise
            busy += 1
            time.sleep(1)
    raise AssertionError(f"order {order_id} stayed busy for {attempts} presses")


def sync_status_button(rpc, order_ids):
    """Sync Status (basic mapping) on the selected orders."""
    return rpc.call("sale.order", "action_manual_sync_to_marketplace", list(order_ids))


def enhanced_sync_button(rpc, order_ids):
    """Enhanced Sync (combined mapping) on the selected orders."""
    return rpc.call("sale.order", "action_sync_enhanced_status", list(order_ids))


def retry_button(rpc, order_ids):
    """Retry (the form button, the list action) on the selected orders."""
    return rpc.call("sale.order", "action_marketplace_retry", list(order_ids))


def pull_orders(rpc, config_id):
    """Pull Orders on a Cartona account (a manager's button)."""
    result = rpc.call("marketplace.config", "action_pull_orders", [config_id])
    assert result["params"]["type"] in ("success", "warning"), result
    return result


# ---------------------------------------------------------------------------
# Test data
# ---------------------------------------------------------------------------

_hashed_ids = itertools.count(1)
#: The password of the users the suite creates.
PASSWORD = "e2e-password-Rm5Tq"


@dataclass
class World:
    """Data shared by every scenario of a session."""

    company_id: int
    warehouse_id: int
    product_ids: list
    partner_ids: list

    @property
    def product_id(self):
        return self.product_ids[0]


def job_functions(rpc, *jobs):
    """Ids of the ``queue.job.function`` records of ``jobs`` (``(model, method)``).

    Fails, naming them, when a job is not declared where this module says it is:
    a renamed or moved job fails the suite instead of skipping what tests it.
    """
    ids, missing = [], []
    for model, method in jobs:
        found = rpc.search(
            "queue.job.function",
            [("model_id.model", "=", model), ("method", "=", method)],
        )
        ids += found
        if not found:
            missing.append(f"{model}.{method}")
    assert not missing, (
        f"no queue job {', '.join(missing)}: the addon's jobs moved? Update "
        "STATUS_JOB / IMPORT_JOB / ACK_JOB in tests_e2e/harness.py"
    )
    return ids


#: Egypt's chart of accounts (module, template), as the money tests use it.
CHART = ("l10n_eg", "eg")


def chart_modules():
    """The modules of :data:`CHART` when the Odoo tree has them, to install with the
    addon: invoices need a real chart of accounts."""
    src = odoo_src()
    return [CHART[0]] if src and (src / "addons" / CHART[0]).is_dir() else []


def load_chart(rpc, company_id):
    """Put :data:`CHART` on the company (before any accounting entry: the chart
    Odoo guessed at install is replaced); nothing when its module is not installed.
    Returns the company's chart template code."""
    module, template = CHART
    installed = rpc.search_count(
        "ir.module.module", [("name", "=", module), ("state", "=", "installed")]
    )
    current = rpc.read("res.company", [company_id], ["chart_template"])[0]
    if installed and current["chart_template"] != template:
        rpc.call("account.chart.template", "try_loading", [], template, company_id)
        current = rpc.read("res.company", [company_id], ["chart_template"])[0]
    return current["chart_template"]


def setup_world(rpc, retailers=8, products=3):
    """Retry pattern for fast tests, the chart of accounts (:func:`load_chart`),
    storable products with stock, retailers."""
    rpc.write(
        "queue.job.function",
        job_functions(rpc, STATUS_JOB),
        {"edit_retry_pattern": str(FAST_RETRY_PATTERN)},
    )
    company_id = rpc.read("res.users", [rpc.uid], ["company_id"])[0]["company_id"][0]
    load_chart(rpc, company_id)
    if "stock_move_sms_validation" in rpc.call("res.company", "fields_get", []):
        # No SMS to retailers when a delivery is validated (it would leave 127.0.0.1).
        rpc.write("res.company", [company_id], {"stock_move_sms_validation": False})
    warehouse = rpc.search_read(
        "stock.warehouse", [("company_id", "=", company_id)], ["lot_stock_id"], limit=1
    )[0]
    names = ["Sunflower oil 1 l", "Black tea 100 bags", "Rice 5 kg", "Sugar 1 kg"]
    product_ids = rpc.create(
        "product.product",
        [
            {
                "name": f"{names[n % len(names)]} (e2e {n})",
                "type": "consu",
                "is_storable": True,
                "list_price": 95.0 + 10 * n,
            }
            for n in range(products)
        ],
    )
    quants = [
        rpc.call(
            "stock.quant",
            "create",
            {
                "product_id": product_id,
                "location_id": warehouse["lot_stock_id"][0],
                "inventory_quantity": 1_000_000,
            },
            context={"inventory_mode": True},
        )
        for product_id in product_ids
    ]
    rpc.call("stock.quant", "action_apply_inventory", quants)
    partner_ids = rpc.create(
        "res.partner",
        [
            {"name": f"Retailer {n} (e2e)", "ref": f"E2E-{n:03d}"}
            for n in range(retailers)
        ],
    )
    return World(company_id, warehouse["id"], product_ids, partner_ids)


def create_user(rpc, login, groups):
    """An internal user with ``groups`` (XML ids) and :data:`PASSWORD`; returns an
    :class:`OdooRPC` logged in as that user."""
    group_ids = []
    for xmlid in groups:
        module, name = xmlid.split(".")
        group_ids += [
            row["res_id"]
            for row in rpc.search_read(
                "ir.model.data",
                [
                    ("module", "=", module),
                    ("name", "=", name),
                    ("model", "=", "res.groups"),
                ],
                ["res_id"],
            )
        ]
    assert len(group_ids) == len(groups), f"groups not found: {groups}"
    rpc.create(
        "res.users",
        {
            "name": login.replace("_", " ").title(),
            "login": login,
            "email": f"{login}@example.com",
            "password": PASSWORD,
            "groups_id": [(6, 0, group_ids)],
        },
    )
    return OdooRPC(rpc.url, rpc.db, login, PASSWORD)


def create_config(rpc, sandbox, name, **values):
    """A Cartona configuration pointing at the sandbox (admin is a manager); no
    automatic pull, so a test's feed is read when the test presses Pull Orders."""
    vals = {
        "name": name,
        "api_base_url": sandbox.base_url,
        "allow_local_sandbox": True,  # the sandbox listens on 127.0.0.1
        "auth_token": sandbox.token,
        "timeout": 2,
        "pull_interval": 0,
    }
    vals.update(values)
    return rpc.create("marketplace.config", vals)


@dataclass
class Order:
    """One marketplace order known to both systems, and what the test expects of it.

    ``lines``: Cartona's lines at the end (``{Cartona line id: amount}``, cancelled
    lines left out), checked when set. ``closed_at``: when Cartona itself put the
    order in a terminal status (a retailer cancellation); nothing may be sent after.
    """

    id: int
    hashed_id: str
    delivered_by: str
    payment_method: str
    plan: str = ""
    expected: str = "pending"
    histories: list = field(default_factory=list)
    sync_status: str = "synced"
    lines: dict | None = None
    closed_at: float | None = None

    @property
    def by_cartona(self):
        return self.delivered_by == "delivered_by_cartona"


def expect(orders, plan, status, histories, sync_status="synced"):
    """What the test expects of ``orders`` at the end: a plan name (for messages),
    the Cartona status, the allowed status histories, the sync status."""
    for order in orders:
        order.plan, order.expected, order.histories = plan, status, histories
        order.sync_status = sync_status


PAYMENT_AMOUNTS = {
    "standard": {},
    "installment": {"installment_cost": 900},
    "wallet_top_up": {"wallet_top_up": 50},
    "cartona_credit": {"cartona_credit": 100},
}


def create_orders(
    rpc, sandbox, world, config_id, specs, prefix="E", qty=3, marketplace=True
):
    """Create draft orders linked by hand to the same orders in the sandbox.

    ``specs`` is a list of ``(delivered_by, payment_method)``; returns
    :class:`Order` objects in the same order. Without ``marketplace`` they are
    ordinary orders carrying their Cartona fields, until a test turns them into
    marketplace orders (a state reached without any push).
    """
    hashed = [f"{prefix}{next(_hashed_ids):05d}" for _spec in specs]
    vals_list = []
    for index, ((delivered_by, payment), hashed_id) in enumerate(
        zip(specs, hashed, strict=True)
    ):
        vals_list.append(
            {
                "partner_id": world.partner_ids[index % len(world.partner_ids)],
                "warehouse_id": world.warehouse_id,
                "is_marketplace_order": marketplace,
                "cartona_id": hashed_id,
                "marketplace_config_id": config_id,
                "delivered_by": delivered_by,
                "marketplace_payment_method": payment,
                "marketplace_status": "pending",
                "order_line": [
                    (0, 0, {"product_id": world.product_id, "product_uom_qty": qty})
                ],
            }
        )
    ids = []
    for start in range(0, len(vals_list), 100):
        ids += rpc.create("sale.order", vals_list[start : start + 100])
    for (delivered_by, payment), hashed_id in zip(specs, hashed, strict=True):
        sandbox.state.add_order(
            {
                "hashed_id": hashed_id,
                "status": "pending",
                "delivered_by": delivered_by,
                "retailer": {"retailer_name": "e2e", "retailer_code": "E2E"},
                "order_details": [
                    {
                        "internal_product_id": str(world.product_id),
                        "amount": qty,
                        "selling_price": 95.0,
                    }
                ],
                **PAYMENT_AMOUNTS[payment],
            }
        )
    return [
        Order(order_id, hashed_id, delivered_by, payment)
        for order_id, hashed_id, (delivered_by, payment) in zip(
            ids, hashed, specs, strict=True
        )
    ]


# ---------------------------------------------------------------------------
# Convergence and checks
# ---------------------------------------------------------------------------

ORDER_FIELDS = [
    "name",
    "state",
    "cartona_id",
    "marketplace_status",
    "marketplace_sync_status",
    "marketplace_error_message",
    "marketplace_shipped",
    "marketplace_cartona_lines",
]


def read_orders(rpc, orders):
    rows = rpc.read("sale.order", [o.id for o in orders], ORDER_FIELDS)
    return {row["id"]: row for row in rows}


def jobs(db, orders=None, states=None):
    """Status jobs as ``(uuid, state, order ids, retry, worker_pid, result)`` rows.

    Read with SQL: ``queue.job.records`` holds a recordset that JSON-RPC cannot
    serialise, and this also works while the Odoo server is down.
    """
    query = (
        # queue_job stores the JSON text as a jsonb string: unwrap it first.
        "SELECT uuid, state, (records #>> '{}')::jsonb -> 'ids', retry, worker_pid, "
        "result, exc_info "
        "FROM queue_job WHERE channel = %s AND model_name = %s AND method_name = %s"
    )
    params = [CHANNEL, *STATUS_JOB]
    if states:
        query += " AND state IN %s"
        params.append(tuple(states))
    rows = sql(db, query + " ORDER BY id", params)
    if orders is None:
        return rows
    wanted = {o.id for o in orders}
    return [row for row in rows if wanted & set(row[2] or ())]


def open_jobs(rpc, orders=None):
    """Status jobs not finished yet (for ``orders`` when given)."""
    return jobs(rpc.db, orders, OPEN_JOB_STATES)


def _items(request, hashed_id):
    """The items of a bulk request (status or details) that concern ``hashed_id``."""
    body = request["body"]
    if not isinstance(body, list):
        return []
    return [i for i in body if isinstance(i, dict) and i.get("hashed_id") == hashed_id]


def _sent_statuses(request, hashed_id):
    """The statuses a request asks for the order (acknowledgements left out)."""
    if request["endpoint"] == f"{SINGLE_ENDPOINT}{hashed_id}":
        statuses = [request["body"].get("status")]
    elif request["endpoint"] == STATUS_PATH:
        statuses = [i.get("status") for i in _items(request, hashed_id)]
    else:
        statuses = []
    return [status for status in statuses if status != SYNCED]


def order_requests(sandbox, hashed_id, requests_=None):
    """What Odoo asked Cartona to change on one order, oldest first: its status
    requests and its ``update-order-details`` requests (acknowledgements, which
    change nothing, left out). ``requests_``: the sandbox's requests, read once."""
    return [
        r
        for r in (sandbox.state.requests if requests_ is None else requests_)
        if _sent_statuses(r, hashed_id)
        or (r["endpoint"] == DETAILS_PATH and _items(r, hashed_id))
    ]


def _answered(request):
    """Whether Odoo received Cartona's success answer to the request."""
    return (
        request["fault"] is None
        and bool(request["status"])
        and (200 <= request["status"] < 300)
    )


def converged(rpc, sandbox, orders):
    """Whether no job is open for the orders and each shows its expected state."""
    if open_jobs(rpc, orders):
        return False
    rows = read_orders(rpc, orders)
    states = sandbox.state.orders
    for order in orders:
        row = rows[order.id]
        if row["marketplace_status"] != order.expected:
            return False
        if row["marketplace_sync_status"] != order.sync_status:
            return False
        if states[order.hashed_id]["status"] != order.expected:
            return False
    return True


def describe(rpc, sandbox, orders, server=None, limit=15):
    """Diagnostics: orders not in their expected state, open jobs, log tail."""
    rows = read_orders(rpc, orders)
    states = sandbox.state.orders
    lines = []
    for order in orders:
        row = rows[order.id]
        remote = states[order.hashed_id]["status"]
        if (
            row["marketplace_status"],
            row["marketplace_sync_status"],
            remote,
        ) != (order.expected, order.sync_status, order.expected):
            lines.append(
                f"{row['name']} {order.hashed_id} plan={order.plan} "
                f"state={row['state']} odoo={row['marketplace_status']}/"
                f"{row['marketplace_sync_status']} cartona={remote} "
                f"history={sandbox.state.status_history(order.hashed_id)} "
                f"expected={order.expected}/{order.sync_status} "
                f"error={row['marketplace_error_message']!r}"
            )
    job_states = Counter(j[1] for j in open_jobs(rpc, orders))
    text = f"{len(lines)} order(s) off target; open jobs {dict(job_states)}\n"
    text += "\n".join(lines[:limit])
    if server is not None:
        text += "\n--- odoo log tail ---\n" + server.log_tail(25)
    return text


def wait_converged(rpc, sandbox, orders, timeout=180, server=None):
    wait_until(
        lambda: converged(rpc, sandbox, orders),
        timeout,
        interval=1,
        message=lambda: describe(rpc, sandbox, orders, server),
    )


def wait_jobs_done(rpc, orders, timeout=120, server=None):
    wait_until(
        lambda: not open_jobs(rpc, orders),
        timeout,
        interval=1,
        message=lambda: f"jobs of {len(orders)} orders to finish: "
        f"{Counter(j[1] for j in open_jobs(rpc, orders))}"
        + (f"\n{server.log_tail(25)}" if server else ""),
    )


def sync_logs(rpc, orders):
    """Outbound status and lines logs of the orders, by order id, oldest first."""
    rows = rpc.search_read(
        "marketplace.sync.log",
        [
            ("order_id", "in", [o.id for o in orders]),
            ("direction", "=", "outbound"),
            ("operation", "in", ("status_push", "details_push")),
        ],
        ["order_id", "operation", "status_sent", "outcome", "status_code", "job_uuid"],
        order="id asc",
    )
    by_order = {}
    for row in rows:
        by_order.setdefault(row["order_id"][0], []).append(row)
    return by_order


def check_orders(rpc, sandbox, orders, strict_requests=True):
    """Every property of the end state, in both systems; returns the problems found.

    - Odoo shows the expected Cartona status and sync status;
    - the sandbox has the same status, reached through one of the allowed histories:
      each status exactly once, every step a row of Cartona's documented order
      cycle (``tests_unit/documented.py``, not the addon's own table);
    - nothing forbidden was sent (Cartona-delivered orders: cancellations only, as
      documented), no status Cartona did not end up applying, and nothing at all
      once the order was closed (a terminal status sent, or Cartona's own);
    - Odoo logged exactly one success per status Cartona applied;
    - with ``lines`` expected: Cartona's lines are those, Odoo records the same,
      and they are what Odoo wants (what left once shipped, else what was ordered);
    - with ``strict_requests``: Cartona answered each applied status with a success
      exactly once (a re-send after a lost answer is the only other success, and it
      is a no-op), no lines request was answered twice with the same changes, Odoo
      logged one success per answered lines request, and every request of the order
      has a sync log row.
    """
    problems = []
    rows = read_orders(rpc, orders)
    logs = sync_logs(rpc, orders)
    states = sandbox.state.orders
    all_requests = sandbox.state.requests
    for order in orders:
        row = rows[order.id]
        name = f"{row['name']} ({order.hashed_id}, {order.plan})"
        history = sandbox.state.status_history(order.hashed_id)
        requests_ = order_requests(sandbox, order.hashed_id, all_requests)
        sent = [s for r in requests_ for s in _sent_statuses(r, order.hashed_id)]
        if row["marketplace_status"] != order.expected:
            problems.append(
                f"{name}: Odoo status {row['marketplace_status']} != {order.expected}"
            )
        if row["marketplace_sync_status"] != order.sync_status:
            problems.append(
                f"{name}: sync status {row['marketplace_sync_status']} != "
                f"{order.sync_status} ({row['marketplace_error_message']})"
            )
        if states[order.hashed_id]["status"] != order.expected:
            problems.append(
                f"{name}: Cartona status {states[order.hashed_id]['status']} != "
                f"{order.expected}"
            )
        if order.histories and history not in order.histories:
            problems.append(f"{name}: history {history} not in {order.histories}")
        if len(set(history)) != len(history):
            problems.append(f"{name}: a status was applied twice: {history}")
        previous = "pending"
        for status in history:
            if status not in doc.ORDER_CYCLE.get(previous, ()):
                problems.append(
                    f"{name}: {previous} -> {status} is not in Cartona's order cycle"
                )
            previous = status
        if order.by_cartona and set(sent) - doc.CARTONA_DELIVERED_SUPPLIER_MAY_POST:
            problems.append(f"{name}: delivered by Cartona but Odoo sent {sent}")
        if set(sent) - set(history):
            problems.append(f"{name}: sent {sent}, Cartona applied only {history}")
        late = _sent_after_closing(requests_, order)
        if late:
            problems.append(
                f"{name}: sent after the order was closed: "
                f"{[(r['endpoint'], r['body']) for r in late]}"
            )
        order_logs = logs.get(order.id, [])
        successes = Counter(
            log["status_sent"]
            for log in order_logs
            if log["operation"] == "status_push" and log["outcome"] == "success"
        )
        if successes != Counter(history):
            problems.append(
                f"{name}: logged successes {dict(successes)} != applied {history}"
            )
        if order.lines is not None:
            problems += _content_problems(rpc, name, order, row, states)
        if strict_requests:
            problems += _request_problems(name, order, requests_, order_logs, history)
    return problems


def _sent_after_closing(requests_, order):
    """Requests for the order after it was closed: after Cartona closed it itself
    (``order.closed_at``), or after the first request sending a terminal status,
    which only re-sends of that status (its answer may have been lost) may follow."""
    terminal, late = None, []
    for request in requests_:
        statuses = _sent_statuses(request, order.hashed_id)
        if order.closed_at is not None and request["time"] >= order.closed_at:
            late.append(request)
        elif terminal is not None:
            if statuses != [terminal]:
                late.append(request)
        else:
            terminal = next((s for s in statuses if s in doc.TERMINAL), None)
    return late


def _content_problems(rpc, name, order, row, states):
    """Cartona's lines against the test's expectation, Odoo's record of them and
    what Odoo's order lines want."""
    problems = []
    cartona = {
        line["id"]: line["amount"] for line in states[order.hashed_id]["order_details"]
    }
    if cartona != order.lines:
        problems.append(f"{name}: Cartona's lines {cartona} != expected {order.lines}")
    recorded = {
        int(ref): line["amount"]
        for ref, line in (row["marketplace_cartona_lines"] or {}).items()
        if not line.get("cancelled")
    }
    if recorded != cartona:
        problems.append(f"{name}: Odoo records {recorded}, Cartona has {cartona}")
    wanted = {}
    for line in rpc.search_read(
        "sale.order.line",
        [("order_id", "=", order.id), ("cartona_line_ref", "!=", False)],
        ["cartona_line_ref", "product_uom_qty", "qty_delivered"],
    ):
        amount = line[
            "qty_delivered" if row["marketplace_shipped"] else "product_uom_qty"
        ]
        if amount:
            wanted[int(line["cartona_line_ref"])] = amount
    if wanted != cartona:
        problems.append(f"{name}: Odoo's lines want {wanted}, Cartona has {cartona}")
    return problems


def _request_problems(name, order, requests_, order_logs, history):
    problems = []
    answered = Counter(
        s for r in requests_ if _answered(r) for s in _sent_statuses(r, order.hashed_id)
    )
    if answered != Counter(history):
        problems.append(
            f"{name}: successful answers {dict(answered)} != applied {history}"
        )
    details = Counter(
        json.dumps(item["order_details"], sort_keys=True)
        for r in requests_
        if r["endpoint"] == DETAILS_PATH and _answered(r)
        for item in _items(r, order.hashed_id)
    )
    twice = [changes for changes, count in details.items() if count > 1]
    if twice:
        problems.append(f"{name}: the same lines accepted twice: {twice}")
    logged = sum(
        1
        for log in order_logs
        if log["operation"] == "details_push" and log["outcome"] == "success"
    )
    if logged != details.total():
        problems.append(
            f"{name}: {details.total()} lines requests answered, {logged} logged"
        )
    exchanged = [log for log in order_logs if log["outcome"] != "blocked"]
    if len(exchanged) != len(requests_):
        problems.append(f"{name}: {len(requests_)} requests but {len(exchanged)} logs")
    return problems


def failed_jobs(rpc, orders):
    return jobs(rpc.db, orders, ("failed",))


def requeue_dead_jobs(db, uuids, timeout=30):
    """After a kill and a restart: wake the job runner once the dead jobs ``uuids``
    are past queue_job's 10-second grace, so that it sets them back to pending at
    once (it would otherwise wait for its next loop, up to 60 s; see test_crash)."""
    if not uuids:
        return
    wait_until(
        lambda: sql(
            db,
            "SELECT bool_and(date_enqueued < now() AT TIME ZONE 'utc' "
            "- INTERVAL '10 sec') FROM queue_job WHERE uuid IN %s",
            (tuple(uuids),),
        )[0][0],
        timeout,
        message="the 10 s grace of queue_job's dead-job requeue",
    )
    sql(db, "SELECT pg_notify('queue_job', 'e2e-wake-up')")


def inbound_jobs(db, states=OPEN_JOB_STATES):
    """How many import and acknowledgement jobs are in ``states``."""
    return sql(
        db,
        "SELECT count(*) FROM queue_job "
        "WHERE (model_name, method_name) IN %s AND state IN %s",
        ((IMPORT_JOB, ACK_JOB), tuple(states)),
    )[0][0]


def wait_inbound_jobs(db, timeout=300):
    """Wait until no import or acknowledgement job is left to run."""
    wait_until(
        lambda: not inbound_jobs(db),
        timeout,
        interval=1,
        message=lambda: f"{inbound_jobs(db)} inbound jobs open",
    )
