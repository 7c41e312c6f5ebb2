# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Listings: the products of an account that Cartona shows, and what it last accepted.

A listing (OCA connector's "binding") ties a product to a Cartona account. Only listed
products are ever sent; what Cartona should show is decided by ``cartona.catalog``
from the values ``marketplace.catalog.sync`` reads, and sent by its job. Changing a
listing's identifiers or what it syncs marks it changed, as stock and price changes do
(``marketplace.product.change``).
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from ..cartona import catalog

SYNC_STATES = [
    ("to_map", "To Map"),
    ("not_synced", "Never Synced"),
    ("synced", "Synced"),
    ("error", "Error"),
]
#: Listing fields whose change Cartona must learn.
SYNCED_FIELDS = frozenset(
    {
        "product_id",
        "internal_product_id",
        "supplier_product_id",
        "sync_stock",
        "sync_price",
        "min_order",
        "max_order",
        "active",
    }
)


class MarketplaceProduct(models.Model):
    _name = "marketplace.product"
    _description = "Cartona Listing"
    _order = "config_id, sync_state desc, id"
    _check_company_auto = True

    config_id = fields.Many2one(
        comodel_name="marketplace.config",
        string="Cartona Account",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    # A listing lives in its account's company, always (see _check_account_company).
    company_id = fields.Many2one(
        related="config_id.company_id", store=True, index=True, precompute=True
    )
    product_id = fields.Many2one(
        comodel_name="product.product",
        string="Product",
        index=True,
        ondelete="cascade",
        check_company=True,
        help="The Odoo product Cartona's product is. Empty for a product of Cartona's "
        "catalog that matched none: choose it, and the listing syncs.",
    )
    product_tmpl_id = fields.Many2one(
        related="product_id.product_tmpl_id", store=True, index=True
    )
    active = fields.Boolean(
        default=True, help="Archived listings are never sent to Cartona."
    )
    internal_product_id = fields.Char(
        string="Internal Product ID",
        compute="_compute_internal_product_id",
        store=True,
        readonly=False,
        index=True,
        help="The supplier's own id of the product on Cartona, by the account's "
        "product matching (Internal Reference, Barcode or Odoo Variant ID).",
    )
    supplier_product_id = fields.Char(
        string="Cartona Product ID",
        copy=False,
        help="Cartona's id of the product (supplier_product_id), when known: it names "
        "the product on Cartona before the internal product id does.",
    )
    cartona_name = fields.Char(string="Name on Cartona", readonly=True, copy=False)
    sync_stock = fields.Boolean(
        default=True,
        help="Send the free quantity of the account's warehouse (on hand minus "
        "reserved, minus the account's safety stock, never below 0).",
    )
    sync_price = fields.Boolean(
        default=True,
        help="Send the account's pricelist price (or the product's sales price).",
    )
    min_order = fields.Integer(
        string="Minimum Order",
        help="Least quantity a retailer may order on Cartona; 0 leaves it to Cartona.",
    )
    max_order = fields.Integer(
        string="Maximum Order",
        help="Most a retailer may order at once on Cartona; 0 leaves it to Cartona.",
    )
    cartona_values = fields.Json(
        string="Values on Cartona",
        readonly=True,
        copy=False,
        help="The values Cartona last accepted for this product, by field.",
    )
    cartona_stock = fields.Integer(
        string="Stock on Cartona",
        readonly=True,
        copy=False,
        aggregator=False,
        help="The stock Cartona last accepted.",
    )
    cartona_in_stock = fields.Boolean(
        string="In Stock on Cartona", readonly=True, copy=False
    )
    cartona_price = fields.Float(
        string="Price on Cartona",
        digits="Product Price",
        readonly=True,
        copy=False,
        aggregator=False,
        help="The price Cartona last accepted.",
    )
    last_sync_date = fields.Datetime(
        string="Last Accepted",
        readonly=True,
        copy=False,
        help="When Cartona last accepted a value of this listing.",
    )
    sync_state = fields.Selection(
        selection=SYNC_STATES,
        compute="_compute_sync_state",
        store=True,
        readonly=True,
        index=True,
        copy=False,
    )
    error_message = fields.Text(string="Last Error", readonly=True, copy=False)
    pending = fields.Boolean(
        string="Waiting to Be Sent",
        compute="_compute_pending",
        search="_search_pending",
        help="A change of this product waits for the account's catalog job.",
    )
    stock_now = fields.Integer(
        compute="_compute_now",
        help="The stock Cartona should show now: free quantity of the account's "
        "warehouse minus its safety stock, whole and never below 0.",
    )
    price_now = fields.Float(compute="_compute_now", digits="Product Price")
    differs = fields.Boolean(
        string="Differs from Cartona",
        compute="_compute_now",
        search="_search_differs",
        help="Cartona does not have what Odoo would send now.",
    )

    _sql_constraints = [
        (
            "product_config_unique",
            "UNIQUE(config_id, product_id)",
            "A product can only be listed once per Cartona account.",
        ),
        (
            "supplier_product_config_unique",
            "UNIQUE(config_id, supplier_product_id)",
            "A Cartona product can only be listed once per Cartona account.",
        ),
        (
            "order_limits_positive",
            "CHECK(min_order >= 0 AND max_order >= 0)",
            "Order limits cannot be negative.",
        ),
    ]

    @api.depends("product_id")
    def _compute_internal_product_id(self):
        # Only filled when empty: the id names Cartona's product, which stays the
        # same when a person maps it to another Odoo product.
        for listing in self:
            if listing.product_id and not listing.internal_product_id:
                listing.internal_product_id = (
                    listing.config_id._product_key(listing.product_id) or False
                )

    @api.depends("product_id")
    def _compute_sync_state(self):
        for listing in self:
            if not listing.product_id:
                listing.sync_state = "to_map"
            elif not listing.sync_state or listing.sync_state == "to_map":
                listing.sync_state = "not_synced"

    def _compute_pending(self):
        waiting = set(
            self.env["marketplace.product.change"]
            .sudo()
            .search([("listing_id", "in", self.ids)])
            .listing_id.ids
        )
        for listing in self:
            listing.pending = listing.id in waiting

    def _search_pending(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on Waiting to Be Sent."))
        # sudo: the changes are the integration's bookkeeping, never shown as such.
        waiting = (
            self.env["marketplace.product.change"]
            .sudo()
            ._search([])
            .subselect("listing_id")
        )
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", waiting)]

    def _compute_now(self):
        plans = self.env["marketplace.catalog.sync"]._plans(self)
        for listing in self:
            plan, listing_input = plans.get(listing.id, (None, None))
            if listing_input is None:
                listing.stock_now = listing.price_now = 0
                listing.differs = False
                continue
            listing.stock_now = catalog.stock_quantity(
                listing_input.free_qty, listing_input.buffer
            )
            listing.price_now = listing_input.price or 0.0
            listing.differs = bool(plan.item)

    def _search_differs(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on Differs from Cartona."))
        listings = self.search([("product_id", "!=", False)])
        plans = self.env["marketplace.catalog.sync"]._plans(listings)
        differing = [key for key, (plan, _input) in plans.items() if plan.item]
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", differing)]

    @api.depends("product_id", "cartona_name", "supplier_product_id")
    def _compute_display_name(self):
        for listing in self:
            name = listing.product_id.display_name or listing.cartona_name
            listing.display_name = name or listing.supplier_product_id or ""

    @api.constrains("company_id", "config_id")
    def _check_account_company(self):
        for listing in self:
            if listing.company_id != listing.config_id.company_id:
                raise ValidationError(
                    self.env._(
                        "A listing belongs to the company of its Cartona account."
                    )
                )

    # ------------------------------------------------------------------
    # CRUD: what Cartona must learn is marked, sent by the account's job
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        self._check_accounts({vals.get("config_id") for vals in vals_list})
        listings = super().create(vals_list)
        self.env["marketplace.product.change"]._mark(listing_ids=listings.ids)
        return listings

    def write(self, vals):
        if "config_id" in vals:
            self._check_accounts({vals["config_id"]})
        result = super().write(vals)
        if SYNCED_FIELDS.intersection(vals):
            self.env["marketplace.product.change"]._mark(listing_ids=self.ids)
        return result

    @api.model
    def _check_accounts(self, config_ids):
        """Refuse a listing on an account of a company the user does not work for,
        before anything is written: the same words whether the account lists the
        product or not (a uniqueness clash would tell it)."""
        config_ids = {config_id for config_id in config_ids if config_id}
        if self.env.su or not config_ids:
            return
        Config = self.env["marketplace.config"].with_context(active_test=False)
        if len(Config.search([("id", "in", list(config_ids))])) != len(config_ids):
            raise AccessError(
                self.env._(
                    "You can only list products on the Cartona accounts of your "
                    "companies."
                )
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_sync_now(self):
        """Sync Now: send these listings' values now, even those Cartona has."""
        self.check_access("write")  # a manager's decision, whatever calls it
        self.env["marketplace.product.change"]._mark(
            listing_ids=self.ids, force=True, delay=0
        )
        return self.env["marketplace.config"]._notify(
            self.env._(
                "%(count)s listings will be sent to Cartona in a moment.",
                count=len(self),
            ),
            "success",
        )

    # ------------------------------------------------------------------
    # Identifiers and linking
    # ------------------------------------------------------------------
    @api.model
    def _catalog_link(self, config, entries, concurrent=False):
        """Create or complete the listings of ``config`` for ``entries``.

        ``entries`` are ``(product, internal_product_id, supplier_product_id, name)``
        tuples, ``product`` possibly empty (a Cartona product that matched nothing:
        listed for a person to map). An existing listing of the product or of the
        Cartona id is completed, never duplicated; a Cartona id already taken by
        another listing is left alone. ``concurrent``: other transactions may list
        the same products now (order imports), see :meth:`_create_concurrently`.
        Returns ``(created, updated)`` listings.
        """
        products = self.env["product.product"].union(*(e[0] for e in entries))
        supplier_ids = [e[2] for e in entries if e[2]]
        known = self.with_context(active_test=False).search(
            [
                ("config_id", "=", config.id),
                "|",
                ("product_id", "in", products.ids),
                ("supplier_product_id", "in", supplier_ids),
            ]
        )
        by_product = {listing.product_id: listing for listing in known}
        by_supplier_id = {
            listing.supplier_product_id: listing
            for listing in known
            if listing.supplier_product_id
        }
        updated, to_create, seen = self.browse(), [], set()
        for product, internal_id, supplier_id, name in entries:
            key = product or supplier_id
            if not key or key in seen:
                continue
            seen.add(key)
            if product and supplier_id in seen:
                supplier_id = False  # named twice: the first product keeps it
            seen.add(supplier_id)
            listing = by_product.get(product) if product else None
            other = by_supplier_id.get(supplier_id) if supplier_id else None
            if not product or (listing is None and other and not other.product_id):
                # Cartona's product is known (mapped by a person, or to map), or
                # waits for a person to map it and this product is it.
                listing = listing or other
            elif other is not None and other != listing:
                supplier_id = False  # Cartona's id is another listing's already
            if listing is None:
                vals = {
                    "config_id": config.id,
                    "product_id": product.id or False,
                    "supplier_product_id": supplier_id or False,
                    "cartona_name": name or False,
                }
                if internal_id:
                    vals["internal_product_id"] = internal_id
                to_create.append(vals)
                continue
            vals = {}
            if product and not listing.product_id:
                vals["product_id"] = product.id
            if supplier_id and not listing.supplier_product_id:
                vals["supplier_product_id"] = supplier_id
            if name and not listing.cartona_name:
                vals["cartona_name"] = name
            if internal_id and not listing.internal_product_id:
                vals["internal_product_id"] = internal_id
            if vals:
                listing.write(vals)
                updated |= listing
        if concurrent:
            created = self._create_concurrently(to_create)
        else:
            created = self.create(to_create) if to_create else self.browse()
        return created, updated

    @api.model
    def _create_concurrently(self, vals_list):
        """Create listings that another transaction may be creating right now.

        ``INSERT ... ON CONFLICT DO NOTHING``: an order import must never fail
        because another import listed the same product a moment before. When the
        other transaction committed after this one started, PostgreSQL raises a
        serialization failure (REPEATABLE READ), which queue_job retries; the retry
        finds the listing. Values are those of :meth:`create` for a product.
        """
        if not vals_list:
            return self.browse()
        now, uid = fields.Datetime.now(), self.env.uid
        configs = self.env["marketplace.config"].browse(
            {vals["config_id"] for vals in vals_list}
        )
        company_of = {config.id: config.company_id.id for config in configs}
        rows = []
        for vals in vals_list:
            product = self.env["product.product"].browse(vals["product_id"])
            config = configs.browse(vals["config_id"])
            internal_id = vals.get("internal_product_id") or (
                product and config._product_key(product) or False
            )
            rows.append(
                SQL(
                    "(%s)",
                    SQL(", ").join(
                        SQL("%s", value)
                        for value in (
                            config.id,
                            company_of[config.id],
                            product.id or None,
                            product.product_tmpl_id.id or None,
                            internal_id or None,
                            vals.get("supplier_product_id") or None,
                            vals.get("cartona_name") or None,
                            True,
                            True,
                            True,
                            "not_synced" if product else "to_map",
                            uid,
                            now,
                            uid,
                            now,
                        )
                    ),
                )
            )
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO marketplace_product (
                    config_id, company_id, product_id, product_tmpl_id,
                    internal_product_id, supplier_product_id, cartona_name,
                    active, sync_stock, sync_price, sync_state,
                    create_uid, create_date, write_uid, write_date)
                VALUES %s
                ON CONFLICT DO NOTHING
                RETURNING id
                """,
                SQL(", ").join(rows),
            ),
            log_exceptions=False,  # a serialization failure is retried, not news
        )
        created = self.browse(row[0] for row in self.env.cr.fetchall())
        self.env["marketplace.config"].invalidate_model(["listing_ids"])
        self.env["marketplace.product.change"]._mark(listing_ids=created.ids)
        return created
