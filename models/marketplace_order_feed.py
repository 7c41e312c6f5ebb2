# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The import, taking the feed: each pulled entry is checked once at pull; an invalid
one is logged once per version and never queued, a valid one is queued for import,
each in its own savepoint, so that one entry never stops the others."""

import logging
from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.queue_job.exception import RetryableJobError

from ..cartona import inbound
from ..cartona.errors import ERROR_OUTCOMES

_logger = logging.getLogger(__name__)

#: An entry whose import failed on something Odoo lacks (an unknown product) is
#: queued again after this long even if no product changed.
STUCK_RETRY = timedelta(hours=1)


class MarketplaceOrderProcessor(models.AbstractModel):
    _inherit = "marketplace.order.processor"

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
        found = config._find_products(
            {key for data in waiting for key in data.product_ids}
        )
        return {
            data.fingerprint
            for data in waiting
            if any(len(found.get(key) or ()) != 1 for key in data.product_ids)
        }

    def _reject(self, config, entry, error, pulled_at):
        """An entry that cannot be imported (``entry``: the raw payload, or the
        checked order whose products are unknown): log every reason, once per
        version; create nothing, acknowledge nothing."""
        checked = isinstance(entry, inbound.InboundOrder)
        payload = self._job_values(entry) if checked else entry
        fingerprint = (
            entry.fingerprint if checked else inbound.payload_fingerprint(entry)
        )
        order = self.env["sale.order"]
        if error.hashed_id:
            # Never an order the import did not create (see _refuse_adoption).
            order = self._find_order(config, error.hashed_id).filtered(
                "marketplace_imported"
            )
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
            self.env["marketplace.order.sync"]._lock(order)
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
