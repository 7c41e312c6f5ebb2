# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import HttpCase, tagged

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT, new_test_user
from odoo.addons.queue_job.tests.common import trap_jobs

from ..sandbox import SandboxServer
from .common import NO_SYNC

TOKEN = "tour-token"
SALESPERSON_GROUPS = ",".join(
    (
        "sales_team.group_sale_salesman_all_leads",
        "cartona_marketplace.group_marketplace_user",
    )
)


@tagged("post_install", "-at_install")
class TestUi(HttpCase):
    """Browser tours: the people of the README use the addon in Chromium.

    A salesperson and an integrator, neither an administrator: the salesperson has
    Sales / User and Marketplace User, the integrator Marketplace Manager.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        cls.sandbox = SandboxServer(host="127.0.0.1", port=0, token=TOKEN)
        cls.sandbox.start()
        cls.addClassCleanup(cls.sandbox.stop)
        cls.env["res.lang"]._activate_lang("ar_001")
        cls.env["ir.module.module"]._load_module_terms(
            ["cartona_marketplace"], ["ar_001"], overwrite=True
        )
        cls.salesperson = new_test_user(
            cls.env, login="tour_salesperson", groups=SALESPERSON_GROUPS
        )
        cls.arabic_salesperson = new_test_user(
            cls.env,
            login="tour_salesperson_ar",
            groups=SALESPERSON_GROUPS,
            lang="ar_001",
        )
        cls.manager = new_test_user(
            cls.env,
            login="tour_manager",
            groups="sales_team.group_sale_salesman_all_leads,"
            "cartona_marketplace.group_marketplace_manager",
        )
        cls.storekeeper = new_test_user(
            cls.env,
            login="tour_storekeeper",
            groups="stock.group_stock_user,cartona_marketplace.group_marketplace_user",
        )
        for user in cls.salesperson | cls.arabic_salesperson | cls.manager:
            assert not user.has_group("base.group_system")
        cls.config = cls.env["marketplace.config"].create(
            {
                "name": "Cartona Tour",
                "api_base_url": cls.sandbox.base_url,
                "allow_local_sandbox": True,
                "auth_token": TOKEN,
                "user_id": cls.salesperson.id,
            }
        )
        warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Tour Tea 100 bags", "type": "consu", "is_storable": True}
        )
        cls.env["stock.quant"]._update_available_quantity(
            cls.product, warehouse.lot_stock_id, 100
        )
        cls.partner = cls.env["res.partner"].create({"name": "Alexandria Market"})
        orders = cls.env["sale.order"]
        for hashed_id, delivered_by in (
            ("TOUR0001", "delivered_by_supplier"),
            ("TOUR0002", "delivered_by_cartona"),
            ("TOUR0003", "delivered_by_supplier"),
        ):
            orders |= cls._order(hashed_id, delivered_by=delivered_by)
        orders.action_confirm()
        # The first order synced for real (a success log), the third rejected.
        orders[0]._sync_status_to_marketplace()
        orders[2].write(
            {
                "marketplace_sync_status": "error",
                "marketplace_error_message": "Rejected",
            }
        )
        Log = cls.env["marketplace.sync.log"]
        Log._record([Log._vals(cls.config, "status_push", "rejected", order=orders[2])])
        cls._ship(orders[0])

    @classmethod
    def _order(cls, hashed_id, status="pending", extra=None, **values):
        """A Cartona order of the salesperson, known to the sandbox."""
        order = cls.env["sale.order"].create(
            {
                "partner_id": cls.partner.id,
                "user_id": cls.salesperson.id,
                "is_marketplace_order": True,
                "cartona_id": hashed_id,
                "marketplace_config_id": cls.config.id,
                "marketplace_status": status,
                "order_line": [
                    (0, 0, {"product_id": cls.product.id, "product_uom_qty": 2})
                ],
                **values,
            }
        )
        cls.sandbox.state.add_order(
            {
                "hashed_id": hashed_id,
                "status": status,
                "delivered_by": values.get("delivered_by", "delivered_by_supplier"),
                "retailer": {"retailer_name": "Alexandria Market"},
                "order_details": [
                    {
                        "id": 1,
                        "internal_product_id": "1",
                        "amount": 2,
                        "selling_price": 10,
                    }
                ],
                **(extra or {}),
            }
        )
        return order

    @classmethod
    def _ship(cls, order):
        picking = order.picking_ids
        picking.action_assign()
        picking.move_ids.write({"quantity": 2, "picked": True})
        picking.with_context(**NO_SYNC)._action_done()

    def test_salesperson_tour(self):
        self.start_tour(
            "/odoo/action-cartona_marketplace.sale_order_action_marketplace",
            "cartona_marketplace_salesperson",
            login=self.salesperson.login,
        )

    def test_manager_dashboard_tour(self):
        self.start_tour(
            "/odoo/action-cartona_marketplace.marketplace_dashboard_action",
            "cartona_marketplace_manager_dashboard",
            login=self.manager.login,
        )

    def test_a_mistyped_otp_keeps_the_dialog_open(self):
        order = self._order(
            "TOUROTP1",
            status="approved",
            marketplace_payment_method="installment",
            extra={"installment_cost": 900, "_retailer_otp": "482913"},
        )
        order.with_context(**NO_SYNC).action_confirm()
        self._ship(order)
        self.start_tour(
            f"/odoo/action-cartona_marketplace.sale_order_action_marketplace/{order.id}",
            "cartona_marketplace_wrong_otp",
            login=self.salesperson.login,
        )
        self.assertEqual(order.marketplace_status, "delivered")
        self.assertNotEqual(order.marketplace_sync_status, "error")
        self.assertEqual(
            self.sandbox.state.order("TOUROTP1")["status"], "delivered", "the 2nd code"
        )

    def test_cancelling_what_cartona_delivered_is_explained_first(self):
        order = self._order("TOURDLV1", status="delivered")
        order.with_context(**NO_SYNC).action_confirm()
        with trap_jobs():
            self.start_tour(
                f"/odoo/action-cartona_marketplace.sale_order_action_marketplace"
                f"/{order.id}",
                "cartona_marketplace_cancel_delivered",
                login=self.salesperson.login,
            )
        self.assertEqual(order.state, "cancel")
        self.assertNotEqual(order.marketplace_sync_status, "error")

    def test_an_arabic_salesperson_reads_the_error_in_arabic(self):
        order = self._order("TOURAR01", user_id=self.arabic_salesperson.id)
        order.with_context(**NO_SYNC).action_confirm()
        self.sandbox.state.add_fault(
            "error", count=1, status=422, body={"error": "order is locked"}
        )
        order.with_context(lang="en_US")._sync_status_to_marketplace()
        self.assertTrue(order.marketplace_error_message.startswith("رفضت كارتونا"))
        self.start_tour(
            f"/odoo/action-cartona_marketplace.sale_order_action_marketplace/{order.id}",
            "cartona_marketplace_arabic_error",
            login=self.arabic_salesperson.login,
        )

    # ------------------------------------------------------------------
    # The error paths people act on (issue 22)
    # ------------------------------------------------------------------
    def _refused_catalog(self):
        """A listed product Cartona carries, one it does not (sent and refused), one
        not sent yet; the job ran as a Marketplace Manager's would."""
        Product = self.env["product.product"]
        known, unknown, new = Product.create(
            [
                {"name": name, "default_code": code, "list_price": 5.0}
                for name, code in (
                    ("Tour juice", "CAT-TOUR-OK"),
                    ("Tour juice Cartona never heard of", "NOT-ON-CARTONA"),
                    ("Tour juice not sent yet", "CAT-TOUR-NEW"),
                )
            ]
        )
        self.sandbox.state.put_products(
            [{"id": 7001, "internal_product_id": "CAT-TOUR-OK", "selling_price": 1.0}]
        )
        Listing = self.env["marketplace.product"].with_user(self.manager)
        listings = Listing.create(
            [{"config_id": self.config.id, "product_id": p.id} for p in known | unknown]
        )
        self.env.flush_all()
        self.env.cr.precommit.run()  # the changes are marked as a commit marks them
        self.env["marketplace.catalog.sync"]._run(self.config)
        Listing.create({"config_id": self.config.id, "product_id": new.id})
        refused = listings.filtered(lambda listing: listing.product_id == unknown)
        self.assertEqual(refused.sync_state, "refused")
        return refused

    def test_a_manager_finds_and_reads_a_refused_listing(self):
        self._refused_catalog()
        self.start_tour(
            "/odoo/action-cartona_marketplace.marketplace_product_action",
            "cartona_marketplace_refused_listing",
            login=self.manager.login,
        )

    def test_an_arabic_manager_reads_a_refused_listing_right_to_left(self):
        refused = self._refused_catalog()
        self.manager.lang = "ar_001"
        self.start_tour(
            f"/odoo/action-cartona_marketplace.marketplace_product_action/{refused.id}",
            "cartona_marketplace_refused_listing_rtl",
            login=self.manager.login,
        )

    def test_a_storekeeper_confirms_a_delivery_from_the_order_form(self):
        # The form shows the order's optional products: a storekeeper who is a
        # Marketplace User may read them (Inventory / User alone may not).
        self.assertFalse(self.storekeeper.has_group("sales_team.group_sale_salesman"))
        order = self._order("TOURSTK1", status="approved")
        order.with_context(**NO_SYNC).action_confirm()
        self._ship(order)
        self.sandbox.state.set_status("TOURSTK1", "assigned_to_salesman")
        order.with_context(**NO_SYNC).write(
            {"marketplace_status": "assigned_to_salesman"}
        )
        self.start_tour(
            f"/odoo/action-cartona_marketplace.sale_order_action_marketplace/{order.id}",
            "cartona_marketplace_storekeeper_delivers",
            login=self.storekeeper.login,
        )
        self.assertEqual(order.marketplace_status, "delivered")
        self.assertEqual(self.sandbox.state.orders["TOURSTK1"]["status"], "delivered")

    def test_an_arabic_salesperson_keeps_the_otp_through_a_blip(self):
        order = self._order(
            "TOURBLP1",
            status="approved",
            marketplace_payment_method="installment",
            extra={"installment_cost": 900, "_retailer_otp": "482913"},
            user_id=self.arabic_salesperson.id,
        )
        order.with_context(**NO_SYNC).action_confirm()
        self._ship(order)
        self.sandbox.state.add_fault("error", count=1, status=503, path="TOURBLP1")
        self.start_tour(
            f"/odoo/action-cartona_marketplace.sale_order_action_marketplace/{order.id}",
            "cartona_marketplace_delivery_blip",
            login=self.arabic_salesperson.login,
        )
        self.assertEqual(order.marketplace_status, "delivered")
        self.assertNotEqual(order.marketplace_sync_status, "error")
        self.assertFalse(order.activity_ids)

    def test_the_form_of_an_order_being_sent(self):
        order = self._order(
            "TOURSND1",
            marketplace_cartona_lines={
                "1": {"amount": 2, "price": 10.0, "cancelled": False}
            },
        )
        # Odoo's line is Cartona's line 1, as Cartona has it: only the status differs.
        order.order_line.with_context(**NO_SYNC).write(
            {"cartona_line_ref": "1", "price_unit": 10.0}
        )
        order.with_context(**NO_SYNC).action_confirm()
        order.with_context(**NO_SYNC).write({"marketplace_sync_status": "syncing"})
        self.assertTrue(order.marketplace_sync_due, "Enhanced Sync would have work")
        self.start_tour(
            f"/odoo/action-cartona_marketplace.sale_order_action_marketplace/{order.id}",
            "cartona_marketplace_sending_form",
            login=self.salesperson.login,
        )
