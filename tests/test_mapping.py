# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .common import CartonaCase


@tagged("post_install", "-at_install")
class TestMapping(CartonaCase):
    """Each row of the basic and combined mappings, on real orders and deliveries."""

    def assertMapping(self, order, basic, combined):
        self.assertEqual(order._map_odoo_status_to_marketplace(), basic)
        self.assertEqual(order._map_combined_status_to_marketplace(), combined)

    def test_draft_and_sent_are_pending(self):
        order = self._make_order()
        self.assertMapping(order, "pending", "pending")
        order.action_quotation_sent()
        self.assertEqual(order.state, "sent")
        self.assertMapping(order, "pending", "pending")

    def test_confirmed_not_shipped_is_approved(self):
        order = self._make_order()
        order.action_confirm()
        self.assertMapping(order, "approved", "approved")

    def test_all_shipped_is_assigned_to_salesman(self):
        order = self._make_order()
        order.action_confirm()
        self._ship(order)
        self.assertTrue(order.marketplace_shipped)
        self.assertMapping(order, "approved", "assigned_to_salesman")

    def test_backorder_means_not_all_shipped(self):
        order = self._make_order(qty=4)
        order.action_confirm()
        self._ship(order, qty=1, backorder=True)
        self.assertEqual(len(order.picking_ids), 2, "a backorder must be open")
        self.assertFalse(order.marketplace_shipped)
        self.assertMapping(order, "approved", "approved")
        self._ship(order)
        self.assertMapping(order, "approved", "assigned_to_salesman")

    def test_partial_without_backorder_is_shipped(self):
        order = self._make_order(qty=4)
        order.action_confirm()
        self._ship(order, qty=1, backorder=False)
        self.assertMapping(order, "approved", "assigned_to_salesman")

    def test_multi_step_route_counts_only_the_customer_step(self):
        self.warehouse.delivery_steps = "pick_ship"
        order = self._make_order()
        order.action_confirm()
        pick = order.picking_ids.filtered(
            lambda p: p.location_dest_id.usage != "customer"
        )
        self.assertTrue(pick, "two-step delivery must create an internal pick")
        self._ship(order)  # the pick: goods are not gone yet
        self.assertEqual(pick.state, "done")
        self.assertFalse(order.marketplace_shipped)
        self.assertMapping(order, "approved", "approved")
        self._ship(order)  # the ship step leaves for the customer
        self.assertMapping(order, "approved", "assigned_to_salesman")

    def test_cancelled_whatever_the_delivery_state(self):
        order = self._make_order()
        order.action_confirm()
        order._action_cancel()
        self.assertMapping(order, "cancelled_by_supplier", "cancelled_by_supplier")

    def test_delivery_confirmed_is_delivered(self):
        order = self._make_order()
        order.action_confirm()
        self._ship(order)
        order.marketplace_status = "delivered"
        self.assertMapping(order, "delivered", "delivered")
