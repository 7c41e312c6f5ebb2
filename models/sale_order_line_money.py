# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


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

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._marketplace_keep_prices_final()
        return lines

    def _marketplace_keep_prices_final(self):
        """A line added later to a Cartona order keeps Cartona's price final too: a
        sales tax its position does not map yet gets its included twin."""
        for order, lines in self.grouped("order_id").items():
            position = order.fiscal_position_id
            if not (order.is_marketplace_order and position):
                continue
            # sudo: a setting of the account, for whoever adds the line.
            config = order.marketplace_config_id.sudo()
            taxes = lines.product_id.taxes_id._filter_taxes_by_company(order.company_id)
            missing = (taxes - position.sudo().tax_ids.tax_src_id).filtered(
                lambda tax: not tax.price_include
            )
            if not (config.cartona_prices_include_taxes and missing):
                continue
            if config._money_fiscal_position(missing) == position:
                lines._compute_tax_id()
