# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

#: Variant fields a price sent to Cartona can depend on (a pricelist based on cost).
PRICE_FIELDS = frozenset({"standard_price", "lst_price"})


class ProductProduct(models.Model):
    _inherit = "product.product"

    marketplace_listing_count = fields.Integer(
        string="Cartona Listings",
        compute="_compute_marketplace_listing_count",
        groups="cartona_marketplace.group_marketplace_user",
    )

    def _compute_marketplace_listing_count(self):
        counts = dict(
            self.env["marketplace.product"]._read_group(
                [("product_id", "in", self.ids)], ["product_id"], ["__count"]
            )
        )
        for product in self:
            product.marketplace_listing_count = counts.get(product, 0)

    def write(self, vals):
        result = super().write(vals)
        if PRICE_FIELDS.intersection(vals):
            self.env["marketplace.product.change"]._mark(product_ids=self.ids)
        return result

    def action_view_marketplace_listings(self):
        return self._marketplace_listings_action()

    def _marketplace_listings_action(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "cartona_marketplace.marketplace_product_action"
        )
        action["domain"] = [("product_id", "in", self.ids)]
        action["context"] = {
            "default_product_id": self[:1].id if len(self) == 1 else False,
            "search_default_active": 1,
        }
        return action

    def action_list_on_cartona(self):
        """List on Cartona: choose the account, then list the selected products."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("List on Cartona"),
            "res_model": "marketplace.product.list",
            "view_mode": "form",
            "target": "new",
            "context": {"default_product_ids": self.ids},
        }
