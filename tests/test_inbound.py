# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Inbound: Cartona's pull feed over real HTTP, imports, statuses, acknowledgements."""

from itertools import count
from unittest import mock

from lxml import etree

from odoo.exceptions import UserError
from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tools import mute_logger
from odoo.tools.safe_eval import safe_eval

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job
from odoo.addons.queue_job.tests.common import trap_jobs

from ..cartona import errors, inbound
from ..models.marketplace_order_processor import IMPORT_LOCK_KEY
from .common import NO_SYNC, PAYMENT_AMOUNTS, CartonaCase

_ids = count(1)
PROCESSOR = "odoo.addons.cartona_marketplace.models.marketplace_order_processor"
CLIENT = "odoo.addons.cartona_marketplace.cartona.client"


class InboundCase(CartonaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        cls.juice = Product.create(
            {
                "name": "Juice 235 ml box",
                "default_code": "4812",
                "barcode": "6221000000017",
                "type": "consu",
                "is_storable": True,
                "list_price": 360,
            }
        )
        cls.tea = Product.create(
            {
                "name": "Tea 100 bags",
                "default_code": "904#2",
                "type": "consu",
                "is_storable": True,
                "list_price": 210,
            }
        )
        for product in cls.juice | cls.tea:
            cls.env["stock.quant"]._update_available_quantity(
                product, cls.warehouse.lot_stock_id, 500
            )

    # Feed helpers

    def _payload(self, hashed_id=None, lines=None, **fields):
        """A pull-orders entry (cartona-api.md section 3.1) for the sandbox."""
        return dict(
            {
                "hashed_id": hashed_id or f"In{next(_ids):05d}q",
                "supplier_code": "2",
                "status": "pending",
                "delivered_by": "delivered_by_supplier",
                "estimated_delivery_day": "2025-03-04",
                "retailer_preferred_delivery_date": "2025-03-05",
                "distribution_route_code": "004#112",
                "note_message": "Ring twice",
                "retailer": {
                    "retailer_name": "Nour Grocery",
                    "retailer_code": "B00917",
                    "retailer_number": "+20100000001",
                    "retailer_number2": "+20100000002",
                    "retailer_address": "12 Example St, Giza",
                    "address_notes": "next to the pharmacy",
                },
                "order_details": lines
                if lines is not None
                else [
                    self._line(5550101, "4812", 3, 350),
                    self._line(5550102, "904#2", 2, 200, "no substitutes"),
                ],
            },
            **fields,
        )

    @staticmethod
    def _line(line_id, product, amount, price, comment=None):
        return {
            "id": line_id,
            "internal_product_id": product,
            "product_name": f"Cartona name of {product}",
            "amount": amount,
            "selling_price": price,
            "comment": comment,
        }

    def _feed(self, fill_defaults=True, **kwargs):
        """Put an order in the sandbox's feed; returns its hashed_id."""
        payload = self._payload(**kwargs)
        self.sandbox.state.add_order(payload, fill_defaults=fill_defaults)
        return payload["hashed_id"]

    def _run_jobs(self, trap):
        for _round in range(10):
            if not trap.enqueued_jobs:
                return
            trap.perform_enqueued_jobs()
        self.fail("jobs keep queueing jobs")

    def _sync(self):
        """Pull the feed, then run what it queued (imports, then acknowledgements)."""
        with trap_jobs() as trap:
            result = self.config._pull_orders()
            self._run_jobs(trap)
        self.env.invalidate_all()
        return result

    # Lookups

    def _order(self, hashed_id):
        return self.env["sale.order"].search(
            [
                ("cartona_id", "=", hashed_id),
                ("marketplace_config_id", "=", self.config.id),
            ]
        )

    def _logs(self, operation=None, **domain):
        search = [("config_id", "=", self.config.id)]
        if operation:
            search.append(("operation", "=", operation))
        search += [(key, "=", value) for key, value in domain.items()]
        return self.env["marketplace.sync.log"].search(search, order="id")

    def _acknowledged(self, hashed_id):
        return self.sandbox.state.acknowledged(hashed_id)

    def _status_requests(self):
        return [
            r
            for r in self.sandbox.state.requests
            if r["endpoint"].startswith("order/update-order-status")
        ]

    def _assert_nothing_echoed(self):
        """Only 'synced' acknowledgements went to Cartona, no status job queued."""
        for request in self._status_requests():
            body = request["body"]
            items = body if isinstance(body, list) else [body]
            self.assertEqual({item["status"] for item in items}, {"synced"})
        for hashed_id in self.sandbox.state.orders:
            self.assertEqual(self.sandbox.state.status_history(hashed_id), [])
        self.assertFalse(
            self.env["queue.job"].search_count(
                [("method_name", "=", "_sync_status_to_marketplace")]
            )
        )

    def _import_errors(self):
        """Logs found by the "Import Errors" filter of the sync log list."""
        view = self.env.ref("cartona_marketplace.marketplace_sync_log_view_search")
        node = etree.fromstring(view.arch).xpath("//filter[@name='import_errors']")[0]
        return self.env["marketplace.sync.log"].search(
            safe_eval(node.get("domain")) + [("config_id", "=", self.config.id)]
        )


@tagged("post_install", "-at_install")
class TestImport(InboundCase):
    def test_new_supplier_delivered_order(self):
        hashed_id = self._feed()
        total, invalid, error = self._sync()
        self.assertEqual((total, invalid, error), (1, 0, None))
        self.assertEqual(self.config.last_pull_result, "1 orders, 0 invalid")
        self.assertTrue(self.config.last_pull_date)
        order = self._order(hashed_id)
        self.assertEqual(len(order), 1)
        self.assertEqual(order.state, "draft")
        self.assertTrue(order.is_marketplace_order)
        self.assertEqual(order.delivered_by, "delivered_by_supplier")
        self.assertEqual(order.marketplace_payment_method, "standard")
        self.assertEqual(order.marketplace_status, "pending")
        self.assertEqual(order.cartona_status_raw, "pending")
        self.assertEqual(order.marketplace_sync_status, "synced")
        self.assertEqual(order.client_order_ref, hashed_id)
        self.assertEqual(order.cartona_retailer_code, "B00917")
        self.assertEqual(order.cartona_supplier_code, "2")
        self.assertEqual(order.cartona_route_code, "004#112")
        self.assertEqual(order.cartona_note_message, "Ring twice")
        self.assertEqual(str(order.cartona_estimated_delivery_day), "2025-03-04")
        self.assertEqual(str(order.cartona_preferred_delivery_date), "2025-03-05")
        self.assertFalse(order.cartona_pickup_date or order.cartona_pickup_otp)
        self.assertEqual(order.cartona_total, 1450)
        partner = order.partner_id
        self.assertNotEqual(partner, self.retailer, "never matched by name or phone")
        self.assertEqual(
            (partner.name, partner.phone, partner.mobile, partner.street),
            (
                "Nour Grocery",
                "+20100000001",
                "+20100000002",
                "12 Example St, Giza",
            ),
        )
        self.assertIn("next to the pharmacy", partner.comment)
        self.assertEqual(partner.country_id, self.env.ref("base.eg"))
        self.assertEqual(
            (partner.cartona_retailer_code, partner.marketplace_config_id),
            ("B00917", self.config),
        )
        lines = order.order_line.sorted("cartona_line_ref")
        self.assertEqual(
            [
                (
                    line.cartona_line_ref,
                    line.product_id,
                    line.product_uom_qty,
                    line.price_unit,
                    line.cartona_line_comment,
                )
                for line in lines
            ],
            [
                ("5550101", self.juice, 3, 350, False),
                ("5550102", self.tea, 2, 200, "no substitutes"),
            ],
        )
        # Imported, then acknowledged in bulk after the import.
        self.assertTrue(self._acknowledged(hashed_id))
        self.assertFalse(order.marketplace_ack_pending)
        self.assertEqual(order.cartona_fingerprint, self._fingerprint(hashed_id))
        log = self._logs("order_import", cartona_id=hashed_id)
        self.assertEqual(
            (log.direction, log.outcome, log.order_id, log.status_sent),
            ("inbound", "success", order, "pending"),
        )
        self.assertIn(f"created {order.name} with 2 lines", log.message)
        self.assertIn("new retailer", log.message)
        self.assertTrue(self._logs("order_pull"))
        self.assertTrue(all(x.direction == "inbound" for x in self._logs("order_pull")))
        ack = self._logs("ack")
        self.assertEqual(
            (ack.direction, ack.outcome, ack.status_sent, ack.order_id),
            ("inbound", "success", "synced", order),
        )
        self._assert_nothing_echoed()

    def _fingerprint(self, hashed_id):
        return inbound.payload_fingerprint(self.sandbox.state.order(hashed_id))

    def test_new_cartona_delivered_order_approved_is_confirmed(self):
        hashed_id = self._feed(
            delivered_by="delivered_by_cartona",
            status="approved",
            pickup_date="2025-03-03",
            pickup_otp="7731",
            cartona_credit=100,
        )
        self._sync()
        order = self._order(hashed_id)
        self.assertEqual(order.delivered_by, "delivered_by_cartona")
        self.assertEqual(str(order.cartona_pickup_date), "2025-03-03")
        self.assertEqual(order.cartona_pickup_otp, "7731")
        self.assertEqual(order.marketplace_payment_method, "cartona_credit")
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.marketplace_status, "approved")
        self.assertTrue(order.picking_ids)
        self.assertTrue(self._acknowledged(hashed_id))
        log = self._logs("order_import", cartona_id=hashed_id)
        self.assertIn("confirmed", log.message)
        self.assertNotIn("7731", log.request_body, "the pickup OTP is masked")
        self._assert_nothing_echoed()

    def test_each_payment_method(self):
        for method, amounts in PAYMENT_AMOUNTS.items():
            hashed_id = self._feed(**amounts)
            self._sync()
            self.assertEqual(self._order(hashed_id).marketplace_payment_method, method)

    def test_approved_stays_draft_without_automatic_confirmation(self):
        self.config.auto_confirm_approved = False
        hashed_id = self._feed(status="approved")
        self._sync()
        order = self._order(hashed_id)
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.marketplace_status, "approved")
        self.assertTrue(self._acknowledged(hashed_id))

    def test_unknown_delivered_by_falls_back_to_supplier_with_a_warning(self):
        hashed_id = self._feed(delivered_by="delivered_by_drone")
        self._sync()
        order = self._order(hashed_id)
        self.assertEqual(order.delivered_by, "delivered_by_supplier")
        log = self._logs("order_import", cartona_id=hashed_id)
        self.assertEqual(log.outcome, "warning")
        self.assertIn("unknown delivered_by 'delivered_by_drone'", log.message)
        self.assertTrue(self._acknowledged(hashed_id), "a warning is no error")

    def test_duplicate_products_in_one_order(self):
        hashed_id = self._feed(
            lines=[
                self._line(1, "4812", 10, 300, "offer price up to 10"),
                self._line(2, "4812", 5, 350),
            ]
        )
        self._sync()
        lines = self._order(hashed_id).order_line.sorted("cartona_line_ref")
        self.assertEqual(lines.product_id, self.juice)
        self.assertEqual(lines.mapped("price_unit"), [300, 350])

    def test_retailer_matched_by_code_within_the_config_only(self):
        first = self._feed()
        renamed = self._feed()
        self.sandbox.state.add_order(
            dict(
                self.sandbox.state.order(renamed),
                retailer={
                    "retailer_name": "Nour Grocery (new name)",
                    "retailer_code": "B00917",
                },
            )
        )
        same_name_other_code = self._feed()
        self.sandbox.state.add_order(
            dict(
                self.sandbox.state.order(same_name_other_code),
                retailer={
                    "retailer_name": "Nour Grocery",
                    "retailer_code": "B99999",
                    "retailer_number": "+20100000001",
                },
            )
        )
        without_code = self._feed()
        self.sandbox.state.add_order(
            dict(
                self.sandbox.state.order(without_code),
                retailer={"retailer_name": "Nour Grocery"},
            )
        )
        self._sync()
        partner = self._order(first).partner_id
        self.assertEqual(self._order(renamed).partner_id, partner)
        self.assertNotEqual(self._order(same_name_other_code).partner_id, partner)
        self.assertNotIn(
            self._order(without_code).partner_id,
            partner | self._order(same_name_other_code).partner_id,
        )
        log = self._logs("order_import", cartona_id=without_code)
        self.assertEqual(log.outcome, "warning")
        self.assertIn("no retailer_code", log.message)
        # Another configuration never reuses the retailers of this one.
        self.sandbox.state.add_order(self.sandbox.state.order(first))
        other = self.config.copy(
            {"name": "Second account", "auth_token": self.config._get_token()}
        )
        with trap_jobs() as trap:
            other._pull_orders()
            self._run_jobs(trap)
        other_order = self.env["sale.order"].search(
            [("marketplace_config_id", "=", other.id), ("cartona_id", "=", first)]
        )
        self.assertTrue(other_order)
        self.assertNotEqual(other_order.partner_id, partner)

    def test_product_match_by_barcode_and_variant_id(self):
        self.config.product_match = "barcode"
        by_barcode = self._feed(lines=[self._line(1, "6221000000017", 1, 350)])
        self.config.product_match = "variant_id"
        self._sync()
        self.assertFalse(self._order(by_barcode), "not a variant id")
        self.config.product_match = "barcode"
        self._sync()
        self.assertEqual(self._order(by_barcode).order_line.product_id, self.juice)
        self.config.product_match = "variant_id"
        by_id = self._feed(lines=[self._line(1, str(self.tea.id), 1, 200)])
        self._sync()
        self.assertEqual(self._order(by_id).order_line.product_id, self.tea)


