# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import logging

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import ENQUEUED, PENDING, WAIT_DEPENDENCIES

from ..cartona import errors, payloads, statuses
from .marketplace_sync_log import after_job_rollback

_logger = logging.getLogger(__name__)

MAPPINGS = ("basic", "combined")
STATUS_SELECTION = [
    (statuses.PENDING, "Pending"),
    (statuses.EDITING, "Being Edited by Retailer"),
    (statuses.APPROVED, "Approved"),
    (statuses.ASSIGNED_TO_SALESMAN, "Shipped (Assigned to Salesman)"),
    (statuses.DELIVERED, "Delivered"),
    (statuses.CANCELLED_BY_RETAILER, "Cancelled by Retailer"),
    (statuses.CANCELLED_BY_SUPPLIER, "Cancelled by Supplier"),
    (statuses.RETURNED, "Returned"),
]


#: Cartona's cancellation reason codes (cartona-api.md section 6.3) with their labels.
CANCELLATION_REASON_SELECTION = [
    ("out_of_stock", "Out of stock"),
    ("cannot_deliver_the_order", "Cannot deliver the order"),
    ("supplier_asked_me_to_cancel", "Supplier asked to cancel"),
    ("delayed_order", "Delayed order"),
    ("pending_order_without_action", "Pending order without action"),
    ("removed_items", "Removed items"),
    ("supplier_attitude", "Supplier attitude"),
    ("missing_items", "Missing items"),
    ("expired_products", "Expired products"),
    ("different_prices", "Different prices"),
    ("different_products", "Different products"),
]
ERROR_ACTIVITY = "cartona_marketplace.mail_activity_type_cartona_sync_error"


#: What the status job reads of its order, fetched alone after the lock: not the
#: order's hundred other columns (notes, amounts, addresses...).
JOB_FIELDS = [
    "name",
    "state",
    "company_id",
    "user_id",
    "is_marketplace_order",
    "cartona_id",
    "delivered_by",
    "marketplace_config_id",
    "marketplace_status",
    "marketplace_shipped",
    "marketplace_payment_method",
    "marketplace_retailer_otp",
    "marketplace_cancellation_reason",
    "marketplace_sync_status",
    "marketplace_error_message",
    "marketplace_sync_job_uuid",
]


