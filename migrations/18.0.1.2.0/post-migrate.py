# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.2.0: accounts that existed before invoicing on delivery keep it off until
someone turns it on; each gets its settlement partner and journal."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    configs = env["marketplace.config"].with_context(active_test=False).search([])
    configs.write({"invoice_on_delivery": "off"})
    configs._money_ensure_settlement()
