# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Confirm Delivery through a network blip: what the person typed is kept.

A timeout, a dropped connection or a 5xx keeps the dialog open with the OTP in it and
a plain message; the order gets no error and nobody an activity. A timeout after
Cartona applied ``delivered`` ends as delivered at the next attempt, whose answer
carries the status Cartona has.
"""

from odoo.tests import new_test_user, tagged

from .common import NO_SYNC, CartonaCase

STOCK_USER = "stock.group_stock_user"
SALESMAN = "sales_team.group_sale_salesman"
MP_USER = "cartona_marketplace.group_marketplace_user"


@tagged("post_install", "-at_install")
class TestDeliveryBlip(CartonaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ar_001")
        cls.storekeeper = new_test_user(
            cls.env, login="cm_blip_store", groups=f"{STOCK_USER},{MP_USER}"
        )
        cls.arabic_seller = new_test_user(
            cls.env,
            login="cm_blip_seller_ar",
            groups=f"{SALESMAN},{MP_USER}",
            lang="ar_001",
        )

    def _out_for_delivery(self):
        """An installment order shipped, ``assigned_to_salesman`` on both sides:
        its delivery plan is the one ``delivered`` step (the OTP's)."""
        order = self._make_order(
            cartona_status="approved", payment_method="installment", otp="482913"
        )
        self.sandbox.state.set_status(order.cartona_id, "assigned_to_salesman")
        order.with_context(**NO_SYNC).action_confirm()
        self._ship(order)
        order.with_context(**NO_SYNC).write(
            {"marketplace_status": "assigned_to_salesman"}
        )
        self.sandbox.state.clear_requests()
        return order

    def _dialog(self, user, order, otp="482913"):
        return (
            self.env["marketplace.delivery.confirm"]
            .with_user(user)
            .create({"order_id": order.id, "retailer_otp": otp})
        )

    def _assert_left_as_it_was(self, order):
        self.assertNotEqual(order.marketplace_sync_status, "error")
        self.assertFalse(order.marketplace_error_message)
        self.assertFalse(order.activity_ids)
        self.assertEqual(order.marketplace_status, "assigned_to_salesman")

    def _assert_same_dialog(self, wizard, action):
        self.assertEqual(
            (action["res_model"], action["res_id"], action["target"]),
            (wizard._name, wizard.id, "new"),
        )

    def test_a_5xx_keeps_the_dialog_and_the_otp(self):
        order = self._out_for_delivery()
        wizard = self._dialog(self.storekeeper, order)
        self.sandbox.state.add_fault(
            "error", count=1, status=503, path=order.cartona_id
        )
        action = wizard.action_confirm()
        self._assert_same_dialog(wizard, action)
        self.assertEqual(wizard.retailer_otp, "482913")
        self.assertIn("did not answer", wizard.unanswered)
        self.assertIn("try again in a moment", wizard.unanswered)
        self.assertFalse(wizard.refusal)
        self._assert_left_as_it_was(order)
        self.assertNotEqual(self._sandbox_status(order), "delivered")
        # A moment later, the same dialog, the same code: delivered.
        self.assertEqual(wizard.action_confirm()["params"]["type"], "success")
        self.assertEqual(order.marketplace_status, "delivered")
        self.assertEqual(self._sandbox_status(order), "delivered")

    def test_a_dropped_connection_keeps_the_dialog(self):
        order = self._out_for_delivery()
        order.user_id = self.arabic_seller  # her order: a salesperson's own
        wizard = self._dialog(self.arabic_seller, order)
        self.sandbox.state.add_fault("drop", count=1, path=order.cartona_id)
        action = wizard.action_confirm()
        self._assert_same_dialog(wizard, action)
        self.assertEqual(wizard.retailer_otp, "482913")
        self.assertTrue(wizard.unanswered)
        self._assert_left_as_it_was(order)

    def test_a_timeout_after_cartona_applied_ends_as_delivered(self):
        order = self._out_for_delivery()
        wizard = self._dialog(self.storekeeper, order)
        # Cartona applies ``delivered``, then answers after the client gave up.
        self.sandbox.state.add_fault(
            "hang", count=1, apply=True, seconds=10.5, path=order.cartona_id
        )
        action = wizard.action_confirm()
        self._assert_same_dialog(wizard, action)
        self.assertEqual(self._sandbox_status(order), "delivered")
        self._assert_left_as_it_was(order)
        self.assertEqual(wizard.retailer_otp, "482913")
        # The next attempt reads Cartona's status in its answer: delivered.
        self.assertEqual(wizard.action_confirm()["params"]["type"], "success")
        self.assertEqual(order.marketplace_status, "delivered")
        self.assertEqual(order.marketplace_sync_status, "synced")
        self.assertFalse(order.activity_ids)
        self.assertEqual(self._history(order), ["delivered"])

    def test_without_an_otp_a_blip_is_a_warning_not_an_error(self):
        order = self._make_order(cartona_status="approved")
        self.sandbox.state.set_status(order.cartona_id, "approved")
        order.with_context(**NO_SYNC).action_confirm()
        self._ship(order)
        self.sandbox.state.add_fault(
            "error", count=1, status=502, path=order.cartona_id
        )
        notification = order.with_user(
            self.storekeeper
        ).action_confirm_marketplace_delivery()
        self.assertEqual(notification["params"]["type"], "warning")
        self.assertIn("did not answer", notification["params"]["message"])
        self.assertNotEqual(order.marketplace_sync_status, "error")
        self.assertFalse(order.activity_ids)
