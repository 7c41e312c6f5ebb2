# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The order form tells the truth: Cartona Total, the sync buttons, the chatter."""

from lxml import etree

from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.queue_job.tests.common import trap_jobs

from .test_inbound import InboundCase

SALESMAN = "sales_team.group_sale_salesman"
MP_USER = "cartona_marketplace.group_marketplace_user"


@tagged("post_install", "-at_install")
class TestFormTruth(InboundCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ar_001")
        cls.env["ir.module.module"]._load_module_terms(
            ["sale", "cartona_marketplace"], ["ar_001"], overwrite=True
        )
        cls.seller = new_test_user(
            cls.env, login="cm_truth_seller", groups=f"{SALESMAN},{MP_USER}"
        )
        cls.arabic_seller = new_test_user(
            cls.env,
            login="cm_truth_seller_ar",
            groups=f"{SALESMAN},{MP_USER}",
            lang="ar_001",
        )

    def _button_invisible(self, button, **values):
        """Whether the order form hides ``button`` for a record with ``values``."""
        arch = self.env["sale.order"].get_views([(False, "form")])["views"]["form"][
            "arch"
        ]
        node = etree.fromstring(arch).xpath(f"//button[@name='{button}']")[0]
        return bool(safe_eval(node.get("invisible", "False"), values))

    def test_cartona_total_follows_the_lines_cartona_takes(self):
        self.config.user_id = self.seller
        hashed_id = self._feed()
        self._sync()
        order = self._order(hashed_id)
        self.assertEqual(order.cartona_total, 1450)
        line = order.order_line.filtered(lambda line: line.product_id == self.juice)
        with trap_jobs() as trap:
            line.with_user(self.seller).product_uom_qty = 1
            self.env.flush_all()
            # Not sent yet: Cartona still has 3 boxes, and so does its total.
            self.assertEqual(order.cartona_total, 1450)
            self._run_jobs(trap)
        self.env.invalidate_all()
        self.assertEqual(order.cartona_total, 350 + 2 * 200)

    def test_enhanced_sync_is_hidden_while_the_order_is_sending(self):
        for button in (
            "action_sync_enhanced_status",
            "action_manual_sync_to_marketplace",
        ):
            values = {
                "marketplace_sync_due": True,
                "marketplace_status_sync_due": True,
                "marketplace_sync_status": "syncing",
            }
            self.assertTrue(self._button_invisible(button, **values), button)
            values["marketplace_sync_status"] = "synced"
            self.assertFalse(self._button_invisible(button, **values), button)

    def test_the_imports_chatter_is_in_the_salespersons_language(self):
        self.config.user_id = self.arabic_seller
        hashed_id = self._feed(status="approved")
        self.assertEqual(self.env.user.lang, "en_US")  # the pull's user
        self._sync()
        order = self._order(hashed_id)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.user_id, self.arabic_seller)
        tracking = order.message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "state"
        )
        self.assertTrue(tracking)
        arabic = dict(
            self.env["sale.order"]
            .with_context(lang="ar_001")
            .fields_get(["state"], ["selection"])["state"]["selection"]
        )["sale"]
        self.assertNotEqual(arabic, "Sales Order", "Odoo's Arabic terms are loaded")
        self.assertEqual(tracking[-1:].new_value_char, arabic)
