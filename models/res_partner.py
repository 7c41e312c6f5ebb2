# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    cartona_retailer_code = fields.Char(
        copy=False,
        index="btree_not_null",
        help="Cartona's stable code of this retailer for the supplier account of the "
        "Cartona configuration. Orders of the retailer are matched on it, never on "
        "names or phone numbers.",
    )
    marketplace_config_id = fields.Many2one(
        comodel_name="marketplace.config",
        string="Cartona Configuration",
        copy=False,
        ondelete="set null",
        help="The Cartona account whose orders created this retailer.",
    )

    _sql_constraints = [
        (
            "cartona_retailer_code_unique",
            "UNIQUE(marketplace_config_id, cartona_retailer_code)",
            "A Cartona retailer code is used once per Cartona configuration.",
        ),
    ]
