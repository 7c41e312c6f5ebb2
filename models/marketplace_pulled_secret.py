# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Secrets of pulled orders, kept out of queue jobs while their import waits.

A pulled entry is checked once, then imported by a job whose arguments anyone who
reads the job queue reads. The pickup OTP of an order delivered by Cartona must not
stand there: it is kept here, by account and entry version (fingerprint), and put
back into the entry when the job runs. No one has access to these rows but the
integration itself (``sudo``).
"""

import dataclasses

from odoo import api, fields, models
from odoo.tools import SQL

#: The secrets of a checked entry (``inbound.InboundOrder``) kept here.
SECRET_FIELDS = ("pickup_otp",)


class MarketplacePulledSecret(models.Model):
    _name = "marketplace.pulled.secret"
    _description = "Cartona Pulled Order Secret"
    _log_access = False

    config_id = fields.Many2one(
        comodel_name="marketplace.config",
        string="Cartona Account",
        required=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(related="config_id.company_id", store=True)
    fingerprint = fields.Char(required=True)
    pickup_otp = fields.Char(string="Pickup OTP")

    _sql_constraints = [
        (
            "fingerprint_unique",
            "UNIQUE(config_id, fingerprint)",
            "One row per version of a pulled order.",
        ),
    ]

    @api.model
    def _job_values(self, data):
        """The job argument of the checked entry ``data``, without its secrets."""
        values = data.to_job()
        for name in SECRET_FIELDS:
            values.pop(name, None)
        return values

    @api.model
    def _keep(self, config, data):
        """Keep the secrets of ``data`` until its import job runs (an entry pulled
        twice, or by two pulls at once, keeps one row)."""
        if not any(getattr(data, name) for name in SECRET_FIELDS):
            return
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO marketplace_pulled_secret
                    (config_id, company_id, fingerprint, pickup_otp)
                VALUES (%s, %s, %s, %s)
                ON CONFLICT (config_id, fingerprint)
                DO UPDATE SET pickup_otp = EXCLUDED.pickup_otp
                """,
                config.id,
                config.company_id.id,
                data.fingerprint,
                data.pickup_otp or None,
            )
        )

    @api.model
    def _restore(self, config, data):
        """``data`` with the secrets kept for it; the row is used up (a retry of the
        job rolls this back and finds it again)."""
        row = self.search(
            [("config_id", "=", config.id), ("fingerprint", "=", data.fingerprint)],
            limit=1,
        )
        if not row:
            return data
        secrets = {name: row[name] or None for name in SECRET_FIELDS}
        row.unlink()
        return dataclasses.replace(data, **secrets)
