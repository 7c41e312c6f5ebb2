# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Order content: the reconciler sends Odoo's lines to Cartona over real HTTP.

Orders are imported from the sandbox's feed, as in production, so their lines carry
Cartona's ids and the order records what Cartona has.
"""

from odoo import Command
from odoo.tests import Form, tagged

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import NO_SYNC
from .test_inbound import InboundCase

JUICE, TEA = 5550101, 5550102
DETAILS = "order/update-order-details"


@tagged("post_install", "-at_install")
class TestContent(InboundCase):
    """Lines and statuses, planned together, sent in Cartona's order."""

    # Helpers

    def _imported(self, **kwargs):
        """An order imported from the feed: juice x3 at 350, tea x2 at 200."""
        hashed_id = self._feed(**kwargs)
        self._sync()
        self.sandbox.state.clear_requests()
        return self._order(hashed_id)

    def _do(self, action):
        """Do ``action`` as a user would, then run the jobs it queued."""
        with trap_jobs() as trap:
            result = action()
            self._run_jobs(trap)
        self.env.invalidate_all()
        return result

    def _approved(self, **kwargs):
        order = self._imported(**kwargs)
        self._do(order.action_confirm)
        self.assertEqual(self._sandbox_status(order), "approved")
        self.sandbox.state.clear_requests()
        return order

    def _order_line(self, order, product):
        return order.order_line.filtered(lambda line: line.product_id == product)

    def _biscuits(self):
        """A product the order does not hold yet: Cartona knows it as 4820."""
        return self.env["product.product"].create(
            {"name": "Biscuits", "default_code": "4820", "type": "consu"}
        )

    def _add_line_quietly(self, order, product, **values):
        """A line added in Odoo, nothing sent yet: the test runs the job itself."""
        order.with_context(**NO_SYNC).write(
            {"order_line": [Command.create({"product_id": product.id, **values})]}
        )
        return self._order_line(order, product)

    def _requests(self, endpoint=None):
        return [
            r
            for r in self.sandbox.state.requests
            if endpoint is None or r["endpoint"].startswith(endpoint)
        ]

    def _outbound(self):
        """(endpoint, body) of every request but the pull and its acknowledgement."""
        return [
            (r["endpoint"], r["body"])
            for r in self.sandbox.state.requests
            if r["endpoint"] != "order/pull-orders"
            and not (
                r["endpoint"] == "order/update-order-status"
                and {i["status"] for i in r["body"]} == {"synced"}
            )
        ]

    def _cartona_lines(self, order):
        return {
            line["id"]: line["amount"]
            for line in self.sandbox.state.orders[order.cartona_id]["order_details"]
        }

    def _ship_quantities(self, order, quantities, backorder=True):
        """Validate the open customer delivery with ``{product: quantity}``."""
        picking = order.picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel")
        )
        picking.action_assign()
        for move in picking.move_ids:
            move.quantity = quantities.get(move.product_id, move.product_uom_qty)
            move.picked = True
        picking.with_context(cancel_backorder=not backorder)._action_done()
        return picking

    # Content alone

    def test_lowered_quantity_sends_one_request_naming_only_that_line(self):
        order = self._approved()
        self._do(
            lambda: self._order_line(order, self.juice).write({"product_uom_qty": 2})
        )
        self.assertEqual(
            self._outbound(),
            [
                (
                    DETAILS,
                    [
                        {
                            "hashed_id": order.cartona_id,
                            "order_details": [{"id": JUICE, "amount": 2}],
                        }
                    ],
                )
            ],
        )
        self.assertEqual(self._cartona_lines(order), {JUICE: 2, TEA: 2})
        self.assertEqual(self._sandbox_status(order), "approved")
        self.assertEqual(self._order_line(order, self.juice).cartona_amount, 2)
        self.assertEqual(order.marketplace_sync_status, "synced")
        log = self._logs("details_push", order_id=order.id)
        self.assertEqual((log.outcome, log.status_code), ("success", 200))
        self.assertIn("5550101", log.request_body)
        self.assertIn("changes to 1 lines", order.message_ids[0].body)
        # What Cartona accepted is recorded: nothing more to send.
        self._do(order._trigger_status_sync)
        self.assertEqual(len(self._requests(DETAILS)), 1)

    def test_a_line_set_to_zero_is_cancelled(self):
        order = self._approved()
        self._do(
            lambda: self._order_line(order, self.tea).write({"product_uom_qty": 0})
        )
        details = self._requests(DETAILS)
        self.assertEqual(
            details[0]["body"][0]["order_details"], [{"id": TEA, "cancelled": True}]
        )
        self.assertEqual(self._cartona_lines(order), {JUICE: 3})
        self.assertTrue(self._order_line(order, self.tea).cartona_cancelled)

    def test_a_price_change_is_sent_as_a_number(self):
        order = self._approved()
        self._do(
            lambda: self._order_line(order, self.juice).write({"price_unit": 345.5})
        )
        change = self._requests(DETAILS)[0]["body"][0]["order_details"]
        self.assertEqual(change, [{"id": JUICE, "price": 345.5}])
        line = self.sandbox.state.orders[order.cartona_id]["order_details"][0]
        self.assertEqual(line["selling_price"], 345.5)

    def test_a_removed_quotation_line_is_cancelled(self):
        order = self._imported()
        self._do(lambda: self._order_line(order, self.tea).unlink())
        self.assertEqual(
            self._outbound(),
            [
                (
                    DETAILS,
                    [
                        {
                            "hashed_id": order.cartona_id,
                            "order_details": [{"id": TEA, "cancelled": True}],
                        }
                    ],
                )
            ],
        )
        self.assertEqual(self._sandbox_status(order), "pending", "still a quotation")

    def test_orders_linked_by_hand_send_statuses_only(self):
        order = self._make_order(qty=4)
        order.with_context(**NO_SYNC).action_confirm()
        self._run_job(order)
        self.sandbox.state.clear_requests()
        with trap_jobs() as trap:
            order.order_line.product_uom_qty = 3
            trap.assert_jobs_count(0)
        self.assertEqual(self._requests(), [])

    # Deliveries

    def test_short_delivery_without_backorder_sends_lines_before_shipping(self):
        order = self._approved()
        self._do(
            lambda: self._ship_quantities(
                order, {self.juice: 2, self.tea: 0}, backorder=False
            )
        )
        self.assertEqual(
            self._outbound(),
            [
                (
                    DETAILS,
                    [
                        {
                            "hashed_id": order.cartona_id,
                            "order_details": [
                                {"id": JUICE, "amount": 2},
                                {"id": TEA, "cancelled": True},
                            ],
                        }
                    ],
                ),
                (
                    f"order/update-order-status/{order.cartona_id}",
                    {"hashed_id": order.cartona_id, "status": "assigned_to_salesman"},
                ),
            ],
        )
        self.assertEqual(self._cartona_lines(order), {JUICE: 2})
        self.assertEqual(order.marketplace_status, "assigned_to_salesman")

    def test_a_cancelled_backorder_sends_what_left_then_shipping(self):
        order = self._approved()
        self._do(lambda: self._ship_quantities(order, {self.juice: 1}))
        self.assertEqual(self._outbound(), [], "a backorder is open: nothing yet")
        backorder = order.picking_ids.filtered(lambda p: p.state != "done")
        self.assertEqual(len(backorder), 1)
        self._do(backorder.action_cancel)
        self.assertEqual(
            [endpoint for endpoint, _body in self._outbound()],
            [DETAILS, f"order/update-order-status/{order.cartona_id}"],
        )
        self.assertEqual(self._cartona_lines(order), {JUICE: 1, TEA: 2})
        self.assertEqual(self._sandbox_status(order), "assigned_to_salesman")

    def test_confirm_delivery_after_a_full_shipment_sends_no_lines(self):
        order = self._approved()
        self._do(lambda: self._ship_quantities(order, {}))
        self._do(order.action_confirm_marketplace_delivery)
        self.assertEqual(self._requests(DETAILS), [])
        self.assertEqual(self._sandbox_status(order), "delivered")
        self.assertEqual(self._cartona_lines(order), {JUICE: 3, TEA: 2})

    # What Cartona sends is never echoed

    def test_a_pulled_retailer_edit_sends_nothing_back(self):
        order = self._imported()
        self.sandbox.state.retailer_edit(
            order.cartona_id,
            [self._line(JUICE, "4812", 5, 350), self._line(None, "904#2", 1, 200)],
        )
        self._sync()
        self.assertEqual(sorted(order.order_line.mapped("product_uom_qty")), [1.0, 5.0])
        self.assertEqual(self._outbound(), [])
        self._do(order.action_confirm)
        self.assertEqual(
            [body["status"] for _endpoint, body in self._outbound()], ["approved"]
        )

    def test_lines_changed_while_cartona_shows_the_order_again(self):
        """A pull of an unchanged version never undoes Odoo's own changes."""
        order = self._approved()
        self._do(
            lambda: self._order_line(order, self.juice).write({"product_uom_qty": 1})
        )
        self.sandbox.state.set_status(order.cartona_id, "approved")  # back in the feed
        self._sync()
        self.assertEqual(self._order_line(order, self.juice).product_uom_qty, 1)
        self.assertFalse(order.marketplace_import_error)
        self.assertEqual(len(self._requests(DETAILS)), 1)

    # Lines added in Odoo

    def test_a_line_added_in_odoo_is_sent_once_and_linked(self):
        order = self._approved()
        biscuit = self._biscuits()
        self._do(
            lambda: order.write(
                {
                    "order_line": [
                        Command.create(
                            {
                                "product_id": biscuit.id,
                                "product_uom_qty": 1,
                                "price_unit": 95,
                            }
                        )
                    ]
                }
            )
        )
        self.assertEqual(
            self._requests(DETAILS)[0]["body"][0]["order_details"],
            [{"internal_product_id": "4820", "amount": 1, "price": 95.0}],
        )
        line = self._order_line(order, biscuit)
        new_ids = set(self._cartona_lines(order)) - {JUICE, TEA}
        self.assertEqual(len(new_ids), 1)
        self.assertEqual(line.cartona_line_ref, str(new_ids.pop()))
        self.assertTrue(line.cartona_line_sent)
        self._do(lambda: line.write({"product_uom_qty": 2}))
        self.assertEqual(
            self._requests(DETAILS)[1]["body"][0]["order_details"],
            [{"id": int(line.cartona_line_ref), "amount": 2}],
        )
        self.sandbox.state.set_status(order.cartona_id, "approved")  # back in the feed
        self._sync()
        self.assertEqual(
            len(order.order_line.filtered(lambda line: line.product_id == biscuit)), 1
        )
        self.assertEqual(len(self._requests(DETAILS)), 2, "never sent again")

    def test_a_sent_line_is_linked_by_the_next_pull(self):
        """Cartona's answer need not name the new line: the next pull links it."""
        order = self._approved()
        biscuit = self._biscuits()
        self._add_line_quietly(
            order, biscuit, product_uom_qty=2, price_unit=95, cartona_line_sent=True
        )
        self.sandbox.state.update_details(
            [
                {
                    "hashed_id": order.cartona_id,
                    "order_details": [
                        {"internal_product_id": "4820", "amount": 2, "price": 95}
                    ],
                }
            ]
        )
        self.sandbox.state.set_status(order.cartona_id, "approved")  # back in the feed
        self._sync()
        line = self._order_line(order, biscuit)
        self.assertEqual(len(line), 1, "linked, not added twice")
        self.assertTrue(line.cartona_line_ref)
        self.assertFalse(order.marketplace_import_error)
        self.assertEqual(self._requests(DETAILS), [])

    def test_a_line_cartona_cannot_identify_is_an_error_on_the_order(self):
        order = self._approved()
        nameless = self.env["product.product"].create(
            {"name": "No reference", "type": "consu"}
        )
        self._do(
            lambda: order.write(
                {
                    "order_line": [
                        Command.create(
                            {"product_id": nameless.id, "product_uom_qty": 1}
                        )
                    ]
                }
            )
        )
        self.assertEqual(self._requests(DETAILS), [])
        self.assertEqual(order.marketplace_sync_status, "error")
        self.assertIn("No reference", order.marketplace_error_message)
        self.assertIn("cannot identify", order.marketplace_error_message)

    # Faults

    def test_a_503_on_the_lines_is_retried_and_accepted_once(self):
        order = self._approved()
        order.with_context(**NO_SYNC).order_line.filtered(
            lambda line: line.product_id == self.juice
        ).product_uom_qty = 2
        self.sandbox.state.add_fault("error", count=1, status=503, path=DETAILS)
        self.assertIsInstance(self._perform_like_queue_job(order), RetryableJobError)
        self.assertEqual(self._cartona_lines(order), {JUICE: 3, TEA: 2})
        self.assertEqual(order.marketplace_sync_status, "syncing")
        self._run_job(order)
        self.assertEqual(self._cartona_lines(order), {JUICE: 2, TEA: 2})
        accepted = [r for r in self._requests(DETAILS) if r["status"] == 200]
        self.assertEqual(len(accepted), 1)
        outcomes = self._logs("details_push", order_id=order.id).mapped("outcome")
        self.assertEqual(outcomes, ["transient_error", "success"])

    def test_a_new_line_cartona_may_have_got_is_never_sent_twice(self):
        """The answer to a new line is lost: Cartona may have added it. It is not
        sent again (a retailer billed twice); the next pull that lists it links it."""
        order = self._approved()
        biscuit = self._biscuits()
        line = self._add_line_quietly(order, biscuit, product_uom_qty=1, price_unit=9)
        self.sandbox.state.add_fault("drop", count=1, apply=True, path=DETAILS)
        self.assertIsInstance(self._perform_like_queue_job(order), RetryableJobError)
        self.assertTrue(line.cartona_line_sent, "kept after the job's rollback")
        self._run_job(order)
        added = [
            detail
            for detail in self.sandbox.state.orders[order.cartona_id]["order_details"]
            if detail["internal_product_id"] == "4820"
        ]
        self.assertEqual(len(added), 1, "added once")
        self.assertNotEqual(order.marketplace_sync_status, "error")
        self.sandbox.state.set_status(order.cartona_id, "approved")  # back in the feed
        self._sync()
        self.assertEqual(line.cartona_line_ref, str(added[0]["id"]))

    def test_a_rejected_edit_is_an_error_with_cartonas_message(self):
        order = self._approved()
        order.with_context(**NO_SYNC).order_line.filtered(
            lambda line: line.product_id == self.juice
        ).product_uom_qty = 2
        self.sandbox.state.add_fault(
            "error", count=1, status=422, path=DETAILS, body={"error": "frozen order"}
        )
        self._run_job(order)
        self.assertEqual(order.marketplace_sync_status, "error")
        self.assertIn("frozen order", order.marketplace_error_message)
        self.assertEqual(self._cartona_lines(order), {JUICE: 3, TEA: 2})

    # Who delivers

    def test_cartona_delivered_orders_send_lines_until_pickup_only(self):
        order = self._imported(delivered_by="delivered_by_cartona", status="approved")
        self.assertEqual(order.state, "sale")
        self._do(
            lambda: self._order_line(order, self.juice).write({"product_uom_qty": 2})
        )
        self.assertEqual(self._cartona_lines(order), {JUICE: 2, TEA: 2})
        self.sandbox.state.set_status(order.cartona_id, "assigned_to_salesman")
        self._sync()
        self.assertEqual(order.marketplace_status, "assigned_to_salesman")
        self.sandbox.state.clear_requests()
        self._do(
            lambda: self._order_line(order, self.juice).write({"product_uom_qty": 1})
        )
        self._do(order.action_sync_enhanced_status)
        self.assertEqual(self._outbound(), [], "the courier has the goods")
        self.assertNotEqual(order.marketplace_sync_status, "error")
        action = order.action_test_status_sync()
        preview = self.env[action["res_model"]].browse(action["res_id"])
        self.assertIn("no longer takes changes to the lines", preview.reason)

    # Terminal statuses

    def test_a_retailer_cancellation_leaves_nothing_to_send(self):
        order = self._approved()
        self.sandbox.state.retailer_cancel(order.cartona_id, "delayed_order")
        self._sync()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.marketplace_status, "cancelled_by_retailer")
        self.sandbox.state.clear_requests()
        for action in (
            order.action_marketplace_retry,
            order.action_sync_enhanced_status,
            order.action_manual_sync_to_marketplace,
            lambda: order.write({"state": "cancel"}),
        ):
            self._do(action)
        self.assertEqual(self._outbound(), [])
        self.assertNotEqual(order.marketplace_sync_status, "error")
        self.assertFalse(order.activity_ids)
        self.assertFalse(order._marketplace_cancel_needs_reason())

    # Cancellation, as Odoo does it

    def test_programmatic_cancellation_cancels_at_once(self):
        order = self._approved()
        self._do(
            lambda: self.assertIn(
                order.with_context(disable_cancel_warning=True).action_cancel(),
                (True, None, False),
            )
        )
        self.assertEqual(order.state, "cancel")
        self.assertEqual(
            order.marketplace_cancellation_reason, "supplier_asked_me_to_cancel"
        )
        self.assertEqual(self._sandbox_status(order), "cancelled_by_supplier")

    def test_a_mixed_selection_keeps_odoos_cancel_dialog_for_ordinary_orders(self):
        order = self._approved()
        ordinary = self._make_order(marketplace=False)
        ordinary.with_context(**NO_SYNC).action_confirm()
        both = order | ordinary
        action = both.action_cancel()
        self.assertEqual(action["res_model"], "marketplace.cancel.reason")
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"]))
        wizard.cancellation_reason = "out_of_stock"
        result = self._do(wizard.save().action_cancel_orders)
        self.assertEqual(order.state, "cancel")
        self.assertEqual(self._sandbox_status(order), "cancelled_by_supplier")
        self.assertEqual(ordinary.state, "sale", "Odoo's own dialog decides")
        self.assertEqual(result["res_model"], "sale.order.cancel")
        self.assertEqual(result["context"]["default_order_id"], ordinary.id)

    # The job's cost

    def test_the_job_costs_the_same_whatever_the_lines(self):
        """Unchanged content adds no query to a status step, for 2 or 32 lines."""
        small = self._imported()
        large = self._imported(
            lines=[self._line(5560000 + n, "4812", 1, 350) for n in range(32)]
        )
        warm = self._imported()
        for order in (small, large, warm):
            order.with_context(**NO_SYNC).action_confirm()
        self._run_job(warm)  # warms the registry caches, as in a worker
        counts = []
        for order in (small, large):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self._run_job(order)
            self.env.flush_all()
            counts.append(self.env.cr.sql_log_count - before)
            self.assertEqual(order.marketplace_status, "approved")
        self.assertEqual(counts[0], counts[1], counts)
        # The hand-linked order's job plus one query for the lines.
        linked = self._make_order()
        linked.with_context(**NO_SYNC).action_confirm()
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self._run_job(linked)
        self.env.flush_all()
        self.assertEqual(counts[0], self.env.cr.sql_log_count - before + 1)
