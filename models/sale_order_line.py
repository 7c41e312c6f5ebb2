# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    cartona_line_ref = fields.Char(
        string="Cartona Line ID",
        copy=False,
        readonly=True,
        help="Cartona's id of this order line (order_details id).",
    )
    cartona_line_comment = fields.Text(
        string="Retailer Comment", copy=False, help="The retailer's comment on Cartona."
    )
