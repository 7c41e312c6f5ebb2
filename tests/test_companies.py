# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A listing lives in its account's company: no company speaks with another's token.

The attacker is company B's Marketplace Manager, a user of company B only, with
company A's account and listings in the same database.
"""

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from . import test_catalog

SALESMAN = "sales_team.group_sale_salesman_all_leads"
MP_MANAGER = "cartona_marketplace.group_marketplace_manager"


@tagged("post_install", "-at_install")
class TestCompanies(test_catalog.CatalogCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Company B (listings)"})
        cls.manager_b = new_test_user(
            cls.env,
            login="cm_co_manager_b",
            groups=f"{SALESMAN},{MP_MANAGER}",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.config_b = cls.env["marketplace.config"].create(
            {
                "name": "Cartona of company B",
                "company_id": cls.company_b.id,
                "api_base_url": cls.sandbox.base_url,
                "allow_local_sandbox": True,
                "auth_token": "token-of-company-b",
            }
        )
        cls.secret = cls.env["product.product"].create(
            {"name": "A's secret product", "default_code": "CAT-SECRET"}
        )

    def setUp(self):
        super().setUp()
        self.listing_a = self._list(self.secret)
        self.listing_b = self.env["marketplace.product"].create(
            {"config_id": self.config_b.id, "product_id": self.items[0].id}
        )
        self.env.cr.precommit.clear()
        self.Listing_b = self.env["marketplace.product"].with_user(self.manager_b)

    def test_b_cannot_create_a_listing_on_as_account(self):
        for product in (self.items[1], self.secret):
            with (
                self.subTest(product=product.name),
                self.assertRaises(AccessError) as caught,
                mute_logger("odoo.sql_db"),
            ):
                self.Listing_b.create(
                    {"config_id": self.config.id, "product_id": product.id}
                )
            # Whether A lists the product or not, B reads the same refusal.
            self.assertNotIn(self.secret.name, str(caught.exception))
            self.assertNotIn("only be listed once", str(caught.exception))

    def test_b_cannot_move_a_listing_onto_as_account(self):
        listing = self.listing_b.with_user(self.manager_b)
        with self.assertRaises(AccessError):
            listing.write(
                {"config_id": self.config.id, "supplier_product_id": "A-PRODUCT-7"}
            )
        self.assertEqual(self.listing_b.config_id, self.config_b)

    def test_a_listings_company_is_its_accounts(self):
        for user in (self.manager_b, self.env.user):
            listing = self.listing_b.with_user(user)
            with (
                self.subTest(user=user.login),
                self.assertRaises(ValidationError),
            ):
                listing.write({"company_id": self.env.company.id})
        self.assertEqual(self.listing_b.company_id, self.company_b)

    def test_b_reads_none_of_as_pending_changes(self):
        self.env["marketplace.product.change"]._mark(
            listing_ids=(self.listing_a | self.listing_b).ids
        )
        self.env.flush_all()
        self.env.cr.precommit.run()
        Change = self.env["marketplace.product.change"].with_user(self.manager_b)
        changes = Change.search([])
        self.assertEqual(changes.listing_id.ids, self.listing_b.ids)
        names = str(Change.search_read([], ["listing_id", "config_id"]))
        self.assertNotIn(self.secret.name, names)
        self.env.cr.precommit.clear()

    def test_as_catalog_sends_only_as_listings(self):
        # A listing of B's company under A's account, as a forged row would be.
        self.env.cr.execute(
            "UPDATE marketplace_product SET config_id = %s WHERE id = %s",
            (self.config.id, self.listing_b.id),
        )
        self.listing_b.invalidate_recordset()
        self.assertEqual(self.listing_b.company_id, self.company_b)
        self._sync(
            lambda: self.env["marketplace.product.change"]._mark(
                listing_ids=(self.listing_a | self.listing_b).ids, force=True
            )
        )
        sent = {item.get("internal_product_id") for item in self._sent_items()}
        self.assertIn("CAT-SECRET", sent)
        self.assertNotIn(self.items[0].default_code, sent)

    def test_the_product_list_wizard_stays_in_bs_company(self):
        Wizard = self.env["marketplace.product.list"].with_user(self.manager_b)
        with self.assertRaises(AccessError):
            Wizard.create(
                {
                    "config_id": self.config.id,
                    "product_ids": [Command.set(self.items[2].ids)],
                }
            )
        self.assertFalse(
            self.env["marketplace.product"].search(
                [
                    ("config_id", "=", self.config.id),
                    ("product_id", "=", self.items[2].id),
                ]
            )
        )
