# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..cartona import errors, statuses

_logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://supplier-integrations.cartona.com/api/v1/"


class MarketplaceConfig(models.Model):
    _name = "marketplace.config"
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
        string="API Base URL", required=True, default=DEFAULT_API_BASE_URL
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
        selection=[
            (r, r.replace("_", " ").capitalize()) for r in statuses.CANCELLATION_REASONS
        ],
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

    _sql_constraints = [
        (
            "batch_size_range",
            "CHECK(batch_size BETWEEN 1 AND 1000)",
            "The batch size must be between 1 and 1000.",
        ),
        ("timeout_positive", "CHECK(timeout > 0)", "The timeout must be positive."),
    ]

    def _compute_has_token(self):
        # sudo: tells non-managers whether a token is set without reading it.
        for config, sudo_config in zip(self, self.sudo(), strict=True):
            config.has_token = bool(sudo_config.auth_token)

    @api.constrains("api_base_url")
    def _check_api_base_url(self):
        for config in self:
            url = (config.api_base_url or "").strip().lower()
            if not url.startswith(("https://", "http://")):
                raise ValidationError(
                    self.env._("The API base URL must start with https:// or http://.")
                )

    def action_test_connection(self):
        self.ensure_one()
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

    def _set_connection_result(self, error):
        if error is None:
            status, message = "connected", False
        elif isinstance(error, errors.AuthenticationError):
            status, message = "auth_failed", str(error)
        else:
            status, message = "error", str(error)
        self.write(
            {
                "connection_status": status,
                "connection_message": message,
                "connection_date": fields.Datetime.now(),
            }
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
