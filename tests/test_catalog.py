# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Catalog on Cartona: stock and prices of listed products, against the sandbox.

Changes are made as users make them, then "committed" as a real commit would: the
marks are written (precommit), the account's job is queued (postcommit) and run like
queue_job's runner runs it, in a transaction of its own.
"""

from datetime import datetime, timedelta

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

from ..models.marketplace_config_catalog import CATALOG_MAX_RETRIES
from ..models.marketplace_product_change import CATALOG_DELAY
from .common import CartonaCase

BULK = "supplier-product/bulk-update"
MP_MANAGER = "cartona_marketplace.group_marketplace_manager"


class CatalogCase(CartonaCase):
    """Listed products with stock, the same products in Cartona's catalog."""

    PRODUCTS = 5

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Prices as the pricelist gives them: the prices with taxes are tested in
        # test_money (the chart of these tests puts a sales tax on every product).
        cls.config.cartona_prices_include_taxes = False
        cls.stock = cls.warehouse.lot_stock_id
        cls.items = cls.env["product.product"].create(
            [
                {
                    "name": f"Catalog product {n}",
                    "default_code": f"CAT-{n:03d}",
                    "type": "consu",
                    "is_storable": True,
                    "list_price": 20.0 + n,
                }
                for n in range(cls.PRODUCTS)
            ]
        )
        for n, product in enumerate(cls.items):
            cls.env["stock.quant"]._update_available_quantity(
                product, cls.stock, 100 + n
            )
        cls.unlisted = cls.env["product.product"].create(
            {
                "name": "Not on Cartona",
                "default_code": "CAT-UNLISTED",
                "type": "consu",
                "is_storable": True,
                "list_price": 9.0,
            }
        )
        cls.customer = cls.env["res.partner"].create({"name": "Walk-in customer"})
        # Nothing pending from the setup: the marks of its stock are dropped.
        cls.env.cr.precommit.clear()

    def setUp(self):
        super().setUp()
        self.sandbox.state.put_products(
            [self._cartona_product(n, code) for n, code in enumerate(self._codes())]
        )

    # Helpers

    @classmethod
    def _codes(cls):
        return [*cls.items.mapped("default_code"), "CAT-UNLISTED"]

    @staticmethod
    def _cartona_product(n, code):
        return {
            "id": 90000 + n,
            "internal_product_id": code,
            "product_name": f"Cartona {code}",
            "available_stock_quantity": 999,
            "in_stock": True,
            "selling_price": 1.0,
        }

    def _list(self, products=None, **values):
        """List ``products`` (default all) on the account, and send them."""
        products = self.items if products is None else products
        listings = self._sync(
            lambda: self.env["marketplace.product"].create(
                [
                    {"config_id": self.config.id, "product_id": p.id, **values}
                    for p in products
                ]
            )
        )
        self.sandbox.state.clear_requests()
        return listings

    def _commit(self):
        """What committing the user's transaction runs: the marks are written, then
        the jobs queued from a transaction of their own (here: the same one)."""
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.registry.enter_test_mode(self.env.cr)
        try:
            self.env.cr.postcommit.run()
        finally:
            self.registry.leave_test_mode()

    def _sync(self, action):
        """Do ``action``, commit, then run the catalog jobs as the runner would."""
        with trap_jobs() as trap:
            result = action()
            self._commit()
            self.jobs = list(trap.enqueued_jobs)
            self.outcomes = self._run_jobs(trap)
        self.env.invalidate_all()
        return result

    def _run_jobs(self, trap, rounds=10):
        outcomes = []
        for _round in range(rounds):
            jobs, trap.enqueued_jobs = trap.enqueued_jobs, []
            if not jobs:
                return outcomes
            outcomes += [self._perform(job) for job in jobs]
        self.fail("catalog jobs keep queueing jobs")

    def _perform(self, job):
        """Run one trapped job as queue_job's runner does: as its user, in its own
        transaction, with that transaction's commit hooks; rolled back on a
        RetryableJobError (which is returned)."""
        records = job.recordset
        uid, su = records.env.uid, records.env.su

        def run(env):
            env = env(user=uid, su=su)
            outcome = getattr(records.with_env(env), job.method_name)(
                *job.args, **job.kwargs
            )
            env.flush_all()
            env.cr.precommit.run()
            env.cr.postcommit.run()
            return outcome

        return self._run_in_job_transaction(run, job_uuid=job.uuid)

    def _bulk_requests(self):
        return [r for r in self.sandbox.state.requests if r["endpoint"] == BULK]

    def _sent_items(self):
        return [item for r in self._bulk_requests() for item in r["body"]]

    def _on_cartona(self, product):
        return self.sandbox.state.catalog_product(
            internal_product_id=product.default_code
        )

    def _free_qty(self, product):
        return product.with_context(warehouse_id=self.warehouse.id).free_qty

    def _listing(self, product):
        return self.env["marketplace.product"].search(
            [("config_id", "=", self.config.id), ("product_id", "=", product.id)]
        )

    def _adjust(self, product, quantity):
        """An inventory adjustment: ``product`` counted at ``quantity``."""
        quant = (
            self.env["stock.quant"]
            .with_context(inventory_mode=True)
            .create(
                {
                    "product_id": product.id,
                    "location_id": self.stock.id,
                    "inventory_quantity": quantity,
                }
            )
        )
        quant.action_apply_inventory()

    def _sale(self, product, qty):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "warehouse_id": self.warehouse.id,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": qty})
                ],
            }
        )
        order.action_confirm()
        return order


