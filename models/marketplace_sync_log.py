# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import logging

from odoo import SUPERUSER_ID, api, fields, models

from ..cartona import payloads

_logger = logging.getLogger(__name__)

OUTCOMES = [
    ("success", "Success"),
    ("blocked", "Blocked by Rules"),
    ("transient_error", "Temporary Error"),
    ("rejected", "Rejected by Cartona"),
    ("auth_error", "Authentication Error"),
    ("protocol_error", "Unexpected Response"),
    ("error", "Error"),
    ("warning", "Warning"),
]
#: Outcomes of a failure; "Errors" and "Import Errors" filter on them.
ERROR_OUTCOMES = (
    "transient_error",
    "rejected",
    "auth_error",
    "protocol_error",
    "error",
)


def after_job_rollback(env, callback):
    """Call ``callback`` if the queue job running in ``env`` is rolled back for a retry.

    queue_job rolls a job's transaction back before postponing it; whatever must be
    known about the failed attempt is written again, in a fresh transaction, then.
    Outside a job nothing is registered: the caller's transaction decides.
    """
    if env.context.get("job_uuid"):
        env.cr.postrollback.add(callback)


class MarketplaceSyncLog(models.Model):
    _name = "marketplace.sync.log"
    _description = "Cartona Sync Log"
    _order = "id desc"
    _rec_name = "operation"

    order_id = fields.Many2one(
        comodel_name="sale.order", string="Order", ondelete="set null"
    )
    order_ref = fields.Char(
        string="Order Reference", help="Order name at the time of the attempt."
    )
    cartona_id = fields.Char(string="External Order ID", index=True)
    config_id = fields.Many2one(
        comodel_name="marketplace.config", string="Configuration", ondelete="set null"
    )
    company_id = fields.Many2one(comodel_name="res.company", index=True)
    direction = fields.Selection(
        selection=[("outbound", "Odoo to Cartona"), ("inbound", "Cartona to Odoo")],
        required=True,
        default="outbound",
    )
    operation = fields.Selection(
        selection=[
            ("status_push", "Status Update"),
            ("bulk_status_push", "Bulk Status Update"),
            ("connection_test", "Connection Test"),
            ("order_pull", "Order Pull"),
            ("order_import", "Order Import"),
            ("ack", "Acknowledgement"),
        ],
        required=True,
    )
    status_sent = fields.Char(string="Cartona Status")
    http_method = fields.Char(string="HTTP Method")
    endpoint = fields.Char()
    request_body = fields.Text(help="Request body, secrets masked.")
    status_code = fields.Integer(string="HTTP Status", aggregator=False)
    response_body = fields.Text()
    duration_ms = fields.Float(string="Duration (ms)", digits=(16, 1), aggregator="avg")
    outcome = fields.Selection(selection=OUTCOMES, required=True, index=True)
    error_message = fields.Text()
    message = fields.Text(
        string="Summary", help="What an inbound pull or import found and changed."
    )
    payload_fingerprint = fields.Char(
        index="btree_not_null",
        help="SHA-256 of the imported feed entry: one version of a Cartona order.",
    )
    job_uuid = fields.Char(string="Job UUID", index="btree_not_null")
    user_id = fields.Many2one(
        comodel_name="res.users", string="User", default=lambda self: self.env.user
    )

    def init(self):
        # Order history and the error filters of the dashboard, newest first.
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS marketplace_sync_log_order_id_desc_idx
                ON marketplace_sync_log (order_id, id DESC)
            """
        )
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS marketplace_sync_log_outcome_create_idx
                ON marketplace_sync_log (outcome, create_date DESC)
            """
        )

    @api.model
    def _vals_from_exchange(self, exchange):
        """Log values for one HTTP exchange of the Cartona client (secrets masked)."""
        return {
            "http_method": exchange.method,
            "endpoint": exchange.endpoint,
            "request_body": self._json(payloads.redacted(exchange.request_body)),
            "status_code": exchange.status_code or 0,
            "response_body": exchange.response_body or False,
            "duration_ms": exchange.duration_ms,
        }

    @api.model
    def _json(self, value):
        if value is None:
            return False
        return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)

    @api.model
    def _record(self, vals_list, keep_on_rollback=False):
        """Create log rows whatever the caller's access rights.

        sudo: logs are read-only for users; only the integration writes them.
        With ``keep_on_rollback``, the rows are written again in a fresh transaction
        if the queue job writing them is rolled back to be retried, so that no attempt
        goes unrecorded.
        """
        logs = self.sudo().create(vals_list)
        if keep_on_rollback:
            registry = self.env.registry
            after_job_rollback(
                self.env, lambda: self._record_after_rollback(registry, vals_list)
            )
        return logs

    @api.model
    def _record_after_rollback(self, registry, vals_list):
        try:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                order_ids = {vals.get("order_id") for vals in vals_list} - {None, False}
                existing = set(env["sale.order"].browse(order_ids).exists().ids)
                env["marketplace.sync.log"].create(
                    [
                        dict(
                            vals,
                            order_id=vals.get("order_id") in existing
                            and vals["order_id"],
                        )
                        for vals in vals_list
                    ]
                )
        except Exception:
            _logger.exception("Could not keep %s Cartona sync log(s)", len(vals_list))
