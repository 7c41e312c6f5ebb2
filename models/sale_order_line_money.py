# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    cartona_discount = fields.Float(
        string="Cartona-Funded Discount",
        digits="Product Price",
        copy=False,
        readonly=True,
        help="applied_cartona_discount: the discount per piece Cartona funds; "
        "Cartona owes it to the supplier for each piece delivered.",
    )