@tagged("post_install", "-at_install")
class TestCatalogPush(CatalogCase):
    """What goes to Cartona, when, and in how many requests."""

    def test_creating_a_listing_pushes_it(self):
        product = self.items[0]
        listing = self._list(product)
        self.assertEqual(len(self.jobs), 1)
        cartona = self._on_cartona(product)
        self.assertEqual(cartona["available_stock_quantity"], 100)
        self.assertIs(cartona["in_stock"], True)
        self.assertEqual(cartona["selling_price"], 20.0)
        self.assertEqual(
            (listing.sync_state, listing.cartona_stock, listing.cartona_price),
            ("synced", 100, 20.0),
        )
        self.assertEqual(listing.internal_product_id, "CAT-000")
        self.assertTrue(listing.last_sync_date)
        log = self.env["marketplace.sync.log"].search(
            [("config_id", "=", self.config.id), ("operation", "=", "catalog_push")]
        )
        self.assertEqual((log.outcome, log.status_code), ("success", 200))
        self.assertIn("CAT-000", log.request_body)

    def test_the_job_is_queued_once_per_account_a_few_seconds_ahead(self):
        listings = self._list()
        with trap_jobs() as trap:
            self._adjust(self.items[0], 50)
            self._adjust(self.items[1], 60)
            listings[2].min_order = 2
            trap.assert_jobs_count(0)  # nothing on the user's path
            self._commit()
            trap.assert_jobs_count(1)
            trap.assert_enqueued_job(
                self.config._sync_catalog,
                properties={
                    "identity_key": f"cartona-catalog-{self.config.id}",
                    "eta": timedelta(seconds=CATALOG_DELAY),
                    "max_retries": CATALOG_MAX_RETRIES,
                },
            )

    def test_queued_jobs_are_deduplicated_while_one_waits(self):
        self._list(self.items[:1])
        Job = self.env["queue.job"]
        before = Job.search_count([("method_name", "=", "_sync_catalog")])
        for quantity in (10, 20, 30):
            self._adjust(self.items[0], quantity)
            self._commit()
        jobs = Job.search([("method_name", "=", "_sync_catalog")])
        self.assertEqual(len(jobs) - before, 1)
        self.assertEqual(jobs[0].identity_key, f"cartona-catalog-{self.config.id}")
        self.assertTrue(jobs[0].eta)

    def test_the_users_path_runs_no_query_and_one_insert_at_commit(self):
        self._list(self.items[:1])
        Quant = self.env["stock.quant"]

        def queries(product):
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            Quant._update_available_quantity(product, self.stock, 1)
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        for product in (self.items[0], self.unlisted):  # caches warmed alike
            queries(product)
        self.assertEqual(queries(self.items[0]), queries(self.unlisted))
        before = self.env.cr.sql_log_count
        self.env.cr.precommit.run()
        self.assertEqual(self.env.cr.sql_log_count - before, 1, "one INSERT")
        self.assertEqual(
            self.env["marketplace.product.change"].search([]).listing_id,
            self._listing(self.items[0]),
        )

    def test_an_inventory_adjustment_pushes_only_the_changed_product(self):
        self._list()
        self._sync(lambda: self._adjust(self.items[2], 7))
        self.assertEqual(
            self._sent_items(),
            [
                {
                    "internal_product_id": "CAT-002",
                    "available_stock_quantity": 7,
                    "in_stock": True,
                }
            ],
        )
        self.assertEqual(self._on_cartona(self.items[2])["available_stock_quantity"], 7)
        self.assertEqual(
            self._on_cartona(self.items[3])["available_stock_quantity"], 103
        )

    def test_a_reservation_lowers_the_stock_and_its_cancellation_raises_it(self):
        product = self.items[0]
        self._list(product)
        order = self._sync(lambda: self._sale(product, 30))
        self.assertEqual(self._free_qty(product), 70)
        self.assertEqual(self._on_cartona(product)["available_stock_quantity"], 70)
        self._sync(
            lambda: order.with_context(disable_cancel_warning=True).action_cancel()
        )
        self.assertEqual(order.state, "cancel")
        self.assertEqual(self._on_cartona(product)["available_stock_quantity"], 100)
        self.assertEqual(
            [item["available_stock_quantity"] for item in self._sent_items()], [70, 100]
        )

    def test_a_delivery_keeps_the_stock_right(self):
        product = self.items[1]
        self._list(product)
        order = self._sync(lambda: self._sale(product, 11))
        picking = order.picking_ids
        self._sync(lambda: self._validate(picking))
        self.assertEqual(product.qty_available, 90)
        self.assertEqual(self._on_cartona(product)["available_stock_quantity"], 90)
        # Reserved 11, then delivered 11: the free quantity stays at 90.
        self.assertEqual(len(self._sent_items()), 1)

    def _validate(self, picking):
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        picking._action_done()

    def test_a_scrap_lowers_the_stock(self):
        product = self.items[2]
        self._list(product)
        scrap = self.env["stock.scrap"].create(
            {"product_id": product.id, "scrap_qty": 5, "location_id": self.stock.id}
        )
        self._sync(scrap.action_validate)
        self.assertEqual(self._on_cartona(product)["available_stock_quantity"], 97)

    def test_an_empty_product_is_zero_and_out_of_stock_never_negative(self):
        product = self.items[0]
        listing = self._list(product)
        self._sync(
            lambda: self.env["stock.quant"]._update_available_quantity(
                product, self.stock, -130
            )
        )
        self.assertEqual(self._free_qty(product), -30)
        self.assertEqual(
            self._sent_items(),
            [
                {
                    "internal_product_id": "CAT-000",
                    "available_stock_quantity": 0,
                    "in_stock": False,
                }
            ],
        )
        self.assertIs(self._on_cartona(product)["in_stock"], False)
        self.assertEqual((listing.cartona_stock, listing.cartona_in_stock), (0, False))
        self.assertEqual(
            self.env["marketplace.product"].search(
                [("id", "=", listing.id), ("cartona_in_stock", "=", False)]
            ),
            listing,
        )

    def test_a_price_change_goes_out_as_a_number(self):
        product = self.items[0]
        self._list(product)
        self._sync(lambda: product.write({"list_price": 24.75}))
        self.assertEqual(
            self._sent_items(),
            [{"internal_product_id": "CAT-000", "selling_price": 24.75}],
        )
        self.assertIsInstance(self._sent_items()[0]["selling_price"], float)
        self.assertEqual(self._on_cartona(product)["selling_price"], 24.75)

    def test_a_variant_extra_changes_the_price(self):
        attribute = self.env["product.attribute"].create(
            {"name": "Pack", "value_ids": [Command.create({"name": "Big"})]}
        )
        template = self.env["product.template"].create(
            {
                "name": "Packed juice",
                "list_price": 50.0,
                "attribute_line_ids": [
                    Command.create(
                        {
                            "attribute_id": attribute.id,
                            "value_ids": [Command.set(attribute.value_ids.ids)],
                        }
                    )
                ],
            }
        )
        variant = template.product_variant_ids
        variant.default_code = "CAT-000"  # what Cartona's product is named by
        self.items[0].default_code = "CAT-OLD"
        self._list(variant)
        self.assertEqual(self._on_cartona(variant)["selling_price"], 50.0)
        self._sync(
            lambda: template.attribute_line_ids.product_template_value_ids.write(
                {"price_extra": 5.5}
            )
        )
        self.assertEqual(self._sent_items()[0]["selling_price"], 55.5)

    def test_pricelist_prices_and_their_rules(self):
        pricelist = self.env["product.pricelist"].create(
            {
                "name": "Cartona wholesale",
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "0_product_variant",
                            "product_id": self.items[0].id,
                            "compute_price": "fixed",
                            "fixed_price": 17.5,
                        }
                    )
                ],
            }
        )
        self.config.pricelist_id = pricelist
        self._list(self.items[:2])
        self.assertEqual(self._on_cartona(self.items[0])["selling_price"], 17.5)
        self.assertEqual(self._on_cartona(self.items[1])["selling_price"], 21.0)
        self._sync(lambda: pricelist.item_ids.write({"fixed_price": 16.0}))
        self.assertEqual(
            self._sent_items(),
            [{"internal_product_id": "CAT-000", "selling_price": 16.0}],
        )
        self.sandbox.state.clear_requests()
        self._sync(
            lambda: pricelist.write(
                {
                    "item_ids": [
                        Command.create(
                            {
                                "applied_on": "3_global",
                                "compute_price": "percentage",
                                "percent_price": 10,
                            }
                        )
                    ]
                }
            )
        )
        self.assertEqual(
            self._sent_items(),
            [{"internal_product_id": "CAT-001", "selling_price": 18.9}],
        )

    def test_the_safety_stock_is_kept_back(self):
        self._list(self.items[:1])
        self._sync(lambda: self.config.write({"catalog_stock_buffer": 30}))
        self.assertEqual(
            self._on_cartona(self.items[0])["available_stock_quantity"], 70
        )

    def test_25_changed_products_at_batch_size_10_make_3_requests(self):
        self.sandbox.state.put_products(
            [self._cartona_product(100 + n, f"CAT-{n:03d}") for n in range(25)]
        )
        products = self.items | self.env["product.product"].create(
            [
                {
                    "name": f"Catalog product {n}",
                    "default_code": f"CAT-{n:03d}",
                    "is_storable": True,
                    "list_price": 5.0,
                }
                for n in range(self.PRODUCTS, 25)
            ]
        )
        self.config.catalog_batch_size = 10
        self._list(products)
        self._sync(
            lambda: [
                self.env["stock.quant"]._update_available_quantity(
                    product, self.stock, 3
                )
                for product in products
            ]
        )
        requests = self._bulk_requests()
        self.assertEqual([len(r["body"]) for r in requests], [10, 10, 5])
        self.assertEqual(len(self.jobs), 1)

    def test_a_bad_item_is_isolated_while_the_others_pass(self):
        products = self.items[:4]
        listings = self._list(products)
        listings[2].internal_product_id = "NOT-ON-CARTONA"
        self.sandbox.state.clear_requests()
        self.env.cr.precommit.clear()
        self._sync(
            lambda: [
                self.env["stock.quant"]._update_available_quantity(p, self.stock, 1)
                for p in products
            ]
        )
        for product in products - products[2]:
            self.assertEqual(
                self._on_cartona(product)["available_stock_quantity"],
                self._free_qty(product),
            )
        bad = listings[2]
        self.assertEqual(bad.sync_state, "refused")
        self.assertEqual(bad.cartona_refusal, "no such product on Cartona")
        self.assertEqual((listings - bad).mapped("sync_state"), ["synced"] * 3)
        requests = self._bulk_requests()
        self.assertEqual(
            [(len(r["body"]), r["status"]) for r in requests],
            [(4, 422), (2, 200), (2, 422), (1, 422), (1, 200)],
        )
        refused = self.env["marketplace.sync.log"].search(
            [("operation", "=", "catalog_push"), ("outcome", "=", "rejected")]
        )
        self.assertEqual(len(refused), 3)

    def test_an_unlisted_product_is_never_sent(self):
        self._list()
        with trap_jobs() as trap:
            self._adjust(self.unlisted, 3)
            self.env["stock.quant"]._update_available_quantity(
                self.unlisted, self.stock, 8
            )
            self.unlisted.list_price = 99
            self._commit()
            trap.assert_jobs_count(0)
        self.assertFalse(self.env["marketplace.product.change"].search([]))
        self.assertEqual(self.sandbox.state.requests, [])
        on_cartona = self.sandbox.state.catalog_product(
            internal_product_id="CAT-UNLISTED"
        )
        self.assertEqual(on_cartona["available_stock_quantity"], 999)

    def test_archived_listings_and_accounts_send_nothing(self):
        listings = self._list(self.items[:2])
        listings[0].active = False
        self._sync(lambda: [self._adjust(p, 1) for p in self.items[:2]])
        self.assertEqual(
            [i["internal_product_id"] for i in self._sent_items()], ["CAT-001"]
        )
        self.sandbox.state.clear_requests()
        self.config.active = False
        self._sync(lambda: self._adjust(self.items[1], 2))
        self.assertEqual(self._bulk_requests(), [])

    def test_nothing_is_sent_twice(self):
        self._list(self.items[:2])
        self._sync(lambda: [self._adjust(p, p.qty_available) for p in self.items[:2]])
        self.assertEqual(self._bulk_requests(), [])
        self.assertEqual(len(self.outcomes), 1)
        self.assertIn("2 listings changed, 0 to send", self.outcomes[0])

    def test_sync_catalog_now_sends_everything_and_the_reconcile_what_differs(self):
        self._list(self.items[:3])
        self._sync(self.config.action_sync_catalog_now)
        self.assertEqual(len(self._sent_items()), 3)
        self.assertEqual(
            set(self._sent_items()[0]),
            {
                "internal_product_id",
                "available_stock_quantity",
                "in_stock",
                "selling_price",
            },
        )
        self.sandbox.state.clear_requests()
        self.sandbox.state.bulk_update_products(
            [{"internal_product_id": "CAT-001", "available_stock_quantity": 5}]
        )
        # Cartona changed behind Odoo's back: only a forced sync sees it, the
        # reconcile sends what differs from what Cartona last accepted.
        self.items[2].list_price = 77
        self.env.cr.precommit.clear()
        self._sync(self.env["marketplace.config"]._cron_reconcile_catalog)
        self.assertEqual(
            self._sent_items(),
            [{"internal_product_id": "CAT-002", "selling_price": 77.0}],
        )


