# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command
from odoo.tests import tagged

from odoo.addons.base.tests.common import new_test_user
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

from ..models.marketplace_api import http_session
from .common import NO_SYNC, SANDBOX_TOKEN, CartonaCase


@tagged("post_install", "-at_install")
class TestSyncJob(CartonaCase):
    """The status job against the sandbox over real HTTP."""

    def _confirmed(self, **kwargs):
        order = self._make_order(**kwargs)
        order.with_context(**NO_SYNC).action_confirm()
        return order

    def _status_requests(self):
        return [
            r for r in self.sandbox.state.requests if "update-order-status" in r["path"]
        ]

    def _logs(self, order):
        return self.env["marketplace.sync.log"].search([("order_id", "=", order.id)])

    def test_confirmed_order_pushes_approved(self):
        order = self._confirmed()
        self._run_job(order)
        self.assertEqual(self._history(order), ["approved"])
        self.assertEqual(order.marketplace_status, "approved")
        self.assertEqual(order.marketplace_sync_status, "synced")
        self.assertTrue(order.marketplace_sync_date)
        self.assertFalse(order.marketplace_error_message)
        log = self._logs(order)
        self.assertEqual(log.outcome, "success")
        self.assertEqual(log.status_code, 200)
        self.assertEqual(log.status_sent, "approved")
        self.assertIn(f"order/update-order-status/{order.cartona_id}", log.endpoint)

    def test_intermediate_steps_are_sent_in_graph_order(self):
        order = self._confirmed()
        self._ship(order)
        result = self._run_job(order)
        # One step per transaction: the job records approved and queues the rest.
        self.assertIn("queued", result)
        self.assertEqual(self._history(order), ["approved"])
        self.assertEqual(order.marketplace_status, "approved")
        self.assertEqual(order.marketplace_sync_status, "syncing")
        self._run_job(order)
        self.assertEqual(self._history(order), ["approved", "assigned_to_salesman"])
        self.assertEqual(order.marketplace_status, "assigned_to_salesman")
        self.assertEqual(order.marketplace_sync_status, "synced")
        self.assertEqual(len(self._logs(order)), 2)

    def test_warehouse_user_without_cartona_access_ships(self):
        """The job runs as whoever changed the order: a warehouse user with no Cartona
        group (who may not read Cartona accounts) ships, and Cartona learns it; the
        note and the log still name that user."""
        order = self._confirmed(cartona_status="approved")
        storekeeper = new_test_user(
            self.env, login="storekeeper", groups="stock.group_stock_user"
        )
        self.assertFalse(
            storekeeper.has_group("cartona_marketplace.group_marketplace_user")
        )
        with trap_jobs() as trap:
            self._ship(order.with_user(storekeeper))
            trap.assert_jobs_count(1, only=order._sync_status_to_marketplace)
            self.assertEqual(trap.enqueued_jobs[0].user_id, storekeeper.id)
            trap.perform_enqueued_jobs()
        self.assertEqual(self._history(order), ["assigned_to_salesman"])
        self.assertEqual(order.marketplace_status, "assigned_to_salesman")
        self.assertEqual(order.marketplace_sync_status, "synced")
        self.assertEqual(self._logs(order).user_id, storekeeper)
        note = order.message_ids.filtered(lambda m: "Shipped" in (m.body or ""))
        self.assertEqual(note.author_id, storekeeper.partner_id)

    def test_jobs_reuse_the_connection_to_cartona(self):
        first, second = self._confirmed(), self._confirmed()
        self._run_job(first)
        self._run_job(second)
        sent = self._status_requests()
        self.assertEqual(len(sent), 2)
        self.assertEqual(len({r["connection"] for r in sent}), 1)
        self.assertNotIn(SANDBOX_TOKEN, str(vars(http_session(self.config))))

    def test_stale_and_duplicate_jobs_send_nothing(self):
        order = self._confirmed()
        self._run_job(order)
        self._run_job(order)
        self._run_job(order, "basic")
        self.assertEqual(len(self._status_requests()), 1)
        self.assertEqual(self._history(order), ["approved"])

    def test_basic_mapping_never_goes_backwards(self):
        order = self._confirmed(cartona_status="assigned_to_salesman")
        self.sandbox.state.set_status(order.cartona_id, "assigned_to_salesman")
        result = self._run_job(order, "basic")
        self.assertIn("further than", result)
        self.assertEqual(self._status_requests(), [])
        self.assertEqual(order.marketplace_status, "assigned_to_salesman")
        self.assertEqual(
            order.marketplace_sync_status, "synced", "ahead is not an error"
        )

    def test_cancelling_what_cartona_delivered_sends_nothing_and_no_error(self):
        """Cartona takes nothing after delivered: said on record, never an error
        that no action could clear."""
        order = self._confirmed(cartona_status="delivered")
        order.with_context(**NO_SYNC)._action_cancel()
        result = self._run_job(order)
        self.assertIn("takes no change after delivery", result)
        self.assertEqual(self._status_requests(), [])
        self.assertEqual(order.marketplace_sync_status, "synced")
        self.assertFalse(order.marketplace_error_message)
        self.assertFalse(order.activity_ids)
        log = self._logs(order)
        self.assertEqual(log.outcome, "blocked")
        self.assertIn("record a return", log.error_message)

    def test_lost_answer_of_a_later_step_is_reconciled(self):
        """Cartona applied assigned_to_salesman, its answer was lost: no step back."""
        order = self._confirmed()
        self._ship(order)
        self._run_job(order)  # approved, then the next step is queued
        self.env.flush_all()
        self.config.timeout = 1
        self.sandbox.state.add_fault("hang", count=1, seconds=10.5, apply=True)
        self.assertIsInstance(self._perform_like_queue_job(order), RetryableJobError)
        self.assertEqual(self._sandbox_status(order), "assigned_to_salesman")
        self.assertEqual(order.marketplace_status, "approved")
        self._run_job(order)  # the retry re-sends only the lost step
        self.assertEqual(order.marketplace_sync_status, "synced")
        self.assertEqual(order.marketplace_status, "assigned_to_salesman")
        self.assertEqual(self._history(order), ["approved", "assigned_to_salesman"])

    def test_cancellation_carries_the_reason(self):
        order = self._confirmed()
        order.marketplace_cancellation_reason = "out_of_stock"
        order.with_context(**NO_SYNC)._action_cancel()
        self._run_job(order)
        self.assertEqual(self._history(order), ["cancelled_by_supplier"])
        sent = self._status_requests()[-1]["body"]
        self.assertEqual(sent["cancellation_reason"], "out_of_stock")
        self.assertNotIn("retailer_otp", sent)

    def test_cartona_delivered_order_only_pushes_cancellation(self):
        order = self._confirmed(delivered_by="delivered_by_cartona")
        self._ship(order)
        reason = self._run_job(order)
        self.assertIn("delivered by Cartona", reason)
        self.assertEqual(self._status_requests(), [])
        self.assertFalse(self._logs(order), "nothing to send is not a rule broken")
        self.assertNotEqual(order.marketplace_sync_status, "error")
        order.with_context(**NO_SYNC)._action_cancel()
        self._run_job(order)
        self.assertEqual(self._history(order), ["cancelled_by_supplier"])

    def test_server_error_retries(self):
        order = self._confirmed()
        self.sandbox.state.add_fault("error", count=1, status=503)
        self.assertIsInstance(self._perform_like_queue_job(order), RetryableJobError)
        self.assertEqual(order.marketplace_sync_status, "syncing")
        self.assertIn("try again", order.marketplace_error_message)
        log = self._logs(order)
        self.assertEqual((log.outcome, log.status_code), ("transient_error", 503))
        # Cartona recovers: the retry converges.
        self._run_job(order)
        self.assertEqual(self._history(order), ["approved"])
        self.assertEqual(order.marketplace_sync_status, "synced")

    def test_rate_limit_honours_retry_after(self):
        order = self._confirmed()
        self.sandbox.state.add_fault("rate_limit", count=1, seconds=7)
        error = self._perform_like_queue_job(order)
        self.assertIsInstance(error, RetryableJobError)
        self.assertEqual(error.seconds, 7)
        self.assertEqual(self._logs(order).status_code, 429)

    def test_timeout_and_dropped_connection_retry(self):
        # Odoo's test framework raises any request timeout below 10 s to 10 s.
        self.config.timeout = 1
        for kind, options in (("hang", {"seconds": 10.5}), ("drop", {})):
            order = self._confirmed()
            self.sandbox.state.add_fault(kind, count=1, **options)
            self.assertIsInstance(
                self._perform_like_queue_job(order), RetryableJobError
            )
            self.assertEqual(self._logs(order).outcome, "transient_error")
            self.assertFalse(self._history(order))

    def test_timeout_after_cartona_applied_reconciles(self):
        """Cartona applied the change but the answer was lost: the retry converges."""
        self.config.timeout = 1
        order = self._confirmed()
        self.sandbox.state.add_fault("hang", count=1, seconds=10.5, apply=True)
        self.assertIsInstance(self._perform_like_queue_job(order), RetryableJobError)
        self.assertEqual(self._sandbox_status(order), "approved")
        self._run_job(order)
        self.assertEqual(order.marketplace_sync_status, "synced")
        self.assertEqual(self._history(order), ["approved"], "sent exactly once")

    def test_authentication_failure_marks_config_and_stops(self):
        order = self._confirmed()
        self.sandbox.state.add_fault("auth", count=1)
        self._run_job(order)
        self.assertEqual(order.marketplace_sync_status, "error")
        self.assertEqual(self.config.connection_status, "auth_failed")
        self.assertEqual(self._logs(order).outcome, "auth_error")
        # Further pushes wait for a manager instead of burning retries.
        other = self._confirmed()
        self.assertIn("token", self._run_job(other))
        self.assertEqual(len(self._status_requests()), 1)

    def test_rejection_stops_with_cartonas_message(self):
        order = self._confirmed(cartona_status="approved")
        # The retailer cannot cancel anymore, Cartona already delivered it meanwhile.
        self.sandbox.state.set_status(order.cartona_id, "delivered")
        order.with_context(**NO_SYNC)._action_cancel()
        result = self._run_job(order)
        self.assertEqual(order.marketplace_sync_status, "error")
        self.assertIn("delivered", order.marketplace_error_message)
        self.assertEqual(result, order.marketplace_error_message)
        self.assertEqual(self._logs(order).outcome, "rejected")
        self.assertEqual(order.marketplace_status, "approved")

    def test_malformed_answer_is_retried(self):
        order = self._confirmed()
        self.sandbox.state.add_fault("malformed", count=1, apply=True)
        self.assertIsInstance(self._perform_like_queue_job(order), RetryableJobError)
        self.assertEqual(self._logs(order).outcome, "protocol_error")
        self._run_job(order)
        self.assertEqual(order.marketplace_sync_status, "synced")
        self.assertEqual(self._history(order), ["approved"])

    def test_failed_attempt_log_survives_rollback(self):
        order = self._confirmed()
        self.env.flush_all()
        self.sandbox.state.add_fault("error", count=1, status=502)
        error = self._perform_like_queue_job(order, job_uuid="test-uuid")
        self.assertIsInstance(error, RetryableJobError)
        log = self._logs(order)
        self.assertEqual(len(log), 1)
        self.assertEqual(
            (log.outcome, log.status_code, log.job_uuid),
            ("transient_error", 502, "test-uuid"),
        )
        self.assertEqual(order.marketplace_sync_status, "syncing")
        self.assertIn("try again", order.marketplace_error_message)

    def test_last_attempt_gives_up_with_the_reason(self):
        order = self._confirmed()
        order.with_delay(max_retries=3)._sync_status_to_marketplace("combined")
        job = self.env["queue.job"].search([], order="id desc", limit=1)
        job.retry = 2
        self.sandbox.state.add_fault("error", count=1, status=500)
        result = order.with_context(job_uuid=job.uuid)._sync_status_to_marketplace()
        self.assertIn("3 times", result)
        self.assertEqual(order.marketplace_sync_status, "error")

    def _job_queries(self, order):
        """Queries of one job run on a cold cache, as the job runner starts it."""
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self._run_job(order)
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_job_queries_are_bounded_whatever_the_order_size(self):
        products = self.env["product.product"].create(
            [{"name": f"Item {n}", "type": "consu"} for n in range(30)]
        )
        small, large = self._confirmed(), self._make_order()
        large.order_line = [
            Command.create({"product_id": product.id, "product_uom_qty": 1})
            for product in products
        ]
        large.with_context(**NO_SYNC).action_confirm()
        self._run_job(self._confirmed())  # warms the registry caches, as in a worker
        counts = {}
        for step in ("approved", "assigned_to_salesman"):
            # Shipped in two parts: the second step has two customer deliveries.
            self._ship(small, qty=1 if step == "approved" else None)
            self._ship(large, qty=1 if step == "approved" else None)
            counts[step] = (self._job_queries(small), self._job_queries(large))
            self.assertEqual(small.marketplace_status, step)
            self.assertEqual(large.marketplace_status, step)
        for step, (for_small, for_large) in counts.items():
            self.assertEqual(for_small, for_large, f"{step}: 1 line vs 31 lines")
            # Lock (with the salesperson and the author), order, configuration,
            # sync log, chatter note (the company's reply-to, the message), order
            # update: a new query in the job is a cost for every status change.
            self.assertLessEqual(for_small, 7, step)

    def test_token_never_in_logs_or_errors(self):
        order = self._confirmed()
        self.sandbox.state.add_fault("error", count=1, status=500)
        error = self._perform_like_queue_job(order)
        self._run_job(order)
        self.assertNotIn(SANDBOX_TOKEN, str(error))
        for log in self._logs(order):
            self.assertNotIn(SANDBOX_TOKEN, str(log.read()))
        self.assertNotIn(SANDBOX_TOKEN, order.marketplace_error_message or "")