@tagged("post_install", "-at_install")
class TestInvalidOrders(InboundCase):
    def _assert_rejected(self, hashed_id, *reasons):
        self.assertFalse(self._order(hashed_id), "an invalid order creates nothing")
        self.assertFalse(self._acknowledged(hashed_id), "and stays in the feed")
        log = self._logs("order_import", cartona_id=hashed_id)
        self.assertEqual(len(log), 1)
        self.assertEqual((log.direction, log.outcome), ("inbound", "error"))
        for reason in reasons:
            self.assertIn(reason, log.error_message)
        self.assertIn(log, self._import_errors())
        return log

    @mute_logger(PROCESSOR)
    def test_invalid_payloads_from_the_feed(self):
        cases = {
            "zero amount": (
                {"lines": [self._line(5550101, "4812", 0, 350)]},
                ["line 1 (id 5550101): amount must be > 0, got 0"],
            ),
            "wrong types": (
                {
                    "lines": [
                        self._line(5550101, "4812", 1, 350),
                        self._line("x1", 904, "2", None),
                    ],
                    "total_price": "1450",
                },
                [
                    'line 2: id must be a positive integer, got "x1"',
                    "line 2: internal_product_id must be a string, got 904",
                    'line 2: amount must be a number, got "2"',
                    "line 2: selling_price is missing",
                    'total_price must be a number, got "1450"',
                ],
            ),
            "missing fields": (
                {"retailer": {"retailer_code": "B1"}, "order_details": None},
                ["retailer.retailer_name is missing", "order_details is missing"],
            ),
            "no lines": ({"lines": []}, ["order_details is empty"]),
            "unknown product": (
                {
                    "lines": [
                        self._line(5550101, "4812", 1, 350),
                        self._line(5550102, "NOPE-1", 1, 10),
                    ]
                },
                [
                    "line 2 (id 5550102): no active, saleable product of",
                    "Internal Reference 'NOPE-1'",
                ],
            ),
            "bad date": (
                {"pickup_date": "03/03/2025"},
                ['pickup_date must be a YYYY-MM-DD date or null, got "03/03/2025"'],
            ),
        }
        ids = {}
        for name, (changes, _reasons) in cases.items():
            lines = changes.pop("lines", None)
            payload = self._payload(lines=lines, **changes)
            if "order_details" in changes:
                payload["order_details"] = changes["order_details"]
            self.sandbox.state.add_order(payload, fill_defaults=False)
            ids[name] = payload["hashed_id"]
        good = self._feed()
        total, invalid, error = self._sync()
        self.assertEqual((total, invalid, error), (7, 5, None))
        self.assertEqual(self.config.last_pull_result, "7 orders, 5 invalid")
        for name, (_changes, reasons) in cases.items():
            with self.subTest(name):
                self._assert_rejected(ids[name], *reasons)
        self.assertTrue(self._order(good), "one bad order never blocks the others")
        self.assertTrue(self._acknowledged(good))
        # Pulled again, unchanged: no new error log each time.
        self._sync()
        for hashed_id in ids.values():
            self.assertEqual(len(self._logs("order_import", cartona_id=hashed_id)), 1)

    @mute_logger(PROCESSOR)
    def test_unsaleable_archived_and_foreign_products_are_refused(self):
        other_company = self.env["res.company"].create({"name": "Other supplier"})
        Product = self.env["product.product"]
        Product.create(
            {"name": "Not for sale", "default_code": "NS-1", "sale_ok": False}
        )
        Product.create({"name": "Archived", "default_code": "OLD-1", "active": False})
        Product.create(
            {"name": "Foreign", "default_code": "OC-1", "company_id": other_company.id}
        )
        Product.create({"name": "Twin A", "default_code": "TWIN"})
        Product.create({"name": "Twin B", "default_code": "TWIN"})
        for code in ("NS-1", "OLD-1", "OC-1"):
            hashed_id = self._feed(lines=[self._line(7, code, 1, 10)])
            self._sync()
            self._assert_rejected(hashed_id, "no active, saleable product of")
        hashed_id = self._feed(lines=[self._line(7, "TWIN", 1, 10)])
        self._sync()
        self._assert_rejected(hashed_id, "2 saleable products have Internal Reference")

    @mute_logger(PROCESSOR)
    def test_an_invalid_order_is_imported_after_a_fix(self):
        hashed_id = self._feed(lines=[self._line(9, "NEW-7", 4, 25)])
        self._sync()
        self._assert_rejected(hashed_id, "'NEW-7'")
        self.env["product.product"].create(
            {"name": "New product", "default_code": "NEW-7", "type": "consu"}
        )
        self._sync()
        order = self._order(hashed_id)
        self.assertEqual(order.order_line.product_uom_qty, 4)
        self.assertTrue(self._acknowledged(hashed_id))

    @mute_logger(PROCESSOR)
    def test_payloads_the_feed_cannot_even_hold(self):
        processor = self.env["marketplace.order.processor"]
        for payload, reason in (
            ("garbage", "the order must be a JSON object"),
            ({"status": "pending"}, "hashed_id is missing"),
            (self._payload(hashed_id=17), "hashed_id must be a string, got 17"),
        ):
            result = processor._import_order(self.config.id, payload)
            self.assertIn(reason, result)
            log = self._logs("order_import")[-1]
            self.assertEqual((log.outcome, log.cartona_id), ("error", False))
            self.assertIn(reason, log.error_message)
            self.assertEqual(
                log.payload_fingerprint, inbound.payload_fingerprint(payload)
            )
        self.assertEqual(len(self._import_errors()), 3)
        self.assertFalse(self.env["sale.order"].search([("cartona_id", "=", "17")]))

    @mute_logger(CLIENT)
    def test_non_json_answer_from_the_feed(self):
        self._feed()
        self.sandbox.state.add_fault("malformed", count=1, path="pull-orders")
        with trap_jobs() as trap:
            action = self.config.action_pull_orders()
            trap.assert_jobs_count(0)
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("malformed JSON", action["params"]["message"])
        self.assertIn("pull stopped", self.config.last_pull_result)
        log = self._logs("order_pull")
        self.assertEqual((log.outcome, log.status_code), ("protocol_error", 200))
        self.assertIn(log, self._import_errors())

    def test_a_failing_page_is_logged_and_keeps_the_pages_before(self):
        self.config.pull_page_size = 1
        first, _second = self._feed(), self._feed()
        pages = self.env["marketplace.api"].pull_orders(self.config)
        self.assertEqual([o["hashed_id"] for o in next(pages)], [first])
        self.sandbox.state.add_fault("error", count=1, status=503, path="pull-orders")
        self._call_expecting(errors.TransientError, next, pages)
        self.assertEqual(
            self._logs("order_pull").mapped("outcome"), ["success", "transient_error"]
        )

        def first_page_then_failure(config):
            yield [self.sandbox.state.order(first)]
            raise errors.TransientError("Cartona server error (HTTP 503)")

        with (
            mock.patch.object(
                type(self.env["marketplace.api"]),
                "pull_orders",
                lambda self_, config: first_page_then_failure(config),
            ),
            trap_jobs() as trap,
        ):
            total, _invalid, error = self.config._pull_orders()
            trap.assert_jobs_count(1)
        self.assertEqual(total, 1)
        self.assertIsInstance(error, errors.TransientError)
        self.assertIn("pull stopped", self.config.last_pull_result)


