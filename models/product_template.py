# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    marketplace_listing_count = fields.Integer(
        string="Cartona Listings",
        compute="_compute_marketplace_listing_count",
        groups="cartona_marketplace.group_marketplace_user",
    )

    def _compute_marketplace_listing_count(self):
        counts = dict(
            self.env["marketplace.product"]._read_group(
                [("product_id.product_tmpl_id", "in", self.ids)],
                ["product_tmpl_id"],
                ["__count"],
            )
        )
        for template in self:
            template.marketplace_listing_count = counts.get(template, 0)

    def write(self, vals):
        result = super().write(vals)
        if "list_price" in vals:
            # The sales price of every variant changed: their listings follow.
            self.env["marketplace.product.change"]._mark(
                product_ids=self.product_variant_ids.ids
            )
        return result

    def action_view_marketplace_listings(self):
        self.ensure_one()
        return self.product_variant_ids._marketplace_listings_action()