@tagged("post_install", "-at_install")
class TestDeliveryConfirmation(CartonaCase):
    def _shipped(self, **kwargs):
        order = self._make_order(cartona_status="approved", **kwargs)
        self.sandbox.state.set_status(order.cartona_id, "approved")
        order.with_context(**NO_SYNC).action_confirm()
        self._ship(order)
        return order

    def test_standard_order_confirms_without_otp(self):
        order = self._shipped()
        action = order.action_confirm_marketplace_delivery()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(self._history(order), ["assigned_to_salesman", "delivered"])
        self.assertEqual(order.marketplace_status, "delivered")
        self.assertEqual(order._map_odoo_status_to_marketplace(), "delivered")

    def test_otp_orders_ask_for_the_otp(self):
        for method in ("installment", "wallet_top_up"):
            order = self._shipped(payment_method=method)
            action = order.action_confirm_marketplace_delivery()
            self.assertEqual(action["res_model"], "marketplace.delivery.confirm")
            self.assertEqual(self._history(order), [])

    def test_a_mistyped_otp_keeps_the_dialog_open_and_the_order_clean(self):
        """A refused code is a message to the person at the keyboard: the dialog
        stays open and says so; the order is not in error and nobody gets an
        activity to press Retry (which could not help)."""
        order = self._shipped(payment_method="installment", otp="482913")
        wizard = self.env["marketplace.delivery.confirm"].create(
            {"order_id": order.id, "retailer_otp": "000000"}
        )
        action = wizard.action_confirm()
        self.assertEqual(
            (action["res_model"], action["res_id"], action["target"]),
            (wizard._name, wizard.id, "new"),
            "the same dialog, open again",
        )
        self.assertIn("Ask the retailer for the code", wizard.refusal)
        self.assertIn("invalid retailer_otp", wizard.refusal)
        self.assertFalse(wizard.retailer_otp)
        self.assertNotEqual(order.marketplace_status, "delivered")
        self.assertNotEqual(self._sandbox_status(order), "delivered")
        self.assertNotEqual(order.marketplace_sync_status, "error")
        self.assertFalse(order.marketplace_error_message)
        self.assertFalse(order.activity_ids)
        rejected = self.env["marketplace.sync.log"].search(
            [("order_id", "=", order.id), ("outcome", "=", "rejected")]
        )
        self.assertEqual(rejected.status_sent, "delivered")
        self.assertNotIn("000000", rejected.request_body)
        # The right code then goes through, from the same dialog.
        wizard.retailer_otp = "482913"
        self.assertEqual(wizard.action_confirm()["params"]["type"], "success")
        self.assertEqual(self._sandbox_status(order), "delivered")

    def test_accepted_otp_confirms_delivery(self):
        order = self._shipped(payment_method="wallet_top_up", otp="482913")
        wizard = self.env["marketplace.delivery.confirm"].create(
            {"order_id": order.id, "retailer_otp": " 482913 "}
        )
        action = wizard.action_confirm()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(order.marketplace_status, "delivered")
        self.assertEqual(self._sandbox_status(order), "delivered")
        self.assertEqual(self._status_requests_otp(order), "482913")

    def _status_requests_otp(self, order):
        bodies = [
            r["body"]
            for r in self.sandbox.state.requests
            if r["path"].endswith(order.cartona_id)
            and r["body"]["status"] == "delivered"
        ]
        return bodies[-1].get("retailer_otp")

    def test_not_shipped_or_cartona_delivered_is_refused(self):
        from odoo.exceptions import UserError

        order = self._make_order()
        order.with_context(**NO_SYNC).action_confirm()
        with self.assertRaisesRegex(UserError, "not shipped"):
            order.action_confirm_marketplace_delivery()
        by_cartona = self._shipped(delivered_by="delivered_by_cartona")
        with self.assertRaisesRegex(UserError, "delivered by Cartona"):
            by_cartona.action_confirm_marketplace_delivery()
