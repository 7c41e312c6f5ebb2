# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    marketplace_settlement_config_ids = fields.One2many(
        comodel_name="marketplace.config",
        inverse_name="settlement_partner_id",
        string="Cartona Accounts Settled",
        help="The Cartona accounts whose share of each order this partner holds.",
    )
    marketplace_is_settlement = fields.Boolean(
        string="Cartona Settlement Partner",
        compute="_compute_marketplace_is_settlement",
        store=True,
        compute_sudo=True,
        help="Holds Cartona's share of the orders of a Cartona account.",
    )

    @api.depends("marketplace_settlement_config_ids")
    def _compute_marketplace_is_settlement(self):
        for partner in self:
            partner.marketplace_is_settlement = bool(
                partner.marketplace_settlement_config_ids
            )
