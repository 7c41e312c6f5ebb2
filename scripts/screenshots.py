# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Take the README screenshots (static/description/screenshot_*.png) from the demo.

    $VENV/bin/python scripts/screenshots.py           # of the demo that runs
    $VENV/bin/python scripts/screenshots.py --start   # runs scripts/demo.sh meanwhile

The demo is the one of ``scripts/demo.sh``, found through the same settings
(``ODOO_PORT``, ``SANDBOX_PORT``, ``DEMO_DB``). Headless Chromium (``--chromium``,
default ``/usr/bin/chromium``) is driven through the DevTools protocol with the
``websocket-client`` package of the runtime's virtualenv; each person is logged in
through ``/web/session/authenticate`` and their session cookie given to the browser.

What it changes in the demo, as the people themselves would: the salesperson confirms
the order of the English and Arabic form (Dm1Kq7Za) when it is still a quotation, and
confirms Dm5Tz2Ra once the sandbox is told to refuse its push with a 422 (the order in
error); for the English pictures the salesperson's language is English for a moment,
then Arabic again. Run ``bash scripts/demo.sh --reset`` for a fresh demo afterwards.

Screens (``--only NAME,...`` takes some of them):

- ``order_form``: the salesperson's Cartona order, its Cartona tab, in English;
- ``order_form_ar``: the same order as the salesperson sees it, in Arabic;
- ``order_error``: the order Cartona refused, as the salesperson sees it (in Arabic):
  the header's Needs Attention, the reason, the Retry button, her activity;
- ``orders_list``: Cartona → Orders with the Cartona status and sync columns;
- ``dashboard``: Cartona → Overview, as the administrator;
- ``refused_listing``: a listed product Cartona does not carry (``REFUSED_CODE``, made
  and listed by the administrator, a Marketplace Manager), as Cartona refused it;
- ``money``: the installment order (``MONEY_ORDER``) once delivered and invoiced, its
  Cartona tab's money figures, as the administrator. The administrator confirms it,
  validates its delivery, confirms the delivery with the retailer's OTP (the account's
  Invoice on Delivery set to Posted Invoice if it is off), and the job runner makes and
  posts the invoice;
- ``returns``: the Delivery Failed dialog of the wallet top-up order (``RETURN_ORDER``,
  out for delivery on Cartona), with a return reason typed, as the administrator
  (Inventory and Marketplace rights): the salesperson confirms it if it is a quotation,
  the storekeeper validates its delivery. The dialog is not sent: the order stays out
  for delivery. (The storekeeper cannot open the order form in this demo: an access
  error on sale.order.template.)
