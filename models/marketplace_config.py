# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import config as odoo_config

from ..cartona import errors, statuses, urls
from .selections import CANCELLATION_REASON_SELECTION

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
    status_batch_size = fields.Integer(
        string="Orders per Status Request",
        default=100,
        help="Orders per request on Cartona's bulk status endpoint: bulk status "
        "pushes and the acknowledgements ('synced') of imported orders (1-1000).",
    )
    pull_page_size = fields.Integer(
        string="Entries per Pulled Page",
        default=100,
        help="Entries asked of Cartona per page when pulling: orders from the pull "
        "feed, and the supplier's products when matching them (1-1000).",
    )
    catalog_batch_size = fields.Integer(
        string="Products per Catalog Request",
        default=100,
        help="Listed products sent per request to Cartona's bulk product update "
        "(stock and price) (1-1000).",
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
            "status_batch_size_range",
            "CHECK(status_batch_size BETWEEN 1 AND 1000)",
            "The orders per status request must be between 1 and 1000.",
        ),
        (
            "pull_page_size_range",
            "CHECK(pull_page_size BETWEEN 1 AND 1000)",
            "The entries per pulled page must be between 1 and 1000.",
        ),
        (
            "catalog_batch_size_range",
            "CHECK(catalog_batch_size BETWEEN 1 AND 1000)",
            "The products per catalog request must be between 1 and 1000.",
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
        managers = self.env["marketplace.people"]._people(managers)
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