@tagged("post_install", "-at_install")
class TestCatalogFailures(CatalogCase):
    """Transient errors retry, a rejected token pauses the account."""

    def test_a_503_is_retried_and_then_goes_through(self):
        listing = self._list(self.items[:1])
        self.sandbox.state.add_fault("error", status=503, count=1, path=BULK)
        self._sync(lambda: self._adjust(self.items[0], 42))
        error = self.outcomes[0]
        self.assertIsInstance(error, RetryableJobError)
        log = self.env["marketplace.sync.log"].search(
            [("operation", "=", "catalog_push")], order="id desc", limit=1
        )
        self.assertEqual((log.outcome, log.status_code), ("transient_error", 503))
        self.assertTrue(self.env["marketplace.product.change"].search([]))
        self.assertEqual(
            self._on_cartona(self.items[0])["available_stock_quantity"], 100
        )
        # queue_job runs it again later.
        outcome = self._perform(self.jobs[0])
        self.assertIn("1 to send: 1 accepted", outcome)
        self.env.invalidate_all()
        self.assertEqual(
            self._on_cartona(self.items[0])["available_stock_quantity"], 42
        )
        self.assertEqual(listing.cartona_stock, 42)
        self.assertFalse(self.env["marketplace.product.change"].search([]))

    def test_retry_after_is_honoured(self):
        self._list(self.items[:1])
        self.sandbox.state.add_fault("rate_limit", count=1, path=BULK, retry_after="17")
        self._sync(lambda: self._adjust(self.items[0], 41))
        self.assertIsInstance(self.outcomes[0], RetryableJobError)
        self.assertEqual(self.outcomes[0].seconds, 17)

    def test_the_rest_waits_for_a_retry_after_of_a_fraction_of_a_second(self):
        """Cartona's Retry-After may be "1.5": the rest is queued that much later."""
        before = datetime.now().replace(microsecond=0)
        self.config._catalog_wake(1.5)
        after = datetime.now()
        job = self.env["queue.job"].search(
            [("method_name", "=", "_sync_catalog")], order="id desc", limit=1
        )
        self.assertGreaterEqual(job.eta, before + timedelta(seconds=1))
        self.assertLessEqual(job.eta, after + timedelta(seconds=1.5))

    def test_after_partial_progress_the_rest_resumes_later(self):
        self.config.catalog_batch_size = 2
        self._list(self.items[:4])
        with trap_jobs() as trap:
            for product in self.items[:4]:
                self._adjust(product, 3)
            self._commit()
            # The first request goes through (a latency fault of 0 s), the second
            # fails: what was accepted is kept, the rest is queued again.
            self.sandbox.state.add_fault("latency", seconds=0, count=1, path=BULK)
            self.sandbox.state.add_fault("error", status=502, count=1, path=BULK)
            outcome = self._perform(trap.enqueued_jobs.pop())
            self.assertIn("2 accepted", outcome)
            self.assertIn("the rest is queued", outcome)
            follow_up = trap.enqueued_jobs.pop()
            self.assertIn("2 accepted", self._perform(follow_up))
            self.assertEqual(trap.enqueued_jobs, [])
        self.env.invalidate_all()
        for product in self.items[:4]:
            self.assertEqual(self._on_cartona(product)["available_stock_quantity"], 3)
        self.assertFalse(self.env["marketplace.product.change"].search([]))

    def test_the_last_attempt_gives_up_with_the_reason(self):
        listing = self._list(self.items[:1])
        self.config.with_delay(max_retries=3)._sync_catalog()
        job = self.env["queue.job"].search([], order="id desc", limit=1)
        job.retry = 2
        self._adjust(self.items[0], 5)
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.sandbox.state.add_fault("error", status=500, count=1, path=BULK)
        result = self.config.with_context(job_uuid=job.uuid)._sync_catalog()
        self.assertIn("after 3 attempts", result)
        self.assertEqual(listing.sync_state, "error")
        self.assertIn("unavailable", listing.error_message)

    def test_a_rejected_token_pauses_the_account_until_it_works_again(self):
        self._list(self.items[:1])
        self.sandbox.state.add_fault("auth", count=1, path=BULK)
        self._sync(lambda: self._adjust(self.items[0], 12))
        self.assertEqual(self.config.connection_status, "auth_failed")
        self.assertIn("paused", self.outcomes[0])
        self.assertTrue(self.env["marketplace.product.change"].search([]))
        # Paused: later changes wait, nothing is sent.
        self._sync(lambda: self._adjust(self.items[0], 13))
        self.assertIn("paused", self.outcomes[0])
        self.assertEqual(len(self._bulk_requests()), 1)
        # A manager fixes the token: what waited goes out.
        self._sync(self.config.action_test_connection)
        self.assertEqual(self.config.connection_status, "connected")
        self.assertEqual(
            self._on_cartona(self.items[0])["available_stock_quantity"], 13
        )

    def test_a_price_that_is_not_positive_is_an_error_and_the_stock_still_goes(self):
        listing = self._list(self.items[:1])
        self._sync(
            lambda: (
                self.items[0].write({"list_price": 0}),
                self._adjust(self.items[0], 9),
            )
        )
        self.assertEqual(
            self._sent_items(),
            [
                {
                    "internal_product_id": "CAT-000",
                    "available_stock_quantity": 9,
                    "in_stock": True,
                }
            ],
        )
        self.assertEqual(listing.sync_state, "error")
        self.assertIn("positive price", listing.error_message)


