# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..cartona import outbound
from .common import NO_SYNC, CartonaCase


@tagged("post_install", "-at_install")
class TestRules(CartonaCase):
    """The planner's decisions as the buttons and _filter_orders_for_sync use them."""

    def test_filter_keeps_only_orders_with_something_to_send(self):
        allowed = self._make_order()
        ordinary = self._make_order(marketplace=False)
        no_id = self._make_order()
        no_id.cartona_id = False
        by_cartona = self._make_order(delivered_by="delivered_by_cartona")
        orders = allowed | ordinary | no_id | by_cartona
        orders.with_context(**NO_SYNC).action_confirm()
        self.assertEqual(orders._filter_orders_for_sync(), allowed)
        self.assertEqual(orders._filter_orders_for_sync("basic"), allowed)
        orders.with_context(**NO_SYNC)._action_cancel()
        self.assertEqual(orders._filter_orders_for_sync(), allowed | by_cartona)
        allowed.marketplace_status = "cancelled_by_supplier"
        self.assertEqual(orders._filter_orders_for_sync(), by_cartona)

    def test_archived_config_blocks(self):
        order = self._make_order()
        order.with_context(**NO_SYNC).action_confirm()
        self.config.active = False
        self.assertFalse(order._filter_orders_for_sync())
        plan = order._marketplace_plan()
        self.assertEqual(plan.decision, outbound.BLOCKED)
        self.assertIn(
            "archived", self.env["marketplace.order.wording"]._plan_text(order, plan)
        )

    def test_rejected_token_blocks_until_fixed(self):
        order = self._make_order()
        order.with_context(**NO_SYNC).action_confirm()
        self.config.connection_status = "auth_failed"
        self.assertFalse(order._filter_orders_for_sync())
        self.assertIn(
            "rejected the token",
            self.env["marketplace.order.wording"]._plan_text(
                order, order._marketplace_plan()
            ),
        )
        self.config.connection_status = "connected"
        self.assertEqual(order._filter_orders_for_sync(), order)

    def test_cartona_delivered_orders_send_their_cancellation_only(self):
        order = self._make_order(delivered_by="delivered_by_cartona")
        order.with_context(**NO_SYNC).action_confirm()
        plan = order._marketplace_plan()
        self.assertEqual(
            (plan.decision, plan.reason),
            (outbound.NOTHING, outbound.REASON_CARTONA_DELIVERS),
        )
        self.assertIn(
            "delivered by Cartona",
            self.env["marketplace.order.wording"]._plan_text(order, plan),
        )
        plan = order._marketplace_plan(target="cancelled_by_supplier")
        self.assertEqual(plan.status_steps, ("cancelled_by_supplier",))

    def test_manual_sync_enqueues_basic_mapping(self):
        order = self._make_order()
        order.with_context(**NO_SYNC).action_confirm()
        with trap_jobs() as trap:
            action = order.action_manual_sync_to_marketplace()
            trap.assert_enqueued_job(order._sync_status_to_marketplace, args=("basic",))
        self.assertEqual(action["params"]["type"], "success")

    def test_enhanced_sync_enqueues_combined_mapping(self):
        order = self._make_order()
        order.with_context(**NO_SYNC).action_confirm()
        with trap_jobs() as trap:
            order.action_sync_enhanced_status()
            trap.assert_enqueued_job(
                order._sync_status_to_marketplace, args=("combined",)
            )

    def test_buttons_say_nothing_to_send_instead_of_queueing_an_empty_job(self):
        by_cartona = self._make_order(delivered_by="delivered_by_cartona")
        by_cartona.with_context(**NO_SYNC).action_confirm()
        in_sync = self._make_order(cartona_status="approved")
        in_sync.with_context(**NO_SYNC).action_confirm()
        for order, message in (
            (by_cartona, "delivered by Cartona"),
            (in_sync, "already has"),
        ):
            for button in (
                "action_manual_sync_to_marketplace",
                "action_sync_enhanced_status",
            ):
                with trap_jobs() as trap:
                    action = getattr(order, button)()
                trap.assert_jobs_count(0)
                self.assertIn("Nothing to send", action["params"]["message"])
                self.assertIn(message, action["params"]["message"])

    def test_buttons_refuse_orders_a_rule_blocks(self):
        no_id = self._make_order()
        no_id.cartona_id = False
        paused = self._make_order()
        paused.with_context(**NO_SYNC).action_confirm()
        for button in (
            "action_manual_sync_to_marketplace",
            "action_sync_enhanced_status",
        ):
            with (
                trap_jobs() as trap,
                self.assertRaisesRegex(UserError, "External Order ID"),
            ):
                getattr(no_id, button)()
            trap.assert_jobs_count(0)
        self.config.active = False
        with trap_jobs() as trap, self.assertRaisesRegex(UserError, "archived"):
            paused.action_sync_enhanced_status()
        trap.assert_jobs_count(0)

    def test_test_sync_shows_decision_and_exact_body_without_calling_cartona(self):
        order = self._make_order(payment_method="installment")
        order.with_context(**NO_SYNC).action_confirm()
        self._ship(order)
        action = order.action_test_status_sync()
        preview = self.env[action["res_model"]].browse(action["res_id"])
        self.assertEqual(preview.decision, "send")
        self.assertEqual(preview.target_status, "assigned_to_salesman")
        self.assertEqual(preview.steps, "approved -> assigned_to_salesman")
        endpoint = f"order/update-order-status/{order.cartona_id}"
        self.assertIn(endpoint, preview.endpoint)
        requests = json.loads(preview.request_body)
        self.assertEqual(
            [request["body"] for request in requests],
            [
                {"hashed_id": order.cartona_id, "status": "approved"},
                {"hashed_id": order.cartona_id, "status": "assigned_to_salesman"},
            ],
        )
        self.assertTrue(all(r["endpoint"].endswith(endpoint) for r in requests))
        self.assertNotIn(self.config.sudo().auth_token, str(preview.read()))
        self.assertEqual(
            self.sandbox.state.requests, [], "Preview Sync must not call Cartona"
        )

    def test_test_sync_joins_the_base_url_and_the_endpoint_once(self):
        order = self._make_order()
        order.with_context(**NO_SYNC).action_confirm()
        expected = (
            f"POST {self.sandbox.base_url.rstrip('/')}"
            f"/order/update-order-status/{order.cartona_id}"
        )
        for base_url in (self.sandbox.base_url.rstrip("/"), self.sandbox.base_url):
            self.config.api_base_url = base_url
            action = order.action_test_status_sync()
            preview = self.env[action["res_model"]].browse(action["res_id"])
            self.assertEqual(preview.endpoint, expected)

    def test_test_sync_shows_the_lines_before_the_statuses(self):
        order = self._make_order(qty=4, content=True)
        order.with_context(**NO_SYNC).action_confirm()
        order.order_line.with_context(**NO_SYNC).product_uom_qty = 3
        action = order.action_test_status_sync()
        preview = self.env[action["res_model"]].browse(action["res_id"])
        self.assertEqual(preview.decision, "send")
        self.assertEqual(preview.steps, "order lines (1 changes) -> approved")
        details, status = json.loads(preview.request_body)
        self.assertTrue(details["endpoint"].endswith("/order/update-order-details"))
        self.assertEqual(
            details["body"],
            [
                {
                    "hashed_id": order.cartona_id,
                    "order_details": [{"id": 1, "amount": 3}],
                }
            ],
        )
        self.assertEqual(status["body"]["status"], "approved")
        self.assertEqual(self.sandbox.state.requests, [])

    def test_test_sync_explains_why_nothing_is_sent(self):
        order = self._make_order(delivered_by="delivered_by_cartona")
        order.with_context(**NO_SYNC).action_confirm()
        action = order.action_test_status_sync()
        preview = self.env[action["res_model"]].browse(action["res_id"])
        self.assertEqual(preview.decision, "nothing")
        self.assertIn("only a cancellation", preview.reason)
        self.assertFalse(preview.request_body)

    def test_test_sync_explains_blocked_orders(self):
        order = self._make_order()
        order.with_context(**NO_SYNC).action_confirm()
        self.config.connection_status = "auth_failed"
        action = order.action_test_status_sync()
        preview = self.env[action["res_model"]].browse(action["res_id"])
        self.assertEqual(preview.decision, "blocked")
        self.assertIn("rejected the token", preview.reason)
        self.assertFalse(preview.request_body)
