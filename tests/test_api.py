# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..cartona import errors
from .common import CartonaCase


@tagged("post_install", "-at_install")
class TestMarketplaceApi(CartonaCase):
    def test_bulk_update_sends_one_request_per_batch(self):
        self.config.status_batch_size = 2
        orders = self.env["sale.order"]
        for _i in range(5):
            orders |= self._make_order()
        results = self.env["marketplace.api"].update_order_status(orders, "approved")
        bulk = [
            r
            for r in self.sandbox.state.requests
            if r["path"].endswith("update-order-status")
        ]
        self.assertEqual(len(bulk), 3)
        self.assertEqual(len(results), 3)
        self.assertEqual([len(r["body"]) for r in bulk], [2, 2, 1])
        for order in orders:
            self.assertEqual(self._sandbox_status(order), "approved")
            log = self.env["marketplace.sync.log"].search([("order_id", "=", order.id)])
            self.assertEqual(
                (log.operation, log.outcome), ("bulk_status_push", "success")
            )
            self.assertIn(order.cartona_id, log.request_body)

    def test_config_from_context_or_argument(self):
        order = self._make_order()
        order.marketplace_config_id = False
        api = self.env["marketplace.api"]
        with self.assertRaisesRegex(UserError, "configuration"):
            api.update_order_status(order, "approved")
        api.with_context(marketplace_config_id=self.config.id).update_order_status(
            order, "approved"
        )
        api.update_single_order_status(
            order, "cancelled_by_supplier", config=self.config
        )
        self.assertEqual(self._history(order), ["approved", "cancelled_by_supplier"])

    def test_single_update_raises_cartonas_rejection(self):
        order = self._make_order()
        error = self._call_expecting(
            errors.RejectedError,
            self.env["marketplace.api"].update_single_order_status,
            order,
            "delivered",
        )
        self.assertIn("pending", str(error))
        log = self.env["marketplace.sync.log"].search([("order_id", "=", order.id)])
        self.assertEqual(log.outcome, "rejected")
        self.assertGreaterEqual(log.status_code, 400)

    def test_otp_only_where_required(self):
        order = self._make_order(payment_method="cartona_credit")
        self.env["marketplace.api"].update_single_order_status(
            order, "approved", retailer_otp="123456"
        )
        self.assertNotIn("retailer_otp", self.sandbox.state.requests[-1]["body"])