@tagged("post_install", "-at_install")
class TestUpdates(InboundCase):
    def test_the_same_entry_twice_changes_nothing(self):
        hashed_id = self._feed()
        self._sync()
        order = self._order(hashed_id)
        self.sandbox.state.add_order(self.sandbox.state.order(hashed_id))  # resent
        self.assertFalse(self._acknowledged(hashed_id))
        logs_before = len(self._logs("order_import"))
        lines_before = order.order_line.ids
        self._sync()
        self.assertEqual(self._order(hashed_id), order)
        self.assertEqual(order.order_line.ids, lines_before)
        self.assertEqual(len(self._logs("order_import")), logs_before, "a no-op")
        self.assertTrue(self._acknowledged(hashed_id), "acknowledged again")

    def test_two_pulls_queue_one_job_per_entry(self):
        self._feed()
        self._feed()
        self.config._pull_orders()
        self.config._pull_orders()
        jobs = self.env["queue.job"].search([("method_name", "=", "_import_order")])
        self.assertEqual(len(jobs), 2, "identity key: one pending job per entry")
        self.assertEqual(set(jobs.mapped("channel")), {"root.cartona"})
        self.assertEqual(jobs.mapped("args")[0][0], self.config.id)

    def test_crash_between_import_and_acknowledgement(self):
        hashed_id = self._feed()
        with trap_jobs() as trap:
            self.config._pull_orders()
            trap.perform_enqueued_jobs()  # imports only; the ack job is lost
            acknowledgement = self.env["marketplace.order.acknowledgement"]
            trap.assert_jobs_count(1, only=acknowledgement._acknowledge_orders)
        order = self._order(hashed_id)
        self.assertTrue(order.marketplace_ack_pending)
        self.assertFalse(self._acknowledged(hashed_id))
        self._sync()
        self.assertEqual(self._order(hashed_id), order, "never a duplicate order")
        self.assertEqual(len(self._logs("order_import")), 1)
        self.assertTrue(self._acknowledged(hashed_id))
        self.assertFalse(order.marketplace_ack_pending)

    def test_rolled_back_import_sends_no_acknowledgement(self):
        hashed_id = self._feed()
        payload = self.sandbox.state.order(hashed_id)

        def import_then_crash(env):
            env["marketplace.order.processor"]._import_order(self.config.id, payload)
            raise RetryableJobError("crash before commit")

        with trap_jobs() as trap:
            outcome = self._run_in_job_transaction(
                import_then_crash, job_uuid="inbound-job"
            )
            self.assertIsInstance(outcome, RetryableJobError)
            trap.enqueued_jobs.clear()  # enqueued in the rolled-back transaction
        self.assertFalse(self._order(hashed_id))
        self.assertFalse(self._status_requests())
        self._sync()
        self.assertTrue(self._order(hashed_id))
        self.assertTrue(self._acknowledged(hashed_id))

    def test_retailer_edit_replaces_the_lines_of_a_quotation(self):
        hashed_id = self._feed()
        self._sync()
        order = self._order(hashed_id)
        juice_line = order.order_line.filtered(
            lambda line: line.cartona_line_ref == "5550101"
        )
        self.sandbox.state.set_status(hashed_id, "editing")
        self._sync()
        self.assertEqual(order.marketplace_status, "editing")
        with self.assertRaisesRegex(UserError, "editing"):
            order.action_confirm()
        self.sandbox.state.retailer_edit(
            hashed_id,
            [
                self._line(5550101, "4812", 5, 340, "more please"),
                self._line(None, "904#2", 1, 200),
            ],
        )
        self._sync()
        self.assertEqual(order.marketplace_status, "pending")
        lines = order.order_line.sorted("cartona_line_ref")
        self.assertEqual(len(lines), 2)
        self.assertEqual(lines[0], juice_line, "updated in place")
        self.assertEqual(
            (
                lines[0].product_uom_qty,
                lines[0].price_unit,
                lines[0].cartona_line_comment,
            ),
            (5, 340, "more please"),
        )
        self.assertEqual(lines[1].product_id, self.tea)
        self.assertNotEqual(lines[1].cartona_line_ref, "5550102")
        self.assertTrue(self._acknowledged(hashed_id))
        log = self._logs("order_import", cartona_id=hashed_id)[-1]
        self.assertIn("1 added, 1 changed, 1 removed", log.message)
        order.action_confirm()  # pending again: confirming is allowed
        self.assertEqual(order.state, "sale")

    @mute_logger(PROCESSOR)
    def test_retailer_edit_of_a_confirmed_order_is_flagged(self):
        hashed_id = self._feed()
        self._sync()
        order = self._order(hashed_id)
        # Confirmed in Odoo; Cartona does not know yet (the push is still queued).
        order.with_context(**NO_SYNC).action_confirm()
        lines = [(line.product_id, line.product_uom_qty) for line in order.order_line]
        self.sandbox.state.retailer_edit(
            hashed_id, [self._line(5550101, "4812", 9, 350)]
        )
        self._sync()
        self.assertEqual(
            [(line.product_id, line.product_uom_qty) for line in order.order_line],
            lines,
        )
        self.assertEqual(order.marketplace_sync_status, "error")
        self.assertIn("changed", order.marketplace_error_message)
        self.assertIn("1 changed, 1 removed", order.marketplace_import_error)
        self.assertFalse(self._acknowledged(hashed_id), "kept for a person")
        log = self._logs("order_import", cartona_id=hashed_id)[-1]
        self.assertEqual(log.outcome, "error")
        self.assertIn(log, self._import_errors())
        self._sync()
        self.assertEqual(
            len(self._logs("order_import", cartona_id=hashed_id)), 2, "logged once"
        )
        # The person takes Cartona's version: back to quotation, the next pull
        # updates the lines and clears the flag.
        order.with_context(**NO_SYNC)._action_cancel()
        order.with_context(**NO_SYNC).action_draft()
        self._sync()
        self.assertEqual(order.order_line.product_uom_qty, 9)
        self.assertEqual(order.marketplace_sync_status, "synced")
        self.assertFalse(order.marketplace_import_error)
        self.assertTrue(self._acknowledged(hashed_id))

    @mute_logger(PROCESSOR)
    def test_an_invalid_new_version_flags_the_order_and_keeps_the_last_one(self):
        hashed_id = self._feed()
        self._sync()
        order = self._order(hashed_id)
        self.sandbox.state.retailer_edit(
            hashed_id,
            [self._line(5550101, "4812", 2, 350), self._line(None, "NEW-9", 1, 50)],
        )
        self._sync()
        self.assertEqual(order.order_line.mapped("product_uom_qty"), [3, 2])
        self.assertEqual(order.marketplace_sync_status, "error")
        self.assertIn("'NEW-9'", order.marketplace_import_error)
        self.assertFalse(self._acknowledged(hashed_id))
        self.env["product.product"].create(
            {"name": "New product", "default_code": "NEW-9", "type": "consu"}
        )
        self._sync()
        self.assertEqual(
            order.order_line.sorted("cartona_line_ref").mapped("product_uom_qty"),
            [2, 1],
        )
        self.assertEqual(order.marketplace_sync_status, "synced")
        self.assertFalse(order.marketplace_import_error)
        self.assertTrue(self._acknowledged(hashed_id))

    def test_an_older_version_never_overwrites_a_newer_one(self):
        hashed_id = self._feed()
        old = self.sandbox.state.order(hashed_id)
        self.sandbox.state.retailer_edit(
            hashed_id, [self._line(5550101, "4812", 7, 350)]
        )
        new = self.sandbox.state.order(hashed_id)
        processor = self.env["marketplace.order.processor"]
        with trap_jobs():
            processor._import_order(self.config.id, new, "2025-03-04 10:00:05")
            result = processor._import_order(self.config.id, old, "2025-03-04 10:00:00")
        self.assertIn("newer version", result)
        self.assertEqual(self._order(hashed_id).order_line.product_uom_qty, 7)

    def test_acknowledgement_never_hides_a_change_made_after_the_import(self):
        hashed_id = self._feed()
        with trap_jobs() as trap:
            self.config._pull_orders()
            trap.perform_enqueued_jobs()  # the import; its ack job waits
            # The retailer edits before the acknowledgement goes out.
            self.sandbox.state.retailer_edit(
                hashed_id, [self._line(5550101, "4812", 8, 350)]
            )
            self._run_jobs(trap)
        self.env.invalidate_all()
        self.assertEqual(self._order(hashed_id).order_line.product_uom_qty, 8)
        self.assertTrue(self._acknowledged(hashed_id))
        acked = [
            item["hashed_id"] for r in self._status_requests() for item in r["body"]
        ]
        self.assertEqual(acked, [hashed_id], "acknowledged once, after the edit")

    def test_concurrent_import_loses_the_insert_and_updates(self):
        hashed_id = self._feed()
        payload = self.sandbox.state.order(hashed_id)
        processor = self.env["marketplace.order.processor"]
        with trap_jobs():
            processor._import_order(self.config.id, payload)
        order = self._order(hashed_id)
        self.sandbox.state.retailer_edit(
            hashed_id, [self._line(5550101, "4812", 6, 350)]
        )
        edited = self.sandbox.state.order(hashed_id)
        real_find = type(processor)._find_order
        calls = []

        def racing_find(self_, config, hid):
            # The first lookup misses the order another job is committing.
            calls.append(hid)
            if len(calls) == 1:
                return self_.env["sale.order"]
            return real_find(self_, config, hid)

        with (
            mock.patch.object(type(processor), "_find_order", racing_find),
            mute_logger("odoo.sql_db"),
            trap_jobs(),
        ):
            result = processor._import_order(self.config.id, edited)
        self.assertIn(order.name, result)
        self.assertEqual(self._order(hashed_id), order, "no duplicate")
        self.assertEqual(order.order_line.product_uom_qty, 6)

    def test_concurrent_import_not_visible_yet_retries(self):
        hashed_id = self._feed()
        payload = self.sandbox.state.order(hashed_id)
        processor = self.env["marketplace.order.processor"]
        with trap_jobs():
            processor._import_order(self.config.id, payload)
        edited = dict(payload, note_message="changed")
        with (
            mock.patch.object(
                type(processor),
                "_find_order",
                lambda self_, config, hid: self_.env["sale.order"],
            ),
            mute_logger("odoo.sql_db"),
            self.assertRaises(RetryableJobError) as caught,
        ):
            processor._import_order(self.config.id, edited)
        self.assertTrue(caught.exception.ignore_retry)
        self.assertEqual(len(self._order(hashed_id)), 1)

    def test_an_order_being_imported_elsewhere_retries_later(self):
        hashed_id = self._feed()
        payload = self.sandbox.state.order(hashed_id)
        with db_connect(self.env.cr.dbname).cursor() as other:
            other.execute(
                "SELECT pg_try_advisory_lock(%s, hashtext(%s))",
                (IMPORT_LOCK_KEY, f"{self.config.id}:{hashed_id}"),
            )
            self.assertTrue(other.fetchone()[0])
            try:
                with self.assertRaisesRegex(RetryableJobError, "another job"):
                    self.env["marketplace.order.processor"]._import_order(
                        self.config.id, payload
                    )
            finally:
                other.execute(
                    "SELECT pg_advisory_unlock(%s, hashtext(%s))",
                    (IMPORT_LOCK_KEY, f"{self.config.id}:{hashed_id}"),
                )
        self.assertFalse(self._order(hashed_id))


