# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import CartonaCase


@tagged("post_install", "-at_install")
class TestRules(CartonaCase):
    """_filter_orders_for_sync and the buttons that rely on it."""

    def test_filter_keeps_only_orders_the_rules_allow(self):
        allowed = self._make_order()
        ordinary = self._make_order(marketplace=False)
        no_id = self._make_order()
        no_id.cartona_id = False
        by_cartona = self._make_order(delivered_by="delivered_by_cartona")
        orders = allowed | ordinary | no_id | by_cartona
        orders.with_context(skip_marketplace_sync=True).action_confirm()
        self.assertEqual(orders._filter_orders_for_sync(), allowed)
        self.assertEqual(orders._filter_orders_for_sync("basic"), allowed)
        orders.with_context(skip_marketplace_sync=True)._action_cancel()
        self.assertEqual(orders._filter_orders_for_sync(), allowed | by_cartona)

    def test_archived_config_blocks(self):
        order = self._make_order()
        self.config.active = False
        self.assertFalse(order._filter_orders_for_sync())
        self.assertIn("archived", order._marketplace_block_reason("approved"))

    def test_rejected_token_blocks_until_fixed(self):
        order = self._make_order()
        self.config.connection_status = "auth_failed"
        self.assertFalse(order._filter_orders_for_sync())
        self.config.connection_status = "connected"
        self.assertEqual(order._filter_orders_for_sync(), order)

    def test_cartona_delivered_reason_names_the_rule(self):
        order = self._make_order(delivered_by="delivered_by_cartona")
        reason = order._marketplace_block_reason("approved")
        self.assertIn("delivered by Cartona", reason)
        self.assertIsNone(order._marketplace_block_reason("cancelled_by_supplier"))

    def test_manual_sync_enqueues_basic_mapping(self):
        order = self._make_order()
        order.with_context(skip_marketplace_sync=True).action_confirm()
        with trap_jobs() as trap:
            action = order.action_manual_sync_to_marketplace()
            trap.assert_enqueued_job(order._sync_status_to_marketplace, args=("basic",))
        self.assertEqual(action["params"]["type"], "success")

    def test_enhanced_sync_enqueues_combined_mapping(self):
        order = self._make_order()
        order.with_context(skip_marketplace_sync=True).action_confirm()
        with trap_jobs() as trap:
            order.action_sync_enhanced_status()
            trap.assert_enqueued_job(
                order._sync_status_to_marketplace, args=("combined",)
            )

    def test_buttons_refuse_blocked_orders(self):
        by_cartona = self._make_order(delivered_by="delivered_by_cartona")
        by_cartona.with_context(skip_marketplace_sync=True).action_confirm()
        no_id = self._make_order()
        no_id.cartona_id = False
        for order, message in (
            (by_cartona, "delivered by Cartona"),
            (no_id, "External Order ID"),
        ):
            for button in (
                "action_manual_sync_to_marketplace",
                "action_sync_enhanced_status",
            ):
                with trap_jobs() as trap, self.assertRaisesRegex(UserError, message):
                    getattr(order, button)()
                trap.assert_jobs_count(0)

    def test_test_sync_shows_decision_and_exact_body_without_calling_cartona(self):
        order = self._make_order(payment_method="installment")
        order.with_context(skip_marketplace_sync=True).action_confirm()
        self._ship(order)
        action = order.action_test_status_sync()
        preview = self.env[action["res_model"]].browse(action["res_id"])
        self.assertEqual(preview.decision, "send")
        self.assertEqual(preview.target_status, "assigned_to_salesman")
        self.assertEqual(preview.steps, "approved -> assigned_to_salesman")
        self.assertIn(f"order/update-order-status/{order.cartona_id}", preview.endpoint)
        self.assertEqual(
            json.loads(preview.request_body),
            [
                {"hashed_id": order.cartona_id, "status": "approved"},
                {"hashed_id": order.cartona_id, "status": "assigned_to_salesman"},
            ],
        )
        self.assertNotIn(self.config.sudo().auth_token, str(preview.read()))
        self.assertEqual(
            self.sandbox.state.requests, [], "Test Sync must not call Cartona"
        )

    def test_test_sync_explains_blocked_orders(self):
        order = self._make_order(delivered_by="delivered_by_cartona")
        order.with_context(skip_marketplace_sync=True).action_confirm()
        action = order.action_test_status_sync()
        preview = self.env[action["res_model"]].browse(action["res_id"])
        self.assertEqual(preview.decision, "blocked")
        self.assertIn("only a cancellation", preview.reason)
        self.assertFalse(preview.request_body)
