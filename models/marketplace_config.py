# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import config as odoo_config

from ..cartona import catalog, errors, statuses, urls
from .marketplace_product_change import CATALOG_DELAY
from .sale_order import CANCELLATION_REASON_SELECTION

#: Attempts of a catalog job, twice queue_job's default: no person acts on a
#: listing, each attempt sends the latest values, and an outage must not leave the
#: catalog stale until the nightly reconcile.
CATALOG_MAX_RETRIES = 10

_logger = logging.getLogger(__name__)

TOKEN_ACTIVITY = "cartona_marketplace.mail_activity_type_cartona_token_rejected"
DEFAULT_API_BASE_URL = "https://supplier-integrations.cartona.com/api/v1/"
#: A config is due when its next pull is at most this close (the cron runs every
#: minute; without the slack a 2-minute interval would drift to 3).
PULL_SLACK = timedelta(seconds=30)


class MarketplaceConfig(models.Model):
    _name = "marketplace.config"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Cartona Marketplace Configuration"
    _order = "sequence, id"

    name = fields.Char(required=True, default="Cartona")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    api_base_url = fields.Char(
        string="API Base URL",
        required=True,
        default=DEFAULT_API_BASE_URL,
        help="Cartona's supplier-integrations API: an https:// address of Cartona's "
        "public service. Internal, private and cloud-metadata addresses are refused.",
    )
    allow_local_sandbox = fields.Boolean(
        string="Local Cartona Sandbox (Testing Only)",
        help="Allow the base URL to point at this machine (localhost, 127.0.0.1), "
        "also over plain http://, to rehearse with the local Cartona sandbox. Never "
        "needed for Cartona itself; only Marketplace Managers can change it.",
    )
    auth_token = fields.Char(
        string="API Token",
        groups="cartona_marketplace.group_marketplace_manager",
        copy=False,
        help="Token issued by Cartona for this supplier account. Sent as the "
        "AuthorizationToken header; never logged nor shown.",
    )
    has_token = fields.Boolean(compute="_compute_has_token")
    timeout = fields.Integer(
        string="Timeout (seconds)",
        default=30,
        help="Maximum time to wait for Cartona on each request.",
    )
    batch_size = fields.Integer(
        default=100,
        help="Orders per request on Cartona's bulk status endpoint (1-1000).",
    )
    default_cancellation_reason = fields.Selection(
        selection=CANCELLATION_REASON_SELECTION,
        default=statuses.DEFAULT_CANCELLATION_REASON,
        required=True,
        help="Reason sent to Cartona when a marketplace order is cancelled in Odoo "
        "without a reason of its own.",
    )
    connection_status = fields.Selection(
        selection=[
            ("not_tested", "Not Tested"),
            ("connected", "Connected"),
            ("auth_failed", "Token Rejected"),
            ("error", "Error"),
        ],
        default="not_tested",
        readonly=True,
        copy=False,
    )
    connection_message = fields.Char(readonly=True, copy=False)
    connection_date = fields.Datetime(
        string="Last Connection Check", readonly=True, copy=False
    )
    order_ids = fields.One2many(
        comodel_name="sale.order", inverse_name="marketplace_config_id", string="Orders"
    )
    # Inbound: Cartona's pull feed
    pull_interval = fields.Integer(
        string="Pull Interval (minutes)",
        default=2,
        help="How often new and changed orders are pulled from Cartona. 0 pulls only "
        "when Pull Orders is pressed.",
    )
    last_pull_date = fields.Datetime(readonly=True, copy=False)
    last_pull_result = fields.Char(
        readonly=True,
        copy=False,
        help="Orders found by the last pull, and how many failed the payload check "
        "at once. Orders refused later (e.g. unknown products) are listed by the "
        "Import Errors filter of the sync logs.",
    )
    product_match = fields.Selection(
        selection=[
            ("default_code", "Internal Reference"),
            ("barcode", "Barcode"),
            ("variant_id", "Odoo Variant ID"),
        ],
        string="Match Products By",
        default="default_code",
        required=True,
        help="How the internal_product_id of a Cartona order line (the supplier's own "
        "product id set on Cartona, e.g. 4812 or 904#2) finds the Odoo product:\n"
        "- Internal Reference: the variant whose Internal Reference equals it;\n"
        "- Barcode: the variant whose Barcode equals it;\n"
        "- Odoo Variant ID: it is the database id of the product variant.\n"
        "The product must be active, saleable and of this company (or shared). An "
        "order with a line that matches no product, or several, is not imported.",
    )
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
        check_company=True,
        help="Salesperson of the orders imported from this account, and who is "
        "told when one of them cannot be synced (when the order has no salesperson "
        "of its own).",
    )
    team_id = fields.Many2one(
        comodel_name="crm.team",
        string="Sales Team",
        check_company=True,
        help="Sales team of the orders imported from this account.",
    )
    auto_confirm_approved = fields.Boolean(
        string="Confirm Orders Approved on Cartona",
        default=True,
        help="Confirm a quotation when Cartona reports its order approved.",
    )
    validate_cartona_deliveries = fields.Boolean(
        string="Validate Deliveries Done by Cartona",
        default=False,
        help="When Cartona reports an order it delivers itself as delivered, validate "
        "its Odoo delivery (the stock leaves at once).",
    )

    _sql_constraints = [
        (
            "batch_size_range",
            "CHECK(batch_size BETWEEN 1 AND 1000)",
            "The batch size must be between 1 and 1000.",
        ),
        ("timeout_positive", "CHECK(timeout > 0)", "The timeout must be positive."),
        (
            "pull_interval_positive",
            "CHECK(pull_interval >= 0)",
            "The pull interval cannot be negative.",
        ),
    ]

    def _compute_has_token(self):
        # sudo: tells non-managers whether a token is set without reading it.
        for config, sudo_config in zip(self, self.sudo(), strict=True):
            config.has_token = bool(sudo_config.auth_token)

    @api.constrains("api_base_url", "allow_local_sandbox")
    def _check_api_base_url(self):
        """Cartona's public service only (``cartona.urls``); the host name is also
        resolved now, so that a name pointing at an internal address is refused."""
        for config in self:
            try:
                urls.check_base_url(
                    config.api_base_url,
                    allow_local=config.allow_local_sandbox,
                    resolve=urls.resolve_host,
                )
                if config.allow_local_sandbox:
                    urls.check_local_sandbox(
                        config.api_base_url, reserved_ports=self._odoo_ports()
                    )
            except urls.UnsafeURLError as exc:
                raise ValidationError(config._base_url_refusal(exc)) from exc

    @api.model
    def _odoo_ports(self):
        """The ports Odoo itself listens on: never the local sandbox's."""
        ports = set()
        for key in ("http_port", "gevent_port"):
            try:
                ports.add(int(odoo_config.get(key) or 0))
            except (TypeError, ValueError):
                continue
        return ports - {0}

    def _check_caller(self, operation="write"):
        """The caller may act on these accounts: ``write`` (a Marketplace Manager of
        their company) before Odoo calls Cartona with an account's token,
        ``read`` to open what an account shows. Checked first, in every public
        method: nothing leaves Odoo for someone who may not."""
        self.check_access(operation)

    def action_test_connection(self):
        self.ensure_one()
        self._check_caller()
        try:
            with self.env["marketplace.api"]._client(self) as client:
                client.test_connection()
        except errors.CartonaError as exc:
            self._set_connection_result(exc)
            return self._notify(
                self.env._("Connection to Cartona failed: %(error)s", error=str(exc)),
                "danger",
            )
        self._set_connection_result(None)
        return self._notify(self.env._("Connected to Cartona."), "success")

    def action_pull_orders(self):
        """Pull Orders: read the whole feed now and queue the import of every order."""
        self.ensure_one()
        self._check_caller()
        if not self.has_token:
            raise UserError(self.env._("Set the API token first."))
        total, invalid, error = self._pull_orders()
        if error is not None:
            return self._notify(
                self.env._(
                    "The pull from Cartona failed: %(error)s (%(result)s).",
                    error=str(error),
                    result=self.last_pull_result,
                ),
                "danger",
            )
        return self._notify(
            self.env._(
                "%(count)s orders pulled from Cartona, %(invalid)s invalid; their "
                "import is queued.",
                count=total,
                invalid=invalid,
            ),
            "warning" if invalid else "success",
        )

    def action_view_import_errors(self):
        self.ensure_one()
        self._check_caller("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "cartona_marketplace.marketplace_sync_log_action"
        )
        action["domain"] = [("config_id", "=", self.id)]
        action["context"] = {"search_default_import_errors": 1}
        return action

    @api.model
    def _cron_pull_orders(self):
        """Every minute: pull the configurations whose pull interval has elapsed."""
        now = fields.Datetime.now()
        for config in self.search([("pull_interval", ">", 0)]):
            if not config._pull_due(now):
                continue
            try:
                with self.env.cr.savepoint():
                    config._pull_orders()
            except Exception:
                # One configuration's trouble must not stop the others.
                _logger.exception("Cartona pull failed for %s", config.name)

    def _pull_due(self, now):
        self.ensure_one()
        if not self.has_token or self.connection_status == "auth_failed":
            # A rejected token waits for a manager, as outbound pushes do.
            return False
        if not self.last_pull_date:
            return True
        interval = timedelta(minutes=self.pull_interval)
        return self.last_pull_date + interval <= now + PULL_SLACK

    def _pull_orders(self):
        """Read every page of the pull feed and queue one import job per valid entry.

        Each entry is checked once, here: an invalid one is logged (once per version)
        and never queued. Nothing is imported nor acknowledged here: each order is
        created or updated by its own job, so one bad order never blocks the others
        and no transaction spans the whole feed. Returns ``(orders, invalid,
        error)``; a failing page stops the pull but keeps the jobs of the pages
        before it.
        """
        self.ensure_one()
        processor = self.env["marketplace.order.processor"]
        pulled_at = fields.Datetime.now()
        total = invalid = 0
        error = None
        try:
            for page in self.env["marketplace.api"].pull_orders(self):
                total += len(page)
                invalid += processor._take_feed_page(self, page, pulled_at)
        except errors.CartonaError as exc:
            error = exc
        result = self.env._(
            "%(count)s orders, %(invalid)s invalid", count=total, invalid=invalid
        )
        if error is not None:
            result = self.env._(
                "%(result)s; pull stopped: %(error)s", result=result, error=str(error)
            )
        self.write({"last_pull_date": pulled_at, "last_pull_result": result[:250]})
        return total, invalid, error

    def _set_connection_result(self, error):
        if error is None:
            status, message = "connected", False
        elif isinstance(error, errors.AuthenticationError):
            status, message = "auth_failed", str(error)
        else:
            status, message = "error", str(error)
        newly_rejected = self.filtered(lambda c: c.connection_status != "auth_failed")
        self.write(
            {
                "connection_status": status,
                "connection_message": message,
                "connection_date": fields.Datetime.now(),
            }
        )
        if status == "auth_failed":
            newly_rejected._alert_token_rejected(message)
        elif status == "connected":
            self.activity_feedback(
                [TOKEN_ACTIVITY], feedback=self.env._("Connection to Cartona works.")
            )

    def _alert_token_rejected(self, message):
        """Tell the account's managers once: pushes wait until the token is fixed.

        The managers of the account's company only: the account's name and
        Cartona's text are no one else's business.
        """
        managers = self.env.ref("cartona_marketplace.group_marketplace_manager").users
        managers = managers.filtered(lambda u: u.active and not u.share)
        for config in self:
            # Cartona's text is text: escaped into the note, never markup.
            note = Markup(
                self.env._(
                    "<p>Cartona rejects the API token of %(config)s (%(error)s).</p>"
                    "<p>Status updates to Cartona wait until a manager enters a valid "
                    "token and presses Test Connection; then use Retry on the orders "
                    "in error.</p>"
                )
            ) % {"config": config.display_name, "error": message}
            # sudo: the alert is the integration's, whoever's call met the
            # rejection; its notification must not need their e-mail address (nor
            # the managers'): one without would refuse to be sent.
            for user in managers.filtered(
                lambda u, config=config: config.company_id in u.company_ids
            ):
                config.sudo().activity_schedule(
                    TOKEN_ACTIVITY, note=note, user_id=user.id
                )

    def _base_url_refusal(self, error):
        """Why the base URL is refused (a ``urls.UnsafeURLError``), translated."""
        host = error.params.get("host") or ""
        address = error.params.get("address") or ""
        _ = self.env._
        messages = {
            "scheme": _(
                "The API base URL must start with https:// (http:// is allowed only "
                "for the local Cartona sandbox)."
            ),
            "http": _(
                "http:// is allowed only for the local Cartona sandbox on this "
                "machine (a loopback address such as 127.0.0.1); use https://."
            ),
            "credentials": _(
                "The API base URL must not contain a user name or password: the API "
                "token has its own field."
            ),
            "extra": _(
                "The API base URL must not contain a query (?...) or a fragment (#...)."
            ),
            "local_host": _(
                "%(host)s is this machine: tick Local Cartona Sandbox to use the local "
                "sandbox (testing only).",
                host=host,
            ),
            "sandbox": _(
                "Local Cartona Sandbox allows only this machine (localhost, 127.0.0.1 "
                "or ::1) on a port from 1024 to 65535 that is not Odoo's own "
                "(%(ports)s). Untick it to use Cartona's service.",
                ports=", ".join(str(port) for port in sorted(self._odoo_ports())),
            ),
            "internal_host": _(
                "%(host)s is a name of a local network, not Cartona's public service.",
                host=host,
            ),
            "address": _(
                "%(host)s is not a public Internet address (%(address)s): the "
                "integration only calls Cartona's public service.",
                host=host,
                address=address,
            ),
        }
        return messages.get(
            error.code,
            _(
                "The API base URL is not a valid web address: check for spaces, the "
                "host name and the port."
            ),
        )

    def _get_token(self):
        """The API token, for building request headers only.

        sudo: jobs run as the user who triggered them, who may not be a manager.
        """
        self.ensure_one()
        return self.sudo().auth_token or ""

    def _notify(self, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Cartona"),
                "message": message,
                "type": kind,
                "sticky": kind == "danger",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }


# ----------------------------------------------------------------------
# Catalog on Cartona: stock and prices of the account's listed products
# ----------------------------------------------------------------------
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
        processor = self.env["marketplace.order.processor"]
        Listing = self.env["marketplace.product"]
        found = linked = to_map = 0
        error = None
        try:
            for page in self.env["marketplace.api"].supplier_products(
                self, per_page=self.batch_size
            ):
                entries = [
                    product
                    for product in map(catalog.supplier_product, page)
                    if product is not None
                ]
                found += len(page)
                keys = [e.internal_product_id for e in entries if e.internal_product_id]
                # The order import's matching: one decision of what a key names.
                matches = processor._find_products(self, keys) if keys else {}
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
