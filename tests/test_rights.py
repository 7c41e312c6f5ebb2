# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Who may make Odoo talk to Cartona, and who may bind an order to Cartona.

Every check runs as the user concerned (``with_user``), never as an administrator.
"""

from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import NO_SYNC, CartonaCase

SALESMAN = "sales_team.group_sale_salesman_all_leads"
STOCK_USER = "stock.group_stock_user"
MP_USER = "cartona_marketplace.group_marketplace_user"
MP_MANAGER = "cartona_marketplace.group_marketplace_manager"
TOKEN_ACTIVITY = "cartona_marketplace.mail_activity_type_cartona_token_rejected"
ERROR_ACTIVITY = "cartona_marketplace.mail_activity_type_cartona_sync_error"


@tagged("post_install", "-at_install")
class TestRights(CartonaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.employee = new_test_user(
            cls.env, login="cm_r_employee", groups="base.group_user"
        )
        cls.portal = new_test_user(
            cls.env, login="cm_r_portal", groups="base.group_portal"
        )
        cls.salesman = new_test_user(cls.env, login="cm_r_salesman", groups=SALESMAN)
        cls.mp_user = new_test_user(
            cls.env, login="cm_r_mp_user", groups=f"{SALESMAN},{MP_USER}"
        )
        cls.mp_manager = new_test_user(
            cls.env, login="cm_r_mp_manager", groups=f"{SALESMAN},{MP_MANAGER}"
        )
        cls.storekeeper = new_test_user(cls.env, login="cm_r_store", groups=STOCK_USER)
        cls.company_b = cls.env["res.company"].create({"name": "Company B (rights)"})
        cls.manager_b = new_test_user(
            cls.env,
            login="cm_r_manager_b",
            groups=f"{SALESMAN},{MP_MANAGER}",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.user_b = new_test_user(
            cls.env,
            login="cm_r_user_b",
            groups=f"{SALESMAN},{MP_USER}",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )

    def _requests(self):
        return self.sandbox.state.requests

    # ------------------------------------------------------------------
    # Rights before any remote call
    # ------------------------------------------------------------------
    def test_no_call_to_cartona_before_the_rights_are_checked(self):
        for user in (self.employee, self.portal, self.manager_b, self.mp_user):
            config = self.config.with_user(user)
            for method in ("action_pull_orders", "action_test_connection"):
                with self.subTest(user=user.login, method=method):
                    with self.assertRaises(AccessError):
                        getattr(config, method)()
                    self.assertEqual(self._requests(), [], "nothing went out")
        # The account's own manager may.
        self.config.with_user(self.mp_manager).action_test_connection()
        self.assertEqual(len(self._requests()), 1)

    def test_order_buttons_need_the_marketplace_group(self):
        order = self._make_order()
        order.with_context(**NO_SYNC).action_confirm()
        for method in (
            "action_manual_sync_to_marketplace",
            "action_sync_enhanced_status",
            "action_marketplace_retry",
            "action_test_status_sync",
            "action_confirm_marketplace_delivery",
        ):
            with self.subTest(method=method):
                with trap_jobs() as trap, self.assertRaises(AccessError):
                    getattr(order.with_user(self.salesman), method)()
                trap.assert_jobs_count(0)
        with trap_jobs() as trap:
            order.with_user(self.mp_user).action_sync_enhanced_status()
            trap.assert_jobs_count(1)

    def test_a_delivery_confirmation_is_refused_before_it_is_sent(self):
        order = self._make_order(cartona_status="approved")
        self.sandbox.state.set_status(order.cartona_id, "approved")
        order.with_context(**NO_SYNC).action_confirm()
        self._ship(order.with_context(**NO_SYNC))
        with self.assertRaises(AccessError):
            order.with_user(self.salesman)._marketplace_confirm_delivery()
        self.assertEqual(self._requests(), [])
        order.with_user(self.mp_user)._marketplace_confirm_delivery()
        self.assertEqual(self._history(order), ["assigned_to_salesman", "delivered"])
        self.assertEqual(order.marketplace_status, "delivered")

    # ------------------------------------------------------------------
    # The fields that bind an order to Cartona
    # ------------------------------------------------------------------
    def test_a_salesperson_cannot_forge_a_cartona_order(self):
        Order = self.env["sale.order"].with_user(self.salesman)
        with self.assertRaisesRegex(AccessError, "Marketplace Manager"):
            Order.create(
                {
                    "partner_id": self.retailer.id,
                    "is_marketplace_order": True,
                    "cartona_id": "SOMEONE-ELSES",
                    "marketplace_config_id": self.config.id,
                }
            )
        # An ordinary quotation, defaults included as the form sends them, is fine.
        form = Form(Order)
        form.partner_id = self.retailer
        with form.order_line.new() as line:
            line.product_id = self.product
        ordinary = form.save()
        with trap_jobs() as trap:
            ordinary.action_confirm()
            trap.assert_jobs_count(0)
        with self.assertRaises(AccessError):
            ordinary.write({"is_marketplace_order": True, "cartona_id": "X"})

    def test_a_salesperson_cannot_switch_who_delivers(self):
        order = self._make_order(delivered_by="delivered_by_cartona")
        as_salesman = order.with_user(self.salesman)
        for vals in (
            {"delivered_by": "delivered_by_supplier"},
            {"cartona_id": "OTHER"},
            {"marketplace_status": "approved"},
            {"marketplace_payment_method": "installment"},
            {"marketplace_config_id": False},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                as_salesman.write(vals)
        # Unchanged values are no change (a form saving its fields).
        as_salesman.write({"delivered_by": "delivered_by_cartona", "note": "ring"})

    def test_a_marketplace_manager_binds_orders_and_it_is_tracked(self):
        order = self._make_order()
        # As if the order had been created in an earlier transaction: Odoo tracks no
        # change of a record created in the same one.
        self.env.cr.precommit.run()
        # The test class disables tracking (DISABLED_MAIL_CONTEXT): a user's write.
        order.with_user(self.mp_manager).with_context(
            tracking_disable=False, mail_notrack=False
        ).write({"delivered_by": "delivered_by_cartona", "cartona_id": "FIXED-1"})
        self.env.cr.precommit.run()  # tracking is written when the change commits
        tracked = (
            self.env["mail.tracking.value"]
            .search(
                [
                    ("mail_message_id.model", "=", "sale.order"),
                    ("mail_message_id.res_id", "=", order.id),
                ]
            )
            .field_id.mapped("name")
        )
        self.assertIn("delivered_by", tracked)
        self.assertIn("cartona_id", tracked)

    # ------------------------------------------------------------------
    # Internal switches are not a client's to send
    # ------------------------------------------------------------------
    def test_context_keys_sent_by_a_client_change_nothing(self):
        order = self._make_order()
        rpc_context = {"skip_marketplace_sync": True, "marketplace_inbound": True}
        with trap_jobs() as trap:
            order.with_user(self.salesman).with_context(**rpc_context).action_confirm()
            trap.assert_jobs_count(1, only=order._sync_status_to_marketplace)
        editing = self._make_order(cartona_status="editing")
        with self.assertRaisesRegex(Exception, "editing"):
            editing.with_user(self.salesman).with_context(
                **rpc_context
            ).action_confirm()
        # Not even the internal key with a client's (JSON) value.
        forged = {"cartona_marketplace_internal": ["no_sync", "inbound"]}
        cancelled = self._make_order()
        with trap_jobs() as trap:
            cancelled.with_user(self.salesman).with_context(**forged)._action_cancel()
            trap.assert_jobs_count(1)

    # ------------------------------------------------------------------
    # People of the other company, and people who sell
    # ------------------------------------------------------------------
    def test_token_alert_reaches_the_managers_of_the_accounts_company_only(self):
        self.config.auth_token = "wrong"
        self.config.action_test_connection()
        alerted = self.config.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(TOKEN_ACTIVITY)
        ).user_id
        self.assertIn(self.env.ref("base.user_admin"), alerted)
        self.assertIn(self.mp_manager, alerted)
        self.assertNotIn(self.manager_b, alerted)

    def test_another_companys_user_cannot_open_the_delivery_dialog(self):
        order = self._make_order()
        Wizard = self.env["marketplace.delivery.confirm"].with_user(self.user_b)
        with self.assertRaises(AccessError):
            Wizard.create({"order_id": order.id})
        wizard = (
            self.env["marketplace.delivery.confirm"]
            .with_user(self.mp_user)
            .create({"order_id": order.id})
        )
        self.assertEqual(wizard.payment_method, "standard")

    def test_a_salesperson_cancels_a_marketplace_order(self):
        order = self._make_order()
        order.with_context(**NO_SYNC).action_confirm()
        as_salesman = order.with_user(self.salesman)
        action = as_salesman.action_cancel()
        self.assertEqual(action["res_model"], "marketplace.cancel.reason")
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.salesman)
            .with_context(**action["context"])
        )
        self.assertEqual(wizard.cancellation_reason, "supplier_asked_me_to_cancel")
        with trap_jobs() as trap:
            wizard.save().action_cancel_orders()
            trap.perform_enqueued_jobs()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(self._history(order), ["cancelled_by_supplier"])

    def test_the_pickup_otp_is_for_the_people_who_hand_the_goods(self):
        order = self._make_order(delivered_by="delivered_by_cartona")
        order.sudo().cartona_pickup_otp = "7341"
        self.assertEqual(order.with_user(self.storekeeper).cartona_pickup_otp, "7341")
        for user in (self.salesman, self.mp_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                order.with_user(user).read(["cartona_pickup_otp"])
        portal_partner = self.portal.partner_id
        order.partner_id = portal_partner
        with self.assertRaises(AccessError):
            order.with_user(self.portal).read(["cartona_pickup_otp"])

    # ------------------------------------------------------------------
    # Remote text is text
    # ------------------------------------------------------------------
    def test_cartonas_error_text_reaches_people_as_text(self):
        order = self._make_order()
        order.user_id = self.mp_user
        order.with_context(**NO_SYNC).action_confirm()
        hostile = (
            '<a href="https://evil.example/login">re-enter your password</a>'
            "<h1>Urgent</h1>"
        )
        self.sandbox.state.add_fault(
            "error", count=1, status=400, body={"error": hostile}
        )
        self._run_job(order)
        activity = order.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(ERROR_ACTIVITY)
        )
        self.assertNotIn("<a href", activity.note)
        self.assertNotIn("<h1>", activity.note)
        self.assertIn("&lt;a href", activity.note)
        self.config.auth_token = "wrong"
        self.sandbox.state.add_fault(
            "error", count=1, status=401, body={"error": hostile}
        )
        self.config.action_test_connection()
        alert = self.config.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(TOKEN_ACTIVITY)
        )[:1]
        self.assertNotIn("<a href", alert.note)
        self.assertIn("&lt;h1&gt;", alert.note)
