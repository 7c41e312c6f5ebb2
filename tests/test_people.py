# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Errors people can act on: the right person, their language, a clear next step."""

from odoo import Command
from odoo.tests import Form, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import NO_SYNC, CartonaCase

ERROR_ACTIVITY = "cartona_marketplace.mail_activity_type_cartona_sync_error"
SALESMAN = "sales_team.group_sale_salesman"
STOCK_USER = "stock.group_stock_user"
MP_USER = "cartona_marketplace.group_marketplace_user"
MP_MANAGER = "cartona_marketplace.group_marketplace_manager"


@tagged("post_install", "-at_install")
class TestPeople(CartonaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ar_001")
        cls.env["ir.module.module"]._load_module_terms(
            ["cartona_marketplace"], ["ar_001"], overwrite=True
        )
        cls.seller = new_test_user(
            cls.env, login="cm_p_seller", groups=f"{SALESMAN},{MP_USER}"
        )
        cls.arabic_seller = new_test_user(
            cls.env,
            login="cm_p_seller_ar",
            groups=f"{SALESMAN},{MP_USER}",
            lang="ar_001",
            tz="Africa/Cairo",
        )
        cls.storekeeper = new_test_user(
            cls.env, login="cm_p_store", groups=f"{STOCK_USER},{MP_USER}"
        )
        cls.config.user_id = cls.seller

    def _errors(self, order):
        return order.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(ERROR_ACTIVITY)
        )

    def _rejected(self, order, body="no such order"):
        self.sandbox.state.add_fault("error", count=1, status=422, body={"error": body})
        self._run_job(order)

    # ------------------------------------------------------------------
    # The right person
    # ------------------------------------------------------------------
    def test_alerts_never_go_to_odoobot(self):
        odoobot = self.env.ref("base.user_root")
        order = self._make_order()
        order.with_context(**NO_SYNC).action_confirm()
        order.user_id = odoobot  # an order the scheduled pull imported, say
        self._rejected(order)
        self.assertEqual(self._errors(order).user_id, self.seller, "the responsible")

    def test_alerts_go_to_the_orders_salesperson_if_active(self):
        order = self._make_order()
        order.with_context(**NO_SYNC).action_confirm()
        order.user_id = self.arabic_seller
        self._rejected(order)
        self.assertEqual(self._errors(order).user_id, self.arabic_seller)
        other = self._make_order()
        other.with_context(**NO_SYNC).action_confirm()
        left = new_test_user(self.env, login="cm_p_left", groups=SALESMAN)
        other.user_id = left
        left.active = False
        self._rejected(other)
        self.assertEqual(self._errors(other).user_id, self.seller)

    def test_a_responsible_who_left_the_orders_company_is_not_told(self):
        other_company = self.env["res.company"].create({"name": "Elsewhere"})
        leaving = new_test_user(
            self.env, login="cm_p_leaving", groups=f"{SALESMAN},{MP_USER}"
        )
        new_test_user(self.env, login="cm_p_manager", groups=f"{SALESMAN},{MP_MANAGER}")
        self.config.user_id = leaving
        # Moved to another company after being made the account's responsible.
        leaving.write(
            {
                "company_ids": [Command.set(other_company.ids)],
                "company_id": other_company.id,
            }
        )
        order = self._make_order()
        order.with_context(**NO_SYNC).action_confirm()
        order.user_id = self.env.ref("base.user_root")
        self._rejected(order)
        told = self._errors(order).user_id
        self.assertEqual(len(told), 1)
        self.assertNotEqual(told, leaving)
        self.assertTrue(told.has_group(MP_MANAGER))
        self.assertIn(order.company_id, told.company_ids, "a manager of its company")

    def test_imported_orders_get_the_accounts_responsible_and_team(self):
        team = self.env["crm.team"].create({"name": "Cartona retail"})
        self.config.team_id = team
        self.sandbox.state.add_order(
            {
                "hashed_id": "PPL00001",
                "retailer": {"retailer_name": "Salma Market", "retailer_code": "S1"},
                "order_details": [
                    {
                        "id": 9001,
                        "internal_product_id": str(self.product.id),
                        "amount": 2,
                        "selling_price": 350,
                    }
                ],
            }
        )
        self.config.product_match = "variant_id"
        with trap_jobs() as trap:
            self.config.with_user(self.env.ref("base.user_root"))._pull_orders()
            trap.perform_enqueued_jobs()
        order = self.env["sale.order"].search([("cartona_id", "=", "PPL00001")])
        self.assertEqual((order.user_id, order.team_id), (self.seller, team))

    # ------------------------------------------------------------------
    # Their language, in words
    # ------------------------------------------------------------------
    def test_an_arabic_salesperson_reads_arabic_whoever_triggered(self):
        order = self._make_order()
        order.user_id = self.arabic_seller
        order.with_context(**NO_SYNC).action_confirm()
        self.sandbox.state.add_fault(
            "error", count=1, status=422, body={"error": "order is locked"}
        )
        # An English administrator's change; the job runs as them.
        order.with_context(lang="en_US")._sync_status_to_marketplace()
        message = order.marketplace_error_message
        self.assertIn("كارتونا", message)
        self.assertIn("order is locked", message, "Cartona's own words, as sent")
        self.assertNotIn("Cartona refused", message)
        self.assertNotIn("approved", message, "statuses by their label, not code")
        self.assertIn("كارتونا", self._errors(order).note)
        self.assertNotIn("Fix what the message says", self._errors(order).note)

    def test_an_unreachable_cartona_is_said_in_words_with_the_next_try(self):
        order = self._make_order()
        order.user_id = self.seller
        order.with_context(**NO_SYNC).action_confirm()
        order.with_delay()._sync_status_to_marketplace("combined")
        job = self.env["queue.job"].search([], order="id desc", limit=1)
        self.sandbox.state.add_fault("drop", count=1)
        error = self._perform_like_queue_job(order, job_uuid=job.uuid)
        self.assertIsInstance(error, RetryableJobError)
        message = order.marketplace_error_message
        self.assertRegex(
            message, r"^Cartona could not be reached; Odoo will try again at \d\d:\d\d"
        )
        for technical in ("Connection aborted", "RemoteDisconnected", "POST", "HTTP"):
            self.assertNotIn(technical, message)
        log = self.env["marketplace.sync.log"].search([("order_id", "=", order.id)])
        self.assertEqual(log.outcome, "transient_error")
        self.assertTrue(log.error_message, "the technical detail is in the log")

    def test_a_refusal_names_what_was_refused_and_cartonas_reason(self):
        order = self._make_order()
        order.user_id = self.seller
        order.with_context(**NO_SYNC).action_confirm()
        self._rejected(order, body="retailer blocked")
        self.assertEqual(
            order.marketplace_error_message,
            "Cartona refused the status Approved: retailer blocked",
        )

    # ------------------------------------------------------------------
    # A clear next step
    # ------------------------------------------------------------------
    def test_cancelling_what_cartona_delivered_warns_first(self):
        order = self._make_order(cartona_status="delivered")
        order.user_id = self.seller  # a salesperson cancels their own order
        order.with_context(**NO_SYNC).action_confirm()
        action = order.with_user(self.seller).action_cancel()
        self.assertEqual(action["res_model"], "marketplace.cancel.reason")
        self.assertEqual(order.state, "sale", "nothing done before the person agrees")
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.seller)
            .with_context(**action["context"])
        )
        self.assertIn("takes no change after delivery", wizard.cartona_warning)
        self.assertFalse(wizard.needs_reason)
        with trap_jobs() as trap:
            result = wizard.save().action_cancel_orders()
            trap.perform_enqueued_jobs()
        self.assertEqual(result, {"type": "ir.actions.act_window_close"})
        self.assertEqual(order.state, "cancel")
        self.assertEqual(self.sandbox.state.requests, [], "Cartona is not told")
        self.assertNotEqual(order.marketplace_sync_status, "error")

    def test_buttons_show_only_when_they_can_do_something(self):
        order = self._make_order()
        self.assertFalse(order.marketplace_sync_due, "a quotation Cartona has")
        order.with_context(**NO_SYNC).action_confirm()
        order.invalidate_recordset(["marketplace_sync_due"])  # a form read anew
        self.assertTrue(order.marketplace_sync_due)
        self.assertFalse(order.marketplace_status_sync_due, "the same as Enhanced")
        self._run_job(order)
        order.invalidate_recordset(["marketplace_sync_due"])
        self.assertFalse(order.marketplace_sync_due)
        self._ship(order.with_context(**NO_SYNC))
        order.invalidate_recordset(["marketplace_sync_due"])
        self.assertTrue(order.marketplace_sync_due)

    def test_the_pulled_status_shows_only_when_it_tells_something(self):
        order = self._make_order()
        order.cartona_status_raw = "pending"
        self.assertFalse(order.cartona_status_differs, "the Status on Cartona")
        order.marketplace_status = "approved"
        self.assertFalse(order.cartona_status_differs, "an earlier step of it")
        order.cartona_status_raw = "cancelled_by_retailer"
        self.assertTrue(order.cartona_status_differs, "not on the way to approved")
        order.cartona_status_raw = "on_hold"
        self.assertTrue(order.cartona_status_differs, "a status Odoo does not know")

    # ------------------------------------------------------------------
    # The people of the README
    # ------------------------------------------------------------------
    def test_a_storekeeper_with_the_marketplace_group_works_on_cartona_orders(self):
        order = self._make_order(cartona_status="approved")
        self.sandbox.state.set_status(order.cartona_id, "approved")
        order.with_context(**NO_SYNC).action_confirm()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "cartona_marketplace.sale_order_action_marketplace"
        )
        as_store = self.env["sale.order"].with_user(self.storekeeper)
        self.assertIn(order, as_store.search(safe_eval(action["domain"])))
        picking = order.picking_ids.with_user(self.storekeeper)
        picking.action_assign()
        picking.move_ids.write({"quantity": 4, "picked": True})
        with trap_jobs() as trap:
            picking.button_validate()
            trap.perform_enqueued_jobs()
        self.assertEqual(order.marketplace_status, "assigned_to_salesman")
        order.with_user(self.storekeeper).action_confirm_marketplace_delivery()
        self.assertEqual(order.marketplace_status, "delivered")