"""

import argparse
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "static" / "description"
TIMEZONE = "Africa/Cairo"

#: The supplier-delivered order shown in the order forms, and the one put in error.
FORM_ORDER = "Dm1Kq7Za"
ERROR_ORDER = "Dm5Tz2Ra"
#: What the sandbox answers to the error order's push (Cartona's own words).
REFUSAL = {
    "message": "Retailer account B03190 is suspended: the order cannot be approved",
}
ORDERS_ACTION = "cartona_marketplace.sale_order_action_marketplace"
LISTINGS_ACTION = "cartona_marketplace.marketplace_product_action"
#: The Internal Reference of the product Cartona does not carry.
REFUSED_CODE = "MANGO-1L"
OVERVIEW_ACTION = "cartona_marketplace.marketplace_dashboard_action"
#: The installment order delivered and invoiced (the money screen), its retailer OTP.
MONEY_ORDER = ("Dm3Hb3Nw", "482913")
#: The order out for delivery whose delivery fails, and the reason typed for it.
RETURN_ORDER = "Dm4Qr8Ls"
RETURN_REASON = "Shop closed: nobody to receive the goods"
SALESPERSON = ("salesperson", "salesperson")
STOREKEEPER = ("storekeeper", "storekeeper")
ADMIN = ("admin", "admin")
ARABIC = "ar_001"

#: name -> (viewport width, height); the order in error is wide enough for Odoo to
#: put the chatter (and the salesperson's activity) beside the form, the list for
#: all its columns.
SCREENS = {
    "order_form": (1440, 900),
    "orders_list": (1680, 720),
    "order_form_ar": (1440, 900),
    "order_error": (1920, 900),
    "dashboard": (1100, 480),
    "refused_listing": (1440, 760),
    "money": (1440, 900),
    "returns": (1440, 760),
}

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--remote-debugging-port=0",
)


def log(message):
    sys.stderr.write(f"[screenshots] {message}\n")


class Failure(Exception):
    """Something the screenshots cannot be taken without."""


# ---------------------------------------------------------------------- Odoo
class Odoo:
    """One person's JSON-RPC session with the demo's Odoo."""

    def __init__(self, url, db, login, password):
        self.url = url.rstrip("/")
        self.db = db
        self.login = login
        self.http = requests.Session()
        result = self._post(
            "/web/session/authenticate",
            {"db": db, "login": login, "password": password},
        )
        self.uid = result["uid"]
        self.context = result["user_context"]
        self.session_id = self.http.cookies.get("session_id")
        if not self.uid or not self.session_id:
            raise Failure(f"{login} cannot log in to {db} at {url}")

    def _post(self, path, params):
        response = self.http.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            timeout=60,
        )
        response.raise_for_status()
        answer = response.json()
        if answer.get("error"):
            error = answer["error"]
            raise Failure(
                f"{path} as {self.login}: "
                f"{error.get('data', {}).get('message') or error.get('message')}"
            )
        return answer["result"]

    def call(self, model, method, *args, **kwargs):
        kwargs.setdefault("context", self.context)
        return self._post(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def orders(self, cartona_ids, fields):
        return {
            row["cartona_id"]: row
            for row in self.call(
                "sale.order",
                "search_read",
                [("cartona_id", "in", list(cartona_ids))],
                fields=["cartona_id", *fields],
            )
        }


def wait_for(what, check, timeout=180, interval=1.0):
    """Poll ``check`` until it returns something true; return it."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure(f"{what}: not after {timeout} s")
        time.sleep(interval)


