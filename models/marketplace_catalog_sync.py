# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The catalog job: Cartona's stock and prices of an account's listings made Odoo's.

Shaped like the order reconciler (``marketplace.order.sync``): :meth:`_run` locks the
account, skips what needs nothing, reads the listings marked changed, plans
(``cartona.catalog``, the only place that decides what to send), sends
``catalog_batch_size`` items a request to ``supplier-product/bulk-update``, records what
Cartona accepted or refused and queues itself again for the rest. Level-triggered:
every value is recomputed when it is sent, and a value Cartona already has is not
sent again; a stale or duplicate job sends nothing.
"""

import logging

from odoo import api, fields, models

from odoo.addons.queue_job.exception import RetryableJobError

from ..cartona import catalog, errors

_logger = logging.getLogger(__name__)

#: First key of the advisory lock held while an account's catalog is sent ("CATG").
CATALOG_LOCK_KEY = 0x43415447
#: Requests one run may make: a run stays short (no JobFoundDead on a big catalog,
#: cartona-api.md 9.1.3); a follow-up job sends the rest.
MAX_REQUESTS_PER_RUN = 20
#: Seconds before a follow-up when Cartona failed after accepting part of a run.
RESUME_DELAY = 10


class MarketplaceCatalogSync(models.AbstractModel):
    _name = "marketplace.catalog.sync"
    _inherit = "marketplace.job.mixin"
    _description = "Cartona Catalog Sync"

    # ------------------------------------------------------------------
    # The job's steps
    # ------------------------------------------------------------------
    @api.model
    def _run(self, config):
        """Lock, skip, read the changes, plan, send, record (the account's job)."""
        # sudo: the sync is the integration's work, whoever's change queued it (a
        # storekeeper validating a delivery may not read Cartona accounts). The
        # job's user stays the user of its logs.
        config = config.sudo().exists()
        if not config:
            return "account deleted"
        config = config.with_company(config.company_id)
        if not config.active:
            return "account archived: nothing sent"
        if config.connection_status == "auth_failed":
            return "paused: Cartona rejects the token; Test Connection resumes"
        self._lock(config)
        batch_limit = MAX_REQUESTS_PER_RUN * config.catalog_batch_size
        marks = self._read_marks(config, batch_limit + 1)
        more = len(marks) > batch_limit
        marks = dict(list(marks.items())[:batch_limit])
        if not marks:
            return "nothing to send"
        listings = config.env["marketplace.product"].browse(list(marks))
        # Only this account's listings, of its company: another company's values
        # never go out with this account's token.
        listings = listings.exists().filtered(
            lambda listing: listing.active
            and listing.product_id
            and listing.config_id == config
            and listing.company_id == config.company_id
        )
        forced = {key for key, (force, _ids) in marks.items() if force}
        plans = self._plans(listings, forced=forced)
        entries = [
            (key, plan.item) for key, (plan, _input) in plans.items() if plan.item
        ]
        result = catalog.send_all(
            entries,
            config.catalog_batch_size,
            lambda items: self.env["marketplace.api"].update_products(config, items),
            max_requests=MAX_REQUESTS_PER_RUN,
        )
        if result.error is not None and not (result.accepted or result.rejected):
            return self._failed(config, listings, result.error)
        self._record(config, listings, plans, result)
        pending = {key for key, _item in result.pending}
        self._forget_marks(
            [
                mark
                for key, (_f, ids) in marks.items()
                if key not in pending
                for mark in ids
            ]
        )
        summary = (
            f"{len(marks)} listings changed, {len(entries)} to send: "
            f"{len(result.accepted)} accepted, {len(result.rejected)} refused, "
            f"{len(pending)} left, in {result.requests} requests"
        )
        if isinstance(result.error, errors.AuthenticationError):
            return f"{summary}; paused: {result.error}"
        if pending or more:
            delay = 0
            if result.error is not None:
                delay = (
                    errors.bounded_retry_after(
                        getattr(result.error, "retry_after", None)
                    )
                    or RESUME_DELAY
                )
            config._catalog_wake(delay)
            return f"{summary}; the rest is queued"
        return summary

    @api.model
    def _lock(self, config):
        """One run per account at a time; another run is retried in a few seconds."""
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)", (CATALOG_LOCK_KEY, config.id)
        )
        if not self.env.cr.fetchone()[0]:
            raise RetryableJobError(
                f"the catalog of Cartona account {config.id} is being sent",
                seconds=5,
                ignore_retry=True,
            )

    @api.model
    def _read_marks(self, config, limit):
        """``{listing_id: (force, [mark ids])}`` of the account's oldest changes."""
        self.env.cr.execute(
            """
            SELECT listing_id, bool_or(force), array_agg(id)
              FROM marketplace_product_change
             WHERE config_id = %s
             GROUP BY listing_id
             ORDER BY min(id)
             LIMIT %s
            """,
            (config.id, limit),
        )
        return {row[0]: (row[1], row[2]) for row in self.env.cr.fetchall()}

    @api.model
    def _forget_marks(self, mark_ids):
        """Delete the changes this run read and settled (never the newer ones: they
        are not in this transaction's snapshot)."""
        if mark_ids:
            self.env.cr.execute(
                "DELETE FROM marketplace_product_change WHERE id = ANY(%s)",
                (mark_ids,),
            )

    # ------------------------------------------------------------------
    # What Odoo wants: the planner's inputs, read in a few queries
    # ------------------------------------------------------------------
    @api.model
    def _plans(self, listings, forced=()):
        """``{listing id: (ItemPlan, catalog.Listing)}`` of the listings that have a
        product, their values read account by account."""
        plans = {}
        # sudo: the account's warehouse, pricelist and buffer, for whoever reads.
        for config, group in listings.sudo().grouped("config_id").items():
            group = group.filtered("product_id")
            if not group:
                continue
            config = config.with_company(config.company_id)
            products = group.product_id.with_company(config.company_id)
            quantities = self._free_quantities(config, products)
            prices = self._prices(config, products)
            for listing in group:
                listing_input = catalog.Listing(
                    key=listing.id,
                    internal_product_id=listing.internal_product_id or None,
                    supplier_product_id=listing.supplier_product_id or None,
                    sync_stock=listing.sync_stock,
                    sync_price=listing.sync_price,
                    free_qty=quantities.get(listing.product_id.id, 0.0),
                    buffer=config.catalog_stock_buffer,
                    price=prices.get(listing.product_id.id),
                    min_order=listing.min_order or None,
                    max_order=listing.max_order or None,
                    accepted=listing.cartona_values or None,
                    force=listing.id in forced,
                )
                plans[listing.id] = (catalog.plan_listing(listing_input), listing_input)
        return plans

    @api.model
    def _free_quantities(self, config, products):
        """``{product id: on hand - reserved}`` in the account's warehouse (all the
        company's warehouses when it has none), as Odoo's ``free_qty``."""
        context = (
            {"warehouse_id": config.warehouse_id.id} if config.warehouse_id else {}
        )
        products = products.with_context(**context)
        domain = [
            ("product_id", "in", products.ids),
            *products._get_domain_locations()[0],
        ]
        # sudo: quantities only, for whoever's change queued the job.
        groups = (
            self.env["stock.quant"]
            .sudo()
            .with_company(config.company_id)
            ._read_group(
                domain, ["product_id"], ["quantity:sum", "reserved_quantity:sum"]
            )
        )
        return {
            product.id: (quantity or 0.0) - (reserved or 0.0)
            for product, quantity, reserved in groups
        }

    @api.model
    def _prices(self, config, products):
        """``{product id: price}``: the account's pricelist price for one unit, or the
        product's sales price (variant extras included)."""
        if config.pricelist_id:
            return config.pricelist_id._get_products_price(products, 1.0)
        return {product.id: product.lst_price for product in products}

    # ------------------------------------------------------------------
    # Outcomes
    # ------------------------------------------------------------------
    @api.model
    def _record(self, config, listings, plans, result):
        """Write what Cartona accepted or refused, and the problems found, on the
        listings (one write per listing, flushed together)."""
        now = fields.Datetime.now()
        pending = {key for key, _item in result.pending}
        for listing in listings:
            plan, _input = plans[listing.id]
            if listing.id in pending:
                continue
            messages = [
                self._problem_text(listing, *problem) for problem in plan.problems
            ]
            vals = {}
            if listing.id in result.accepted:
                accepted = catalog.accepted_after(
                    listing.cartona_values, result.accepted[listing.id]
                )
                vals.update(self._accepted_vals(accepted), last_sync_date=now)
            elif listing.id in result.rejected:
                messages.insert(
                    0,
                    self.env._(
                        "Cartona refused the values of this product: %(error)s",
                        error=str(result.rejected[listing.id]),
                    ),
                )
            vals.update(
                sync_state="error" if messages else "synced",
                error_message="\n".join(messages) or False,
            )
            if any(listing[key] != value for key, value in vals.items()):
                listing.write(vals)

    @api.model
    def _accepted_vals(self, accepted):
        return {
            "cartona_values": accepted,
            "cartona_stock": accepted.get(catalog.STOCK, 0),
            "cartona_in_stock": bool(accepted.get(catalog.IN_STOCK)),
            "cartona_price": accepted.get(catalog.PRICE, 0.0),
        }

    @api.model
    def _failed(self, config, listings, error):
        """Nothing went through. Transient and protocol errors are retried by
        queue_job (``Retry-After`` first); a rejected token pauses the account, the
        marks stay until Test Connection resumes it."""
        if isinstance(error, errors.AuthenticationError):
            return f"paused: {error}"
        job = self._job_current()
        if self._job_last_attempt(job):
            message = self.env._(
                "Cartona stayed unavailable after %(count)s attempts: %(error)s",
                count=job.retry + 1,
                error=str(error),
            )
            listings.write({"sync_state": "error", "error_message": message})
            return message
        raise RetryableJobError(
            f"Cartona catalog update failed: {error}",
            seconds=errors.bounded_retry_after(getattr(error, "retry_after", None)),
        ) from error

    @api.model
    def _problem_text(self, listing, reason, params):
        _ = self.env._
        if reason == catalog.REASON_NO_IDENTIFIER:
            return _(
                "%(product)s has no id Cartona knows: set its Internal Product ID or "
                "Cartona Product ID.",
                product=listing.display_name,
            )
        if reason == catalog.REASON_PRICE_NOT_POSITIVE:
            return _(
                "The price of %(product)s is %(price)s: Cartona takes a positive "
                "price only, so the price was not sent.",
                product=listing.display_name,
                price=params.get("price"),
            )
        if reason == catalog.REASON_ORDER_LIMITS:
            return _(
                "The minimum order (%(min)s) is above the maximum order (%(max)s): "
                "neither was sent.",
                min=params.get("min"),
                max=params.get("max"),
            )
        return reason