class SaleOrder(models.Model):
    _inherit = "sale.order"

    cartona_id = fields.Char(
        string="External Order ID",
        index=True,
        copy=False,
        help="Cartona's order id (hashed_id).",
    )
    is_marketplace_order = fields.Boolean(
        string="Marketplace Order", copy=False, index=True
    )
    marketplace_config_id = fields.Many2one(
        comodel_name="marketplace.config",
        string="Cartona Configuration",
        copy=False,
        check_company=True,
        ondelete="restrict",
    )
    delivered_by = fields.Selection(
        selection=[
            (statuses.DELIVERED_BY_SUPPLIER, "Supplier"),
            (statuses.DELIVERED_BY_CARTONA, "Cartona"),
        ],
        default=statuses.DELIVERED_BY_SUPPLIER,
        copy=False,
        help="Who delivers the order. Orders delivered by Cartona only send a "
        "cancellation to Cartona; Cartona drives their shipping and delivery.",
    )
    marketplace_payment_method = fields.Selection(
        selection=[
            (statuses.PAYMENT_STANDARD, "Standard"),
            (statuses.PAYMENT_INSTALLMENT, "Installment"),
            (statuses.PAYMENT_WALLET_TOP_UP, "Wallet Top-up"),
            (statuses.PAYMENT_CARTONA_CREDIT, "Cartona Credit"),
        ],
        default=statuses.PAYMENT_STANDARD,
        copy=False,
    )
    marketplace_sync_status = fields.Selection(
        selection=[
            ("not_synced", "Not Synced"),
            ("syncing", "Syncing"),
            ("synced", "Synced"),
            ("error", "Error"),
        ],
        default="not_synced",
        copy=False,
        index=True,
    )
    marketplace_sync_job_uuid = fields.Char(
        string="Last Sync Job",
        copy=False,
        readonly=True,
        help="UUID of the last status job queued for this order (Job Queue).",
    )
    marketplace_sync_date = fields.Datetime(copy=False)
    marketplace_error_message = fields.Text(string="Marketplace Sync Error", copy=False)
    marketplace_status = fields.Selection(
        selection=STATUS_SELECTION,
        string="Cartona Status",
        copy=False,
        help="The last status Cartona accepted for this order.",
    )
    marketplace_cancellation_reason = fields.Selection(
        selection=CANCELLATION_REASON_SELECTION,
        string="Cancellation Reason",
        copy=False,
        help="Sent to Cartona with the cancellation. Defaults to the configuration's.",
    )
    marketplace_retailer_otp = fields.Char(
        string="Retailer OTP",
        copy=False,
        help="One-time code from the retailer, needed by Cartona to accept the "
        "delivery of installment and wallet top-up orders.",
    )
    marketplace_otp_required = fields.Boolean(
        string="OTP Required", compute="_compute_marketplace_otp_required"
    )
    marketplace_shipped = fields.Boolean(
        string="Shipped to Customer",
        compute="_compute_marketplace_shipped",
        store=True,
        help="Every delivery leaving for the customer is done, no backorder is open.",
    )
    marketplace_sync_log_ids = fields.One2many(
        comodel_name="marketplace.sync.log", inverse_name="order_id", string="Sync Logs"
    )
    marketplace_sync_log_count = fields.Integer(
        string="Sync Log Count", compute="_compute_marketplace_sync_log_count"
    )

    # Inbound: what Cartona's pull feed says, written by marketplace.order.processor.
    cartona_status_raw = fields.Char(
        string="Cartona Status (as sent)",
        copy=False,
        readonly=True,
        help="The status of the last version pulled from Cartona, as Cartona wrote "
        "it, unknown statuses included.",
    )
    cartona_retailer_code = fields.Char(
        string="Retailer Code", copy=False, readonly=True
    )
    cartona_supplier_code = fields.Char(
        string="Supplier Account Code",
        copy=False,
        readonly=True,
        help="Cartona's supplier_code: which supplier account of the token got the "
        "order (1 retail, 2 wholesale, 3 wholesale-to-wholesale by default).",
    )
    cartona_total = fields.Monetary(
        copy=False,
        readonly=True,
        help="total_price of the order on Cartona: selling prices times quantities.",
    )
    cartona_note_message = fields.Text(
        string="Retailer Note", copy=False, readonly=True
    )
    cartona_delivery_day = fields.Date(string="Delivery Day", copy=False, readonly=True)
    cartona_estimated_delivery_day = fields.Date(
        string="Estimated Delivery Day", copy=False, readonly=True
    )
    cartona_preferred_delivery_date = fields.Date(
        string="Retailer's Preferred Delivery Date", copy=False, readonly=True
    )
    cartona_pickup_date = fields.Date(
        string="Pickup Date",
        copy=False,
        readonly=True,
        help="Orders delivered by Cartona: when Cartona's courier collects the goods.",
    )
    cartona_pickup_otp = fields.Char(
        string="Pickup OTP",
        copy=False,
        readonly=True,
        help="Orders delivered by Cartona: the code checked when the courier collects "
        "the goods.",
    )
    cartona_route_code = fields.Char(
        string="Distribution Route", copy=False, readonly=True
    )
    cartona_return_reason = fields.Char(
        string="Return Reason", copy=False, readonly=True
    )
    cartona_fingerprint = fields.Char(
        string="Imported Version",
        copy=False,
        readonly=True,
        help="Fingerprint of the last feed entry fully imported: the same entry pulled "
        "again changes nothing.",
    )
    cartona_pulled_at = fields.Datetime(
        string="Last Pulled Version", copy=False, readonly=True
    )
    marketplace_ack_pending = fields.Boolean(
        string="Acknowledgement Pending",
        copy=False,
        readonly=True,
        index=True,
        help="Imported, but Cartona has not been told yet: the order stays in the "
        "pull feed until the acknowledgement job sends 'synced'.",
    )
    marketplace_import_error = fields.Text(
        string="Import Problem",
        copy=False,
        readonly=True,
        help="Why the last version pulled from Cartona could not be applied. It stays "
        "unacknowledged and is tried again at each pull until this is solved.",
    )

    _sql_constraints = [
        (
            "cartona_id_config_unique",
            "UNIQUE(marketplace_config_id, cartona_id)",
            "A Cartona order can only be imported once per configuration.",
        ),
    ]

    @api.depends("marketplace_payment_method")
    def _compute_marketplace_otp_required(self):
        for order in self:
            order.marketplace_otp_required = statuses.otp_required(
                statuses.DELIVERED, order.marketplace_payment_method
            )

    @api.depends(
        "is_marketplace_order",
        "picking_ids.state",
        "picking_ids.picking_type_code",
        "picking_ids.location_dest_id.usage",
    )
    def _compute_marketplace_shipped(self):
        # Stored: the status job reads it with the order's row instead of loading
        # the deliveries, their types and locations (four queries a job).
        for order in self:
            order.marketplace_shipped = (
                order.is_marketplace_order and order._marketplace_all_shipped()
            )

    def _compute_marketplace_sync_log_count(self):
        counts = dict(
            self.env["marketplace.sync.log"]._read_group(
                [("order_id", "in", self.ids)], ["order_id"], ["__count"]
            )
        )
        for order in self:
            order.marketplace_sync_log_count = counts.get(order, 0)

    # ------------------------------------------------------------------
    # Triggers
    # ------------------------------------------------------------------
    def write(self, vals):
        result = super().write(vals)
        if "state" in vals:
            self._trigger_status_sync()
        return result

    def _action_cancel(self):
        for order in self:
            if order.is_marketplace_order and not order.marketplace_cancellation_reason:
                reason = order.marketplace_config_id.default_cancellation_reason
                if reason:
                    order.marketplace_cancellation_reason = reason
        return super()._action_cancel()

    def _trigger_status_sync(self):
        """Enqueue one status job per order whose Cartona status must change.

        Called after every state change (confirmation, cancellation, shipping). The job
        runs after this transaction commits; a rolled-back change sends nothing.
        """
        if self.env.context.get("skip_marketplace_sync"):
            return self.browse()
        to_sync = self.filtered(lambda o: o._marketplace_push_due("combined"))
        to_sync._enqueue_status_sync("combined")
        return to_sync

    def _marketplace_push_due(self, mapping):
        """Whether this order's change is one to push: the order's own rules only.

        The configuration's state (archived, token rejected) is the job's to check:
        it records a visible error on the order instead of dropping the change, and
        the confirmation reads no configuration.
        """
        self.ensure_one()
        if not (self.is_marketplace_order and self.cartona_id):
            return False  # ordinary orders: no rule, no message to build
        target = self._marketplace_target_status(mapping)
        return (
            target != self.marketplace_status
            and self._marketplace_block_reason(target, check_account=False) is None
        )

    def _enqueue_status_sync(self, mapping):
        """Queue one status job per order, unless one is already waiting to run.

        A job can only be waiting for an order that shows "syncing" (set here, in the
        job's transaction, and kept until a job ends): only those orders have their
        last job looked up. A duplicate would be harmless anyway (the job is
        level-triggered and locks the order), only wasteful.
        """
        # tracking_disable: creating the job row needs none of the chatter's work
        # (followers, creation message), nor does the sync state's write. The job
        # keeps only queue_job's context keys (tz, lang, companies), so it runs
        # with tracking as usual.
        quiet = self.with_context(tracking_disable=True)
        waiting = quiet._marketplace_waiting_jobs(mapping)
        for order in quiet:
            if order.marketplace_sync_job_uuid in waiting:
                continue
            job = order.with_delay(
                description=self.env._(
                    "Cartona: sync status of %(order)s", order=order.name
                ),
            )._sync_status_to_marketplace(mapping)
            order.marketplace_sync_job_uuid = job.uuid
        if self:
            quiet.write({"marketplace_sync_status": "syncing"})

    def _marketplace_waiting_jobs(self, mapping):
        """UUIDs of the orders' last jobs that wait to run ``mapping``."""
        uuids = [
            order.marketplace_sync_job_uuid
            for order in self
            if order.marketplace_sync_status == "syncing"
            and order.marketplace_sync_job_uuid
        ]
        if not uuids:
            return set()
        # sudo: jobs are readable by queue managers only; these are the orders' own.
        jobs = (
            self.env["queue.job"]
            .sudo()
            .search(
                [
                    ("uuid", "in", uuids),
                    ("state", "in", [WAIT_DEPENDENCIES, PENDING, ENQUEUED]),
                ]
            )
        )
        return {job.uuid for job in jobs if list(job.args) == [mapping]}

    # ------------------------------------------------------------------
    # Rules and mapping
    # ------------------------------------------------------------------
    def _marketplace_customer_pickings(self):
        """Deliveries leaving for the customer (the last step of multi-step routes)."""
        self.ensure_one()
        return self.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing"
            and p.location_dest_id.usage == "customer"
            and p.state != "cancel"
        )

    def _marketplace_all_shipped(self):
        pickings = self._marketplace_customer_pickings()
        return bool(pickings) and all(p.state == "done" for p in pickings)

    def _marketplace_delivery_state(self):
        """Readable summary of the customer deliveries, for previews."""
        pickings = self._marketplace_customer_pickings()
        if not pickings:
            return "no delivery"
        done = len(pickings.filtered(lambda p: p.state == "done"))
        return f"{done}/{len(pickings)} customer deliveries done"

    def _map_odoo_status_to_marketplace(self):
        """Basic mapping: the order state alone (a confirmed delivery is delivered)."""
        self.ensure_one()
        return statuses.map_odoo_status(
            self.state, self.marketplace_status == statuses.DELIVERED
        )

    def _map_combined_status_to_marketplace(self):
        """Combined mapping: the order state and its outgoing customer deliveries."""
        self.ensure_one()
        return statuses.map_combined_status(
            self.state,
            all_shipped=self.marketplace_shipped,
            delivery_confirmed=self.marketplace_status == statuses.DELIVERED,
        )

    def _marketplace_target_status(self, mapping):
        if mapping not in MAPPINGS:
            raise ValueError(f"unknown mapping {mapping!r}")
        if mapping == "basic":
            return self._map_odoo_status_to_marketplace()
        return self._map_combined_status_to_marketplace()

    def _marketplace_block_reason(self, target, check_account=True):
        """Why ``target`` may not be pushed for this order, or ``None``.

        ``check_account=False`` leaves out the state of the Cartona account (archived,
        token rejected): the order's own rules only.
        """
        self.ensure_one()
        _ = self.env._
        if not self.is_marketplace_order:
            return _("%(order)s is not a Cartona marketplace order.", order=self.name)
        if not self.cartona_id:
            return _("%(order)s has no External Order ID.", order=self.name)
        config = self.marketplace_config_id
        if not config:
            return _("%(order)s has no Cartona configuration.", order=self.name)
        if check_account and not config.active:
            return _(
                "The Cartona configuration %(config)s is archived.", config=config.name
            )
        if check_account and config.connection_status == "auth_failed":
            return _(
                "Cartona rejected the token of %(config)s: a manager must fix it and "
                "test the connection.",
                config=config.name,
            )
        if not target:
            return _(
                "The state %(state)s of %(order)s has no Cartona status.",
                state=self.state,
                order=self.name,
            )
        allowed, _reason = statuses.outbound_allowed(self.delivered_by, target)
        if not allowed:
            if self.delivered_by == statuses.DELIVERED_BY_CARTONA:
                return _(
                    "%(order)s is delivered by Cartona: only a cancellation may be "
                    "sent to Cartona, not %(status)s.",
                    order=self.name,
                    status=target,
                )
            return _(
                "Cartona does not accept %(status)s from suppliers.", status=target
            )
        return None

    def _filter_orders_for_sync(self, mapping="combined"):
        """The orders whose current target status the rules allow pushing to Cartona."""
        return self.filtered(
            lambda o: o._marketplace_block_reason(o._marketplace_target_status(mapping))
            is None
        )

    def _marketplace_status_item(self, status, config, **extra):
        """The status update body for this order (see ``cartona.payloads``)."""
        self.ensure_one()
        try:
            return payloads.build_status_item(
                self.cartona_id,
                status,
                payment_method=self.marketplace_payment_method,
                retailer_otp=extra.get("retailer_otp") or self.marketplace_retailer_otp,
                cancellation_reason=extra.get("cancellation_reason")
                or self.marketplace_cancellation_reason
                or config.default_cancellation_reason,
                delivery_day=extra.get("delivery_day"),
                estimated_delivery_day=extra.get("estimated_delivery_day"),
            )
        except ValueError as exc:
            raise UserError(
                self.env._("%(order)s: %(error)s", order=self.name, error=exc)
            ) from exc

    # ------------------------------------------------------------------
    # The job
    # ------------------------------------------------------------------
    def _sync_status_to_marketplace(self, mapping="combined"):
        """Push the order's Cartona status, level-triggered, one step per transaction.

        Locks the order and recomputes the target now. When Cartona's graph needs
        several steps (``approved`` -> ``assigned_to_salesman`` -> ``delivered``), it
        sends the first one, records it and queues itself again for the rest: a retry
        after a lost answer only ever re-sends the step whose answer was lost, which
        Cartona takes as a no-op. A stale or duplicate job sends nothing.
        """
        self.ensure_one()
        # sudo: the push is the integration's work, whoever's change queued it (a
        # warehouse user validating a delivery may not read Cartona accounts). The
        # job's user stays the author of its note and the user of its log.
        order = self.sudo()
        if not order._marketplace_lock():
            return "order deleted"
        order.invalidate_recordset()
        order.fetch(JOB_FIELDS)
        target = order._marketplace_target_status(mapping)
        reason = order._marketplace_block_reason(target)
        if reason:
            order._marketplace_log_blocked(target, reason)
            order._marketplace_set_result(
                "error" if order.is_marketplace_order else "not_synced", reason
            )
            return reason
        current = order.marketplace_status or statuses.PENDING
        path = statuses.supplier_path(current, target)
        if path is None and statuses.supplier_path(target, current) is not None:
            # Cartona is already further along than this mapping can tell (e.g. the
            # basic mapping of a shipped order): nothing to send, nothing wrong.
            order._marketplace_set_result("synced", False)
            return f"Cartona already has {current}, beyond {target}"
        if path is None:
            reason = order.env._(
                "Cartona's order cycle does not allow going from %(current)s to "
                "%(target)s.",
                current=current,
                target=target,
            )
            order._marketplace_log_blocked(target, reason)
            order._marketplace_set_result("error", reason)
            return reason
        if not path:
            order._marketplace_set_result("synced", False)
            return f"Cartona already has {target}"
        step = path[0]
        try:
            order.env["marketplace.api"].update_single_order_status(order, step)
        except UserError as exc:
            order._marketplace_log_blocked(step, str(exc))
            order._marketplace_set_result("error", str(exc))
            return str(exc)
        except (errors.TransientError, errors.ProtocolError) as exc:
            # A malformed answer may hide an applied change: retrying is safe, since
            # re-sending the status Cartona already has is a no-op.
            return order._marketplace_retry_later(exc)
        except errors.CartonaError as exc:
            order._marketplace_set_result("error", str(exc))
            return str(exc)
        if len(path) > 1:
            order._marketplace_accepted(step, "syncing")
            order._enqueue_status_sync(mapping)
            return f"sent {step}; {' -> '.join(path[1:])} queued"
        order._marketplace_accepted(step)
        return f"synced {current} -> {step}"

    def _marketplace_retry_later(self, error):
        """Transient failure: retry through queue_job, or give up on the last attempt.

        The job's transaction is rolled back before a retry, so the order's state and
        the attempt's log are written again after the rollback. The last attempt ends
        the job normally, leaving the order in error with the reason.
        """
        job = self._marketplace_current_job()
        if job and job.max_retries and job.retry + 1 >= job.max_retries:
            message = self.env._(
                "Cartona stayed unavailable after %(count)s attempts: %(error)s",
                count=job.retry + 1,
                error=str(error),
            )
            self._marketplace_set_result("error", message)
            return message
        message = self.env._(
            "Cartona is unavailable (%(error)s); the sync will be retried.",
            error=str(error),
        )
        self._marketplace_set_result("syncing", message, keep_on_rollback=True)
        raise RetryableJobError(
            message, seconds=getattr(error, "retry_after", None)
        ) from error

    def _marketplace_current_job(self):
        uuid = self.env.context.get("job_uuid")
        if not uuid:
            return self.env["queue.job"]
        # sudo: jobs are readable by queue managers only; this reads the job's own row.
        return self.env["queue.job"].sudo().search([("uuid", "=", uuid)], limit=1)

    def _marketplace_lock(self):
        """Row lock so that two jobs for one order never both push.

        Returns whether the order still exists. NO KEY UPDATE: sync logs written
        through another cursor may still reference it. No savepoint: a busy order
        raises, and the caller's transaction is rolled back anyway (a job is retried,
        a button shows the error), so the lock costs one statement.
        """
        try:
            self.env.cr.execute(
                "SELECT id FROM sale_order WHERE id = %s FOR NO KEY UPDATE NOWAIT",
                (self.id,),
                log_exceptions=False,  # contention is expected, not an error
            )
        except (pg_errors.LockNotAvailable, pg_errors.SerializationFailure) as exc:
            # Nothing may be read any more: the failed statement aborted the
            # transaction, hence the id rather than the name.
            raise RetryableJobError(
                f"sale.order {self.id} is being synced by another job",
                seconds=5,
                ignore_retry=True,
            ) from exc
        return bool(self.env.cr.fetchone())

    def _marketplace_accepted(self, status, sync_status="synced"):
        """Record that Cartona took ``status`` and say so in the chatter."""
        self._marketplace_set_result(
            sync_status,
            False,
            marketplace_status=status,
            marketplace_sync_date=fields.Datetime.now(),
        )
        label = dict(
            self._fields["marketplace_status"]._description_selection(self.env)
        )
        # A log note, not message_post: nobody is notified of a routine step. Its
        # author is the user the job runs as; no email address is looked up for a
        # note that is never sent. It costs the job two statements instead of seven.
        self._message_log(
            body=self.env._(
                "Cartona accepted the status %(status)s.", status=label[status]
            ),
            author_id=self.env.user.partner_id.id,
            email_from=False,
        )

    def _marketplace_set_result(
        self, sync_status, message, keep_on_rollback=False, **values
    ):
        """Write the sync outcome (and ``values``, other Cartona fields) in one write;
        open or close the error activity."""
        vals = dict(values)
        vals.update(
            marketplace_sync_status=sync_status, marketplace_error_message=message
        )
        # An error activity exists only after an error, whose message stays until a
        # success: an order that had none needs no activity lookup.
        had_error = bool(self.marketplace_error_message)
        # tracking_disable: none of these fields is tracked; the order's tracked
        # fields need not be read and compared again for each outcome.
        self.with_context(tracking_disable=True).write(vals)
        if sync_status == "error":
            self._marketplace_alert(message)
        elif sync_status == "synced" and had_error:
            self._marketplace_close_alert()
        if keep_on_rollback:
            registry, order_id = self.env.registry, self.id
            after_job_rollback(
                self.env,
                lambda: self._marketplace_write_after_rollback(
                    registry, order_id, vals
                ),
            )

    def _marketplace_alert(self, reason):
        """One open activity per order in error, for its salesperson, kept current."""
        note = self.env._(
            "<p>%(reason)s</p><p>Fix what the message says (the order, its delivery, "
            "or the Cartona account), then press <b>Retry</b> on the order.</p>",
            reason=reason,
        )
        activity_type = self.env.ref(ERROR_ACTIVITY)
        for order in self:
            activity = order.activity_ids.filtered(
                lambda a: a.activity_type_id == activity_type
            )
            if activity:
                activity.note = note
            else:
                order.activity_schedule(
                    ERROR_ACTIVITY,
                    note=note,
                    user_id=(order.user_id or self.env.user).id,
                )

    def _marketplace_close_alert(self):
        if self.activity_ids:
            self.activity_feedback(
                [ERROR_ACTIVITY], feedback=self.env._("Synced with Cartona.")
            )

    @api.model
    def _marketplace_write_after_rollback(self, registry, order_id, vals):
        try:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["sale.order"].browse(order_id).exists().write(vals)
        except Exception:
            _logger.exception(
                "Could not record the Cartona sync state of order %s", order_id
            )

    def _marketplace_log_blocked(self, status, reason):
        config = self.marketplace_config_id
        self.env["marketplace.sync.log"]._record(
            [
                {
                    "order_id": self.id,
                    "order_ref": self.name,
                    "cartona_id": self.cartona_id,
                    "config_id": config.id,
                    "company_id": self.company_id.id,
                    "direction": "outbound",
                    "operation": "status_push",
                    "status_sent": status or False,
                    "outcome": "blocked",
                    "error_message": reason,
                    "job_uuid": self.env.context.get("job_uuid") or False,
                }
            ]
        )

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def action_manual_sync_to_marketplace(self):
        """Sync Status: enqueue a push of the basic mapping (order state only)."""
        return self._marketplace_manual_sync("basic")

    def action_sync_enhanced_status(self):
        """Enhanced Sync: enqueue a push of the combined mapping (state, deliveries)."""
        return self._marketplace_manual_sync("combined")

    def _marketplace_manual_sync(self, mapping):
        blocked = [
            reason
            for reason in (
                order._marketplace_block_reason(
                    order._marketplace_target_status(mapping)
                )
                for order in self
            )
            if reason
        ]
        if blocked:
            raise UserError("\n".join(blocked))
        self._enqueue_status_sync(mapping)
        return self.env["marketplace.config"]._notify(
            self.env._(
                "Status sync queued for %(orders)s.",
                orders=", ".join(self.mapped("name")),
            ),
            "success",
        )

    def action_test_status_sync(self):
        """Test Sync: show what a sync would send, without calling Cartona."""
        self.ensure_one()
        preview = self.env["marketplace.sync.preview"].create(
            self._marketplace_preview_vals()
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Cartona Sync Preview"),
            "res_model": "marketplace.sync.preview",
            "res_id": preview.id,
            "view_mode": "form",
            "target": "new",
        }

    def _marketplace_preview_vals(self, mapping="combined"):
        self.ensure_one()
        target = self._marketplace_target_status(mapping)
        reason = self._marketplace_block_reason(target)
        current = self.marketplace_status or statuses.PENDING
        path = statuses.supplier_path(current, target) if not reason else None
        body = False
        if reason:
            decision = "blocked"
        elif path is None:
            decision = "blocked"
            reason = self.env._(
                "Cartona's order cycle does not allow going from %(current)s to "
                "%(target)s.",
                current=current,
                target=target,
            )
        elif not path:
            decision = "nothing"
            reason = self.env._("Cartona already has %(status)s.", status=target)
        else:
            decision = "send"
            try:
                body = [
                    payloads.redacted(
                        self._marketplace_status_item(
                            step, self.marketplace_config_id, retailer_otp="preview"
                        )
                    )
                    for step in path
                ]
            except UserError as exc:
                decision, reason = "blocked", str(exc)
        config = self.marketplace_config_id
        return {
            "order_id": self.id,
            "mapping": mapping,
            "order_state": self.state,
            "delivery_state": self._marketplace_delivery_state(),
            "basic_status": self._map_odoo_status_to_marketplace() or False,
            "combined_status": self._map_combined_status_to_marketplace() or False,
            "current_status": current,
            "target_status": target or False,
            "steps": " -> ".join(path) if path else False,
            "decision": decision,
            "reason": reason or False,
            "endpoint": f"POST {config.api_base_url or ''}order/update-order-status/"
            f"{self.cartona_id or ''}"
            if config
            else False,
            "request_body": json.dumps(body, indent=2, ensure_ascii=False)
            if body
            else False,
        }

    def action_confirm_marketplace_delivery(self):
        """Confirm Delivery: tell Cartona the shipped order was delivered."""
        self.ensure_one()
        self._marketplace_check_delivery_confirmable()
        if self.marketplace_otp_required:
            return {
                "type": "ir.actions.act_window",
                "name": self.env._("Confirm Delivery to Cartona"),
                "res_model": "marketplace.delivery.confirm",
                "view_mode": "form",
                "target": "new",
                "context": {"default_order_id": self.id},
            }
        return self._marketplace_confirm_delivery()

    def _marketplace_check_delivery_confirmable(self):
        reason = self._marketplace_block_reason(statuses.DELIVERED)
        if not reason and self.state != "sale":
            reason = self.env._("Only confirmed orders can be delivered.")
        if not reason and not self.marketplace_shipped:
            reason = self.env._(
                "%(order)s is not shipped yet: validate its deliveries first.",
                order=self.name,
            )
        if not reason and self.marketplace_status == statuses.DELIVERED:
            reason = self.env._(
                "Cartona already knows %(order)s is delivered.", order=self.name
            )
        if reason:
            raise UserError(reason)

    def _marketplace_confirm_delivery(self, retailer_otp=None):
        """Send ``delivered`` (after any missing step) on the single endpoint.

        The order becomes delivery-confirmed only once Cartona accepts; a rejection
        (e.g. a wrong OTP) is shown and leaves the order as it was.
        """
        self.ensure_one()
        self._marketplace_check_delivery_confirmable()
        try:
            # The savepoint keeps the transaction usable for the message below.
            with self.env.cr.savepoint(flush=False):
                self._marketplace_lock()
        except RetryableJobError as exc:
            raise UserError(
                self.env._(
                    "%(order)s is being synced with Cartona right now: try again in a "
                    "few seconds.",
                    order=self.name,
                )
            ) from exc
        path = statuses.supplier_path(
            self.marketplace_status or statuses.PENDING, statuses.DELIVERED
        )
        if path is None:
            raise UserError(
                self.env._(
                    "Cartona's order cycle does not allow delivering an order in "
                    "status %(status)s.",
                    status=self.marketplace_status,
                )
            )
        notify = self.env["marketplace.config"]._notify
        for step in path:
            try:
                self.env["marketplace.api"].update_single_order_status(
                    self, step, retailer_otp=retailer_otp
                )
            except errors.CartonaError as exc:
                message = self.env._(
                    "Cartona did not accept %(status)s: %(error)s",
                    status=step,
                    error=str(exc),
                )
                self._marketplace_set_result("error", message)
                return notify(message, "danger")
            self._marketplace_accepted(step)
        self._marketplace_set_result("synced", False)
        return notify(
            self.env._("Cartona confirmed the delivery of %(order)s.", order=self.name),
            "success",
        )

    def action_marketplace_retry(self):
        """Retry: queue a new sync of the selected orders (form button, list action)."""
        orders = self.filtered("is_marketplace_order")
        allowed = orders._filter_orders_for_sync("combined")
        allowed._enqueue_status_sync("combined")
        _ = self.env._
        lines = []
        if allowed:
            lines.append(
                _(
                    "Sync queued for %(orders)s.",
                    orders=", ".join(allowed.mapped("name")),
                )
            )
        for order in orders - allowed:
            lines.append(
                order._marketplace_block_reason(
                    order._marketplace_target_status("combined")
                )
            )
        if not orders:
            lines.append(_("None of the selected orders is a Cartona order."))
        return self.env["marketplace.config"]._notify(
            "\n".join(lines), "success" if allowed and allowed == orders else "warning"
        )

    def action_cancel(self):
        """Ask for Cartona's cancellation reason, then cancel marketplace orders."""
        if not self.env.context.get("marketplace_cancel_reason_given") and any(
            order._marketplace_cancel_needs_reason() for order in self
        ):
            return {
                "type": "ir.actions.act_window",
                "name": self.env._("Cancel Marketplace Order"),
                "res_model": "marketplace.cancel.reason",
                "view_mode": "form",
                "target": "new",
                "context": {"active_model": "sale.order", "active_ids": self.ids},
            }
        return super().action_cancel()

    def _marketplace_cancel_needs_reason(self):
        self.ensure_one()
        return (
            self.state != "cancel"
            and self._marketplace_block_reason(statuses.CANCELLED_BY_SUPPLIER) is None
            and self.marketplace_status not in statuses.TERMINAL_STATUSES
        )

    def action_view_marketplace_sync_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "cartona_marketplace.marketplace_sync_log_action"
        )
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_confirm(self):
        editing = self.filtered(
            lambda o: o.is_marketplace_order
            and o.marketplace_status == statuses.EDITING
        )
        if editing and not self.env.context.get("marketplace_inbound"):
            raise UserError(
                self.env._(
                    "The retailer is editing %(orders)s on Cartona: wait until Cartona "
                    "sends the order back as pending before confirming it.",
                    orders=", ".join(editing.mapped("name")),
                )
            )
        return super().action_confirm()