# ---------------------------------------------------------------- Chromium
class Chromium:
    """Headless Chromium with a fresh profile, driven over the DevTools protocol."""

    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="cartona-shots-")
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._ids = iter(range(1, 1 << 30))
        try:
            port_file = Path(self.profile) / "DevToolsActivePort"
            port = wait_for(
                "Chromium's DevTools port",
                lambda: port_file.exists() and port_file.read_text().split("\n")[0],
                timeout=30,
                interval=0.2,
            )
            pages = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10)
            page = next(t for t in pages.json() if t["type"] == "page")
            self.ws = websocket.create_connection(
                page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True
            )
            self.send("Page.enable")
            self.send("Emulation.setTimezoneOverride", timezoneId=TIMEZONE)
        except BaseException:
            self.close()
            raise

    def send(self, method, **params):
        message_id = next(self._ids)
        self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == message_id:
                if "error" in message:
                    raise Failure(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate",
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in result:
            raise Failure(f"{expression[:60]}…: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, session, path, size):
        """Show ``path`` of ``session``'s Odoo as its person, at ``size``."""
        width, height = size
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.send("Network.clearBrowserCookies")
        self.send(
            "Network.setCookie",
            name="session_id",
            value=session.session_id,
            url=session.url,
            httpOnly=True,
        )
        self.send("Page.navigate", url=session.url + path)
        time.sleep(1)

    def wait(self, what, selector, timeout=60):
        """Wait until ``selector`` shows and the web client has nothing loading."""
        expression = (
            f"!!document.querySelector({json.dumps(selector)})"
            " && !document.querySelector('.o_loading_indicator, .o_blockUI')"
            " && document.readyState === 'complete'"
        )
        wait_for(what, lambda: self.evaluate(expression), timeout, 0.5)
        self.evaluate("document.fonts.ready.then(() => true)")
        time.sleep(1.5)  # the last renders (chatter, badges) and their fonts

    def scroll_to(self, selector):
        found = self.evaluate(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
            " if (el) { el.scrollIntoView({block: 'center'}); } return !!el; })()"
        )
        if not found:
            raise Failure(f"nothing to scroll to at {selector}")
        time.sleep(1)

    def type(self, selector, text):
        """Type ``text`` in the input at ``selector``, as a keyboard would."""
        found = self.evaluate(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
            " if (el) { el.focus(); } return !!el; })()"
        )
        if not found:
            raise Failure(f"nothing to type in at {selector}")
        self.send("Input.insertText", text=text)
        time.sleep(0.5)

    def click(self, selector):
        found = self.evaluate(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
            " if (el) { el.click(); } return !!el; })()"
        )
        if not found:
            raise Failure(f"nothing to click at {selector}")
        time.sleep(1)

    def screenshot(self, path):
        # Passing notifications (an order assigned to the salesperson) are closed,
        # as she would: the picture is of the screen, not of a toast over it.
        closed = self.evaluate(
            "(() => { const buttons = document.querySelectorAll("
            "'.o_notification_manager .o_notification_close');"
            " buttons.forEach((b) => b.click()); return buttons.length; })()"
        )
        if closed:
            time.sleep(1)
        data = self.send("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))

    def close(self):
        if getattr(self, "ws", None):
            self.ws.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


# ------------------------------------------------------------- demo states
class Demo:
    """The demo's people and the order states the screens show."""

    def __init__(self, url, db, control_url):
        self.url, self.db, self.control_url = url, db, control_url
        self.admin = Odoo(url, db, *ADMIN)

    def salesperson(self):
        """A new session: its language is the salesperson's current one."""
        return Odoo(self.url, self.db, *SALESPERSON)

    def storekeeper(self):
        return Odoo(self.url, self.db, *STOREKEEPER)

    def shipped(self, session, cartona_id):
        """Validate the order's open deliveries as ``session`` (when it is shipped on
        Cartona already, nothing is pushed); wait for Cartona."""
        order = session.orders([cartona_id], ["picking_ids", "marketplace_shipped"])[
            cartona_id
        ]
        if not order["marketplace_shipped"]:
            pickings = session.call(
                "stock.picking",
                "search_read",
                [
                    ("id", "in", order["picking_ids"]),
                    ("picking_type_code", "=", "outgoing"),
                    ("state", "not in", ("done", "cancel")),
                ],
                fields=["name", "state"],
            )
            for picking in pickings:
                log(f"{session.login} validates {picking['name']} of {cartona_id}")
                if picking["state"] != "assigned":
                    session.call("stock.picking", "action_assign", [picking["id"]])
                answer = session.call(
                    "stock.picking", "button_validate", [picking["id"]]
                )
                if isinstance(answer, dict) and answer.get("res_model"):
                    raise Failure(
                        f"{picking['name']}: Odoo asks {answer['res_model']} "
                        "(not enough stock?)"
                    )
        return self._settled(session, cartona_id)

    def invoiced(self, session, cartona_id, otp):
        """The order delivered (Confirm Delivery with the retailer's OTP) and its
        invoice made and posted by the job runner; returns the order."""
        config = session.call(
            "marketplace.config",
            "search_read",
            [],
            fields=["name", "invoice_on_delivery"],
            limit=1,
        )[0]
        if config["invoice_on_delivery"] != "post":
            log(f"{session.login} sets Invoice on Delivery of {config['name']}: post")
            session.call(
                "marketplace.config",
                "write",
                [config["id"]],
                {"invoice_on_delivery": "post"},
            )
        order = session.orders([cartona_id], ["marketplace_status"])[cartona_id]
        if order["marketplace_status"] != "delivered":
            log(f"{session.login} confirms the delivery of {cartona_id} (OTP {otp})")
            wizard = session.call(
                "marketplace.delivery.confirm",
                "create",
                {"order_id": order["id"], "retailer_otp": otp},
            )
            session.call("marketplace.delivery.confirm", "action_confirm", [wizard])
        fields = ["marketplace_status", "marketplace_invoiced", "invoice_status"]
        return wait_for(
            f"the invoice of {cartona_id}",
            lambda: next(
                (
                    row
                    for row in session.orders([cartona_id], fields).values()
                    if row["marketplace_invoiced"]
                ),
                None,
            ),
            timeout=180,
        )

    def wait_for_imports(self, session):
        """The sandbox's orders, imported by the job runner after the demo started."""
        ids = [order["hashed_id"] for order in self._control("GET", "orders")]
        return wait_for(
            f"the import of {len(ids)} Cartona orders",
            lambda: len(session.orders(ids, ["state"])) == len(ids),
        )

    def confirmed(self, session, cartona_id):
        """Confirm the order as ``session`` when it is a quotation; wait for Cartona."""
        order = session.orders([cartona_id], ["state"])[cartona_id]
        if order["state"] in ("draft", "sent"):
            log(f"{session.login} confirms {cartona_id}")
            session.call("sale.order", "action_confirm", [order["id"]])
        return self._settled(session, cartona_id)

    def in_error(self, session, cartona_id):
        """The order in Needs Attention: Cartona refuses its confirmation (422)."""
        fields = ["state", "marketplace_sync_status", "marketplace_error_message"]
        order = session.orders([cartona_id], fields)[cartona_id]
        if order["marketplace_sync_status"] == "error":
            return order
        if order["state"] not in ("draft", "sent"):
            raise Failure(
                f"{cartona_id} is already confirmed and not in error: "
                "start from a fresh demo (bash scripts/demo.sh --reset)"
            )
        self._control(
            "POST",
            "faults",
            {
                "kind": "error",
                "status": 422,
                "count": 1,
                "path": f"update-order-status/{cartona_id}",
                "body": REFUSAL,
            },
        )
        log(f"{session.login} confirms {cartona_id}; the sandbox refuses it (422)")
        session.call("sale.order", "action_confirm", [order["id"]])
        order = self._settled(session, cartona_id)
        if order["marketplace_sync_status"] != "error":
            raise Failure(f"{cartona_id}: {order['marketplace_sync_status']}")
        return order

    def refused_listing(self):
        """A product Cartona does not carry, listed by the administrator; returns its
        listing once the catalog job recorded Cartona's refusal."""
        admin = self.admin
        product = admin.call(
            "product.product", "search", [("default_code", "=", REFUSED_CODE)]
        )
        if not product:
            log(f"admin creates {REFUSED_CODE} and lists it on Cartona")
            product = [
                admin.call(
                    "product.product",
                    "create",
                    {
                        "name": "Mango juice 1 L",
                        "default_code": REFUSED_CODE,
                        "list_price": 45.0,
                    },
                )
            ]
        listing = admin.call(
            "marketplace.product", "search", [("product_id", "=", product[0])]
        )
        if not listing:
            config = admin.call("marketplace.config", "search", [], limit=1)
            admin.call(
                "marketplace.product",
                "create",
                {"config_id": config[0], "product_id": product[0]},
            )
        return wait_for(
            f"Cartona's refusal of {REFUSED_CODE}",
            lambda: next(
                iter(
                    admin.call(
                        "marketplace.product",
                        "search_read",
                        [
                            ("product_id", "=", product[0]),
                            ("sync_state", "=", "refused"),
                        ],
                        fields=["id"],
                    )
                ),
                None,
            ),
            timeout=120,
        )

    def _settled(self, session, cartona_id):
        fields = ["state", "marketplace_sync_status", "marketplace_error_message"]
        return wait_for(
            f"Cartona's answer for {cartona_id}",
            lambda: next(
                (
                    row
                    for row in session.orders([cartona_id], fields).values()
                    if row["marketplace_sync_status"] in ("synced", "error")
                ),
                None,
            ),
            timeout=120,
        )

    def set_language(self, session, lang):
        session.call("res.users", "write", [session.uid], {"lang": lang})

    def _control(self, method, route, body=None):
        response = requests.request(
            method, self.control_url + route, json=body, timeout=10
        )
        response.raise_for_status()
        return response.json()


# ------------------------------------------------------------------ screens
CARTONA_TAB = ".o_notebook .nav-link[name='cartona_marketplace']"
FORM = ".o_form_view .o_form_sheet"
DELIVERY_FAILED = ".o_form_view button[name='action_marketplace_delivery_failed']"
RETURN_REASON_INPUT = ".modal .o_form_view .o_field_widget[name='return_reason'] input"


def show_money(browser):
    """The Cartona tab, scrolled to what Cartona reported and what is booked."""
    browser.click(CARTONA_TAB)
    browser.scroll_to(".o_field_widget[name='marketplace_cash_to_collect']")


def show_delivery_failed(browser):
    """Delivery Failed pressed, and the reason typed (not sent)."""
    browser.click(DELIVERY_FAILED)
    browser.wait("the Delivery Failed dialog", RETURN_REASON_INPUT)
    browser.type(RETURN_REASON_INPUT, RETURN_REASON)


#: name -> what the person does once the screen is loaded (after the tab, if any).
ACTIONS = {"money": show_money, "returns": show_delivery_failed}


def screens(form_order, error_order, refused=None, money=None, returned=None):
    """name -> (person, language, URL path, what shows when it is loaded, the tab
    to open or ``None``); person ``None`` is the administrator."""
    form_path = f"/odoo/action-{ORDERS_ACTION}/{form_order['id']}"
    return {
        "order_form": (SALESPERSON, "en_US", form_path, FORM, CARTONA_TAB),
        "orders_list": (
            SALESPERSON,
            "en_US",
            f"/odoo/action-{ORDERS_ACTION}",
            ".o_list_view .o_data_row",
            None,
        ),
        "order_form_ar": (SALESPERSON, ARABIC, form_path, FORM, CARTONA_TAB),
        "order_error": (
            SALESPERSON,
            ARABIC,
            f"/odoo/action-{ORDERS_ACTION}/{error_order['id']}",
            ".o_form_view .alert-danger",
            None,
        ),
        "dashboard": (
            None,
            None,
            f"/odoo/action-{OVERVIEW_ACTION}",
            ".o_kanban_view .o_kanban_record",
            None,
        ),
        "refused_listing": (
            None,
            None,
            f"/odoo/action-{LISTINGS_ACTION}/{(refused or {}).get('id')}",
            ".o_form_view .o_cartona_refusal",
            None,
        ),
        "money": (
            ADMIN,
            None,
            f"/odoo/action-{ORDERS_ACTION}/{(money or {}).get('id')}",
            FORM,
            None,
        ),
        "returns": (
            ADMIN,
            None,
            f"/odoo/action-{ORDERS_ACTION}/{(returned or {}).get('id')}",
            DELIVERY_FAILED,
            None,
        ),
    }


def run(args):
    wanted = args.only.split(",") if args.only else list(SCREENS)
    unknown = set(wanted) - set(SCREENS)
    if unknown:
        raise Failure(f"unknown screens: {', '.join(sorted(unknown))}")
    demo = Demo(args.url, args.db, args.control_url)
    salesperson = demo.salesperson()
    demo.wait_for_imports(salesperson)

    # The states first, with the salesperson in her own language (Arabic): what
    # Odoo writes for her (notes, the error, the activity) is written in it.
    if salesperson.context.get("lang") != ARABIC:
        demo.set_language(salesperson, ARABIC)
        salesperson = demo.salesperson()
    form_order = demo.confirmed(salesperson, FORM_ORDER)
    error_order = demo.in_error(salesperson, ERROR_ORDER)
    log(f"{ERROR_ORDER}: {error_order['marketplace_error_message']}")

    refused = demo.refused_listing() if "refused_listing" in wanted else None
    money = returned = None
    if "money" in wanted:
        cartona_id, otp = MONEY_ORDER
        demo.confirmed(demo.admin, cartona_id)
        demo.shipped(demo.admin, cartona_id)
        money = demo.invoiced(demo.admin, cartona_id, otp)
        log(f"{cartona_id}: invoiced {money['marketplace_invoiced']}")
    if "returns" in wanted:
        demo.confirmed(salesperson, RETURN_ORDER)
        returned = demo.shipped(demo.storekeeper(), RETURN_ORDER)
    plan = screens(form_order, error_order, refused, money, returned)
    switched = False  # the salesperson's language is not her own for a moment
    browser = Chromium(args.chromium)
    try:
        for name in SCREENS:  # the salesperson's English screens come first
            if name not in wanted:
                continue
            person, lang, path, ready, tab = plan[name]
            if person in (None, ADMIN):
                session = demo.admin
            else:
                if lang != salesperson.context.get("lang"):
                    switched = True
                    demo.set_language(salesperson, lang)
                    salesperson = demo.salesperson()
                session = salesperson
            browser.open(session, path, SCREENS[name])
            browser.wait(name, ready)
            if tab:
                browser.click(tab)
            if name in ACTIONS:
                ACTIONS[name](browser)
            target = args.out / f"screenshot_{name}.png"
            browser.screenshot(target)
            log(f"{name}: {target}")
    finally:
        browser.close()
        if switched:
            demo.set_language(salesperson, ARABIC)


# --------------------------------------------------------------- the demo
def start_demo(env):
    """``bash scripts/demo.sh`` in its own session; returns it once it runs."""
    log_path = Path(tempfile.gettempdir()) / f"screenshots-demo-{os.getpid()}.log"
    log(f"starting bash scripts/demo.sh (output: {log_path})")
    with open(log_path, "wb") as output:
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            ["bash", str(REPO / "scripts" / "demo.sh")],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def running():
        if process.poll() is not None:
            raise Failure(f"scripts/demo.sh stopped ({process.returncode}): {log_path}")
        return b"demo is running" in log_path.read_bytes()

    try:
        wait_for("scripts/demo.sh", running, timeout=1800, interval=2)
    except BaseException:
        stop_demo(process)
        raise
    return process


def stop_demo(process):
    """SIGTERM to demo.sh: its trap stops the Odoo and sandbox it started."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _parser():
    env = os.environ
    odoo_port = env.get("ODOO_PORT", "8069")
    sandbox_port = env.get("SANDBOX_PORT", "8071")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--url", default=f"http://127.0.0.1:{odoo_port}")
    parser.add_argument("--db", default=env.get("DEMO_DB", "cartona_demo"))
    parser.add_argument(
        "--control-url", default=f"http://127.0.0.1:{sandbox_port}/_sandbox/"
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--only", help="comma-separated screens: " + ", ".join(SCREENS))
    parser.add_argument(
        "--start",
        action="store_true",
        help="start scripts/demo.sh (same environment) and stop it afterwards",
    )
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    if not Path(args.chromium).exists():
        log(f"no Chromium at {args.chromium} (apt-get install chromium)")
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    demo_process = start_demo(dict(os.environ)) if args.start else None
    try:
        run(args)
    except (Failure, requests.RequestException) as exc:
        log(f"failed: {exc}")
        return 1
    finally:
        if demo_process:
            stop_demo(demo_process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
