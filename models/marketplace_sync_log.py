# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import logging
from datetime import timedelta

import psycopg2

from odoo import SUPERUSER_ID, api, fields, models
from odoo.modules.db import FunctionStatus
from odoo.tools import SQL

from ..cartona import errors, payloads

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
ERROR_OUTCOMES = errors.ERROR_OUTCOMES
#: ``ir.config_parameter`` holding how many days logs are kept (0: forever).
RETENTION_PARAM = "cartona_marketplace.log_retention_days"
DEFAULT_RETENTION_DAYS = 90
#: Rows deleted per transaction by the cleanup cron: short row locks.
CLEANUP_BATCH_SIZE = 10_000
#: Char columns the search view searches with ``ilike``.
TRIGRAM_COLUMNS = ("cartona_id", "order_ref")


def keep_after_job_rollback(env, write, what):
    """Have ``write(env)`` done again if the queue job running in ``env`` is rolled
    back for a retry.

    queue_job rolls a job's transaction back before postponing it; whatever must be
    known about the failed attempt (its log, the order's sync state) is then written
    again, in a fresh transaction, as superuser. ``what`` names it in the server log
    if that fails. Outside a job nothing is registered: the caller's transaction
    decides.
    """
    if not env.context.get("job_uuid"):
        return
    registry = env.registry

    def write_again():
        try:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                write(env)
                # The commit flushes the environments the transaction still holds,
                # by weak reference: one no longer used would be dropped unflushed.
                env.flush_all()
        except Exception:
            _logger.exception("Could not keep %s after the job's rollback", what)

    env.cr.postrollback.add(write_again)


def keep_write_after_job_rollback(records, vals, what):
    """Have ``records.write(vals)`` done again, on those that still exist, if the
    queue job running in their environment is rolled back for a retry."""
    model, ids = records._name, records.ids
    keep_after_job_rollback(
        records.env, lambda env: env[model].browse(ids).exists().write(vals), what
    )