@tagged("post_install", "-at_install")
class TestCatalogListings(CatalogCase):
    """Where listings come from, and who may list."""

    def test_import_cartona_catalog_links_and_lists_what_matches_nothing(self):
        self.sandbox.state.put_products(
            {
                "id": 95000,
                "internal_product_id": "SOMETHING-ELSE",
                "product_name": "Rice",
            }
        )
        self.config.pull_page_size = 4
        self._sync(self.config.action_import_catalog)
        listings = self.env["marketplace.product"].search(
            [("config_id", "=", self.config.id)]
        )
        linked = listings.filtered("product_id")
        self.assertEqual(
            set(linked.product_id.ids), set((self.items | self.unlisted).ids)
        )
        self.assertEqual(
            linked.filtered(
                lambda listing: listing.product_id == self.items[0]
            ).supplier_product_id,
            "90000",
        )
        to_map = (listings - linked).filtered(
            lambda listing: listing.supplier_product_id == "95000"
        )
        self.assertEqual(
            (to_map.sync_state, to_map.cartona_name, to_map.supplier_product_id),
            ("to_map", "Rice", "95000"),
        )
        self.assertIn("to map", self.config.last_catalog_import_result)
        pulls = self.env["marketplace.sync.log"].search(
            [("operation", "=", "catalog_pull")]
        )
        # 13 products (6 of the sandbox's demo, 7 of this test), 4 a page.
        self.assertEqual(len(pulls), 4)
        # The linked listings were sent, by Cartona's own id.
        self.assertEqual(
            self._on_cartona(self.items[0])["available_stock_quantity"], 100
        )
        self.assertIn(
            {
                "supplier_product_id": "90000",
                "available_stock_quantity": 100,
                "in_stock": True,
                "selling_price": 20.0,
            },
            self._sent_items(),
        )
        # A person maps the Cartona product: it is sent.
        rice = self.env["product.product"].create(
            {"name": "Rice 1 kg", "is_storable": True, "list_price": 38}
        )
        self.sandbox.state.clear_requests()
        self._sync(lambda: to_map.write({"product_id": rice.id}))
        self.assertEqual(to_map.sync_state, "synced")
        self.assertEqual(
            self._sent_items(),
            [
                {
                    "supplier_product_id": "95000",
                    "available_stock_quantity": 0,
                    "in_stock": False,
                    "selling_price": 38.0,
                }
            ],
        )
        # Importing again duplicates nothing.
        self._sync(self.config.action_import_catalog)
        self.assertEqual(
            self.env["marketplace.product"].search_count(
                [("config_id", "=", self.config.id)]
            ),
            len(listings),
        )

    def test_products_of_imported_orders_are_listed(self):
        self.sandbox.state.add_order(
            {
                "hashed_id": "CATORDER1",
                "status": "approved",
                "retailer": {"retailer_name": "Nour", "retailer_code": "B77"},
                "order_details": [
                    {
                        "id": 881,
                        "internal_product_id": "CAT-003",
                        "supplier_product_id": "90003",
                        "amount": 4,
                        "selling_price": 23,
                    }
                ],
            }
        )
        self._sync(self.config._pull_orders)
        listing = self._listing(self.items[3])
        self.assertEqual(
            (listing.internal_product_id, listing.supplier_product_id),
            ("CAT-003", "90003"),
        )
        # The order's own reservation is already in what Cartona got.
        self.assertEqual(
            self._on_cartona(self.items[3])["available_stock_quantity"], 99
        )

    def test_an_import_lists_a_product_another_import_listed_meanwhile(self):
        Listing = self.env["marketplace.product"]
        first = Listing._create_concurrently(
            [{"config_id": self.config.id, "product_id": self.items[0].id}]
        )
        self.assertEqual(
            (first.product_id, first.internal_product_id, first.sync_state),
            (self.items[0], "CAT-000", "not_synced"),
        )
        # The same product again (another import got there first), and a new one.
        again = Listing._create_concurrently(
            [
                {"config_id": self.config.id, "product_id": self.items[0].id},
                {"config_id": self.config.id, "product_id": self.items[1].id},
            ]
        )
        self.assertEqual(again.product_id, self.items[1])
        self.assertEqual(
            Listing.search_count([("product_id", "=", self.items[0].id)]), 1
        )

    def test_a_cartona_id_named_twice_is_given_once(self):
        created, _updated = self.env["marketplace.product"]._catalog_link(
            self.config,
            [
                (self.items[0], "CAT-000", "90000", None),
                (self.items[1], "CAT-001", "90000", None),
                (self.env["product.product"], "X", "90000", "Unknown"),
            ],
        )
        self.assertEqual(created.product_id, self.items[:2])
        self.assertEqual(created.mapped("supplier_product_id"), ["90000", False])

    def test_list_on_cartona_from_the_product_list(self):
        manager = new_test_user(
            self.env, login="cm_cat_manager", groups=f"base.group_user,{MP_MANAGER}"
        )
        wizard = (
            self.env["marketplace.product.list"]
            .with_user(manager)
            .with_context(
                active_model="product.template",
                active_ids=self.items[:2].product_tmpl_id.ids,
            )
            .create({})
        )
        self.assertEqual(wizard.config_id, self.config)
        self.assertEqual(wizard.product_ids, self.items[:2])
        self._sync(wizard.action_list)
        self.assertEqual(len(self._sent_items()), 2)
        self.assertEqual(self.items[0].product_tmpl_id.marketplace_listing_count, 1)
        action = self.items[0].product_tmpl_id.action_view_marketplace_listings()
        self.assertEqual(
            self.env["marketplace.product"].search(action["domain"]),
            self._listing(self.items[0]),
        )

    def test_a_product_is_listed_once_per_account(self):
        self._list(self.items[:1])
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.cr.savepoint(),
        ):
            self.env["marketplace.product"].create(
                {"config_id": self.config.id, "product_id": self.items[0].id}
            )

    def test_listing_figures_and_filters(self):
        listings = self._list(self.items[:3])
        Listing = self.env["marketplace.product"]
        self.assertFalse(
            Listing.search([("id", "in", listings.ids), ("differs", "=", True)])
        )
        self.items[1].list_price = 55
        self.env.cr.precommit.clear()
        self.assertEqual(
            Listing.search([("id", "in", listings.ids), ("differs", "=", True)]),
            listings[1],
        )
        self.assertEqual(listings[1].price_now, 55)
        self.assertEqual(listings[1].cartona_price, 21)
        self.assertEqual(listings[0].stock_now, 100)
        self.config.invalidate_recordset()
        self.assertEqual(self.config.dashboard_listing_error_count, 0)
        self.assertTrue(self.config.dashboard_last_catalog_sync)


