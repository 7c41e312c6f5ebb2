# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The account's catalog on Cartona: stock and prices of its listed products."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..cartona import catalog, errors
from .marketplace_product_change import CATALOG_DELAY

#: Attempts of a catalog job, twice queue_job's default: no person acts on a
#: listing, each attempt sends the latest values, and an outage must not leave the
#: catalog stale until the nightly reconcile.
CATALOG_MAX_RETRIES = 10


class MarketplaceConfigCatalog(models.Model):
    """The account's catalog settings, buttons, nightly reconcile and job entry.

    Kept apart from the order side above; the work is done by
    ``marketplace.catalog.sync`` (the job) and ``marketplace.product`` (listings).
    """

    _inherit = "marketplace.config"

    warehouse_id = fields.Many2one(
        comodel_name="stock.warehouse",
        string="Stock Warehouse",
        check_company=True,
        default=lambda self: self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        ),
        help="Cartona shows the free quantity of this warehouse (on hand minus "
        "reserved). Empty: every warehouse of the company.",
    )
    pricelist_id = fields.Many2one(
        comodel_name="product.pricelist",
        string="Pricelist",
        check_company=True,
        help="Prices sent to Cartona, for one unit. Empty: the product's sales price.",
    )
    catalog_stock_buffer = fields.Integer(
        string="Safety Stock",
        default=0,
        help="Pieces of each product kept back from Cartona: Cartona shows the free "
        "quantity minus this, never below 0.",
    )
    listing_ids = fields.One2many(
        comodel_name="marketplace.product",
        inverse_name="config_id",
        string="Listings",
    )
    listing_count = fields.Integer(compute="_compute_listing_count")
    last_catalog_import = fields.Datetime(readonly=True, copy=False)
    last_catalog_import_result = fields.Char(readonly=True, copy=False)

    _sql_constraints = [
        (
            "catalog_stock_buffer_positive",
            "CHECK(catalog_stock_buffer >= 0)",
            "The safety stock cannot be negative.",
        ),
    ]

    def _compute_listing_count(self):
        counts = dict(
            self.env["marketplace.product"]._read_group(
                [("config_id", "in", self.ids)], ["config_id"], ["__count"]
            )
        )
        for config in self:
            config.listing_count = counts.get(config, 0)

    def write(self, vals):
        result = super().write(vals)
        if {"warehouse_id", "pricelist_id", "catalog_stock_buffer", "active"} & set(
            vals
        ):
            # What every listing should show may have changed.
            self.env["marketplace.product.change"]._mark(config_ids=self.ids)
        return result

    def _set_connection_result(self, error):
        paused = self.filtered(lambda c: c.connection_status == "auth_failed")
        result = super()._set_connection_result(error)
        if error is None and paused:
            # The token works again: what waited while it was rejected goes out.
            paused._catalog_wake(0)
        return result

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def action_view_listings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "cartona_marketplace.marketplace_product_action"
        )
        action["domain"] = [("config_id", "=", self.id)]
        action["context"] = {"default_config_id": self.id}
        return action

    def action_sync_catalog_now(self):
        """Sync Catalog Now: send every listing's values now, even those Cartona has."""
        self.ensure_one()
        self._check_catalog_ready()
        self.env["marketplace.product.change"]._mark(
            config_ids=self.ids, force=True, delay=0
        )
        return self._notify(
            self.env._(
                "The %(count)s listings of %(config)s will be sent to Cartona in a "
                "moment.",
                count=self.listing_count,
                config=self.name,
            ),
            "success",
        )

    def action_import_catalog(self):
        """Import Cartona Catalog: link Cartona's products to Odoo's, list them."""
        self.ensure_one()
        self._check_catalog_ready()
        found, linked, to_map, error = self._import_catalog()
        if error is not None:
            return self._notify(
                self.env._(
                    "The catalog import from Cartona failed: %(error)s (%(result)s).",
                    error=str(error),
                    result=self.last_catalog_import_result,
                ),
                "danger",
            )
        return self._notify(
            self.last_catalog_import_result, "warning" if to_map else "success"
        )

    def _check_catalog_ready(self):
        # Cartona is called with the account's token: a manager's decision, whatever
        # calls the method (a button is no permission).
        self.check_access("write")
        if not self.has_token:
            raise UserError(self.env._("Set the API token first."))
        if not self.active:
            raise UserError(self.env._("This Cartona account is archived."))

    def _import_catalog(self):
        """Read Cartona's catalog page by page; link each product to the Odoo product
        the account's product matching finds, list what matches nothing for a person
        to map. Returns ``(products read, linked, to map, error)``; a failing page
        stops the import but keeps the pages before it.
        """
        self.ensure_one()
        Listing = self.env["marketplace.product"]
        found = linked = to_map = 0
        error = None
        try:
            for page in self.env["marketplace.api"].supplier_products(
                self, per_page=self.pull_page_size
            ):
                entries = [
                    product
                    for product in map(catalog.supplier_product, page)
                    if product is not None
                ]
                found += len(page)
                keys = [e.internal_product_id for e in entries if e.internal_product_id]
                # The order import's matching: one decision of what a key names.
                matches = self._find_products(keys) if keys else {}
                links = []
                for entry in entries:
                    candidates = matches.get(entry.internal_product_id)
                    product = (
                        candidates
                        if candidates is not None and len(candidates) == 1
                        else self.env["product.product"]
                    )
                    linked += bool(product)
                    to_map += not product
                    links.append(
                        (
                            product,
                            entry.internal_product_id,
                            entry.supplier_product_id,
                            entry.name,
                        )
                    )
                Listing._catalog_link(self, links)
        except errors.CartonaError as exc:
            error = exc
        result = self.env._(
            "%(count)s products on Cartona: %(linked)s linked to Odoo products, "
            "%(to_map)s to map",
            count=found,
            linked=linked,
            to_map=to_map,
        )
        if error is not None:
            result = self.env._(
                "%(result)s; import stopped: %(error)s", result=result, error=str(error)
            )
        self.write(
            {
                "last_catalog_import": fields.Datetime.now(),
                "last_catalog_import_result": result[:250],
            }
        )
        return found, linked, to_map, error

    # ------------------------------------------------------------------
    # The job and its triggers
    # ------------------------------------------------------------------
    def _catalog_wake(self, delay=None):
        """Queue the catalog job of each account, unless one is waiting already.

        ``delay`` is in seconds, a fraction included (Cartona's Retry-After):
        queue_job takes whole seconds only as an ``int``, so it gets a timedelta.
        """
        if delay is None:
            delay = CATALOG_DELAY
        for config in self:
            config.with_delay(
                identity_key=f"cartona-catalog-{config.id}",
                # Never later than an hour, whoever asked for the delay.
                eta=(
                    timedelta(seconds=min(delay, errors.MAX_RETRY_AFTER))
                    if delay
                    else None
                ),
                max_retries=CATALOG_MAX_RETRIES,
                description=self.env._(
                    "Cartona: send the catalog of %(config)s",
                    # sudo: the account's name, for a storekeeper's change.
                    config=config.sudo().name,
                ),
            )._sync_catalog()

    def _sync_catalog(self):
        """Send the changed listings of this account to Cartona (the queue job)."""
        self.ensure_one()
        return self.env["marketplace.catalog.sync"]._run(self)

    @api.model
    def _cron_reconcile_catalog(self):
        """Nightly: every listing whose value differs from what Cartona accepted is
        sent (a pricelist dated for today, a change whose job could not be queued).
        Accounts paused by a rejected token wait for Test Connection."""
        configs = self.search([("connection_status", "!=", "auth_failed")])
        self.env["marketplace.product.change"]._mark(config_ids=configs.ids)