@tagged("post_install", "-at_install")
class TestStatuses(InboundCase):
    def _imported(self, **kwargs):
        hashed_id = self._feed(**kwargs)
        self._sync()
        return hashed_id, self._order(hashed_id)

    def test_retailer_cancellation_before_shipping(self):
        hashed_id, order = self._imported(status="pending")
        order.with_context(**NO_SYNC).action_confirm()
        picking = order.picking_ids
        self.sandbox.state.retailer_cancel(hashed_id, "different_prices")
        self._sync()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(picking.state, "cancel")
        self.assertEqual(order.marketplace_status, "cancelled_by_retailer")
        self.assertEqual(order.marketplace_cancellation_reason, "different_prices")
        self.assertTrue(self._acknowledged(hashed_id))
        self._assert_nothing_echoed()

    def test_cancellation_of_a_quotation_and_plain_cancelled(self):
        hashed_id, order = self._imported()
        self.sandbox.state.set_status(hashed_id, "cancelled")
        self._sync()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.cartona_status_raw, "cancelled")
        self.assertEqual(order.marketplace_status, "pending", "not a stored status")
        self.assertTrue(self._acknowledged(hashed_id))
        self._assert_nothing_echoed()

    @mute_logger(PROCESSOR)
    def test_retailer_cancellation_after_shipping_is_flagged(self):
        hashed_id, order = self._imported()
        order.with_context(**NO_SYNC).action_confirm()
        picking = self._ship(order.with_context(**NO_SYNC))
        self.sandbox.state.retailer_cancel(hashed_id)
        self._sync()
        self.assertEqual(order.state, "sale", "goods left: not cancelled")
        self.assertEqual(order.marketplace_status, "pending", "not stored")
        self.assertEqual(order.marketplace_sync_status, "error")
        self.assertIn(picking.name, order.marketplace_error_message)
        self.assertIn("return", order.marketplace_error_message)
        self.assertFalse(self._acknowledged(hashed_id))
        self.assertIn(self._logs("order_import")[-1], self._import_errors())
        self._assert_nothing_echoed()
        # Once the person processed the return and cancelled, the next pull agrees.
        order.with_context(**NO_SYNC)._action_cancel()
        self._sync()
        self.assertEqual(order.marketplace_status, "cancelled_by_retailer")
        self.assertEqual(order.marketplace_sync_status, "synced")
        self.assertTrue(self._acknowledged(hashed_id))

    def test_cartona_drives_the_delivery_of_its_orders(self):
        self.config.validate_cartona_deliveries = True
        hashed_id, order = self._imported(
            delivered_by="delivered_by_cartona", status="approved"
        )
        self.assertEqual(order.state, "sale")
        self.sandbox.state.set_status(hashed_id, "assigned_to_salesman")
        self._sync()
        self.assertEqual(order.marketplace_status, "assigned_to_salesman")
        self.assertNotEqual(order.picking_ids.state, "done")
        self.sandbox.state.set_status(hashed_id, "delivered")
        self._sync()
        self.assertEqual(order.marketplace_status, "delivered")
        self.assertEqual(order.picking_ids.state, "done")
        self.assertEqual(order.order_line.mapped("qty_delivered"), [3, 2])
        self.assertTrue(self._acknowledged(hashed_id))
        self._assert_nothing_echoed()

    def test_cartona_delivered_without_validation_and_returned(self):
        # Not invoiced on delivery: a returned invoice is test_money's and
        # test_returns' (the import then warns to reverse it).
        self.config.invoice_on_delivery = "off"
        hashed_id, order = self._imported(
            delivered_by="delivered_by_cartona", status="assigned_to_salesman"
        )
        self.assertEqual(order.state, "sale", "shipped implies approved")
        self.sandbox.state.set_status(hashed_id, "delivered")
        self._sync()
        self.assertEqual(order.marketplace_status, "delivered")
        self.assertNotEqual(order.picking_ids.state, "done", "not configured")
        self._ship(order.with_context(**NO_SYNC))
        self.sandbox.state.set_status(hashed_id, "returned")
        self._sync()
        self.assertEqual(order.marketplace_status, "returned")
        log = self._logs("order_import", cartona_id=hashed_id)[-1]
        self.assertEqual(log.outcome, "success")
        self.assertIn("prepared for what left", log.message)
        self.assertEqual(order.marketplace_return_picking_id.state, "assigned")

    def test_supplier_delivered_orders_are_not_driven_by_cartona(self):
        hashed_id, order = self._imported()
        self.sandbox.state.set_status(hashed_id, "delivered")
        self._sync()
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.marketplace_status, "delivered")
        log = self._logs("order_import", cartona_id=hashed_id)[-1]
        self.assertEqual(log.outcome, "warning")
        self.assertIn("nothing changed in Odoo", log.message)

    def test_approved_on_cartona_confirms_a_quotation(self):
        hashed_id, order = self._imported()
        self.sandbox.state.set_status(hashed_id, "approved")
        self._sync()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.marketplace_status, "approved")
        self._assert_nothing_echoed()

    def test_a_stale_editing_status_does_not_block_cartonas_approval(self):
        hashed_id, order = self._imported(status="editing")
        self.assertEqual(order.marketplace_status, "editing")
        self.sandbox.state.set_status(hashed_id, "approved")
        self._sync()
        self.assertEqual(order.state, "sale")

    @mute_logger(PROCESSOR)
    def test_a_failing_confirmation_is_flagged_and_retried(self):
        hashed_id, order = self._imported()
        self.sandbox.state.set_status(hashed_id, "approved")
        with mock.patch.object(
            type(order), "action_confirm", side_effect=UserError("credit limit")
        ):
            self._sync()
        self.assertEqual(order.state, "draft")
        self.assertEqual(
            order.marketplace_status, "pending", "stored after success only"
        )
        self.assertIn("credit limit", order.marketplace_import_error)
        self.assertFalse(self._acknowledged(hashed_id))
        self._sync()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.marketplace_status, "approved")
        self.assertFalse(order.marketplace_import_error)
        self.assertTrue(self._acknowledged(hashed_id))

    def test_unknown_status_is_logged_and_kept(self):
        hashed_id, order = self._imported()
        self.sandbox.state.set_status(hashed_id, "on_hold")
        self._sync()
        self.assertEqual(order.cartona_status_raw, "on_hold")
        self.assertEqual(order.marketplace_status, "pending")
        log = self._logs("order_import", cartona_id=hashed_id)[-1]
        self.assertEqual((log.outcome, log.status_sent), ("warning", "on_hold"))
        self.assertIn("unknown Cartona status 'on_hold'", log.message)
        self.assertTrue(self._acknowledged(hashed_id))


