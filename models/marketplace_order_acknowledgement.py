# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Inbound: tell Cartona which imported orders it may take out of the pull feed.

One queue job per configuration (:meth:`MarketplaceOrderAcknowledgement.
_acknowledge_orders`), queued by imports in their own transaction, so that it runs
only once they committed: it reads the feed, then locks the orders waiting for an
acknowledgement (briefly: no lock is held while the feed is read), checks the feed
still shows the imported version of each and posts ``synced`` for them in bulk.
"""

from psycopg2 import errors as pg_errors

from odoo import api, fields, models

from odoo.addons.queue_job.exception import RetryableJobError

from ..cartona import errors, inbound


class MarketplaceOrderAcknowledgement(models.AbstractModel):
    _name = "marketplace.order.acknowledgement"
    _inherit = "marketplace.job.mixin"
    _description = "Cartona Order Acknowledgement"

    @api.model
    def _enqueue(self, config):
        """Queue the acknowledgement job of ``config``; one pending at a time."""
        return self.with_delay(
            identity_key=f"cartona-ack-{config.id}",
            description=self.env._(
                "Cartona: acknowledge imported orders of %(config)s",
                config=config.name,
            ),
        )._acknowledge_orders(config.id)

    @api.model
    def _acknowledge_orders(self, config_id):
        """Tell Cartona which imported orders it may take out of the feed (job).

        An order whose feed entry changed since its import is imported again instead
        (an acknowledgement carries no version: sending it would lose the change), an
        order no longer in the feed was acknowledged already. The others get
        ``synced``, in bulk. Transient Cartona errors retry the job.
        """
        # sudo: the integration's own work, whoever's import queued it; the
        # configuration's company scopes everything it touches.
        config = self.env["marketplace.config"].sudo().browse(config_id).exists()
        if not config or not config.active:
            return "no active configuration"
        return self.sudo().with_company(config.company_id)._acknowledge(config)

    @api.model
    def _acknowledge(self, config):
        if self._imports_running(config):
            # An import that saw this job still pending did not queue another one:
            # wait until it committed, so that its order is acknowledged too.
            raise RetryableJobError(
                "imports are running: acknowledging once they are done",
                seconds=5,
                ignore_retry=True,
            )
        if not self._pending(config):
            return "nothing to acknowledge"
        # The feed first, with no lock held: status jobs of these orders go on
        # meanwhile instead of waiting for the whole feed to be paged.
        pulled_at = fields.Datetime.now()
        try:
            feed = self._read_feed(config)
        except errors.TransientError as exc:
            raise RetryableJobError(
                str(exc), seconds=errors.bounded_retry_after(exc.retry_after)
            ) from exc
        except errors.CartonaError as exc:
            return f"not acknowledged, the feed could not be read: {exc}"
        orders = self._lock(self._pending(config))
        if not orders:
            return "nothing to acknowledge"
        current = orders.browse()
        changed = orders.browse()
        changed_entries = []
        for order in orders:
            entry = feed.get(order.cartona_id)
            if entry is None:
                continue
            if inbound.payload_fingerprint(entry) == order.cartona_fingerprint:
                current |= order
            else:
                changed |= order
                changed_entries.append(entry)
        if changed_entries:
            self.env["marketplace.order.processor"]._take_feed_page(
                config, changed_entries, pulled_at
            )
        if current:
            try:
                self.env["marketplace.api"].acknowledge_orders(current, config)
            except errors.TransientError as exc:
                raise RetryableJobError(
                    str(exc), seconds=errors.bounded_retry_after(exc.retry_after)
                ) from exc
            except errors.CartonaError as exc:
                # Left pending: the next pull imports them as no-ops and asks again.
                (orders - current).write({"marketplace_ack_pending": False})
                return f"not acknowledged: {exc}"
        orders.write({"marketplace_ack_pending": False})
        return (
            f"{len(current)} acknowledged, {len(changed)} changed since their import, "
            f"{len(orders - current - changed)} already out of the feed"
        )

    @api.model
    def _read_feed(self, config):
        """The whole pull feed: ``{hashed_id: entry}``."""
        feed = {}
        for page in self.env["marketplace.api"].pull_orders(config):
            for entry in page:
                hashed_id = inbound.hashed_id_of(entry)
                if hashed_id:
                    feed[hashed_id] = entry
        return feed

    @api.model
    def _imports_running(self, config):
        """Whether import jobs of ``config`` are being run by the job runner now."""
        # sudo: queue jobs are readable by queue managers only.
        jobs = (
            self.env["queue.job"]
            .sudo()
            .search(
                [
                    ("model_name", "=", "marketplace.order.processor"),
                    ("method_name", "=", "_import_order"),
                    ("state", "in", ("enqueued", "started")),
                ]
            )
        )
        return any(job.args and job.args[0] == config.id for job in jobs)

    @api.model
    def _pending(self, config):
        return self.env["sale.order"].search(
            [
                ("marketplace_config_id", "=", config.id),
                ("marketplace_ack_pending", "=", True),
            ],
            order="id",
        )

    @api.model
    def _lock(self, orders):
        """``orders``, locked, but those an import job is working on: that job
        queues another acknowledgement when it commits."""
        if not orders:
            return orders
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT id FROM sale_order WHERE id IN %s "
                    "AND marketplace_ack_pending FOR NO KEY UPDATE SKIP LOCKED",
                    (tuple(orders.ids),),
                )
                locked = {row[0] for row in self.env.cr.fetchall()}
        except pg_errors.SerializationFailure as exc:
            raise RetryableJobError(
                "orders changed while being acknowledged", seconds=5, ignore_retry=True
            ) from exc
        orders.invalidate_recordset(["marketplace_ack_pending", "cartona_fingerprint"])
        return orders.filtered(lambda o: o.id in locked)
