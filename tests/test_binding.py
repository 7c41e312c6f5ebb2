# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Only the import and Marketplace Managers bind an order, or its lines, to Cartona.

Whatever the route: create, write, ``default_*`` keys in the context, copy, import
(``load``), and RPC over HTTP. The import never adopts an order it did not create.
Every attack runs as the salesperson who tries it.
"""

import json

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from odoo.addons.queue_job.tests.common import trap_jobs

from .test_inbound import InboundCase

SALESMAN = "sales_team.group_sale_salesman_all_leads"
MP_USER = "cartona_marketplace.group_marketplace_user"
MP_MANAGER = "cartona_marketplace.group_marketplace_manager"


def _forging_context(config, hashed_id="Forged0001"):
    return {
        "default_cartona_id": hashed_id,
        "default_is_marketplace_order": True,
        "default_marketplace_config_id": config.id,
        "default_delivered_by": "delivered_by_cartona",
        "default_marketplace_status": "pending",
        "default_marketplace_imported": True,
        "default_cartona_line_ref": "5550101",
        "default_cartona_line_sent": True,
    }


@tagged("post_install", "-at_install")
class TestOrderBinding(InboundCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env, login="cm_b_salesman", groups=f"{SALESMAN},{MP_USER}"
        )
        cls.mp_manager = new_test_user(
            cls.env, login="cm_b_manager", groups=f"{SALESMAN},{MP_MANAGER}"
        )

    def _quotation(self, user, context=None):
        Order = self.env["sale.order"].with_user(user).with_context(**(context or {}))
        return Order.create(
            {
                "partner_id": self.retailer.id,
                "order_line": [(0, 0, {"product_id": self.juice.id})],
            }
        )

    # ------------------------------------------------------------------
    # Context defaults
    # ------------------------------------------------------------------
    def test_context_defaults_never_bind_a_salespersons_order(self):
        context = _forging_context(self.config)
        defaults = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .with_context(**context)
            .default_get(["cartona_id", "is_marketplace_order", "delivered_by"])
        )
        self.assertFalse(defaults.get("cartona_id"))
        self.assertFalse(defaults.get("is_marketplace_order"))
        self.assertEqual(defaults.get("delivered_by"), "delivered_by_supplier")
        order = self._quotation(self.salesman, context)
        self.assertFalse(order.cartona_id)
        self.assertFalse(order.is_marketplace_order)
        self.assertFalse(order.marketplace_config_id)
        self.assertFalse(order.marketplace_imported)
        self.assertEqual(order.delivered_by, "delivered_by_supplier")
        self.assertFalse(order.order_line.cartona_line_ref)
        self.assertFalse(order.order_line.cartona_line_sent)
        # Confirmed, it pushes nothing to Cartona.
        with trap_jobs() as trap:
            order.with_user(self.salesman).action_confirm()
            trap.perform_enqueued_jobs()
        self.assertEqual(self._status_requests(), [])

    def test_a_marketplace_manager_may_bind_by_hand(self):
        context = _forging_context(self.config, "ByHand0001")
        order = self._quotation(self.mp_manager, context)
        self.assertEqual(order.cartona_id, "ByHand0001")
        self.assertEqual(order.marketplace_config_id, self.config)
        # Bound by hand, never imported: the import does not adopt it.
        self.assertFalse(order.marketplace_imported)

    def test_copy_and_load_never_bind(self):
        hashed_id = self._feed()
        self._sync()
        imported = self._order(hashed_id)
        self.assertTrue(imported.marketplace_imported)
        copy = imported.with_user(self.mp_manager).copy()
        self.assertFalse(copy.cartona_id or copy.marketplace_config_id)
        self.assertFalse(copy.marketplace_imported)
        self.assertFalse(any(copy.order_line.mapped("cartona_line_ref")))
        result = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .load(
                ["partner_id/.id", "cartona_id", "is_marketplace_order"],
                [[str(self.retailer.id), "Loaded0001", "1"]],
            )
        )
        self.assertFalse(result["ids"])
        self.assertFalse(
            self.env["sale.order"].search([("cartona_id", "=", "Loaded0001")])
        )

    def test_a_salesperson_cannot_write_cartona_set_fields(self):
        hashed_id = self._feed(delivered_by="delivered_by_cartona", pickup_otp="7788")
        self._sync()
        order = self._order(hashed_id).with_user(self.salesman)
        for vals in (
            {"marketplace_imported": False},
            {"cartona_fingerprint": "x"},
            {"marketplace_ack_pending": True},
            {"cartona_status_raw": "delivered"},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                order.write(vals)

    # ------------------------------------------------------------------
    # Lines
    # ------------------------------------------------------------------
    def test_a_salesperson_cannot_forge_the_cartona_fields_of_lines(self):
        hashed_id = self._feed()
        self._sync()
        order = self._order(hashed_id)
        line = order.order_line[0].with_user(self.salesman)
        for vals in (
            {"cartona_line_ref": "999"},
            {"cartona_line_sent": True},
            {"cartona_line_ref": False},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                line.write(vals)
        Line = self.env["sale.order.line"].with_user(self.salesman)
        with self.assertRaises(AccessError):
            Line.create(
                {
                    "order_id": order.id,
                    "product_id": self.tea.id,
                    "cartona_line_ref": "5",
                }
            )
        # A context default is dropped, not obeyed.
        new = Line.with_context(default_cartona_line_ref="5550102").create(
            {"order_id": order.id, "product_id": self.tea.id}
        )
        self.assertFalse(new.cartona_line_ref)
        self.assertFalse(new.cartona_line_sent)
        # Editing what may be edited still works.
        line.write({"product_uom_qty": 5, "cartona_line_comment": "checked"})
        self.assertEqual(line.cartona_line_ref, "5550101")

    # ------------------------------------------------------------------
    # The import adopts only its own orders
    # ------------------------------------------------------------------
    def test_the_import_never_adopts_an_order_it_did_not_create(self):
        hashed_id = self._feed()
        forged = self.env["sale.order"].create(
            {
                "partner_id": self.retailer.id,
                "cartona_id": hashed_id,
                "is_marketplace_order": True,
                "marketplace_config_id": self.config.id,
                "order_line": [(0, 0, {"product_id": self.tea.id})],
            }
        )
        self._sync()
        # The forged order is left as it was, the pulled order is not lost: it
        # stays in the feed (not acknowledged) with an error saying why.
        self.assertEqual(forged.order_line.product_id, self.tea)
        self.assertFalse(forged.cartona_pulled_at or forged.cartona_fingerprint)
        self.assertFalse(forged.marketplace_imported)
        self.assertFalse(self._acknowledged(hashed_id))
        log = self._logs("order_import").filtered(lambda log: log.outcome == "error")
        self.assertEqual(len(log), 1)
        self.assertIn(forged.name, log.error_message)
        self.assertIn("did not create", log.error_message)
        # Once a manager unbinds it, the next pull imports the order.
        forged.with_user(self.mp_manager).write(
            {"cartona_id": False, "is_marketplace_order": False}
        )
        self._sync()
        imported = self._order(hashed_id)
        self.assertTrue(imported.marketplace_imported)
        self.assertNotEqual(imported, forged)
        self.assertEqual(imported.order_line.product_id, self.juice | self.tea)
        self.assertTrue(self._acknowledged(hashed_id))


@tagged("post_install", "-at_install")
class TestBindingOverRpc(HttpCase):
    """The same attacks as a salesperson's browser sends them: JSON-RPC call_kw."""

    def setUp(self):
        super().setUp()
        self.salesman = new_test_user(
            self.env,
            login="cm_b_rpc_salesman",
            password="cm_b_rpc_salesman_pw",
            groups=f"{SALESMAN},{MP_USER}",
        )
        self.config = self.env["marketplace.config"].create(
            {
                "name": "Cartona RPC",
                "api_base_url": "https://api.cartona.example/api/v1/",
                "auth_token": "rpc-token",
            }
        )
        self.partner = self.env["res.partner"].create({"name": "RPC retailer"})
        self.product = self.env["product.product"].create({"name": "RPC product"})
        self.authenticate("cm_b_rpc_salesman", "cm_b_rpc_salesman_pw")

    def _call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def test_rpc_create_with_forging_defaults(self):
        order_id = self._call(
            "sale.order",
            "create",
            [
                {
                    "partner_id": self.partner.id,
                    "order_line": [[0, 0, {"product_id": self.product.id}]],
                }
            ],
            {"context": _forging_context(self.config, "RpcForged01")},
        )
        order = self.env["sale.order"].browse(order_id)
        self.assertFalse(order.cartona_id or order.marketplace_config_id)
        self.assertFalse(order.is_marketplace_order or order.marketplace_imported)
        self.assertFalse(order.order_line.cartona_line_ref)

    def test_rpc_writes_of_binding_fields_are_refused(self):
        order_id = self._call("sale.order", "create", [{"partner_id": self.partner.id}])
        line_id = self._call(
            "sale.order.line",
            "create",
            [{"order_id": order_id, "product_id": self.product.id}],
        )
        for model, record_id, vals in (
            ("sale.order", order_id, {"cartona_id": "RpcForged02"}),
            ("sale.order", order_id, {"marketplace_config_id": self.config.id}),
            ("sale.order", order_id, {"marketplace_imported": True}),
            ("sale.order.line", line_id, {"cartona_line_ref": "1"}),
            ("sale.order.line", line_id, {"cartona_line_sent": True}),
        ):
            with self.subTest(model=model, vals=json.dumps(vals)):
                with (
                    self.assertRaises(JsonRpcException) as caught,
                    mute_logger("odoo.http"),  # the refusal, logged as a warning
                ):
                    self._call(model, "write", [[record_id], vals])
                self.assertIn("AccessError", str(caught.exception.args))
        order = self.env["sale.order"].browse(order_id)
        self.assertFalse(order.cartona_id or order.marketplace_config_id)
        self.assertFalse(order.order_line.cartona_line_ref)
        self.assertFalse(order.order_line.cartona_line_sent)
