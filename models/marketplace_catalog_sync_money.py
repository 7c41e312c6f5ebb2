# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class MarketplaceCatalogSync(models.AbstractModel):
    _inherit = "marketplace.catalog.sync"

    @api.model
    def _prices(self, config, products):
        """The price the retailer pays: with the products' sales taxes when the
        account's Cartona prices include taxes (what an imported order then keeps)."""
        prices = super()._prices(config, products)
        if not config.cartona_prices_include_taxes:
            return prices
        company = config.company_id
        for product in products:
            price = prices.get(product.id)
            taxes = product.taxes_id._filter_taxes_by_company(company)
            if price is None or not taxes:
                continue
            prices[product.id] = taxes.compute_all(
                price, currency=company.currency_id, quantity=1.0, product=product
            )["total_included"]
        return prices
