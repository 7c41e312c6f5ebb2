# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Inbound: take the entries of Cartona's pull feed, import each in its own job.

- :meth:`MarketplaceOrderProcessor._take_feed_page` (at pull): checks each entry once
  (``cartona.inbound.normalize_order``). An invalid entry is logged once per version
  and never queued; a valid one is queued for import, each in its own savepoint, so
  that one entry never stops the others. An entry whose import failed on something
  Odoo lacks (a product) is queued again only once products changed, or after
  ``STUCK_RETRY``.
- :meth:`MarketplaceOrderProcessor._import_order` (a queue job per entry version, the
  checked order as argument): finds every product, then creates or updates the
  ``sale.order`` and applies Cartona's status, all or nothing, without echoing
  anything back to Cartona. A fully applied entry is marked for acknowledgement
  (``marketplace.order.acknowledgement``), queued in the same transaction.
"""

import logging

from psycopg2 import errors as pg_errors

from odoo import Command, api, fields, models
from odoo.tools import float_round

from odoo.addons.queue_job.exception import RetryableJobError

from ..cartona import inbound, outbound, payloads, statuses
from ..cartona.errors import ERROR_OUTCOMES
from . import internal

_logger = logging.getLogger(__name__)

#: First key of the advisory locks taken while importing an order ("CART").
IMPORT_LOCK_KEY = 0x43415254
#: Longest status a log keeps of an entry (Cartona's are short words).
STATUS_LIMIT = 64


class _Outcome:
    """What an import changed, noticed, and the problem that stopped it, if any."""

    def __init__(self, warnings=()):
        self.changes = []
        self.warnings = list(warnings)
        self.problem = None

    @property
    def log_outcome(self):
        if self.problem:
            return "error"
        return "warning" if self.warnings else "success"

    def summary(self):
        parts = self.changes or ["nothing changed"]
        return "; ".join(parts + self.warnings)


class MarketplaceOrderProcessor(models.AbstractModel):
    _name = "marketplace.order.processor"
    _inherit = "marketplace.job.mixin"
    _description = "Cartona Order Import"

    @api.model
    def _enqueue_import(self, config, data, pulled_at=None):
        """Queue the import of one checked entry; one pending job per entry version."""
        pulled_at = fields.Datetime.to_string(pulled_at or fields.Datetime.now())
        # sudo: the import's own bookkeeping, out of everyone's reach.
        self.env["marketplace.pulled.secret"].sudo()._keep(config, data)
        return self.with_delay(
            identity_key=f"cartona-import-{config.id}-{data.fingerprint}",
            description=self.env._(
                "Cartona: import order %(order)s", order=data.hashed_id
            ),
        )._import_order(config.id, self._job_values(data), pulled_at)

    @api.model
    def _job_values(self, data):
        """The import job's argument for ``data``: never its pickup OTP, kept
        apart until the job runs (queue jobs are read by whoever reads the queue)."""
        return self.env["marketplace.pulled.secret"]._job_values(data)

    # ------------------------------------------------------------------
    # The import job
    # ------------------------------------------------------------------
    @api.model
    def _import_order(self, config_id, order, pulled_at=None):
        """Import one entry of Cartona's pull feed (job). Returns a summary.

        ``order`` is the entry as checked at pull (``InboundOrder.to_job``). An
        entry that cannot be imported (an unknown product) creates nothing and is
        logged with every reason; it stays unacknowledged, so it comes back with
        the next pull, after a fix. An entry already imported changes nothing and is
        acknowledged again.
        """
        # sudo: the import is the integration's own work, whoever pressed Pull
        # Orders; the configuration's company scopes everything it touches.
        config = self.env["marketplace.config"].sudo().browse(config_id).exists()
        if not config:
            return "configuration deleted"
        processor = self.sudo().with_company(config.company_id)._marketplace_inbound()
        pulled_at = fields.Datetime.to_datetime(pulled_at) or fields.Datetime.now()
        try:
            data = inbound.from_job_or_payload(order)
        except inbound.InvalidOrder as exc:
            return processor._reject(config, order, exc, pulled_at)
        data = processor.env["marketplace.pulled.secret"]._restore(config, data)
        return processor._import(config, data, pulled_at)

    def _marketplace_inbound(self):
        """This model in the import's mode: Cartona's changes are applied, never
        pushed back (an internal switch, see ``models/internal.py``)."""
        return internal.switched(self, internal.INBOUND)

    @api.model
    def _import(self, config, data, pulled_at):
        self._lock_import(config, data.hashed_id)
        try:
            products = self._resolve_products(config, data)
        except inbound.InvalidOrder as exc:
            return self._reject(config, data, exc, pulled_at)
        order = self._find_order(config, data.hashed_id)
        if not order:
            outcome = _Outcome(data.warnings)
            order, created = self._create_order(
                config, data, products, pulled_at, outcome
            )
            if created:
                return self._apply(config, order, data, outcome)
        if not order.marketplace_imported:
            return self._refuse_adoption(config, data, order)
        self.env["marketplace.order.sync"]._lock(order)
        order.invalidate_recordset()
        if order.cartona_fingerprint == data.fingerprint:
            if order.marketplace_import_error:
                # The feed is back to the imported version (e.g. a retailer undid an
                # edit that could not be imported): nothing is wrong any more.
                order.write(self._import_error_cleared_vals(order))
            self._request_acknowledgement(config, order)
            return f"{order.name}: already imported"
        if order.cartona_pulled_at and pulled_at < order.cartona_pulled_at:
            return f"{order.name}: a newer version was already imported"
        outcome = _Outcome(data.warnings)
        order.write(self._header_vals(data, pulled_at))
        self._update_lines(order, data, products, outcome)
        return self._apply(config, order, data, outcome)

    @api.model
    def _refuse_adoption(self, config, data, order):
        """An order the import did not create has the pulled order's Cartona id (made
        by hand, or forged): it is never taken over. The pulled order stays in the
        feed, unacknowledged, and comes back with each pull once this is solved."""
        problem = self.env._(
            "Cartona order %(cartona)s was not imported: %(order)s already has its "
            "Cartona id, and the import did not create %(order)s. A Marketplace "
            "Manager must check %(order)s and remove its External Order ID; the next "
            "pull then imports the order.",
            cartona=data.hashed_id,
            order=order.name,
        )
        self._log_entry(
            config,
            data,
            order,
            "error",
            self.env._(
                "Order not imported: an order not created by the import has its id"
            ),
            problem,
        )
        return problem

    @api.model
    def _request_acknowledgement(self, config, order):
        """An imported version is in the feed again: acknowledge it (again)."""
        if not order.marketplace_ack_pending:
            order.marketplace_ack_pending = True
        self.env["marketplace.order.acknowledgement"]._enqueue(config)

    def _apply(self, config, order, data, outcome):
        """Apply Cartona's status, then record the import's result on the order."""
        self._apply_status(config, order, data, outcome)
        vals = {"cartona_status_raw": data.status}
        if outcome.problem:
            # The fingerprint is not stored: the entry stays unacknowledged, so the
            # next pull tries it again (after a person solved the problem).
            vals.update(
                marketplace_import_error=outcome.problem,
                marketplace_sync_status="error",
                marketplace_error_message=outcome.problem,
            )
        else:
            vals.update(
                self._import_error_cleared_vals(order),
                cartona_fingerprint=data.fingerprint,
                marketplace_ack_pending=True,
                marketplace_sync_date=fields.Datetime.now(),
                # What Cartona has now: never echoed back by the reconciler.
                marketplace_cartona_lines=outbound.view_to_json(
                    outbound.merge_pulled(
                        outbound.view_from_json(order.marketplace_cartona_lines),
                        outbound.view_from_pulled(data.lines),
                    )
                ),
            )
        order.write(vals)
        if not outcome.problem:
            self.env["marketplace.order.acknowledgement"]._enqueue(config)
        # Level-triggered: whatever Odoo still has that Cartona lacks (a change made
        # while the retailer was editing, say) is planned from Cartona's new view.
        order.with_context(**{internal.KEY: None})._trigger_status_sync()
        self._log_entry(
            config, data, order, outcome.log_outcome, outcome.summary(), outcome.problem
        )
        return f"{order.name}: {outcome.summary()}"

    def _import_error_cleared_vals(self, order):
        """Values clearing the order's import problem (not an outbound error)."""
        vals = {"marketplace_import_error": False}
        if order.marketplace_import_error and (
            order.marketplace_error_message == order.marketplace_import_error
        ):
            vals.update(
                marketplace_sync_status="synced", marketplace_error_message=False
            )
        return vals

    # ------------------------------------------------------------------
    # Orders and lines
    # ------------------------------------------------------------------
    @api.model
    def _find_order(self, config, hashed_id):
        return self.env["sale.order"].search(
            [
                ("marketplace_config_id", "=", config.id),
                ("cartona_id", "=", hashed_id),
            ],
            limit=1,
        )

    @api.model
    def _lock_import(self, config, hashed_id):
        """Serialise the imports of one order: a second one retries later."""
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))",
            (IMPORT_LOCK_KEY, f"{config.id}:{hashed_id}"),
        )
        if not self.env.cr.fetchone()[0]:
            raise RetryableJobError(
                f"Cartona order {hashed_id} is being imported by another job",
                seconds=5,
                ignore_retry=True,
            )

    @api.model
    def _create_order(self, config, data, products, pulled_at, outcome):
        """Create the draft order; returns ``(order, created)``.

        ``UNIQUE(marketplace_config_id, cartona_id)`` decides between two imports
        racing on a new order: the loser's insert fails, its savepoint is rolled
        back, and it goes on as an update of the winner's order (``created`` is
        false), or retries when that order is not visible to its transaction yet.
        """
        vals = dict(
            self._header_vals(data, pulled_at),
            partner_id=self._retailer_partner(config, data.retailer, outcome).id,
            company_id=config.company_id.id,
            origin=self.env._("Cartona %(order)s", order=data.hashed_id),
            client_order_ref=data.hashed_id,
            is_marketplace_order=True,
            marketplace_imported=True,
            cartona_id=data.hashed_id,
            marketplace_config_id=config.id,
            # A person, never the user the pull runs as (OdooBot for the cron).
            user_id=self.env["marketplace.people"]._account_responsible(config).id,
            team_id=config.team_id.id,
            marketplace_sync_status="synced",
            marketplace_sync_date=fields.Datetime.now(),
            marketplace_cartona_lines=outbound.view_to_json(
                outbound.view_from_pulled(data.lines)
            ),
            order_line=[
                Command.create(
                    self._line_vals(line, products[line.internal_product_id])
                )
                for line in data.lines
            ],
        )
        try:
            with self.env.cr.savepoint():
                order = self.env["sale.order"].create(vals)
        except pg_errors.UniqueViolation as exc:
            order = self._find_order(config, data.hashed_id)
            if not order:
                raise RetryableJobError(
                    f"Cartona order {data.hashed_id} was imported concurrently",
                    seconds=5,
                    ignore_retry=True,
                ) from exc
            _logger.info(
                "Cartona order %s was imported concurrently: updating %s",
                data.hashed_id,
                order.name,
            )
            return order, False
        outcome.changes.insert(
            0,
            self.env._(
                "created %(order)s with %(count)s lines",
                order=order.name,
                count=len(data.lines),
            ),
        )
        return order, True

    @api.model
    def _header_vals(self, data, pulled_at):
        """Order fields taken from the payload, apart from lines and status."""
        by_cartona = data.delivered_by == statuses.DELIVERED_BY_CARTONA
        reason = data.cancellation_reason
        vals = {
            "delivered_by": data.delivered_by,
            "marketplace_payment_method": data.payment_method,
            "cartona_retailer_code": data.retailer.code or False,
            "cartona_supplier_code": data.supplier_code or False,
            "cartona_total": data.total_price,
            "cartona_note_message": data.note_message or False,
            "cartona_delivery_day": data.delivery_day or False,
            "cartona_estimated_delivery_day": data.estimated_delivery_day or False,
            "cartona_preferred_delivery_date": (
                data.retailer_preferred_delivery_date or False
            ),
            "cartona_pickup_date": by_cartona and data.pickup_date or False,
            "cartona_pickup_otp": by_cartona and data.pickup_otp or False,
            "cartona_route_code": data.distribution_route_code or False,
            "cartona_return_reason": data.return_reason or False,
            "cartona_pulled_at": pulled_at,
        }
        if reason in statuses.CANCELLATION_REASONS:
            vals["marketplace_cancellation_reason"] = reason
        return vals

    @api.model
    def _line_vals(self, line, product):
        return {
            "product_id": product.id,
            "product_uom_qty": line.amount,
            "price_unit": line.selling_price,
            "discount": 0.0,
            "cartona_line_ref": str(line.line_id),
            "cartona_line_comment": line.comment or False,
        }

    def _line_key(self, vals):
        """Comparable form of line values, rounded as the database stores them."""
        Line = self.env["sale.order.line"]
        qty_digits = Line._fields["product_uom_qty"].get_digits(self.env)[1]
        price_digits = Line._fields["price_unit"].get_digits(self.env)[1]
        return (
            vals["product_id"],
            float_round(vals["product_uom_qty"], precision_digits=qty_digits),
            float_round(vals["price_unit"], precision_digits=price_digits),
            vals["cartona_line_comment"] or False,
        )

    def _update_lines(self, order, data, products, outcome):
        """Make the order's Cartona lines those of the payload, if Cartona changed them.

        The payload is compared with what Cartona had (the order's record of Cartona's
        lines), not with Odoo's lines: Odoo's own changes not sent yet are the
        reconciler's to send, never undone by an unchanged version. A quotation takes
        Cartona's lines (a retailer edit); a confirmed order does not change: a
        different version is flagged for a person. Lines added in Odoo and sent to
        Cartona are linked to their Cartona id, never added twice; lines added in
        Odoo and not sent yet are left alone.
        """
        has = self._link_sent_lines(order, data)
        if has is not None and not outbound.pulled_changes(
            has, outbound.view_from_pulled(data.lines)
        ):
            return
        wanted = {
            str(line.line_id): self._line_vals(line, products[line.internal_product_id])
            for line in data.lines
        }
        current = {
            line.cartona_line_ref: line
            for line in order.order_line
            if line.cartona_line_ref and not line.display_type
        }
        diff = inbound.diff_lines(
            {
                ref: self._line_key(
                    {
                        "product_id": line.product_id.id,
                        "product_uom_qty": line.product_uom_qty,
                        "price_unit": line.price_unit,
                        "cartona_line_comment": line.cartona_line_comment,
                    }
                )
                for ref, line in current.items()
            },
            {ref: self._line_key(vals) for ref, vals in wanted.items()},
        )
        if not diff or order.state == "cancel" or data.is_cancellation:
            return
        if order.state not in ("draft", "sent"):
            outcome.problem = self.env._(
                "Cartona changed the lines of %(order)s after it was confirmed in "
                "Odoo (%(diff)s); Odoo kept its own lines. Review the order with the "
                "retailer: to take Cartona's version, cancel the order and set it back "
                "to quotation, the next pull then updates its lines.",
                order=order.name,
                diff=self._diff_text(diff),
            )
            return
        order.write(
            {
                "order_line": [Command.create(wanted[ref]) for ref in diff.added]
                + [Command.update(current[ref].id, wanted[ref]) for ref in diff.changed]
                + [Command.unlink(current[ref].id) for ref in diff.removed]
            }
        )
        outcome.changes.append(
            self.env._(
                "lines updated by the retailer (%(diff)s)", diff=self._diff_text(diff)
            )
        )

    def _diff_text(self, diff):
        """``1 added, 0 changed, 2 removed``, in the reader's language."""
        return self.env._(
            "%(added)s added, %(changed)s changed, %(removed)s removed",
            added=len(diff.added),
            changed=len(diff.changed),
            removed=len(diff.removed),
        )

    def _link_sent_lines(self, order, data):
        """Give the lines Odoo sent as new their Cartona id, when this version lists
        them; returns Cartona's lines as Odoo knows them, the linked ones included."""
        has = outbound.view_from_json(order.marketplace_cartona_lines)
        sent = order.order_line.filtered(
            lambda line: line.cartona_line_sent and not line.cartona_line_ref
        )
        if not sent or has is None:
            return has
        links = outbound.link_new_lines(
            has,
            {
                str(line.id): (line._marketplace_product_key(), line.product_uom_qty)
                for line in sent
            },
            [
                {
                    "id": line.line_id,
                    "internal_product_id": line.internal_product_id,
                    "amount": line.amount,
                }
                for line in data.lines
            ],
        )
        pulled = outbound.view_from_pulled(data.lines)
        for line in sent:
            ref = links.get(str(line.id))
            if ref:
                line.cartona_line_ref = str(ref)
                has[ref] = pulled[ref]
        return has

    # ------------------------------------------------------------------
    # Logs
    # ------------------------------------------------------------------
    @api.model
    def _log_entry(self, config, data, order, outcome, message, error):
        """:meth:`_log_import` of the checked entry ``data`` (its secrets left out)."""
        return self._log_import(
            config,
            self._job_values(data),
            data.fingerprint,
            data.hashed_id,
            order,
            outcome,
            message,
            error,
            status=data.status,
        )

    @api.model
    def _log_import(
        self,
        config,
        payload,
        fingerprint,
        hashed_id,
        order,
        outcome,
        message,
        error,
        status=None,
    ):
        """One inbound ``order_import`` log; an error already logged for the same
        version of the entry is not logged again at each pull."""
        Log = self.env["marketplace.sync.log"]
        if outcome in ERROR_OUTCOMES and fingerprint:
            last = Log.sudo().search(
                [
                    ("config_id", "=", config.id),
                    ("operation", "=", "order_import"),
                    ("payload_fingerprint", "=", fingerprint),
                ],
                order="id desc",
                limit=1,
            )
            if last.outcome == outcome and last.error_message == (error or False):
                return last
        if outcome in ERROR_OUTCOMES:
            _logger.info(
                "Cartona order %s not imported: %s", hashed_id or "?", error or message
            )
        return Log._record(
            [
                Log._vals(
                    config,
                    "order_import",
                    outcome,
                    order=order,
                    direction="inbound",
                    cartona_id=hashed_id or False,
                    # A raw entry's status can be anything: bounded, storable.
                    status_sent=payloads.log_excerpt(status, limit=STATUS_LIMIT)
                    if isinstance(status, str)
                    else False,
                    message=message,
                    error_message=error or False,
                    payload_fingerprint=fingerprint or False,
                    # Bounded, secrets masked, nothing PostgreSQL cannot store.
                    request_body=payloads.log_excerpt(payload) or False,
                )
            ]
        )
