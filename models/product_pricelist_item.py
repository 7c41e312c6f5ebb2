# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class ProductPricelistItem(models.Model):
    """A pricelist rule changed: the prices an account sends may have changed."""

    _inherit = "product.pricelist.item"

    @api.model_create_multi
    def create(self, vals_list):
        items = super().create(vals_list)
        items._marketplace_mark_prices()
        return items

    def write(self, vals):
        self._marketplace_mark_prices()  # what the rules applied to before
        result = super().write(vals)
        self._marketplace_mark_prices()
        return result

    def unlink(self):
        self._marketplace_mark_prices()
        return super().unlink()

    def _marketplace_mark_prices(self):
        """Mark the listings whose price may follow these rules: the variants or
        templates a rule names; for a rule on a category or on everything, every
        listing of the accounts that send pricelist prices (rules can be based on
        another pricelist, so not only those of this one)."""
        if not self:
            return
        Change = self.env["marketplace.product.change"]
        products = self.product_id | self.product_tmpl_id.product_variant_ids
        broad = self.filtered(
            lambda item: item.applied_on in ("2_product_category", "3_global")
        )
        if products:
            Change._mark(product_ids=products.ids)
        if broad:
            # sudo: which accounts use a pricelist, for whoever edits prices.
            configs = (
                self.env["marketplace.config"]
                .sudo()
                .search([("pricelist_id", "!=", False)])
            )
            Change._mark(config_ids=configs.ids)