@tagged("post_install", "-at_install")
class TestPullAndAcknowledge(InboundCase):
    def test_pagination_reads_every_page(self):
        self.config.write({"pull_page_size": 2, "status_batch_size": 2})
        ids = [self._feed() for _i in range(5)]
        total, _invalid, _error = self._sync()
        self.assertEqual(total, 5)
        for hashed_id in ids:
            self.assertTrue(self._order(hashed_id))
            self.assertTrue(self._acknowledged(hashed_id))
        pulls = [r for r in self.sandbox.state.requests if "pull-orders" in r["path"]]
        first_pull = pulls[:3]
        self.assertEqual(
            [(r["query"]["page"], r["query"]["per_page"]) for r in first_pull],
            [("1", "2"), ("2", "2"), ("3", "2")],
        )
        self.assertEqual(
            self._logs("order_pull")[:3].mapped("message"),
            ["page 1: 2 orders", "page 2: 2 orders", "page 3: 1 order"],
        )
        acks = [r["body"] for r in self._status_requests()]
        self.assertEqual([len(body) for body in acks], [2, 2, 1], "bulk, in batches")
        self._assert_nothing_echoed()

    def test_an_empty_pull_is_a_figure_on_the_account_not_a_row(self):
        with trap_jobs() as trap:
            self.config._pull_orders()
            trap.assert_jobs_count(0)
        self.assertFalse(self._logs("order_pull"), "no row every two minutes")
        self.assertTrue(self.config.last_pull_date)
        self.assertEqual(self.config.last_pull_result, "0 orders, 0 invalid")
        hashed_id = self._feed()
        self._sync()
        logs = self._logs("order_pull")  # the pull's, and the acknowledgement's read
        self.assertEqual(set(logs.mapped("message")), {"page 1: 1 order"})
        self.assertEqual(logs[0].display_name, "Order Pull · " + self.config.name)
        self.assertEqual(
            self._logs("order_import", cartona_id=hashed_id).display_name,
            f"Order Import · {self._order(hashed_id).name}",
        )

    def test_transient_failure_during_acknowledgement_then_success(self):
        hashed_id = self._feed()
        with trap_jobs() as trap:
            self.config._pull_orders()
            trap.perform_enqueued_jobs()  # the import
        order = self._order(hashed_id)
        self.assertTrue(order.marketplace_ack_pending)
        self.sandbox.state.add_fault(
            "error", count=1, status=503, path="update-order-status"
        )

        def acknowledge(env):
            return env["marketplace.order.acknowledgement"]._acknowledge_orders(
                self.config.id
            )

        outcome = self._run_in_job_transaction(acknowledge, job_uuid="ack-uuid")
        self.assertIsInstance(outcome, RetryableJobError)
        self.assertFalse(self._acknowledged(hashed_id))
        self.assertTrue(order.marketplace_ack_pending, "rolled back with the job")
        failed = self._logs("ack")
        self.assertEqual(
            (failed.outcome, failed.status_code, failed.job_uuid),
            ("transient_error", 503, "ack-uuid"),
        )
        # The retry succeeds.
        outcome = self._run_in_job_transaction(acknowledge, job_uuid="ack-uuid")
        self.assertIn("1 acknowledged", outcome)
        self.assertTrue(self._acknowledged(hashed_id))
        self.assertFalse(order.marketplace_ack_pending)
        self.assertEqual(
            self._logs("ack").mapped("outcome"), ["transient_error", "success"]
        )
        self.assertEqual(len(self._order(hashed_id)), 1)

    def test_acknowledgement_waits_for_the_imports_being_run(self):
        hashed_id = self._feed()
        with trap_jobs() as trap:
            self.config._pull_orders()
            trap.perform_enqueued_jobs()  # the import; its ack job is dropped
        processor = self.env["marketplace.order.processor"]
        processor.with_delay()._import_order(self.config.id, {"hashed_id": "Zz1"})
        job = self.env["queue.job"].search([("method_name", "=", "_import_order")])
        job.state = "started"  # the runner is running it for this configuration
        acknowledgement = self.env["marketplace.order.acknowledgement"]
        error = self._call_expecting(
            RetryableJobError, acknowledgement._acknowledge_orders, self.config.id
        )
        self.assertTrue(error.ignore_retry)
        self.assertFalse(self._acknowledged(hashed_id))
        job.state = "done"
        # Imports of another configuration do not hold this one back.
        processor.with_delay()._import_order(self.config.id + 1000, {"hashed_id": "Z"})
        job = self.env["queue.job"].search([("state", "=", "pending")])
        job.state = "started"
        self.assertIn(
            "1 acknowledged", acknowledgement._acknowledge_orders(self.config.id)
        )
        self.assertTrue(self._acknowledged(hashed_id))

    def test_acknowledgement_reads_the_feed_before_locking_the_orders(self):
        """No order row is locked while the feed is paged over HTTP: status jobs of
        those orders go on meanwhile."""
        hashed_id = self._feed()
        with trap_jobs() as trap:
            self.config._pull_orders()
            trap.perform_enqueued_jobs()  # the import; its ack job waits
        acknowledgement = self.env["marketplace.order.acknowledgement"]
        model = type(acknowledgement)
        calls = []
        real_read, real_lock = model._read_feed, model._lock

        def read_feed(self_, config):
            calls.append("read the feed")
            return real_read(self_, config)

        def lock(self_, orders):
            calls.append("lock the orders")
            return real_lock(self_, orders)

        with (
            mock.patch.object(model, "_read_feed", read_feed),
            mock.patch.object(model, "_lock", lock),
        ):
            result = acknowledgement._acknowledge_orders(self.config.id)
        self.assertIn("1 acknowledged", result)
        self.assertEqual(calls, ["read the feed", "lock the orders"])
        self.assertTrue(self._acknowledged(hashed_id))

    def test_acknowledgement_rejected_is_asked_again_at_the_next_pull(self):
        hashed_id = self._feed()
        self.sandbox.state.add_fault(
            "error", count=1, status=400, path="update-order-status"
        )
        self._sync()
        order = self._order(hashed_id)
        self.assertEqual(self._logs("ack").outcome, "rejected")
        self.assertTrue(order.marketplace_ack_pending)
        self.assertFalse(self._acknowledged(hashed_id))
        self._sync()
        self.assertTrue(self._acknowledged(hashed_id))
        self.assertFalse(order.marketplace_ack_pending)

    def test_acknowledgement_jobs_are_one_per_configuration(self):
        self._feed()
        self._feed()
        self.config._pull_orders()
        imports = self.env["queue.job"].search([("method_name", "=", "_import_order")])
        self.assertEqual(len(imports), 2)
        for job in imports:
            Job.load(self.env, job.uuid).perform()
        acks = self.env["queue.job"].search(
            [("method_name", "=", "_acknowledge_orders")]
        )
        self.assertEqual(len(acks), 1)
        self.assertEqual(acks.args, [self.config.id])
        self.assertEqual(acks.channel, "root.cartona")

    def test_cron_pulls_the_configurations_that_are_due(self):
        self._feed()
        Config = self.env["marketplace.config"]
        Config.search([("id", "!=", self.config.id)]).active = False
        with trap_jobs() as trap:
            Config._cron_pull_orders()
            trap.assert_jobs_count(
                1, only=self.env["marketplace.order.processor"]._import_order
            )
            first = self.config.last_pull_date
            Config._cron_pull_orders()  # not due yet: nothing pulled
            trap.assert_jobs_count(1)
            self.assertEqual(self.config.last_pull_date, first)
        pulls = [r for r in self.sandbox.state.requests if "pull-orders" in r["path"]]
        self.assertEqual(len(pulls), 1)
        self.config.last_pull_date = "2020-01-01 00:00:00"
        self.config.pull_interval = 0
        with trap_jobs() as trap:
            Config._cron_pull_orders()
            trap.assert_jobs_count(0)
        self.config.pull_interval = 2
        self.config.connection_status = "auth_failed"
        with trap_jobs() as trap:
            Config._cron_pull_orders()
            trap.assert_jobs_count(0)

    def test_pull_orders_button_reports_counts(self):
        self._feed()
        self.sandbox.state.add_order(
            self._payload(lines=[self._line(1, "4812", 0, 1)]), fill_defaults=False
        )
        with trap_jobs() as trap, mute_logger(PROCESSOR):
            action = self.config.action_pull_orders()
            # The invalid entry is checked at pull, logged, and never queued.
            trap.assert_jobs_count(1)
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn(
            "2 orders pulled from Cartona, 1 invalid", action["params"]["message"]
        )
        self.assertEqual(len(self._import_errors()), 1)

    def test_an_invalid_entry_costs_one_log_not_a_job_a_pull(self):
        bad = self._payload(lines=[self._line(1, "4812", 0, 1)])
        self.sandbox.state.add_order(bad, fill_defaults=False)
        with mute_logger(PROCESSOR):
            for _pull in range(3):
                with trap_jobs() as trap:
                    self.config._pull_orders()
                    trap.assert_jobs_count(0)
        self.assertEqual(len(self._import_errors()), 1, "logged once per version")
        self.assertFalse(self._acknowledged(bad["hashed_id"]))

    def test_an_entry_with_an_unknown_product_waits_for_a_product_change(self):
        hashed_id = self._feed(lines=[self._line(5550101, "NEW-1", 2, 50)])
        with mute_logger(PROCESSOR):
            self._sync()
            self.assertFalse(self._order(hashed_id))
            with trap_jobs() as trap:
                self.config._pull_orders()
                trap.assert_jobs_count(0)  # nothing Odoo lacks has changed
            self.env["product.product"].create(
                {"name": "New product", "default_code": "NEW-1", "type": "consu"}
            )
            self._sync()
        self.assertEqual(
            self._order(hashed_id).order_line.product_id.default_code, "NEW-1"
        )
        self.assertTrue(self._acknowledged(hashed_id))

    def test_full_cycle_echoes_nothing_back(self):
        supplier = self._feed()
        cartona = self._feed(delivered_by="delivered_by_cartona", status="approved")
        self._sync()
        self.sandbox.state.set_status(supplier, "approved")
        self.sandbox.state.retailer_cancel(cartona)
        self._sync()
        self.assertEqual(self._order(supplier).state, "sale")
        self.assertEqual(self._order(cartona).state, "cancel")
        self._assert_nothing_echoed()
        self.assertEqual(len(self._status_requests()), 2, "two bulk acknowledgements")
