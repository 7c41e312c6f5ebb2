# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class MarketplaceOrderProcessor(models.AbstractModel):
    """Products retailers order on Cartona are listed on Cartona: list them."""

    _inherit = "marketplace.order.processor"

    def _apply(self, config, order, data, outcome):
        result = super()._apply(config, order, data, outcome)
        if not outcome.problem:
            self._list_ordered_products(config, order, data)
        return result

    def _list_ordered_products(self, config, order, data):
        """List the products of an imported order that the account has not listed,
        with the ids Cartona gave them (``internal_product_id`` and, when the lines
        carry it, ``supplier_product_id``)."""
        products = {
            line.cartona_line_ref: line.product_id
            for line in order.order_line
            if line.cartona_line_ref and line.product_id
        }
        entries = [
            (
                products[str(line.line_id)],
                line.internal_product_id,
                line.supplier_product_id,
                None,
            )
            for line in data.lines
            if str(line.line_id) in products
        ]
        if entries:
            self.env["marketplace.product"]._catalog_link(
                config, entries, concurrent=True
            )
