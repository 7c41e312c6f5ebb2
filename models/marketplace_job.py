# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The base of the integration's queue jobs (order sync, import, acknowledgement,
catalog): which job is running, whether this attempt is its last (the give-up rule,
one place), and when queue_job will run it again."""

from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.queue_job.job import Job

from ..cartona import errors


class MarketplaceJobMixin(models.AbstractModel):
    _name = "marketplace.job.mixin"
    _description = "Cartona Queue Job Base"

    @api.model
    def _job_current(self):
        """The ``queue.job`` running now, or an empty recordset outside a job."""
        uuid = self.env.context.get("job_uuid")
        if not uuid:
            return self.env["queue.job"]
        # sudo: jobs are readable by queue managers only; this reads the job's own row.
        return self.env["queue.job"].sudo().search([("uuid", "=", uuid)], limit=1)

    @api.model
    def _job_last_attempt(self, job):
        """Whether ``job`` fails for good if this attempt fails: queue_job gives up
        after ``max_retries`` attempts; the job then says so to a person."""
        return bool(job) and bool(job.max_retries) and job.retry + 1 >= job.max_retries

    @api.model
    def _job_next_attempt(self, job, retry_after):
        """When queue_job will run ``job`` again after this failure, or ``None``."""
        if not job:
            return None
        loaded = Job.load(self.env(su=True), job.uuid)
        loaded.retry += 1  # queue_job counts the failure before it postpones
        return fields.Datetime.now() + timedelta(
            seconds=loaded._get_retry_seconds(errors.bounded_retry_after(retry_after))
        )
