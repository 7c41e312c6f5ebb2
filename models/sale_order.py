# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import ENQUEUED, PENDING, WAIT_DEPENDENCIES

from ..cartona import inbound, outbound, payloads, statuses
from . import internal

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
MANAGER_GROUP = "cartona_marketplace.group_marketplace_manager"
USER_GROUP = "cartona_marketplace.group_marketplace_user"
#: The fields that bind an order to Cartona: set by the import or a manager only.
BINDING_FIELDS = (
    "cartona_id",
    "is_marketplace_order",
    "marketplace_config_id",
    "delivered_by",
    "marketplace_payment_method",
    "marketplace_status",
    "marketplace_cartona_lines",
)
#: What the planner reads of an order's lines.
WANTED_LINE_FIELDS = [
    "display_type",
    "is_downpayment",
    "product_id",
    "cartona_line_ref",
    "cartona_line_sent",
    "product_uom_qty",
    "qty_delivered",
    "price_unit",
]
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
    _inherit = "sale.order"

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

    # Inbound: what Cartona's pull feed says, written by marketplace.order.processor.
    cartona_status_raw = fields.Char(
        string="Status in Last Pull",
        copy=False,
        readonly=True,
        help="The status of the last version pulled from Cartona, as Cartona wrote "
        "it, unknown statuses included. Shown when it is not the Status on Cartona "
        "nor an earlier step of it.",
    )
    cartona_status_differs = fields.Boolean(compute="_compute_cartona_status_differs")
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
    # cartona_total: models/sale_order_cartona_total.py (computed from Cartona's lines)
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
        # The people who hand the goods to Cartona's courier, no one else.
        groups="stock.group_stock_user",
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

    @api.depends("cartona_status_raw", "marketplace_status")
    def _compute_cartona_status_differs(self):
        # Shown when it tells something: a status Odoo does not know, or one that is
        # not merely an earlier step of what Odoo has sent since the pull.
        for order in self:
            raw, status = order.cartona_status_raw, order.marketplace_status
            order.cartona_status_differs = bool(raw) and (
                raw not in statuses.STATUSES
                or not (status and statuses.reachable(raw, status))
            )

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
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._marketplace_check_binding(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._marketplace_check_binding(vals)
        result = super().write(vals)
        if "state" in vals:
            self._trigger_status_sync()
        return result

    def _marketplace_check_binding(self, vals):
        """Refuse changes to the fields that bind an order to Cartona, unless made by
        the import (as superuser) or a Marketplace Manager.

        Whoever may edit a quotation could otherwise forge a Cartona order (someone
        else's id, an account) and have Odoo push statuses for it, or switch a
        Cartona-delivered order to the supplier. A value equal to the field's
        default (a new ordinary order) or to the order's own is no change.
        """
        if self.env.su or self.env.user.has_group(MANAGER_GROUP):
            return
        changed = [
            name
            for name in BINDING_FIELDS
            if name in vals and self._marketplace_binding_differs(name, vals[name])
        ]
        if changed:
            labels = [
                self._fields[name]._description_string(self.env) for name in changed
            ]
            raise AccessError(
                self.env._(
                    "Only a Marketplace Manager may change %(fields)s: these fields "
                    "bind an order to Cartona.",
                    fields=", ".join(labels),
                )
            )

    def _marketplace_binding_differs(self, name, value):
        field = self._fields[name]
        new = field.convert_to_cache(value, self.browse(), validate=False)
        if not self:
            default = self.default_get([name]).get(name)
            return bool(new) and new != field.convert_to_cache(
                default, self.browse(), validate=False
            )
        return any(
            field.convert_to_cache(order[name], order, validate=False) != new
            for order in self
        )

    def _action_cancel(self):
        for order in self:
            if order.is_marketplace_order and not order.marketplace_cancellation_reason:
                # sudo: the account's default reason, for whoever may cancel.
                reason = order.marketplace_config_id.sudo().default_cancellation_reason
                if reason:
                    order.marketplace_cancellation_reason = reason
        return super()._action_cancel()

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
            return self.env._("no delivery")
        done = len(pickings.filtered(lambda p: p.state == "done"))
        return self.env._(
            "%(done)s/%(count)s customer deliveries done",
            done=done,
            count=len(pickings),
        )

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

    def _marketplace_problem(self, check_account=True):
        """The precondition that keeps this order from Cartona, or ``None``.

        ``check_account=False`` leaves out the state of the Cartona account (archived,
        token rejected): the order's own facts only.
        """
        self.ensure_one()
        if not self.is_marketplace_order:
            return outbound.REASON_NOT_MARKETPLACE
        if not self.cartona_id:
            return outbound.REASON_NO_CARTONA_ID
        if not self.marketplace_config_id:
            return outbound.REASON_NO_ACCOUNT
        if self.marketplace_import_error:
            return outbound.REASON_IMPORT_PROBLEM
        if check_account:
            # sudo: the account's state, not its secrets, for whoever acts on the
            # order (a storekeeper may not read accounts).
            config = self.marketplace_config_id.sudo()
            if not config.active:
                return outbound.REASON_ACCOUNT_ARCHIVED
            if config.connection_status == "auth_failed":
                return outbound.REASON_TOKEN_REJECTED
        return None

    def _marketplace_cartona_has(self):
        """What Cartona last accepted, as the planner reads it.

        A cancellation pulled from Cartona is final even when its name is not one of
        the documented statuses (``cancelled``, ``cancelled_by_cartona``), which the
        order's Cartona Status cannot hold.
        """
        self.ensure_one()
        return outbound.CartonaHas(
            status=inbound.planned_status(
                self.marketplace_status or statuses.PENDING, self.cartona_status_raw
            ),
            lines=outbound.view_from_json(self.marketplace_cartona_lines),
        )

    def _marketplace_wanted_lines(self):
        """What Odoo wants each line to be on Cartona.

        The ordered quantity, or, once every delivery leaving for the customer is done
        or cancelled, the quantity that actually left. Notes, sections, down payments
        and services are not Cartona's; a line added in Odoo carries the product id
        Cartona knows it by (the account's product matching).
        """
        self.ensure_one()
        shipped = self.marketplace_shipped
        wanted = []
        # Only what is compared, in one query (a job starts on a cold cache); values
        # changed in this transaction and not written yet stay those of the cache.
        if isinstance(self.id, models.NewId):
            lines = self.order_line  # a form's record being edited: its own lines
        else:
            lines = self.env["sale.order.line"].search_fetch(
                [("order_id", "=", self.id)], WANTED_LINE_FIELDS
            )
        for line in lines:
            if line.display_type or line.is_downpayment or not line.product_id:
                continue
            ref = line.cartona_line_ref
            # Cartona's lines are goods; a line added in Odoo is, if not a service.
            if not ref and line.product_id.type != "consu":
                continue
            amount = line.qty_delivered if shipped else line.product_uom_qty
            wanted.append(
                outbound.WantedLine(
                    key=str(line.id),
                    amount=amount,
                    price=line.price_unit,
                    ref=int(ref) if ref and ref.isdigit() else None,
                    product=None if ref else line._marketplace_product_key(),
                    sent=line.cartona_line_sent,
                )
            )
        return tuple(wanted)

    def _marketplace_plan(self, mapping="combined", target=None, check_account=True):
        """Ask the planner what bringing Cartona to Odoo's view of this order takes.

        ``target`` overrides the mapping's status (Confirm Delivery asks for
        ``delivered``, the cancellation dialog for a supplier cancellation).
        """
        self.ensure_one()
        problem = self._marketplace_problem(check_account=check_account)
        has = self._marketplace_cartona_has()
        wants = outbound.OdooWants(
            status=target or self._marketplace_target_status(mapping),
            lines=self._marketplace_wanted_lines() if has.lines is not None else (),
            delivered_by=self.delivered_by or statuses.DELIVERED_BY_SUPPLIER,
        )
        return outbound.plan(has, wants, problem=problem)

    def _filter_orders_for_sync(self, mapping="combined"):
        """The orders the reconciler has something to send for (rules allowing)."""
        return self.filtered(
            lambda o: o._marketplace_plan(mapping).decision == outbound.SEND
        )

    def _marketplace_status_label(self, status):
        """A Cartona status as people read it, in the current language."""
        labels = dict(
            self._fields["marketplace_status"]._description_selection(self.env)
        )
        return labels.get(status, status or "")

    def _marketplace_plan_text(self, plan, reason=None, params=None):
        """The plan's reason (or ``reason``) as a sentence for people."""
        self.ensure_one()
        _ = self.env._
        reason = reason or plan.reason
        params = dict(plan.params, **(params or {}))
        label = self._marketplace_status_label
        current, target = label(params.get("current")), label(params.get("target"))
        config = self.marketplace_config_id.sudo().display_name
        line = self._marketplace_line_label(params.get("line"))
        texts = {
            outbound.REASON_NOT_MARKETPLACE: lambda: _(
                "%(order)s is not a Cartona marketplace order.", order=self.name
            ),
            outbound.REASON_NO_CARTONA_ID: lambda: _(
                "%(order)s has no External Order ID.", order=self.name
            ),
            outbound.REASON_NO_ACCOUNT: lambda: _(
                "%(order)s has no Cartona configuration.", order=self.name
            ),
            outbound.REASON_ACCOUNT_ARCHIVED: lambda: _(
                "The Cartona configuration %(config)s is archived.", config=config
            ),
            outbound.REASON_TOKEN_REJECTED: lambda: _(
                "Cartona rejected the token of %(config)s: a manager must fix it and "
                "test the connection.",
                config=config,
            ),
            outbound.REASON_IMPORT_PROBLEM: lambda: _(
                "Cartona's version of %(order)s differs from Odoo's (see Import "
                "Problem on the Cartona tab): only a cancellation may be sent until "
                "that is settled.",
                order=self.name,
            ),
            outbound.REASON_NO_TARGET: lambda: _(
                "The state %(state)s of %(order)s has no Cartona status.",
                state=self.state,
                order=self.name,
            ),
            outbound.REASON_NOT_SUPPLIER_STATUS: lambda: _(
                "Cartona does not accept %(status)s from suppliers.", status=target
            ),
            outbound.REASON_NO_PATH: lambda: _(
                "Cartona's order cycle does not allow going from %(current)s to "
                "%(target)s.",
                current=current,
                target=target,
            ),
            outbound.REASON_CARTONA_DELIVERS: lambda: _(
                "%(order)s is delivered by Cartona: only a cancellation may be sent "
                "to Cartona, not %(status)s.",
                order=self.name,
                status=target,
            ),
            outbound.REASON_AHEAD: lambda: _(
                "Cartona already has %(current)s, further than %(target)s.",
                current=current,
                target=target,
            ),
            outbound.REASON_IN_SYNC: lambda: _(
                "Cartona already has %(order)s as %(status)s.",
                order=self.name,
                status=current,
            ),
            outbound.REASON_TERMINAL: lambda: self._marketplace_terminal_text(
                params.get("current")
            ),
            outbound.REASON_EDITING: lambda: _(
                "The retailer is editing %(order)s on Cartona: Odoo sends its changes "
                "once Cartona shows the order as pending again.",
                order=self.name,
            ),
            outbound.REASON_CONTENT_CLOSED: lambda: _(
                "Cartona no longer takes changes to the lines of %(order)s (it is "
                "%(current)s): Odoo's changes to its lines stay in Odoo.",
                order=self.name,
                current=current,
            ),
            outbound.REASON_LINE_NOT_WHOLE: lambda: _(
                "%(order)s: %(line)s has the quantity %(amount)s; Cartona takes whole "
                "quantities only.",
                order=self.name,
                line=line,
                amount=params.get("amount"),
            ),
            outbound.REASON_LINE_NO_PRODUCT: lambda: _(
                "%(order)s: Cartona cannot identify the product of %(line)s; give it "
                "the identifier the Cartona account matches products by.",
                order=self.name,
                line=line,
            ),
            outbound.REASON_LINE_UNKNOWN: lambda: _(
                "%(order)s: %(line)s carries a Cartona line id this order does not "
                "have on Cartona.",
                order=self.name,
                line=line,
            ),
            outbound.REASON_LINE_CANCELLED: lambda: _(
                "%(order)s: %(line)s is cancelled on Cartona and cannot come back; "
                "add a new line instead.",
                order=self.name,
                line=line,
            ),
        }
        return texts[reason]()

    def _marketplace_terminal_text(self, current):
        """What a terminal Cartona status allows, in words."""
        _ = self.env._
        if current == statuses.DELIVERED:
            return _(
                "Cartona has %(order)s as delivered and takes no change after "
                "delivery: if goods come back, record a return in Odoo.",
                order=self.name,
            )
        if current == statuses.RETURNED:
            return _(
                "Cartona has %(order)s as returned and takes no more change.",
                order=self.name,
            )
        if current == statuses.CANCELLED_BY_RETAILER:
            return _(
                "The retailer cancelled %(order)s on Cartona: nothing more to send.",
                order=self.name,
            )
        return _(
            "%(order)s is cancelled on Cartona: nothing more to send.", order=self.name
        )

    def _marketplace_line_label(self, key):
        if not key:
            return ""
        line = self.order_line.filtered(lambda line: str(line.id) == str(key))
        return line.product_id.display_name or line.name or str(key)

    def _marketplace_status_item(self, status, config, **extra):
        """The status update body for this order (see ``cartona.payloads``)."""
        self.ensure_one()
        try:
            return payloads.build_status_item(
                self.cartona_id,
                status,
                payment_method=self.marketplace_payment_method,
                retailer_otp=extra.get("retailer_otp"),
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
    def _marketplace_lock(self, extra=None):
        """Row lock so that two jobs for one order never both push.

        Returns whether the order still exists; with ``extra`` (an ``SQL`` that
        continues the select list, joined from ``sale_order so``), the other values
        it selects, or ``None`` when the order is gone. NO KEY UPDATE: sync logs
        written through another cursor may still reference it. No savepoint: a busy
        order raises, and the caller's transaction is rolled back anyway (a job is
        retried, a button shows the error), so the lock costs one statement.
        """
        if extra is not None:
            self.flush_recordset(["user_id"])  # the statement reads it from the row
        query = SQL(
            "SELECT so.id %s WHERE so.id = %s FOR NO KEY UPDATE OF so NOWAIT",
            extra or SQL("FROM sale_order so"),
            self.id,
        )
        try:
            self.env.cr.execute(query, log_exceptions=False)  # contention: expected
        except (pg_errors.LockNotAvailable, pg_errors.SerializationFailure) as exc:
            # Nothing may be read any more: the failed statement aborted the
            # transaction, hence the id rather than the name.
            raise RetryableJobError(
                f"sale.order {self.id} is being synced by another job",
                seconds=5,
                ignore_retry=True,
            ) from exc
        row = self.env.cr.fetchone()
        if extra is None:
            return bool(row)
        return row[1:] if row else None

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
        return self._marketplace_manual_sync("basic")

    def action_sync_enhanced_status(self):
        """Enhanced Sync: enqueue a push of the combined mapping (state, deliveries)."""
        return self._marketplace_manual_sync("combined")

    def _marketplace_manual_sync(self, mapping):
        self._marketplace_check_rights()
        plans = {order: order._marketplace_plan(mapping) for order in self}
        blocked = [
            order._marketplace_plan_text(plan)
            for order, plan in plans.items()
            if plan.decision == outbound.BLOCKED
        ]
        if blocked:
            raise UserError("\n".join(blocked))
        to_send = self.filtered(lambda o: plans[o].decision == outbound.SEND)
        to_send._enqueue_status_sync(mapping)
        lines = []
        if to_send:
            lines.append(
                self.env._(
                    "Status sync queued for %(orders)s.",
                    orders=", ".join(to_send.mapped("name")),
                )
            )
        for order in self - to_send:
            order._marketplace_nothing_to_send(plans[order])
            lines.append(
                self.env._(
                    "Nothing to send for %(order)s: %(reason)s",
                    order=order.name,
                    reason=order._marketplace_plan_text(plans[order]),
                )
            )
        return self.env["marketplace.config"]._notify(
            "\n".join(lines), "success" if to_send == self else "info"
        )

    def _marketplace_nothing_to_send(self, plan):
        """Nothing is left to send: an error or a "syncing" state no longer stands."""
        self.ensure_one()
        if self.marketplace_sync_status in ("error", "syncing"):
            self.env["marketplace.order.sync"]._set_result(
                self,
                "not_synced" if plan.decision == outbound.WAIT else "synced",
                False,
            )

    def action_test_status_sync(self):
        """Test Sync: show what a sync would send, without calling Cartona."""
        self.ensure_one()
        self._marketplace_check_rights()
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
        """What the reconciler would send now: the whole plan, every request body."""
        self.ensure_one()
        plan = self._marketplace_plan(mapping)
        config = self.marketplace_config_id
        requests, reason = [], False
        if plan.decision == outbound.SEND:
            try:
                requests = [
                    self.env["marketplace.order.sync"]._request_preview(
                        self, step, config
                    )
                    for step in plan.steps
                ]
            except UserError as exc:
                plan, reason = outbound.Plan(outbound.BLOCKED), str(exc)
        if plan.decision != outbound.SEND:
            reason = reason or self._marketplace_plan_text(plan)
        notes = [self._marketplace_plan_text(plan, *note) for note in plan.notes]
        decision = {
            outbound.SEND: "send",
            outbound.BLOCKED: "blocked",
        }.get(plan.decision, "nothing")
        steps = [
            self.env._("order lines (%(count)s changes)", count=len(step.changes))
            if step.kind == outbound.STEP_DETAILS
            else step.status
            for step in plan.steps
        ]
        return {
            "order_id": self.id,
            "mapping": mapping,
            "order_state": self.state,
            "delivery_state": self._marketplace_delivery_state(),
            "basic_status": self._map_odoo_status_to_marketplace() or False,
            "combined_status": self._map_combined_status_to_marketplace() or False,
            "current_status": plan.params.get("current") or False,
            "target_status": plan.params.get("target") or False,
            "steps": " -> ".join(steps) if steps else False,
            "decision": decision,
            "reason": "\n".join(filter(None, [reason, *notes])) or False,
            "endpoint": "\n".join(r["endpoint"] for r in requests) or False,
            "request_body": json.dumps(requests, indent=2, ensure_ascii=False)
            if requests
            else False,
        }

    def action_confirm_marketplace_delivery(self):
        """Confirm Delivery: tell Cartona the shipped order was delivered."""
        self.ensure_one()
        self._marketplace_check_rights()
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
        return self._marketplace_confirm_delivery()[1]

    def _marketplace_check_delivery_confirmable(self):
        """The delivery plan, or a UserError saying why there is none."""
        plan = self._marketplace_plan(target=statuses.DELIVERED)
        reason = None
        if plan.decision == outbound.BLOCKED:
            reason = self._marketplace_plan_text(plan)
        elif self.delivered_by == statuses.DELIVERED_BY_CARTONA:
            reason = self._marketplace_plan_text(plan, outbound.REASON_CARTONA_DELIVERS)
        elif self.state != "sale":
            reason = self.env._("Only confirmed orders can be delivered.")
        elif not self.marketplace_shipped:
            reason = self.env._(
                "%(order)s is not shipped yet: validate its deliveries first.",
                order=self.name,
            )
        elif self.marketplace_status == statuses.DELIVERED:
            reason = self.env._(
                "Cartona already knows %(order)s is delivered.", order=self.name
            )
        elif plan.decision != outbound.SEND:
            reason = self._marketplace_plan_text(plan)
        if reason:
            raise UserError(reason)
        return plan

    def _marketplace_confirm_delivery(self, retailer_otp=None):
        """Send the delivery plan now (lines, then each status up to ``delivered``).

        The order becomes delivery-confirmed only once Cartona accepts. Returns
        ``(outcome, notification)`` (see ``marketplace.order.sync._confirm_delivery``):
        a refused code leaves the order as it was, for the person to type it again.
        """
        self.ensure_one()
        self._marketplace_check_rights()
        self._marketplace_check_delivery_confirmable()
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
        orders = self.filtered("is_marketplace_order")
        plans = {order: order._marketplace_plan("combined") for order in orders}
        to_send = orders.filtered(lambda o: plans[o].decision == outbound.SEND)
        to_send._enqueue_status_sync("combined")
        _ = self.env._
        lines = []
        if to_send:
            lines.append(
                _(
                    "Sync queued for %(orders)s.",
                    orders=", ".join(to_send.mapped("name")),
                )
            )
        for order in orders - to_send:
            plan = plans[order]
            if plan.decision == outbound.BLOCKED:
                lines.append(order._marketplace_plan_text(plan))
            else:
                order._marketplace_nothing_to_send(plan)
                lines.append(
                    _(
                        "Nothing to send for %(order)s: %(reason)s",
                        order=order.name,
                        reason=order._marketplace_plan_text(plan),
                    )
                )
        if not orders:
            lines.append(_("None of the selected orders is a Cartona order."))
        return self.env["marketplace.config"]._notify(
            "\n".join(lines), "success" if to_send and to_send == orders else "warning"
        )

    def action_cancel(self):
        """Ask people for Cartona's cancellation reason before cancelling.

        Programmatic cancellations (``disable_cancel_warning``, as Odoo's own) cancel
        at once with the account's default reason.
        """
        if not self.env.context.get("disable_cancel_warning") and any(
            order._marketplace_cancel_needs_reason()
            or order._marketplace_cancel_warning()
            for order in self
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

    def _show_cancel_wizard(self):
        # Cartona tells the retailer of a marketplace order's cancellation: Odoo's
        # "email the customer" dialog is for the ordinary orders.
        ordinary = self.filtered(lambda o: not o.is_marketplace_order)
        return super(SaleOrder, ordinary)._show_cancel_wizard()

    def _marketplace_cancel_needs_reason(self):
        """Whether cancelling sends Cartona a cancellation (which carries a reason)."""
        self.ensure_one()
        if self.state == "cancel" or not self.is_marketplace_order:
            return False
        plan = self._marketplace_plan(target=statuses.CANCELLED_BY_SUPPLIER)
        return statuses.CANCELLED_BY_SUPPLIER in plan.status_steps

    def _marketplace_cancel_warning(self):
        """What cancelling means on Cartona when Cartona can no longer take it (the
        order is delivered, returned or cancelled there), or ``False``."""
        self.ensure_one()
        if self.state == "cancel" or not self.is_marketplace_order:
            return False
        plan = self._marketplace_plan(target=statuses.CANCELLED_BY_SUPPLIER)
        if plan.decision == outbound.CLOSED and plan.params.get("conflict"):
            return self._marketplace_plan_text(plan)
        return False

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
        if editing and not internal.is_on(self.env, internal.INBOUND):
            raise UserError(
                self.env._(
                    "The retailer is editing %(orders)s on Cartona: wait until Cartona "
                    "sends the order back as pending before confirming it.",
                    orders=", ".join(editing.mapped("name")),
                )
            )
        return super().action_confirm()
