# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A product Cartona does not carry: refused, in words its reader can act on.

Listed by a Marketplace Manager through "List on Cartona", sent by the account's job
against the sandbox (which refuses a batch naming an unknown product with a 422).
"""

from odoo.tests import new_test_user, tagged

from ..models.marketplace_product_refusal import REFUSAL_ACTIVITY
from .test_catalog import BULK, MP_MANAGER, CatalogCase

SALESMAN = "sales_team.group_sale_salesman"


@tagged("post_install", "-at_install")
class TestRefusedListings(CatalogCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ar_001")
        cls.manager = new_test_user(
            cls.env, login="cm_ref_manager", groups=f"{SALESMAN},{MP_MANAGER}"
        )
        cls.arabic_manager = new_test_user(
            cls.env,
            login="cm_ref_manager_ar",
            groups=f"{SALESMAN},{MP_MANAGER}",
            lang="ar_001",
        )
        cls.config.user_id = cls.arabic_manager
        cls.unknown = cls.env["product.product"].create(
            {
                "name": "Juice Cartona never heard of",
                "default_code": "NOT-ON-CARTONA",
                "type": "consu",
                "is_storable": True,
                "list_price": 12.0,
            }
        )
        cls.nameless = cls.env["product.product"].create(
            {
                "name": "Tea without a reference",
                "type": "consu",
                "is_storable": True,
                "list_price": 8.0,
            }
        )
        cls.nameless.with_context(lang="ar_001").name = "شاي بلا مرجع"
        cls.env.cr.precommit.clear()

    # Helpers

    def _list_as(self, user, products):
        """ "List on Cartona" from the product list, as ``user``; the job runs."""
        wizard = (
            self.env["marketplace.product.list"]
            .with_user(user)
            .with_context(
                active_model="product.template",
                active_ids=products.product_tmpl_id.ids,
            )
            .create({"config_id": self.config.id})
        )
        self._sync(wizard.action_list)
        return self.env["marketplace.product"].search(
            [("config_id", "=", self.config.id), ("product_id", "in", products.ids)]
        )

    @staticmethod
    def _as_reader(records, user):
        """``records`` as ``user`` reads them in the web client (their language)."""
        return records.with_user(user).with_context(lang=user.lang)

    def _list_nameless(self):
        """The product without an Internal Reference, known to Cartona by an id a
        person typed (none Cartona carries)."""
        return self._sync(
            lambda: self.env["marketplace.product"]
            .with_user(self.manager)
            .create(
                {
                    "config_id": self.config.id,
                    "product_id": self.nameless.id,
                    "internal_product_id": "TEA-NOREF",
                }
            )
        )

    def _activities(self):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "marketplace.config"),
                ("res_id", "=", self.config.id),
                ("activity_type_id", "=", self.env.ref(REFUSAL_ACTIVITY).id),
            ]
        )

    def _nightly(self):
        self._sync(lambda: self.env["marketplace.config"]._cron_reconcile_catalog())

    # Tests

    def test_a_product_cartona_does_not_carry_is_refused_in_words(self):
        products = self.items[:3] | self.unknown
        listings = self._list_as(self.manager, products)
        refused = listings.filtered(lambda listing: listing.product_id == self.unknown)
        self.assertEqual(refused.sync_state, "refused")
        self.assertEqual(refused.cartona_refusal, "no such product on Cartona")
        self.assertFalse(refused.error_message)
        # The others of its batch went through.
        self.assertEqual((listings - refused).mapped("sync_state"), ["synced"] * 3)
        for product in self.items[:3]:
            self.assertEqual(
                self._on_cartona(product)["available_stock_quantity"],
                self._free_qty(product),
            )
        message = self._as_reader(refused, self.manager).refusal_message
        self.assertIn("NOT-ON-CARTONA", message)
        self.assertIn("no such product on Cartona", message)
        self.assertIn("supplier portal", message)
        self.assertIn("Archive", message)
        for raw in ("422", "HTTP", "{", "index", "this product"):
            self.assertNotIn(raw, message)
        self.assertEqual((listings - refused).mapped("refusal_message"), [False] * 3)
        # The list filter finds it, and only it.
        Listing = self.env["marketplace.product"].with_user(self.manager)
        self.assertEqual(Listing.search([("sync_state", "=", "refused")]), refused)
        # The overview counts it among the listings a person must look at.
        config = self.config.with_user(self.manager)
        self.assertEqual(config.dashboard_listing_error_count, 1)
        action = config.with_context(figure="listing_error").action_dashboard_open()
        self.assertEqual(Listing.search(action["domain"]), refused)

    def test_the_message_is_written_in_the_readers_language(self):
        listing = self._list_nameless()
        self.assertEqual(listing.sync_state, "refused")
        in_arabic = self._as_reader(listing, self.arabic_manager).refusal_message
        in_english = self._as_reader(listing, self.manager).refusal_message
        self.assertIn("شاي بلا مرجع", in_arabic)
        self.assertNotIn("Tea without a reference", in_arabic)
        self.assertIn("Tea without a reference", in_english)

    def test_a_listing_not_sent_yet_is_not_refused(self):
        listing = (
            self.env["marketplace.product"]
            .with_user(self.manager)
            .create({"config_id": self.config.id, "product_id": self.unknown.id})
        )
        Listing = self.env["marketplace.product"].with_user(self.manager)
        self.assertIn(listing, Listing.search([("differs", "=", True)]))
        self.assertNotIn(listing, Listing.search([("sync_state", "=", "refused")]))
        self.assertFalse(listing.refusal_message)

    def test_one_activity_for_the_responsible_kept_current_then_closed(self):
        refused = self._list_as(self.manager, self.unknown)
        activity = self._activities()
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.arabic_manager)
        self.assertIn("NOT-ON-CARTONA", activity.note)
        # Another refused product, then the nightly pass: still one activity,
        # naming both, the second in its responsible's language.
        self._list_nameless()
        self._nightly()
        self.assertEqual(self._activities(), activity)
        self.assertIn("NOT-ON-CARTONA", activity.note)
        self.assertIn("شاي بلا مرجع", activity.note)
        # Cartona carries the first now, the second is unlisted: the activity ends.
        self.sandbox.state.put_products([self._cartona_product(50, "NOT-ON-CARTONA")])
        self._sync(lambda: self._listing(self.nameless).write({"active": False}))
        self._nightly()
        self.assertEqual(refused.sync_state, "synced")
        self.assertFalse(refused.cartona_refusal)
        self.assertFalse(self._activities())

    def test_cartonas_reason_stays_text(self):
        self.sandbox.state.add_fault(
            "error",
            path=BULK,
            count=1,
            status=422,
            body={"error": "<img src=x onerror=alert(1)> unknown", "details": [1]},
        )
        listing = self._list_as(self.manager, self.items[:1])
        self.assertEqual(listing.sync_state, "refused")
        self.assertEqual(
            listing.cartona_refusal, "<img src=x onerror=alert(1)> unknown"
        )
        note = self._activities().note
        self.assertNotIn("<img", note)
        self.assertIn("&lt;img", note)
