# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Returns: a failed delivery comes back to stock, and Cartona knows.

Cartona's ``returned`` in the feed, and a storekeeper's Delivery Failed, over real
HTTP with the sandbox; rights tested as the people who have them (or not).
"""

from unittest import mock

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import NO_SYNC
from .test_inbound import InboundCase

MP_USER = "cartona_marketplace.group_marketplace_user"
STOCK_USER = "stock.group_stock_user"
SALESMAN = "sales_team.group_sale_salesman_all_leads"
REASON = "Shop closed, retailer not reachable"


class ReturnsCase(InboundCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.storekeeper = new_test_user(
            cls.env, login="cm_ret_store", groups=f"{STOCK_USER},{MP_USER}"
        )
        cls.seller = new_test_user(
            cls.env, login="cm_ret_seller", groups=f"{SALESMAN},{MP_USER}"
        )

    def _shipped_order(self, partial=False):
        """An imported supplier-delivered order, confirmed and shipped (all of it,
        or part with a backorder), that Cartona has out for delivery."""
        hashed_id = self._feed()
        self._sync()
        order = self._order(hashed_id)
        order.with_context(**NO_SYNC).action_confirm()
        picking = order.picking_ids
        picking.action_assign()
        for move in picking.move_ids:
            # Juice: 3 ordered, 2 leave when partial; tea: 2 ordered, all leave.
            move.quantity = move.product_uom_qty - (
                1 if partial and move.product_id == self.juice else 0
            )
            move.picked = True
        picking.with_context(**NO_SYNC)._action_done()
        self.sandbox.state.set_status(hashed_id, "assigned_to_salesman")
        self._sync()
        self.assertEqual(order.marketplace_status, "assigned_to_salesman")
        return hashed_id, order, picking

    def _returns(self, order):
        return order.picking_ids.filtered(lambda p: p.picking_type_code == "incoming")

    def _quantities(self, picking):
        return {
            move.product_id: move.product_uom_qty
            for move in picking.move_ids
            if move.state != "cancel"
        }

    def _available(self, product):
        return product.with_context(warehouse_id=self.warehouse.id).qty_available


@tagged("post_install", "-at_install")
class TestReturnedByCartona(ReturnsCase):
    """Cartona reports ``returned`` in the pull feed."""

    def test_what_left_comes_back_and_what_never_left_is_cancelled(self):
        hashed_id, order, first = self._shipped_order(partial=True)
        backorder = order.picking_ids - first
        self.assertEqual(backorder.state, "assigned", "one juice still to go")
        juice_before = self._available(self.juice)
        self.sandbox.state.retailer_return(hashed_id, REASON)
        self._sync()
        self.assertEqual(order.marketplace_status, "returned")
        self.assertEqual(order.cartona_return_reason, REASON)
        self.assertEqual(backorder.state, "cancel")
        receipt = self._returns(order)
        self.assertEqual(len(receipt), 1)
        self.assertEqual(order.marketplace_return_picking_id, receipt)
        self.assertTrue(order.marketplace_returned_date)
        self.assertEqual(
            (receipt.state, receipt.sale_id, receipt.return_id),
            ("assigned", order, first),
            "ready to validate, linked to the order",
        )
        self.assertEqual(receipt.location_id.usage, "customer")
        self.assertEqual(
            self._quantities(receipt), {self.juice: 2, self.tea: 2}, "what was shipped"
        )
        self.assertEqual(order.state, "sale")
        self.assertFalse(order.invoice_ids, "nothing invoiced")
        self.assertTrue(self._acknowledged(hashed_id))
        self._assert_nothing_echoed()
        log = self._logs("order_import", cartona_id=hashed_id)[-1]
        self.assertEqual(log.outcome, "success")
        self.assertIn(receipt.name, log.message)
        self.assertIn(backorder.name, log.message)
        note = order.message_ids[0]
        self.assertIn(REASON, note.body)
        self.assertIn(receipt.name, note.body)
        # The goods arrive: the storekeeper validates the return.
        receipt.with_user(self.storekeeper).button_validate()
        self.assertEqual(receipt.state, "done")
        self.assertEqual(self._available(self.juice), juice_before + 2)
        self.assertEqual(order.order_line.mapped("qty_delivered"), [0, 0])
        self.assertFalse(
            self.env["queue.job"].search_count(
                [("method_name", "=", "_sync_status_to_marketplace")]
            ),
            "nothing pushed back to Cartona",
        )

    def test_seeing_returned_again_changes_nothing(self):
        hashed_id, order, _picking = self._shipped_order()
        self.sandbox.state.retailer_return(hashed_id, REASON)
        self._sync()
        receipt = self._returns(order)
        self.assertEqual(len(receipt), 1)
        messages = len(order.message_ids)
        # The same entry again, then a newer version (Cartona touched the order).
        self.sandbox.state.set_status(hashed_id, "returned")
        self._sync()
        changed = dict(self.sandbox.state.order(hashed_id), note_message="later")
        self.sandbox.state.add_order(changed, fill_defaults=False)
        self._sync()
        self.assertEqual(order.cartona_note_message, "later", "the version applied")
        self.assertEqual(self._returns(order), receipt)
        self.assertEqual(receipt.state, "assigned")
        self.assertEqual(len(order.message_ids), messages)
        self.assertEqual(order.marketplace_status, "returned")
        self.assertTrue(self._acknowledged(hashed_id))
        self._assert_nothing_echoed()

    def test_a_person_cancelling_the_return_is_not_overruled(self):
        hashed_id, order, _picking = self._shipped_order()
        self.sandbox.state.retailer_return(hashed_id, REASON)
        self._sync()
        receipt = self._returns(order)
        receipt.action_cancel()
        changed = dict(self.sandbox.state.order(hashed_id), note_message="again")
        self.sandbox.state.add_order(changed, fill_defaults=False)
        self._sync()
        self.assertEqual(self._returns(order), receipt, "no second return")

    def test_nothing_shipped_only_cancels(self):
        hashed_id = self._feed(delivered_by="delivered_by_cartona", status="approved")
        self._sync()
        order = self._order(hashed_id)
        picking = order.picking_ids
        self.sandbox.state.set_status(hashed_id, "assigned_to_salesman")
        self._sync()
        self.sandbox.state.retailer_return(hashed_id, REASON)
        self._sync()
        self.assertEqual(order.marketplace_status, "returned")
        self.assertEqual(picking.state, "cancel")
        self.assertFalse(self._returns(order))
        self.assertFalse(order.marketplace_return_picking_id)
        self.assertTrue(order.marketplace_returned_date)
        self._assert_nothing_echoed()

    def test_cartona_delivered_order_returned_after_pickup(self):
        self.config.validate_cartona_deliveries = True
        hashed_id = self._feed(delivered_by="delivered_by_cartona", status="approved")
        self._sync()
        order = self._order(hashed_id)
        self.sandbox.state.set_status(hashed_id, "delivered")
        self._sync()
        self.assertEqual(order.picking_ids.state, "done")
        # Cartona's cycle has no delivered -> returned; it reports what it reports.
        self.sandbox.state.set_status(hashed_id, "returned")
        self._sync()
        self.assertEqual(order.marketplace_status, "returned")
        receipt = self._returns(order)
        self.assertEqual(self._quantities(receipt), {self.juice: 3, self.tea: 2})
        self._assert_nothing_echoed()

    def test_a_reason_with_markup_stays_text(self):
        hashed_id, order, _picking = self._shipped_order()
        reason = '<img src=x onerror="alert(1)"><b>closed</b>'
        self.sandbox.state.retailer_return(hashed_id, reason)
        self._sync()
        self.assertEqual(order.cartona_return_reason, reason)
        body = str(order.message_ids[0].body)
        self.assertNotIn("<img", body)
        self.assertNotIn("<b>closed", body)
        self.assertIn("&lt;b&gt;closed&lt;/b&gt;", body)

    def test_the_import_problem_when_the_return_cannot_be_prepared(self):
        hashed_id, order, _picking = self._shipped_order()
        self.sandbox.state.retailer_return(hashed_id, REASON)
        with self._failing_return():
            self._sync()
        self.assertEqual(order.marketplace_status, "assigned_to_salesman")
        self.assertEqual(order.marketplace_sync_status, "error")
        self.assertIn("could not be prepared", order.marketplace_import_error)
        self.assertFalse(self._acknowledged(hashed_id), "comes back at the next pull")
        self.assertFalse(self._returns(order))
        # Once the cause is gone, the next pull prepares it.
        self._sync()
        self.assertEqual(order.marketplace_status, "returned")
        self.assertEqual(len(self._returns(order)), 1)
        self.assertTrue(self._acknowledged(hashed_id))

    def _failing_return(self):
        def refuse(wizard):
            raise UserError(wizard.env._("no return today"))

        return mock.patch.object(
            type(self.env["stock.return.picking"]), "_create_return", refuse
        )


@tagged("post_install", "-at_install")
class TestDeliveryFailed(ReturnsCase):
    """A storekeeper's driver came back with the goods: Delivery Failed."""

    def _report(self, order, reason=REASON, user=None):
        """Press Delivery Failed and Tell Cartona, as ``user`` (the storekeeper)."""
        order = order.with_user(user or self.storekeeper)
        action = order.action_marketplace_delivery_failed()
        self.assertEqual(action["res_model"], "marketplace.delivery.failed")
        wizard = (
            self.env["marketplace.delivery.failed"]
            .with_user(user or self.storekeeper)
            .with_context(**action["context"])
            .create({"return_reason": reason})
        )
        return wizard, wizard.action_report()

    def test_storekeeper_reports_a_failed_delivery(self):
        hashed_id, order, picking = self._shipped_order(partial=True)
        backorder = order.picking_ids - picking
        _wizard, result = self._report(order)
        self.assertEqual(result["params"]["type"], "success")
        sent = self.sandbox.state.order(hashed_id)
        self.assertEqual((sent["status"], sent["return_reason"]), ("returned", REASON))
        self.assertEqual(self.sandbox.state.status_history(hashed_id), ["returned"])
        request = self._status_requests()[-1]
        self.assertEqual(request["endpoint"], f"order/update-order-status/{hashed_id}")
        self.assertEqual(
            request["body"],
            {"hashed_id": hashed_id, "status": "returned", "return_reason": REASON},
        )
        self.assertEqual(order.marketplace_status, "returned")
        self.assertEqual(order.cartona_return_reason, REASON)
        self.assertEqual(order.marketplace_sync_status, "synced")
        receipt = self._returns(order)
        self.assertEqual(len(receipt), 1)
        self.assertEqual(receipt.state, "assigned")
        self.assertEqual(self._quantities(receipt), {self.juice: 2, self.tea: 2})
        self.assertEqual(backorder.state, "cancel")
        self.assertIn(receipt.name, result["params"]["message"])
        log = self.env["marketplace.sync.log"].search(
            [("order_id", "=", order.id), ("status_sent", "=", "returned")]
        )
        self.assertEqual((log.outcome, log.user_id), ("success", self.storekeeper))
        # Nothing more goes to Cartona: the order is returned there.
        self.assertFalse(order._marketplace_push_due("combined"))
        receipt.with_user(self.storekeeper).button_validate()
        self.assertEqual(receipt.state, "done")
        self.assertEqual(self.sandbox.state.status_history(hashed_id), ["returned"])
        # Cartona's feed reporting it later changes nothing.
        self.sandbox.state.set_status(hashed_id, "returned")
        self._sync()
        self.assertEqual(self._returns(order), receipt)

    def test_cartona_refuses_and_nothing_changes(self):
        hashed_id, order, picking = self._shipped_order()
        self.sandbox.state.set_returns(
            accept=False, status=422, message="Returns <b>need</b> Cartona's approval"
        )
        messages = len(order.message_ids)
        wizard, result = self._report(order)
        self.assertEqual(result["res_model"], "marketplace.delivery.failed")
        self.assertEqual(result["res_id"], wizard.id, "the dialog stays open")
        self.assertIn("Cartona refused to mark", wizard.refusal)
        self.assertIn("Returns <b>need</b> Cartona's approval", wizard.refusal)
        self.assertEqual(
            self.sandbox.state.order(hashed_id)["status"], "assigned_to_salesman"
        )
        self.assertEqual(order.marketplace_status, "assigned_to_salesman")
        self.assertFalse(order.cartona_return_reason)
        self.assertEqual(order.marketplace_sync_status, "synced")
        self.assertEqual(picking.state, "done")
        self.assertFalse(self._returns(order))
        self.assertFalse(order.marketplace_returned_date)
        self.assertEqual(len(order.message_ids), messages)
        self.assertFalse(order.activity_ids)
        log = self.env["marketplace.sync.log"].search(
            [("order_id", "=", order.id), ("status_sent", "=", "returned")]
        )
        self.assertEqual(log.outcome, "rejected")
        # Cartona accepts on a second try.
        self.sandbox.state.set_returns(accept=True)
        wizard.action_report()
        self.assertEqual(order.marketplace_status, "returned")
        self.assertEqual(len(self._returns(order)), 1)

    def test_cartona_unreachable_changes_nothing(self):
        hashed_id, order, _picking = self._shipped_order()
        self.sandbox.state.add_fault("error", status=503, count=1)
        wizard, _result = self._report(order)
        self.assertIn("could not be reached", wizard.refusal)
        self.assertEqual(order.marketplace_status, "assigned_to_salesman")
        self.assertFalse(self._returns(order))

    def test_a_salesperson_without_stock_rights_cannot(self):
        _hashed_id, order, _picking = self._shipped_order()
        as_seller = order.with_user(self.seller)
        with self.assertRaises(AccessError):
            as_seller.action_marketplace_delivery_failed()
        with self.assertRaises(AccessError):
            as_seller._marketplace_report_failed_delivery(REASON)
        with self.assertRaises(AccessError):
            self.env["marketplace.delivery.failed"].with_user(self.seller).create(
                {"order_id": order.id, "return_reason": REASON}
            )
        arch = as_seller.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn("action_marketplace_delivery_failed", arch)
        arch = order.with_user(self.storekeeper).get_views([(False, "form")])["views"][
            "form"
        ]["arch"]
        self.assertIn("action_marketplace_delivery_failed", arch)
        self.assertEqual(self._sandbox_status(order), "assigned_to_salesman")
        self.assertEqual(order.marketplace_status, "assigned_to_salesman")

    def test_a_storekeeper_without_the_marketplace_group_cannot(self):
        _hashed_id, order, _picking = self._shipped_order()
        stock_only = new_test_user(
            self.env, login="cm_ret_stock_only", groups=STOCK_USER
        )
        with self.assertRaises(AccessError):
            order.with_user(stock_only)._marketplace_report_failed_delivery(REASON)
        self.assertEqual(self._sandbox_status(order), "assigned_to_salesman")

    def test_only_while_out_for_delivery(self):
        hashed_id = self._feed()
        self._sync()
        order = self._order(hashed_id)
        with self.assertRaisesRegex(UserError, "confirmed orders"):
            order.with_user(self.storekeeper).action_marketplace_delivery_failed()
        order.with_context(**NO_SYNC).action_confirm()
        self.sandbox.state.set_status(hashed_id, "approved")
        self._sync()
        with self.assertRaisesRegex(UserError, "out for delivery"):
            order.with_user(self.storekeeper).action_marketplace_delivery_failed()
        with self.assertRaisesRegex(UserError, "out for delivery"):
            order.with_user(self.storekeeper)._marketplace_report_failed_delivery(
                REASON
            )
        self.assertEqual(self.sandbox.state.order(hashed_id)["status"], "approved")

    def test_not_for_orders_cartona_delivers(self):
        hashed_id = self._feed(
            delivered_by="delivered_by_cartona", status="assigned_to_salesman"
        )
        self._sync()
        order = self._order(hashed_id)
        with self.assertRaisesRegex(UserError, "Cartona reports its returns"):
            order.with_user(self.storekeeper).action_marketplace_delivery_failed()

    def test_a_reason_is_needed(self):
        _hashed_id, order, _picking = self._shipped_order()
        for reason in ("", "   ", "x" * 1001):
            with self.assertRaises(UserError):
                order.with_user(self.storekeeper)._marketplace_report_failed_delivery(
                    reason
                )
        self.assertEqual(self._sandbox_status(order), "assigned_to_salesman")
        self.assertFalse(
            [
                r
                for r in self._status_requests()
                if isinstance(r["body"], dict) and r["body"].get("status") == "returned"
            ]
        )
