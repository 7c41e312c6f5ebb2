# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import NO_SYNC, CartonaCase


@tagged("post_install", "-at_install")
class TestTriggers(CartonaCase):
    """State changes enqueue exactly the right job, in the same transaction."""

    def assertOneSyncJob(self, trap, order):
        trap.assert_jobs_count(1, only=order._sync_status_to_marketplace)
        trap.assert_enqueued_job(order._sync_status_to_marketplace, args=("combined",))
        self.assertEqual(order.marketplace_sync_job_uuid, trap.enqueued_jobs[-1].uuid)

    def test_confirm_enqueues_one_job(self):
        order = self._make_order()
        with trap_jobs() as trap:
            order.action_confirm()
            self.assertOneSyncJob(trap, order)
        self.assertEqual(order.marketplace_sync_status, "syncing")

    def test_plain_state_write_is_enough(self):
        order = self._make_order()
        with trap_jobs() as trap:
            order.write({"state": "sale"})
            self.assertOneSyncJob(trap, order)

    def test_cancel_enqueues_one_job(self):
        order = self._make_order()
        with trap_jobs() as trap:
            order._action_cancel()
            self.assertOneSyncJob(trap, order)
        self.assertEqual(
            order.marketplace_cancellation_reason, "supplier_asked_me_to_cancel"
        )

    def test_shipping_enqueues_one_job(self):
        order = self._make_order(cartona_status="approved")
        order.with_context(**NO_SYNC).action_confirm()
        with trap_jobs() as trap:
            self._ship(order)
            self.assertOneSyncJob(trap, order)

    def test_no_job_when_cartona_already_has_the_target(self):
        order = self._make_order(cartona_status="approved")
        with trap_jobs() as trap:
            order.action_confirm()
            trap.assert_jobs_count(0)

    def test_no_job_for_ordinary_orders(self):
        order = self._make_order(marketplace=False)
        with trap_jobs() as trap:
            order.action_confirm()
            order._action_cancel()
            trap.assert_jobs_count(0)

    def test_cartona_delivered_only_enqueues_cancellation(self):
        order = self._make_order(delivered_by="delivered_by_cartona")
        with trap_jobs() as trap:
            order.action_confirm()
            trap.assert_jobs_count(0)
            order._action_cancel()
            self.assertOneSyncJob(trap, order)

    def test_mass_confirm_enqueues_one_job_per_order(self):
        orders = self.env["sale.order"]
        for _i in range(5):
            orders |= self._make_order()
        orders |= self._make_order(marketplace=False)
        with trap_jobs() as trap:
            orders.action_confirm()
            trap.assert_jobs_count(5)
            self.assertEqual(
                {job.recordset for job in trap.enqueued_jobs},
                set(orders.filtered("is_marketplace_order")),
            )

    def test_rolled_back_change_enqueues_nothing(self):
        order = self._make_order()
        with self.assertRaises(ZeroDivisionError), self.env.cr.savepoint():
            order.action_confirm()
            self.assertTrue(self._queued(order))
            raise ZeroDivisionError
        self.env.invalidate_all()
        self.assertFalse(self._queued(order))
        self.assertEqual(order.state, "draft")

    def test_one_pending_job_per_order(self):
        order = self._make_order()
        order.action_confirm()
        order._enqueue_status_sync("combined")
        order._trigger_status_sync()
        self.assertEqual(len(self._queued(order)), 1)

    def test_a_job_that_no_longer_waits_does_not_stop_the_next(self):
        order = self._make_order()
        order.action_confirm()
        first = self._queued(order)
        first.state = "failed"  # say, a bug; or done, or cancelled by a manager
        self.assertEqual(order.marketplace_sync_status, "syncing")
        order._enqueue_status_sync("combined")
        second = self._queued(order) - first
        self.assertEqual(len(second), 1)
        self.assertEqual(second.state, "pending")
        self.assertEqual(order.marketplace_sync_job_uuid, second.uuid)

    def test_a_waiting_job_of_another_mapping_does_not_count(self):
        order = self._make_order()
        order.action_confirm()
        order._enqueue_status_sync("basic")
        order._enqueue_status_sync("basic")
        self.assertEqual(len(self._queued(order, "basic")), 1)
        self.assertEqual(len(self._queued(order)), 1)

    def test_change_while_the_config_is_paused_is_not_dropped(self):
        """A token Cartona rejected does not swallow the change: the job records it
        as an error on the order, to retry once a manager fixed the token."""
        self.config.connection_status = "auth_failed"
        order = self._make_order()
        with trap_jobs() as trap:
            order.action_confirm()
            self.assertOneSyncJob(trap, order)
            trap.perform_enqueued_jobs()
        self.assertEqual(order.marketplace_sync_status, "error")
        self.assertIn("token", order.marketplace_error_message)
        self.assertFalse(self.sandbox.state.requests)

    def _queued(self, order, mapping="combined"):
        return self.env["queue.job"].search(
            [
                (
                    "func_string",
                    "=",
                    f"sale.order({order.id},)._sync_status_to_marketplace('{mapping}')",
                )
            ]
        )
