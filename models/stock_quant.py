# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

#: Quant fields whose change changes a product's free quantity (on hand - reserved).
FREE_QTY_FIELDS = frozenset({"quantity", "reserved_quantity"})


class StockQuant(models.Model):
    """Every change of stock goes through a quant: done moves, reservations and
    their release, inventory adjustments, scraps. Each one marks the product's
    listings changed, without a query: they are written once, at commit."""

    _inherit = "stock.quant"

    @api.model_create_multi
    def create(self, vals_list):
        quants = super().create(vals_list)
        self.env["marketplace.product.change"]._mark(product_ids=quants.product_id.ids)
        return quants

    def write(self, vals):
        result = super().write(vals)
        if FREE_QTY_FIELDS.intersection(vals):
            self.env["marketplace.product.change"]._mark(
                product_ids=self.product_id.ids
            )
        return result

    def unlink(self):
        products = self.product_id.ids
        result = super().unlink()
        self.env["marketplace.product.change"]._mark(product_ids=products)
        return result
