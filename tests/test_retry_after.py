# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Cartona's Retry-After is honoured up to an hour, for every job; an absurd one,
a negative one, junk or a date in the past is the normal backoff."""

from datetime import datetime, timedelta

from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError

from ..cartona import errors
from . import test_catalog
from .common import NO_SYNC, CartonaCase

ABSURD = ("1e12", "1000000000", "-30", "soon", "Wed, 21 Oct 2015 07:28:00 GMT")


@tagged("post_install", "-at_install")
class TestOrderRetryAfter(CartonaCase):
    def _confirmed(self):
        order = self._make_order()
        order.with_context(**NO_SYNC).action_confirm()
        return order

    def test_an_absurd_retry_after_is_the_normal_backoff(self):
        for value in ABSURD:
            with self.subTest(value=value):
                order = self._confirmed()
                self.sandbox.state.add_fault("rate_limit", count=1, retry_after=value)
                error = self._perform_like_queue_job(order)
                # Before: 1e12 raised an OverflowError, the order stayed in
                # syncing with no retry planned; 1000000000 froze it until 2058.
                self.assertIsInstance(error, RetryableJobError)
                self.assertIsNone(error.seconds)
                self.assertEqual(order.marketplace_sync_status, "syncing")
                self.assertIn("try again", order.marketplace_error_message)
                # The retry converges.
                self._run_job(order)
                self.assertEqual(order.marketplace_sync_status, "synced")
                self.assertEqual(self._history(order), ["approved"])

    def test_a_retry_after_within_the_hour_is_honoured(self):
        order = self._confirmed()
        self.sandbox.state.add_fault("rate_limit", count=1, retry_after="3600")
        self.assertEqual(self._perform_like_queue_job(order).seconds, 3600)
        order = self._confirmed()
        self.sandbox.state.add_fault("rate_limit", count=1, retry_after="3601")
        self.assertIsNone(self._perform_like_queue_job(order).seconds)


@tagged("post_install", "-at_install")
class TestCatalogRetryAfter(test_catalog.CatalogCase):
    def test_an_absurd_retry_after_never_freezes_the_catalog(self):
        self._list(self.items[:1])
        for value in ABSURD:
            with self.subTest(value=value):
                self.sandbox.state.add_fault(
                    "rate_limit", count=1, path=test_catalog.BULK, retry_after=value
                )
                self._sync(lambda: self._adjust(self.items[0], 41))
                self.assertIsInstance(self.outcomes[0], RetryableJobError)
                self.assertIsNone(self.outcomes[0].seconds)

    def test_the_rest_is_never_queued_past_an_hour(self):
        """What reaches queue_job is capped, whoever asks for the delay."""
        after = datetime.now()
        self.config._catalog_wake(1000000000)
        job = self.env["queue.job"].search(
            [("method_name", "=", "_sync_catalog")], order="id desc", limit=1
        )
        self.assertLessEqual(
            job.eta, after + timedelta(seconds=errors.MAX_RETRY_AFTER + 5)
        )
