# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The binding of a sale order to its Cartona order: the sync state's fields, the
triggers that queue a sync, and the buttons people press. Decisions live elsewhere:
the planner's inputs in ``marketplace.order.plan``, its words in
``marketplace.order.wording``, the job in ``marketplace.order.sync``."""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.queue_job.job import ENQUEUED, PENDING, WAIT_DEPENDENCIES

from ..cartona import outbound, statuses
from . import internal
from .marketplace_people import USER_GROUP
from .sale_order_cartona import FEED_FIELDS
from .selections import CANCELLATION_REASON_SELECTION, STATUS_SELECTION

#: Plans a person must see on the order: a line Cartona cannot take.
LINE_REASONS = frozenset(
    {
        outbound.REASON_LINE_NOT_WHOLE,
        outbound.REASON_LINE_NO_PRODUCT,
        outbound.REASON_LINE_UNKNOWN,
        outbound.REASON_LINE_CANCELLED,
    }
)


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "marketplace.binding.mixin"]
    #: The fields that bind an order to Cartona: set by the import or a manager only.
    _marketplace_binding_fields = (
        "cartona_id",
        "is_marketplace_order",
        "marketplace_config_id",
        "delivered_by",
        "marketplace_payment_method",
        "marketplace_status",
        "marketplace_cartona_lines",
        *FEED_FIELDS,
    )
    #: Whether the import created the order: the import's to say, no one else's.
    _marketplace_import_only_fields = ("marketplace_imported",)
    #: An order's context reaches the lines it creates.
    _marketplace_binding_defaults = ("cartona_line_ref", "cartona_line_sent")

    cartona_id = fields.Char(
        string="External Order ID",
        tracking=True,
        index=True,
        copy=False,
        help="Cartona's order id (hashed_id).",
    )
    is_marketplace_order = fields.Boolean(
        string="Marketplace Order", copy=False, index=True, tracking=True
    )
    marketplace_config_id = fields.Many2one(
        comodel_name="marketplace.config",
        string="Cartona Configuration",
        copy=False,
        tracking=True,
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
        tracking=True,
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
        tracking=True,
    )
    marketplace_sync_status = fields.Selection(
        selection=[
            ("not_synced", "Not Sent"),
            ("syncing", "Sending"),
            ("synced", "Up to Date"),
            ("error", "Needs Attention"),
        ],
        string="Cartona Sync",
        default="not_synced",
        copy=False,
        readonly=True,
        index=True,
        help="Whether Cartona has every change of this order: Up to Date; Sending "
        "(Odoo is telling Cartona, or will try again); Needs Attention (a person "
        "must act: the message says what); Not Sent (nothing to send yet).",
    )
    marketplace_sync_due = fields.Boolean(
        string="Something to Send", compute="_compute_marketplace_sync_due"
    )
    marketplace_status_sync_due = fields.Boolean(
        string="Order Status to Send", compute="_compute_marketplace_sync_due"
    )
    marketplace_sync_job_uuid = fields.Char(
        string="Last Sync Job",
        copy=False,
        readonly=True,
        help="UUID of the last status job queued for this order (Job Queue).",
    )
    marketplace_sync_date = fields.Datetime(copy=False, readonly=True)
    marketplace_pending_since = fields.Datetime(
        string="Waiting for Cartona Since",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="When the oldest change Cartona has not taken yet was made.",
    )
    marketplace_error_message = fields.Text(
        string="Marketplace Sync Error", copy=False, readonly=True
    )
    marketplace_status = fields.Selection(
        selection=STATUS_SELECTION,
        string="Status on Cartona",
        copy=False,
        help="The order's status on Cartona, as Cartona last accepted or sent it.",
    )
    marketplace_cartona_lines = fields.Json(
        string="Lines on Cartona",
        copy=False,
        readonly=True,
        help="What Cartona last accepted of each line of the order, by Cartona's line "
        "id: amount, price, cancelled. Empty for orders whose lines did not come from "
        "Cartona: only their status is sent.",
    )
    marketplace_cancellation_reason = fields.Selection(
        selection=CANCELLATION_REASON_SELECTION,
        string="Cancellation Reason",
        copy=False,
        help="Sent to Cartona with the cancellation. Defaults to the configuration's.",
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

    marketplace_ack_pending = fields.Boolean(
        string="Acknowledgement Pending",
        copy=False,
        readonly=True,
        index=True,
        help="Imported, but Cartona has not been told yet: the order stays in the "
        "pull feed until the acknowledgement job sends 'synced'.",
    )
    marketplace_imported = fields.Boolean(
        string="Created by the Import",
        copy=False,
        readonly=True,
        help="The import from Cartona created this order: only such orders take the "
        "versions Cartona sends of it. Set by the import alone.",
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
            order.marketplace_shipped = order.is_marketplace_order and self.env[
                "marketplace.order.plan"
            ]._all_shipped(order)

    def _compute_marketplace_sync_due(self):
        # The buttons show only when they can do something: a plan with steps.
        for order in self:
            order.marketplace_sync_due = order.marketplace_status_sync_due = False
            if not (order.is_marketplace_order and order.cartona_id and order.id):
                continue
            combined = order._marketplace_plan("combined")
            basic = order._marketplace_plan("basic")
            order.marketplace_sync_due = combined.decision == outbound.SEND
            order.marketplace_status_sync_due = (
                basic.decision == outbound.SEND and basic.steps != combined.steps
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
    # Triggers, and who may bind an order to Cartona
    # ------------------------------------------------------------------
    def write(self, vals):
        result = super().write(vals)
        if "state" in vals:
            self._trigger_status_sync()
        return result

    def _trigger_status_sync(self):
        """Queue the reconciler of each order whose Cartona side must change.

        Called after every change Cartona must learn: the order's state, its lines,
        its deliveries. The planner decides, on the order's own rules: an order with
        something to send (or a rule a person must see) gets one job, run after this
        transaction commits; a rolled-back change sends nothing.
        """
        if internal.is_on(self.env, internal.NO_SYNC) or internal.is_on(
            self.env, internal.INBOUND
        ):
            return self.browse()
        to_sync = self.filtered(lambda o: o._marketplace_push_due("combined"))
        to_sync._enqueue_status_sync("combined")
        return to_sync

    def _marketplace_content_changed(self):
        """Lines changed: the orders whose lines are Cartona's may have some to send."""
        self.filtered(
            lambda o: o.is_marketplace_order and o.marketplace_cartona_lines
        )._trigger_status_sync()

    def _marketplace_push_due(self, mapping):
        """Whether the reconciler has something to do for this order.

        The account's state (archived, token rejected) is the job's to check: it
        records a visible error on the order instead of dropping the change, and the
        hook reads no account.
        """
        self.ensure_one()
        if not (self.is_marketplace_order and self.cartona_id):
            return False  # ordinary orders: nothing to plan
        plan = self._marketplace_plan(mapping, check_account=False)
        if plan.decision == outbound.SEND:
            return True
        # A line Cartona cannot take is the job's to show on the order.
        return plan.decision == outbound.BLOCKED and plan.reason in LINE_REASONS

    def _enqueue_status_sync(self, mapping):
        """Queue one reconciler job per order, unless one is already waiting to run.

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
        waiting_since = quiet.filtered("marketplace_pending_since")
        if waiting_since:
            waiting_since.write({"marketplace_sync_status": "syncing"})
        if quiet - waiting_since:
            (quiet - waiting_since).write(
                {
                    "marketplace_sync_status": "syncing",
                    "marketplace_pending_since": fields.Datetime.now(),
                }
            )

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
    # What Cartona has, what Odoo wants, and the plan between them
    # ------------------------------------------------------------------
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

    def _marketplace_plan(self, mapping="combined", target=None, check_account=True):
        """The planner's answer for this order (see ``marketplace.order.plan``)."""
        self.ensure_one()
        return self.env["marketplace.order.plan"]._plan(
            self, mapping, target=target, check_account=check_account
        )

    def _filter_orders_for_sync(self, mapping="combined"):
        """The orders the reconciler has something to send for (rules allowing)."""
        return self.filtered(
            lambda o: o._marketplace_plan(mapping).decision == outbound.SEND
        )

    # ------------------------------------------------------------------
    # The job
    # ------------------------------------------------------------------
    def _sync_status_to_marketplace(self, mapping="combined"):
        """Reconcile this order with Cartona (the queue job, marketplace.order.sync).

        Level-triggered: the job plans from what Cartona has and what Odoo wants now,
        sends one step per transaction and queues itself again for the rest. A stale
        or duplicate job sends nothing.
        """
        self.ensure_one()
        return self.env["marketplace.order.sync"]._reconcile(self, mapping)

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def _marketplace_check_rights(self):
        """The caller may make Odoo talk to Cartona about these orders: a Marketplace
        User who may edit them. Checked before anything is queued or sent: a button
        is also a method anyone logged in can call over RPC."""
        if not (self.env.su or self.env.user.has_group(USER_GROUP)):
            raise AccessError(
                self.env._(
                    "Only Marketplace Users may sync orders with Cartona; ask an "
                    "administrator for the group."
                )
            )
        self.check_access("write")

    def action_manual_sync_to_marketplace(self):
        """Sync Status: enqueue a push of the basic mapping (order state only)."""
        self._marketplace_check_rights()
        return self.env["marketplace.order.manual"]._queue(self, "basic")

    def action_sync_enhanced_status(self):
        """Enhanced Sync: enqueue a push of the combined mapping (state, deliveries)."""
        self._marketplace_check_rights()
        return self.env["marketplace.order.manual"]._queue(self, "combined")

    def action_test_status_sync(self):
        """Preview Sync: show what a sync would send, without calling Cartona."""
        self.ensure_one()
        self._marketplace_check_rights()
        preview = self.env["marketplace.sync.preview"].create(
            self.env["marketplace.order.plan"]._preview_vals(self)
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Preview Sync"),
            "res_model": "marketplace.sync.preview",
            "res_id": preview.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_confirm_marketplace_delivery(self):
        """Confirm Delivery: tell Cartona the shipped order was delivered."""
        self.ensure_one()
        self._marketplace_check_rights()
        self.env["marketplace.order.plan"]._delivery_plan(self)
        if self.marketplace_otp_required:
            return {
                "type": "ir.actions.act_window",
                "name": self.env._("Confirm Delivery to Cartona"),
                "res_model": "marketplace.delivery.confirm",
                "view_mode": "form",
                "target": "new",
                "context": {"default_order_id": self.id},
            }
        return self._marketplace_confirm_delivery()[1]

    def _marketplace_confirm_delivery(self, retailer_otp=None):
        """Send the delivery plan now (lines, then each status up to ``delivered``).

        The order becomes delivery-confirmed only once Cartona accepts. Returns
        ``(outcome, notification)`` (see ``marketplace.order.sync._confirm_delivery``):
        a refused code leaves the order as it was, for the person to type it again.
        """
        self.ensure_one()
        self._marketplace_check_rights()
        self.env["marketplace.order.plan"]._delivery_plan(self)
        # sudo: rights checked above; what Cartona accepts is recorded by the
        # integration (the fields that bind an order to Cartona are not the user's).
        outcome, message = self.env["marketplace.order.sync"]._confirm_delivery(
            self.sudo(), retailer_otp
        )
        kind = {"delivered": "success", "unanswered": "warning"}.get(outcome, "danger")
        return outcome, self.env["marketplace.config"]._notify(message, kind)

    def action_marketplace_retry(self):
        """Retry: queue a new sync of the selected orders (form button, list action)."""
        self._marketplace_check_rights()
        return self.env["marketplace.order.manual"]._queue(
            self.filtered("is_marketplace_order"), "combined", retry=True
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
            lambda o: (
                o.is_marketplace_order and o.marketplace_status == statuses.EDITING
            )
        )
        if editing and not internal.is_on(self.env, internal.INBOUND):
            raise UserError(
                self.env._(
                    "The retailer is editing %(orders)s on Cartona: wait until Cartona "
                    "sends the order back as pending before confirming it.",
                    orders=", ".join(editing.mapped("name")),
                )
            )
        return super().action_confirm()