@tagged("post_install", "-at_install")
class TestCatalogRights(CatalogCase):
    """A storekeeper's stock moves reach Cartona; only managers list."""

    def test_a_storekeepers_delivery_is_sent_by_a_job_run_as_them(self):
        storekeeper = new_test_user(
            self.env, login="cm_cat_storekeeper", groups="stock.group_stock_user"
        )
        product = self.items[0]
        self._list(product)
        customers = self.customer.property_stock_customer
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.out_type_id.id,
                "location_id": self.stock.id,
                "location_dest_id": customers.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": 6,
                            "location_id": self.stock.id,
                            "location_dest_id": customers.id,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        self.env.cr.precommit.clear()
        picking = picking.with_user(storekeeper)
        self._sync(lambda: self._validate_as(picking))
        self.assertEqual(picking.state, "done")
        self.assertEqual(self.jobs[0].recordset.env.uid, storekeeper.id)
        self.assertEqual(self._on_cartona(product)["available_stock_quantity"], 94)
        log = self.env["marketplace.sync.log"].search(
            [("operation", "=", "catalog_push")], order="id desc", limit=1
        )
        self.assertEqual(log.user_id, storekeeper)

    def _validate_as(self, picking):
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        picking.button_validate()

    def test_listings_of_another_company_are_invisible(self):
        listing = self._list(self.items[:1])
        other = self.env["res.company"].create({"name": "Other supplier"})
        user = new_test_user(
            self.env,
            login="cm_cat_other",
            groups="base.group_user,cartona_marketplace.group_marketplace_user",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        Listing = self.env["marketplace.product"].with_user(user)
        self.assertFalse(Listing.search([]))
        with self.assertRaises(AccessError):
            listing.with_user(user).read(["sync_state"])

    def test_marketplace_users_read_listings_managers_edit_them(self):
        listing = self._list(self.items[:1])
        user = new_test_user(
            self.env,
            login="cm_cat_user",
            groups="base.group_user,cartona_marketplace.group_marketplace_user",
        )
        self.assertEqual(
            listing.with_user(user).read(["sync_state"])[0]["sync_state"], "synced"
        )
        with self.assertRaises(AccessError):
            listing.with_user(user).write({"min_order": 3})
        with self.assertRaises(AccessError):
            self.env["marketplace.product.list"].with_user(user).create({})
        with self.assertRaises(AccessError):
            listing.with_user(user).action_sync_now()
        with self.assertRaises(AccessError):
            self.config.with_user(user).action_sync_catalog_now()
        with self.assertRaises(AccessError):
            self.config.with_user(user).action_import_catalog()
        self.assertFalse(self.env["marketplace.product.change"].search([]))


@tagged("post_install", "-at_install")
class TestCatalogArabic(CatalogCase):
    def test_the_catalog_speaks_arabic(self):
        self.env["res.lang"]._activate_lang("ar_001")
        self.env["ir.module.module"]._load_module_terms(
            ["cartona_marketplace"], ["ar_001"], overwrite=True
        )
        menu = self.env.ref("cartona_marketplace.marketplace_product_menu")
        self.assertEqual(menu.with_context(lang="ar_001").name, "الكتالوج")
        fields = (
            self.env["marketplace.product"]
            .with_context(lang="ar_001")
            .fields_get(["cartona_stock", "sync_state"], ["string", "selection"])
        )
        self.assertEqual(fields["cartona_stock"]["string"], "الكمية على كارتونا")
        self.assertEqual(
            dict(fields["sync_state"]["selection"])["to_map"], "بحاجة إلى ربط"
        )
        listing = self._list(self.items[:1])
        message = listing.with_context(lang="ar_001").action_sync_now()
        self.assertIn("بعد لحظات", message["params"]["message"])