class MarketplaceSyncLog(models.Model):
    _name = "marketplace.sync.log"
    _description = "Cartona Sync Log"
    _order = "id desc"

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
            ("details_push", "Order Lines Update"),
            ("bulk_status_push", "Bulk Status Update"),
            ("connection_test", "Connection Test"),
            ("order_pull", "Order Pull"),
            ("order_import", "Order Import"),
            ("ack", "Acknowledgement"),
            ("catalog_push", "Catalog Update"),
            ("catalog_pull", "Catalog Import"),
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

    @api.depends("operation", "order_ref", "cartona_id", "config_id")
    def _compute_display_name(self):
        # "Status Update · S00042", not the operation's code (breadcrumbs, links).
        operations = dict(self._fields["operation"]._description_selection(self.env))
        for log in self:
            subject = log.order_ref or log.cartona_id or log.config_id.display_name
            label = operations.get(log.operation, log.operation or "")
            log.display_name = f"{label} · {subject}" if subject else label

    def init(self):
        cr = self.env.cr
        # Order history and the error filters of the dashboard, newest first.
        cr.execute(
            """
            CREATE INDEX IF NOT EXISTS marketplace_sync_log_order_id_desc_idx
                ON marketplace_sync_log (order_id, id DESC)
            """
        )
        cr.execute(
            """
            CREATE INDEX IF NOT EXISTS marketplace_sync_log_outcome_create_idx
                ON marketplace_sync_log (outcome, create_date DESC)
            """
        )
        # Group by outcome over the whole table, with the company record rule:
        # an index-only scan rather than a sequential scan of every row.
        cr.execute(
            """
            CREATE INDEX IF NOT EXISTS marketplace_sync_log_outcome_company_idx
                ON marketplace_sync_log (outcome, company_id)
            """
        )
        # "Last 24 Hours", the date filter and the cleanup cron's age limit.
        cr.execute(
            """
            CREATE INDEX IF NOT EXISTS marketplace_sync_log_create_date_idx
                ON marketplace_sync_log (create_date)
            """
        )
        self._init_trigram_indexes()

    def _init_trigram_indexes(self):
        """GIN trigram indexes for the ``ilike`` searches of the search view.

        Done here rather than with ``index="trigram"``, which silently creates no
        index when ``pg_trgm`` is missing: the extension is created when the
        database role may (it is trusted since PostgreSQL 13), otherwise one INFO
        line says why the indexes are skipped. The indexed expression is the one
        Odoo compares: ``unaccent(column)`` when the registry applies ``unaccent``
        to ``ilike`` (an immutable ``unaccent``), the bare column when it has none.
        """
        cr = self.env.cr
        reason = None
        cr.execute(
            """
            SELECT installed_version IS NOT NULL FROM pg_available_extensions
             WHERE name = 'pg_trgm'
            """
        )
        installed = cr.fetchone()
        if not installed:
            reason = "the pg_trgm extension is not available on this server"
        elif not installed[0]:
            try:
                with cr.savepoint(flush=False):
                    cr.execute(
                        "CREATE EXTENSION IF NOT EXISTS pg_trgm", log_exceptions=False
                    )
            except psycopg2.Error as error:
                reason = f"pg_trgm cannot be created: {str(error).strip()}"
        unaccent = self.env.registry.has_unaccent
        if not reason and unaccent and unaccent != FunctionStatus.INDEXABLE:
            reason = (
                "ilike searches apply unaccent(), which is not immutable here, "
                "so no index can serve them"
            )
        if reason:
            _logger.info(
                "marketplace.sync.log: trigram indexes for ilike searches skipped, %s",
                reason,
            )
            return
        for column in TRIGRAM_COLUMNS:
            expression = SQL.identifier(column)
            if unaccent:
                expression = SQL("unaccent(%s)", expression)
            cr.execute(
                SQL(
                    "CREATE INDEX IF NOT EXISTS %s ON %s USING gin (%s gin_trgm_ops)",
                    SQL.identifier(f"{self._table}_{column}_trgm_idx"),
                    SQL.identifier(self._table),
                    expression,
                )
            )

    @api.model
    def _vals(self, config, operation, outcome, order=None, exchange=None, **values):
        """The values of one log row: the account and its company, the order's
        reference, the job, the HTTP exchange (secrets masked), then ``values``."""
        vals = {
            "config_id": config.id or False,
            "company_id": config.company_id.id or False,
            "operation": operation,
            "outcome": outcome,
            "job_uuid": self.env.context.get("job_uuid") or False,
        }
        if order:
            vals.update(
                order_id=order.id,
                order_ref=order.name,
                cartona_id=order.cartona_id,
                company_id=order.company_id.id or vals["company_id"],
            )
        if exchange is not None:
            vals.update(self._vals_from_exchange(exchange))
        vals.update(values)
        return vals

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
        goes unrecorded. Created in the rows' company: the defaults are looked up
        by company, which a job's context may not name (the user's would be read).
        """
        company_id = vals_list[0].get("company_id") if vals_list else False
        logs = self.sudo().with_company(company_id).create(vals_list)
        if keep_on_rollback:
            keep_after_job_rollback(
                self.env,
                lambda env: env["marketplace.sync.log"]._create_again(vals_list),
                f"{len(vals_list)} Cartona sync log(s)",
            )
        return logs

    @api.model
    def _create_again(self, vals_list):
        """Create rows after a rollback, without the orders that no longer exist."""
        order_ids = {vals.get("order_id") for vals in vals_list} - {None, False}
        existing = set(self.env["sale.order"].browse(order_ids).exists().ids)
        return self.create(
            [
                dict(
                    vals, order_id=vals.get("order_id") in existing and vals["order_id"]
                )
                for vals in vals_list
            ]
        )

    # ------------------------------------------------------------------
    # Cleanup cron
    # ------------------------------------------------------------------
    @api.model
    def _log_retention_days(self):
        """Days logs are kept, from ``cartona_marketplace.log_retention_days``.

        0 keeps them forever; a value that is not a whole number >= 0 falls back to
        the default (90).
        """
        # sudo: a technical parameter, read by the cron (run as superuser anyway).
        value = self.env["ir.config_parameter"].sudo().get_param(RETENTION_PARAM)
        if value in (None, False, ""):
            return DEFAULT_RETENTION_DAYS
        try:
            days = int(str(value).strip())
        except ValueError:
            days = -1
        if days < 0:
            _logger.warning(
                "Invalid %s %r: a number of days >= 0 is expected; %s used",
                RETENTION_PARAM,
                value,
                DEFAULT_RETENTION_DAYS,
            )
            return DEFAULT_RETENTION_DAYS
        return days

    @api.model
    def _cron_cleanup(self, batch_size=None):
        """Delete one batch of the logs older than the retention period.

        One batch per call, so each batch is its own short transaction: the cron
        runner commits after each call and calls again (up to 10 times per run,
        then as soon as possible) while the progress reported here says rows
        remain. Called outside the runner's loop (Run Manually, a shell), the cron
        is triggered to carry on. Logs are an audit trail of exchanges: what an
        order still needs (its sync status, its error) lives on the order, so only
        age decides; the logs of the last ``retention`` days are never deleted.

        :param int batch_size: rows per batch (default ``CLEANUP_BATCH_SIZE``)
        :return: the number of rows deleted
        """
        batch_size = batch_size or CLEANUP_BATCH_SIZE
        retention = self._log_retention_days()
        cron = self.env["ir.cron"]
        if not retention:
            cron._notify_progress(done=0, remaining=0)
            _logger.info("Cartona sync-log cleanup: retention 0, every log kept")
            return 0
        cutoff = fields.Datetime.now() - timedelta(days=retention)
        self.flush_model()
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT count(*) FROM %s WHERE create_date < %s",
                SQL.identifier(self._table),
                cutoff,
            )
        )
        old = cr.fetchone()[0]
        deleted = 0
        if old:
            # Counted first: the row locks last from this DELETE to the commit.
            # "= ANY(ARRAY(...))" makes the batch's ids an init plan that the
            # primary key serves; "IN (SELECT ...)" is planned as a hash semi join
            # over a sequential scan of the whole table (0.3 s at 1M rows).
            cr.execute(
                SQL(
                    """
                    DELETE FROM %(table)s WHERE id = ANY(ARRAY(
                        SELECT id FROM %(table)s
                        WHERE create_date < %(cutoff)s
                        ORDER BY id
                        LIMIT %(limit)s
                    ))
                    """,
                    table=SQL.identifier(self._table),
                    cutoff=cutoff,
                    limit=batch_size,
                )
            )
            deleted = cr.rowcount
            self.invalidate_model()
        remaining = max(old - deleted, 0)
        cron._notify_progress(done=deleted, remaining=remaining)
        if remaining and not self.env.context.get("cron_id"):
            job = self.env.ref(
                "cartona_marketplace.ir_cron_marketplace_sync_log_cleanup",
                raise_if_not_found=False,
            )
            if job:
                job._trigger()
        _logger.info(
            "Cartona sync-log cleanup: %s log(s) older than %s days deleted, "
            "%s remaining",
            deleted,
            retention,
            remaining,
        )
        return deleted
