# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Security: the API token stays with managers, and companies stay apart."""

import json
import logging

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..cartona import errors
from .common import NO_SYNC, SANDBOX_TOKEN, CartonaCase

SALESMAN = "sales_team.group_sale_salesman_all_leads"
MP_USER = "cartona_marketplace.group_marketplace_user"
MP_MANAGER = "cartona_marketplace.group_marketplace_manager"
SALES_MANAGER = "sales_team.group_sale_manager"
EXPORT = "base.group_allow_export"


#: Loggers that see Cartona traffic, captured at DEBUG during the leak test.
CAPTURED_LOGGERS = (
    "odoo.addons.cartona_marketplace",
    "odoo.addons.queue_job",
    "urllib3",
    "requests",
)


class _CaptureAll(logging.Handler):
    """Keeps every log record, fully formatted (tracebacks included).

    Used as a context manager: the captured loggers log at DEBUG into this handler
    only (not into the test log), and everything else at INFO and above is captured
    through the root logger.
    """

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.texts = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self._saved = []

    def emit(self, record):
        self.texts.append(self.format(record))

    def __enter__(self):
        logging.getLogger().addHandler(self)
        for name in CAPTURED_LOGGERS:
            logger = logging.getLogger(name)
            self._saved.append((logger, logger.level, logger.propagate))
            logger.setLevel(logging.DEBUG)
            logger.propagate = False
            logger.addHandler(self)
        return self

    def __exit__(self, *exc_info):
        logging.getLogger().removeHandler(self)
        for logger, level, propagate in self._saved:
            logger.removeHandler(self)
            logger.setLevel(level)
            logger.propagate = propagate


