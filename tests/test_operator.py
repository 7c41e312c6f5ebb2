# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import NO_SYNC, CartonaCase

ERROR_ACTIVITY = "cartona_marketplace.mail_activity_type_cartona_sync_error"
TOKEN_ACTIVITY = "cartona_marketplace.mail_activity_type_cartona_token_rejected"


@tagged("post_install", "-at_install")
class TestOperatorExperience(CartonaCase):
    """Alerts, chatter, retry, cancellation reasons and the dashboard figures."""

    def _confirmed(self, **kwargs):
        order = self._make_order(**kwargs)
        order.with_context(**NO_SYNC).action_confirm()
        return order

    def _error_activities(self, order):
        return order.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(ERROR_ACTIVITY)
        )

    def _reject_next_push(self, order):
        # Cartona delivered it meanwhile: approving it again is refused.
        self.sandbox.state.set_status(order.cartona_id, "delivered")

    def test_error_creates_one_activity_and_success_closes_it(self):
        order = self._confirmed(cartona_status="pending")
        salesperson = new_test_user(
            self.env, login="cm_op_seller", groups="sales_team.group_sale_salesman"
        )
        order.user_id = salesperson
        self.sandbox.state.add_fault(
            "error", count=2, status=400, body={"error": "nope"}
        )
        self._run_job(order)
        self._run_job(order, "basic")
        activity = self._error_activities(order)
        self.assertEqual(len(activity), 1, "repeated errors must not pile up")
        self.assertEqual(activity.user_id, salesperson)
        self.assertIn("nope", activity.note)
        self.assertIn("Retry", activity.note)
        self._run_job(order)
        self.assertEqual(order.marketplace_sync_status, "synced")
        self.assertFalse(self._error_activities(order))

    def test_chatter_shows_each_accepted_status(self):
        order = self._confirmed()
        self._ship(order)
        self._run_job(order)
        self._run_job(order)
        bodies = order.message_ids.mapped("body")
        self.assertTrue(any("Approved" in b for b in bodies))
        self.assertTrue(any("Shipped" in b for b in bodies))
        note = order.message_ids.filtered(lambda m: "Approved" in m.body)
        # Written by the job's user, the salesperson whose change queued it.
        self.assertEqual(note.author_id, self.job_user.partner_id)

    def test_retry_requeues_errored_orders_and_explains_the_rest(self):
        errored = self._confirmed()
        errored.marketplace_sync_status = "error"
        by_cartona = self._confirmed(delivered_by="delivered_by_cartona")
        ordinary = self._confirmed(marketplace=False)
        with trap_jobs() as trap:
            action = (errored | by_cartona | ordinary).action_marketplace_retry()
            trap.assert_jobs_count(1, only=errored._sync_status_to_marketplace)
            trap.assert_jobs_count(1)
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn(errored.name, action["params"]["message"])
        self.assertIn("delivered by Cartona", action["params"]["message"])
        self.assertEqual(errored.marketplace_sync_status, "syncing")

    def test_retry_server_action_on_the_list(self):
        order = self._confirmed()
        order.marketplace_sync_status = "error"
        server_action = self.env.ref(
            "cartona_marketplace.sale_order_action_server_marketplace_retry"
        )
        with trap_jobs() as trap:
            server_action.with_context(
                active_model="sale.order", active_ids=order.ids
            ).run()
            trap.assert_jobs_count(1, only=order._sync_status_to_marketplace)

    def test_cancel_asks_for_cartonas_reason(self):
        order = self._confirmed()
        action = order.action_cancel()
        self.assertEqual(action["res_model"], "marketplace.cancel.reason")
        self.assertEqual(order.state, "sale", "nothing is cancelled before the reason")
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"]))
        self.assertEqual(wizard.cancellation_reason, "supplier_asked_me_to_cancel")
        wizard.cancellation_reason = "out_of_stock"
        with trap_jobs() as trap:
            wizard.save().action_cancel_orders()
            self.assertTrue(trap.enqueued_jobs)
            self.assertEqual(order.state, "cancel")
            self.assertEqual(order.marketplace_cancellation_reason, "out_of_stock")
            trap.perform_enqueued_jobs()
        self.assertEqual(self._history(order), ["cancelled_by_supplier"])
        sent = [r["body"] for r in self.sandbox.state.requests if r["body"]]
        self.assertEqual(len(sent), 1, "one cancellation, sent once")
        self.assertEqual(sent[0]["cancellation_reason"], "out_of_stock")

    def test_ordinary_orders_keep_odoos_cancel_flow(self):
        order = self._confirmed(marketplace=False)
        action = order.action_cancel()
        self.assertEqual(action["res_model"], "sale.order.cancel")
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(order.state, "cancel")

    def test_rejected_token_alerts_managers_once(self):
        manager = self.env.ref("base.user_admin")
        self.config.auth_token = "wrong"
        self.config.action_test_connection()
        self.config.action_test_connection()
        alerts = self.config.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(TOKEN_ACTIVITY)
        )
        self.assertEqual(len(alerts.filtered(lambda a: a.user_id == manager)), 1)
        self.config.auth_token = "sandbox-token-for-odoo-tests"
        self.config.action_test_connection()
        self.assertFalse(
            self.config.activity_ids.filtered(
                lambda a: a.activity_type_id == self.env.ref(TOKEN_ACTIVITY)
            )
        )

    def test_job_figures_are_per_account_and_count_every_cartona_job(self):
        other = self.config.copy({"name": "Second account", "auth_token": "t2"})
        first, second = self._make_order(), self._make_order()
        second.marketplace_config_id = other
        (first | second).with_context(**NO_SYNC).action_confirm()
        first._enqueue_status_sync("combined")
        processor = self.env["marketplace.order.processor"]
        processor.with_delay()._import_order(other.id, {"hashed_id": "X1"})
        self.env["marketplace.order.acknowledgement"]._enqueue(other)
        (self.config | other).invalidate_recordset()
        self.assertEqual(self.config.dashboard_open_jobs, 1)
        self.assertEqual(other.dashboard_open_jobs, 2, "an import and an ack")
        action = other.with_context(figure="open_jobs").action_dashboard_open()
        jobs = self.env["queue.job"].search(action["domain"])
        self.assertEqual(
            set(jobs.mapped("method_name")), {"_import_order", "_acknowledge_orders"}
        )
        jobs.write({"state": "failed"})
        (self.config | other).invalidate_recordset()
        self.assertEqual(
            (other.dashboard_open_jobs, other.dashboard_failed_jobs), (0, 2)
        )
        self.assertEqual(self.config.dashboard_failed_jobs, 0)

    def test_oldest_unsynced_change_is_not_moved_by_other_edits(self):
        order = self._confirmed()
        order._enqueue_status_sync("combined")
        since = order.marketplace_pending_since
        self.assertTrue(since)
        order.with_context(**NO_SYNC).note = "call before delivery"
        order.flush_recordset()
        self.config.invalidate_recordset()
        self.assertEqual(self.config.dashboard_oldest_unsynced, since)
        self._run_job(order)
        self.config.invalidate_recordset()
        self.assertFalse(self.config.dashboard_oldest_unsynced)

    def test_dashboard_figures_and_their_lists(self):
        synced = self._confirmed()
        self._run_job(synced)
        errored = self._confirmed()
        self._reject_next_push(errored)
        self._run_job(errored)
        # A line Cartona cannot take (half a box): the rules refuse the job.
        blocked = self._confirmed(content=True)
        blocked.order_line.with_context(**NO_SYNC).product_uom_qty = 2.5
        self._run_job(blocked)
        self.config.invalidate_recordset()
        self.assertEqual(self.config.dashboard_synced_count, 1)
        # A job the rules refused leaves its order in error too, for a person to see.
        self.assertEqual(self.config.dashboard_error_count, 2)
        self.assertEqual(self.config.dashboard_errors_24h, 1)
        self.assertEqual(self.config.dashboard_blocked_24h, 1)
        self.assertEqual(
            self.config.dashboard_oldest_unsynced,
            min(errored.marketplace_pending_since, blocked.marketplace_pending_since),
        )
        self.assertFalse(synced.marketplace_pending_since)
        for figure, expected in (
            ("error", errored | blocked),
            ("synced", synced),
        ):
            action = self.config.with_context(figure=figure).action_dashboard_open()
            found = self.env[action["res_model"]].search(action["domain"])
            self.assertEqual(found, expected)
        action = self.config.with_context(figure="errors_24h").action_dashboard_open()
        logs = self.env[action["res_model"]].search(action["domain"])
        self.assertEqual(logs.order_id, errored)
