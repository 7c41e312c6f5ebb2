# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class MarketplaceOrderProcessor(models.AbstractModel):
    _inherit = "marketplace.order.processor"

    @api.model
    def _header_vals(self, data, pulled_at):
        """Also Cartona's money figures of the order, as last reported."""
        vals = super()._header_vals(data, pulled_at)
        vals.update(
            cartona_credit=data.cartona_credit or 0.0,
            cartona_installment_cost=data.installment_cost or 0.0,
            cartona_wallet_top_up=data.wallet_top_up or 0.0,
        )
        return vals

    @api.model
    def _line_vals(self, line, product):
        vals = super()._line_vals(line, product)
        vals["cartona_discount"] = line.cartona_discount or 0.0
        return vals