@tagged("post_install", "-at_install")
class TestSecurity(CartonaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Both may export data, so that export_data reaches the field checks.
        cls.salesman = new_test_user(
            cls.env, login="cm_sec_salesman", groups=f"{SALESMAN},{EXPORT}"
        )
        cls.mp_user = new_test_user(
            cls.env, login="cm_sec_mp_user", groups=f"{SALESMAN},{EXPORT},{MP_USER}"
        )
        cls.outsiders = {"no marketplace group": cls.salesman, "user": cls.mp_user}

    # ------------------------------------------------------------------
    # The token, by every route a non-manager has
    # ------------------------------------------------------------------
    def _token_routes(self, user):
        """``(name, callable)`` for every way a user could try to read the token."""
        config = self.config.with_user(user)
        Config = self.env["marketplace.config"].with_user(user)
        order = self._make_order().with_user(user)
        Order = self.env["sale.order"].with_user(user)
        token_spec = {"auth_token": {}}
        return [
            ("read", lambda: config.read(["auth_token"])),
            ("search_read", lambda: Config.search_read([], ["auth_token"])),
            ("web_read", lambda: config.web_read(token_spec)),
            ("web_search_read", lambda: Config.web_search_read([], token_spec)),
            ("export_data", lambda: config.export_data(["auth_token"])),
            (
                "read_group",
                lambda: Config.read_group([], ["auth_token"], ["auth_token"]),
            ),
            (
                "web_read_group",
                lambda: Config.web_read_group([], ["auth_token"], ["auth_token"]),
            ),
            (
                "search on the token",
                lambda: Config.search([("auth_token", "=", SANDBOX_TOKEN)]),
            ),
            (
                "search on a token prefix",
                lambda: Config.search([("auth_token", "=like", "sandbox%")]),
            ),
            (
                "search orders through the config",
                lambda: Order.search(
                    [("marketplace_config_id.auth_token", "=", SANDBOX_TOKEN)]
                ),
            ),
            (
                "web_read of an order, config expanded",
                lambda: order.web_read(
                    {"marketplace_config_id": {"fields": token_spec}}
                ),
            ),
            ("onchange", lambda: config.onchange({}, [], token_spec)),
            ("new record onchange", lambda: Config.onchange({}, [], token_spec)),
            ("name_search", lambda: Config.name_search(SANDBOX_TOKEN)),
            ("copy_data", lambda: config.copy_data()),
        ]

    def test_token_is_unreadable_by_every_route(self):
        for label, user in self.outsiders.items():
            for route, attempt in self._token_routes(user):
                with self.subTest(user=label, route=route):
                    try:
                        result = attempt()
                    except AccessError as exc:
                        self.assertNotIn(SANDBOX_TOKEN, str(exc))
                        continue
                    # No error is acceptable only when nothing leaked.
                    self.assertNotIn(SANDBOX_TOKEN, repr(result))
                    if route.startswith("search"):
                        self.assertFalse(result, "the token is a search oracle")

    def test_token_is_absent_from_metadata(self):
        for label, user in self.outsiders.items():
            Config = self.env["marketplace.config"].with_user(user)
            with self.subTest(user=label):
                self.assertNotIn("auth_token", Config.fields_get())
                try:
                    views = Config.get_views([(False, "form"), (False, "list")])
                except AccessError:
                    continue  # no access to the model at all
                self.assertNotIn("auth_token", json.dumps(views, default=str))

    def test_users_without_the_groups_see_no_configuration_log_or_job(self):
        order = self._make_order()
        order.action_confirm()
        self.env["marketplace.sync.log"]._record(
            [
                {
                    "order_id": order.id,
                    "config_id": self.config.id,
                    "company_id": order.company_id.id,
                    "operation": "status_push",
                    "outcome": "success",
                }
            ]
        )
        for model in ("marketplace.config", "marketplace.sync.log", "queue.job"):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.salesman).search_read([], ["id"])
        # Marketplace users read logs, never queue jobs (their arguments, results).
        with self.assertRaises(AccessError):
            self.env["queue.job"].with_user(self.mp_user).search_read([], ["args"])
        self.assertTrue(
            self.env["marketplace.sync.log"].with_user(self.mp_user).search([])
        )

    def test_manager_reads_the_token(self):
        manager = new_test_user(
            self.env, login="cm_sec_manager", groups=f"{SALESMAN},{MP_MANAGER}"
        )
        self.assertEqual(self.config.with_user(manager).auth_token, SANDBOX_TOKEN)

    # ------------------------------------------------------------------
    # The token never lands anywhere
    # ------------------------------------------------------------------
    def test_token_never_in_logs_errors_or_jobs(self):
        """Cartona echoing the token back must not put it anywhere in Odoo."""
        echo = {"error": f"invalid token {SANDBOX_TOKEN}", "token": SANDBOX_TOKEN}
        state = self.sandbox.state
        raised = []
        with _CaptureAll() as capture:
            # Enqueued jobs (queue.job rows with their arguments), as users make them.
            enqueued = self._make_order()
            enqueued.action_confirm()
            for status, kind in (
                (500, errors.TransientError),  # retried
                (400, errors.RejectedError),  # order in error
                (401, errors.AuthenticationError),  # config flagged
                (200, errors.ProtocolError),  # malformed: raw text kept
            ):
                order = self._make_order()
                order.with_context(**NO_SYNC).action_confirm()
                body = f"<html>{SANDBOX_TOKEN}" if status == 200 else echo
                state.add_fault("error", count=1, status=status, body=body)
                self._perform_like_queue_job(order)
                state.add_fault("error", count=1, status=status, body=body)
                raised.append(
                    self._call_expecting(
                        kind,
                        self.env["marketplace.api"].update_single_order_status,
                        order,
                        "approved",
                    )
                )
                self.config.connection_status = "connected"
            state.add_fault("error", count=1, status=401, body=echo)
            self.config.action_test_connection()
        self.env.flush_all()

        for exc in raised:
            for text in (str(exc), repr(exc), exc.body, repr(exc.exchange)):
                self.assertNotIn(SANDBOX_TOKEN, text or "")
        self.assertTrue(capture.texts)
        leaked = [text for text in capture.texts if SANDBOX_TOKEN in text]
        self.assertFalse(leaked, leaked[:3])
        self._assert_nowhere(
            "marketplace.sync.log", min_rows=8, exclude={"payload_fingerprint"}
        )
        self._assert_nowhere("sale.order", fields=["marketplace_error_message"])
        self._assert_nowhere("marketplace.config", exclude={"auth_token"}, min_rows=1)
        self._assert_nowhere("mail.message", fields=["body", "subject"])
        self._assert_nowhere("mail.activity", fields=["note", "summary"])
        jobs = self.env["queue.job"].sudo().search([])
        self.assertTrue(jobs)
        for job in jobs:
            values = job.read(
                ["name", "func_string", "args", "kwargs", "records", "result"]
            )[0]
            values["exc_info"] = job.exc_info
            self.assertNotIn(SANDBOX_TOKEN, repr(values))

    def _assert_nowhere(self, model, fields=None, exclude=(), min_rows=0):
        """No stored text field of ``model`` contains the token."""
        Model = self.env[model].sudo().with_context(active_test=False)
        if fields is None:
            fields = [
                name
                for name, field in Model._fields.items()
                if field.store
                and field.type in ("char", "text", "html")
                and name not in exclude
            ]
        self.assertGreaterEqual(Model.search_count([]), min_rows, model)
        for name in fields:
            with self.subTest(model=model, field=name):
                self.assertFalse(Model.search([(name, "ilike", SANDBOX_TOKEN)]))

    # ------------------------------------------------------------------
    # Multi-company
    # ------------------------------------------------------------------
    def test_company_b_is_invisible_from_company_a(self):
        company_a = self.env.company
        company_b = self.env["res.company"].create({"name": "Supplier B (security)"})
        config_b = self.env["marketplace.config"].create(
            {
                "name": "Cartona B",
                "company_id": company_b.id,
                "api_base_url": self.sandbox.base_url,
                "allow_local_sandbox": True,
                "auth_token": "token-of-company-b",
            }
        )
        warehouse_b = self.env["stock.warehouse"].search(
            [("company_id", "=", company_b.id)], limit=1
        )
        order_b = (
            self.env["sale.order"]
            .with_company(company_b)
            .create(
                {
                    "company_id": company_b.id,
                    "partner_id": self.retailer.id,
                    "warehouse_id": warehouse_b.id,
                    "is_marketplace_order": True,
                    "cartona_id": "SEC-B-1",
                    "marketplace_config_id": config_b.id,
                    "order_line": [
                        (0, 0, {"product_id": self.product.id, "product_uom_qty": 1})
                    ],
                }
            )
        )
        Sync = self.env["marketplace.order.sync"]
        Sync._log_blocked(order_b, "approved", "company B's own log")
        log_b = self.env["marketplace.sync.log"].search([("order_id", "=", order_b.id)])
        self.assertEqual(log_b.company_id, company_b)
        order_a = self._make_order()
        Sync._log_blocked(order_a, "approved", "company A's own log")

        for groups in (MP_MANAGER, MP_USER):
            user_a = new_test_user(
                self.env,
                login=f"cm_sec_company_a_{groups.rsplit('_', 1)[-1]}",
                groups=f"{SALES_MANAGER},{groups}",
                company_id=company_a.id,
                company_ids=[company_a.id],
            )
            env_a = self.env(user=user_a)
            for model, record_b, record_a in (
                ("marketplace.config", config_b, self.config),
                ("sale.order", order_b, order_a),
                ("marketplace.sync.log", log_b, order_a.marketplace_sync_log_ids),
            ):
                with self.subTest(groups=groups, model=model):
                    Model = env_a[model].with_context(active_test=False)
                    visible = Model.search([])
                    self.assertIn(record_a, visible)
                    self.assertNotIn(record_b, visible)
                    self.assertFalse(Model.search([("id", "=", record_b.id)]))
                    with self.assertRaises(AccessError):
                        Model.browse(record_b.id).read(["display_name"])
            # Nor through the order of company A's view of logs and counters.
            self.assertFalse(
                env_a["marketplace.sync.log"].search([("config_id", "=", config_b.id)])
            )
