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
from datetime import timedelta

from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_round

from odoo.addons.queue_job.exception import RetryableJobError

from ..cartona import inbound, outbound, payloads, statuses
from ..cartona.errors import ERROR_OUTCOMES
from . import internal

_logger = logging.getLogger(__name__)

#: An entry whose import failed on something Odoo lacks (an unknown product) is
#: queued again after this long even if no product changed.
STUCK_RETRY = timedelta(hours=1)
#: First key of the advisory locks taken while importing an order ("CART").
IMPORT_LOCK_KEY = 0x43415254
#: Longest status a log keeps of an entry (Cartona's are short words).
STATUS_LIMIT = 64
#: Failures of one Odoo step of an import (confirming, cancelling, validating).
STEP_ERRORS = (UserError, ValidationError)


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
    _description = "Cartona Order Import"

    # ------------------------------------------------------------------
    # Taking the feed
    # ------------------------------------------------------------------
    @api.model
    def _take_feed_page(self, config, page, pulled_at):
        """Check each entry of a pulled page once; queue the import of the valid
        ones. Returns how many were invalid."""
        # sudo: taking the feed is the integration's own work, whoever pulls; the
        # configuration's company scopes everything it touches.
        processor = self.sudo().with_company(config.company_id)
        checked, invalid = [], 0
        for payload in page:
            try:
                checked.append(inbound.normalize_order(payload))
            except inbound.InvalidOrder as exc:
                invalid += 1
                processor._isolated(processor._reject, config, payload, exc, pulled_at)
        waiting = processor._stuck_fingerprints(config, checked)
        for data in checked:
            if data.fingerprint not in waiting:
                processor._isolated(processor._enqueue_import, config, data, pulled_at)
        return invalid

    @api.model
    def _isolated(self, func, config, entry, *args):
        """``func(config, entry, ...)`` in a savepoint: one entry that fails never
        stops the others (it is logged, and comes back with the next pull)."""
        try:
            with self.env.cr.savepoint():
                return func(config, entry, *args)
        except RetryableJobError as exc:
            # An order busy in a job: the entry is taken at the next pull.
            _logger.info("Cartona feed entry left for the next pull: %s", exc)
            return None
        except Exception:  # pylint: disable=broad-except
            _logger.exception(
                "Cartona feed entry %s of %s could not be taken",
                getattr(entry, "hashed_id", None) or inbound.hashed_id_of(entry),
                config.name,
            )
            return None

    @api.model
    def _stuck_fingerprints(self, config, orders):
        """Fingerprints of entries not to queue again yet: their last import, less
        than ``STUCK_RETRY`` ago, failed on a product Odoo still cannot find. Once the
        product is mapped (or after ``STUCK_RETRY``), the entry is queued again."""
        if not orders:
            return set()
        fingerprints = [data.fingerprint for data in orders]
        failed = {
            log["payload_fingerprint"]
            for log in self.env["marketplace.sync.log"].search_read(
                [
                    ("config_id", "=", config.id),
                    ("operation", "=", "order_import"),
                    ("outcome", "in", ERROR_OUTCOMES),
                    ("payload_fingerprint", "in", fingerprints),
                    ("create_date", ">", fields.Datetime.now() - STUCK_RETRY),
                ],
                ["payload_fingerprint"],
            )
        }
        waiting = [data for data in orders if data.fingerprint in failed]
        if not waiting:
            return set()
        found = self._find_products(
            config, {key for data in waiting for key in data.product_ids}
        )
        return {
            data.fingerprint
            for data in waiting
            if any(len(found.get(key) or ()) != 1 for key in data.product_ids)
        }

    @api.model
    def _enqueue_import(self, config, data, pulled_at=None):
        """Queue the import of one checked entry; one pending job per entry version."""
        pulled_at = fields.Datetime.to_string(pulled_at or fields.Datetime.now())
        return self.with_delay(
            identity_key=f"cartona-import-{config.id}-{data.fingerprint}",
            description=self.env._(
                "Cartona: import order %(order)s", order=data.hashed_id
            ),
        )._import_order(config.id, data.to_job(), pulled_at)

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
        order._marketplace_lock()
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
        self._log_import(
            config,
            data.to_job(),
            data.fingerprint,
            data.hashed_id,
            order,
            outcome.log_outcome,
            outcome.summary(),
            outcome.problem,
            status=data.status,
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

    def _reject(self, config, entry, error, pulled_at):
        """An entry that cannot be imported (``entry``: the raw payload, or the
        checked order whose products are unknown): log every reason, once per
        version; create nothing, acknowledge nothing."""
        checked = isinstance(entry, inbound.InboundOrder)
        payload = entry.to_job() if checked else entry
        fingerprint = (
            entry.fingerprint if checked else inbound.payload_fingerprint(entry)
        )
        order = self.env["sale.order"]
        if error.hashed_id:
            order = self._find_order(config, error.hashed_id)
        message = self.env._(
            "Order not imported: %(count)s problem(s)", count=len(error.reasons)
        )
        if order and order.cartona_pulled_at and pulled_at < order.cartona_pulled_at:
            order = order.browse()  # an outdated version: the order is not concerned
        if order:
            # A newer version of a known order is invalid: the order keeps the last
            # valid version, and says so until a valid version is imported.
            problem = self.env._(
                "Cartona sent a version of %(order)s that cannot be imported; Odoo "
                "keeps the previous one:\n%(reasons)s",
                order=order.name,
                reasons=str(error),
            )
            order._marketplace_lock()
            order.write(
                {
                    "cartona_pulled_at": pulled_at,
                    "marketplace_import_error": problem,
                    "marketplace_sync_status": "error",
                    "marketplace_error_message": problem,
                }
            )
        self._log_import(
            config,
            payload,
            fingerprint,
            error.hashed_id,
            order,
            "error",
            message,
            str(error),
            status=payload.get("status") if isinstance(payload, dict) else None,
        )
        return f"{message}:\n{error}"

    # ------------------------------------------------------------------
    # Products and partners
    # ------------------------------------------------------------------
    @api.model
    def _resolve_products(self, config, data):
        """``{internal_product_id: product.product}`` for every line, or InvalidOrder.

        Products must be active, saleable and of the configuration's company (or of
        no company); ``product_match`` says which product field holds the id.
        """
        found = self._find_products(config, data.product_ids)
        reasons = []
        for line in data.lines:
            candidates = found.get(line.internal_product_id)
            if candidates is not None and len(candidates) == 1:
                continue
            reasons.append(
                self._product_problem(
                    config, line, candidates or self.env["product.product"]
                )
            )
        if reasons:
            raise inbound.InvalidOrder(reasons, data.hashed_id)
        return found

    @api.model
    def _find_products(self, config, keys):
        """Candidate variants per key, as ``{key: product.product}``."""
        Product = self.env["product.product"].with_company(config.company_id)
        company_domain = [("company_id", "in", (False, config.company_id.id))]
        saleable = [("sale_ok", "=", True), *company_domain]
        if config.product_match == "variant_id":
            ids = {
                key: int(key)
                for key in keys
                if key.isascii() and key.isdigit() and len(key) < 10
            }
            products = Product.search([("id", "in", list(ids.values())), *saleable])
            return {
                key: products.filtered(lambda p, pid=pid: p.id == pid)
                for key, pid in ids.items()
            }
        field = config.product_match
        products = Product.search([(field, "in", list(keys)), *saleable])
        return {
            key: products.filtered(lambda p, key=key: p[field] == key) for key in keys
        }

    @api.model
    def _product_problem(self, config, line, candidates):
        label = dict(config._fields["product_match"]._description_selection(self.env))[
            config.product_match
        ]
        if candidates:
            return self.env._(
                "%(line)s: %(count)s saleable products have %(field)s %(value)s: "
                "make it unique",
                line=line.label,
                count=len(candidates),
                field=label,
                value=repr(line.internal_product_id),
            )
        return self.env._(
            "%(line)s: no active, saleable product of %(company)s has %(field)s "
            "%(value)s (%(name)s)",
            line=line.label,
            company=config.company_id.name,
            field=label,
            value=repr(line.internal_product_id),
            name=line.product_name or self.env._("no product name"),
        )

    @api.model
    def _retailer_partner(self, config, retailer, outcome):
        """The retailer's partner: matched by retailer code within the config only.

        Never by name or phone (different retailers share them). Without a code a
        new contact is created for the order.
        """
        Partner = self.env["res.partner"].with_context(active_test=False)
        if retailer.code:
            partner = Partner.search(
                [
                    ("marketplace_config_id", "=", config.id),
                    ("cartona_retailer_code", "=", retailer.code),
                ],
                limit=1,
            )
            if partner:
                return partner
        else:
            outcome.warnings.append(
                self.env._(
                    "the retailer has no retailer_code: a new contact was created"
                )
            )
        vals = self._partner_vals(config, retailer)
        try:
            with self.env.cr.savepoint():
                partner = Partner.create(vals)
        except pg_errors.UniqueViolation as exc:
            raise RetryableJobError(
                f"retailer {retailer.code} is being created by another import",
                seconds=5,
                ignore_retry=True,
            ) from exc
        outcome.changes.append(
            self.env._("new retailer %(name)s", name=partner.display_name)
        )
        return partner

    @api.model
    def _partner_vals(self, config, retailer):
        return {
            "name": retailer.name,
            "is_company": True,
            "customer_rank": 1,
            "company_id": config.company_id.id,
            "marketplace_config_id": config.id,
            "cartona_retailer_code": retailer.code or False,
            "phone": retailer.phone or False,
            "mobile": retailer.phone2 or False,
            "street": retailer.address or False,
            # The retailer's text is text: never markup in the contact's notes, nor
            # a link (plaintext2html would make its addresses live links).
            "comment": Markup("<p>%s</p>")
            % Markup("<br/>").join(retailer.address_notes.splitlines())
            if retailer.address_notes
            else False,
            "country_id": self.env.ref("base.eg").id,
        }

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
            cartona_id=data.hashed_id,
            marketplace_config_id=config.id,
            # A person, never the user the pull runs as (OdooBot for the cron).
            user_id=self._responsible(config).id,
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
    def _responsible(self, config):
        """The account's responsible, if a person who may still act."""
        user = config.user_id
        if user.active and not user.share and user != self.env.ref("base.user_root"):
            return user
        return self.env["res.users"]

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
    # Cartona's status
    # ------------------------------------------------------------------
    def _apply_status(self, config, order, data, outcome):
        """Do what Cartona's status asks, then store it (only if all steps worked)."""
        for step in inbound.status_steps(data.status, data.delivered_by):
            if not getattr(self, f"_step_{step}")(config, order, data, outcome):
                return
        stored = inbound.stored_status(data.status)
        if stored and order.marketplace_status != stored:
            order.marketplace_status = stored
            outcome.changes.append(
                self.env._("Cartona status %(status)s", status=stored)
            )

    def _step_confirm(self, config, order, data, outcome):
        if order.state in ("sale", "done"):
            return True
        if order.state == "cancel":
            outcome.warnings.append(
                self.env._(
                    "Cartona reports %(status)s but the order is cancelled in Odoo",
                    status=data.status,
                )
            )
            return False
        if not config.auto_confirm_approved:
            outcome.changes.append(
                self.env._(
                    "%(status)s on Cartona: confirm the order in Odoo (automatic "
                    "confirmation is off)",
                    status=data.status,
                )
            )
            return True
        try:
            with self.env.cr.savepoint():
                order.action_confirm()
        except STEP_ERRORS as exc:
            outcome.problem = self.env._(
                "Cartona reports %(order)s %(status)s, but it could not be confirmed: "
                "%(error)s",
                order=order.name,
                status=data.status,
                error=str(exc),
            )
            return False
        outcome.changes.append(self.env._("confirmed"))
        return True

    def _step_cancel(self, config, order, data, outcome):
        if order.state == "cancel":
            return True
        shipped = order._marketplace_customer_pickings().filtered(
            lambda p: p.state == "done"
        )
        if shipped:
            outcome.problem = self.env._(
                "Cartona reports %(order)s %(status)s, but %(pickings)s already left "
                "the warehouse: the order was not cancelled. Arrange the return of "
                "the goods, then cancel the order in Odoo.",
                order=order.name,
                status=data.status,
                pickings=", ".join(shipped.mapped("name")),
            )
            return False
        try:
            with self.env.cr.savepoint():
                order.picking_ids.filtered(
                    lambda p: p.state not in ("done", "cancel")
                ).action_cancel()
                # Not action_cancel(): in Odoo 18 it may open a wizard instead.
                order._action_cancel()
        except STEP_ERRORS as exc:
            outcome.problem = self.env._(
                "Cartona reports %(order)s %(status)s, but it could not be "
                "cancelled: %(error)s",
                order=order.name,
                status=data.status,
                error=str(exc),
            )
            return False
        outcome.changes.append(self.env._("cancelled"))
        return True

    def _step_validate_delivery(self, config, order, data, outcome):
        if not config.validate_cartona_deliveries or order.state != "sale":
            return True
        pickings = order.picking_ids.filtered(
            lambda p: p.picking_type_code != "incoming"
            and p.state not in ("done", "cancel")
        ).sorted("id")
        if not pickings:
            return True
        try:
            with self.env.cr.savepoint():
                for picking in pickings:
                    picking.action_assign()
                    for move in picking.move_ids.filtered(
                        lambda m: m.state not in ("done", "cancel")
                    ):
                        move.quantity = move.product_uom_qty
                        move.picked = True
                    picking.with_context(cancel_backorder=True)._action_done()
        except STEP_ERRORS as exc:
            outcome.problem = self.env._(
                "Cartona delivered %(order)s, but its delivery could not be "
                "validated: %(error)s",
                order=order.name,
                error=str(exc),
            )
            return False
        outcome.changes.append(
            self.env._(
                "delivery %(pickings)s validated",
                pickings=", ".join(pickings.mapped("name")),
            )
        )
        return True

    def _step_return(self, config, order, data, outcome):
        shipped = order._marketplace_customer_pickings().filtered(
            lambda p: p.state == "done"
        )
        if shipped:
            outcome.warnings.append(
                self.env._(
                    "Cartona returned the goods of %(pickings)s: receive them with a "
                    "return",
                    pickings=", ".join(shipped.mapped("name")),
                )
            )
        return True

    def _step_not_driven(self, config, order, data, outcome):
        if inbound.stored_status(data.status) != order.marketplace_status:
            outcome.warnings.append(
                self.env._(
                    "Cartona reports %(status)s for an order the supplier delivers: "
                    "nothing changed in Odoo",
                    status=data.status,
                )
            )
        return True

    def _step_unknown(self, config, order, data, outcome):
        # The core already warned; the raw status is kept on the order.
        return True

    # ------------------------------------------------------------------
    # Logs
    # ------------------------------------------------------------------
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
