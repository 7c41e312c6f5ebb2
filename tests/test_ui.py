# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import HttpCase, tagged

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT, new_test_user

from ..sandbox import SandboxServer
from .common import NO_SYNC

TOKEN = "tour-token"


@tagged("post_install", "-at_install")
class TestUi(HttpCase):
    """Browser tours: a salesperson and a manager use the addon in Chromium."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        cls.sandbox = SandboxServer(host="127.0.0.1", port=0, token=TOKEN)
        cls.sandbox.start()
        cls.addClassCleanup(cls.sandbox.stop)
        cls.config = cls.env["marketplace.config"].create(
            {
                "name": "Cartona Tour",
                "api_base_url": cls.sandbox.base_url,
                "auth_token": TOKEN,
            }
        )
        warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        product = cls.env["product.product"].create(
            {"name": "Tour Tea 100 bags", "type": "consu", "is_storable": True}
        )
        cls.env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, 100
        )
        partner = cls.env["res.partner"].create({"name": "Alexandria Market"})
        orders = cls.env["sale.order"]
        for hashed_id, delivered_by in (
            ("TOUR0001", "delivered_by_supplier"),
            ("TOUR0002", "delivered_by_cartona"),
            ("TOUR0003", "delivered_by_supplier"),
        ):
            orders |= cls.env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "is_marketplace_order": True,
                    "cartona_id": hashed_id,
                    "marketplace_config_id": cls.config.id,
                    "delivered_by": delivered_by,
                    "marketplace_status": "pending",
                    "order_line": [
                        (0, 0, {"product_id": product.id, "product_uom_qty": 2})
                    ],
                }
            )
            cls.sandbox.state.add_order(
                {
                    "hashed_id": hashed_id,
                    "status": "pending",
                    "delivered_by": delivered_by,
                    "retailer": {"retailer_name": "Alexandria Market"},
                    "order_details": [
                        {
                            "id": 1,
                            "internal_product_id": "1",
                            "amount": 2,
                            "selling_price": 10,
                        }
                    ],
                }
            )
        orders.action_confirm()
        # The first order synced for real (a success log), the third rejected.
        orders[0]._sync_status_to_marketplace()
        orders[2].write(
            {
                "marketplace_sync_status": "error",
                "marketplace_error_message": "Rejected",
            }
        )
        picking = orders[0].picking_ids
        picking.action_assign()
        picking.move_ids.write({"quantity": 2, "picked": True})
        picking.with_context(**NO_SYNC)._action_done()

        # The people of the README: a salesperson with the Marketplace User group,
        # an integrator with the Marketplace Manager group; neither an administrator.
        cls.salesperson = new_test_user(
            cls.env,
            login="tour_salesperson",
            groups="sales_team.group_sale_salesman_all_leads,"
            "cartona_marketplace.group_marketplace_user",
        )
        cls.manager = new_test_user(
            cls.env,
            login="tour_manager",
            groups="sales_team.group_sale_salesman_all_leads,"
            "cartona_marketplace.group_marketplace_manager",
        )
        for user in cls.salesperson | cls.manager:
            assert not user.has_group("base.group_system")

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
