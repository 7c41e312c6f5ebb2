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
        # The variants' own counts (archived variants' listings included), in one
        # batch for all the templates.
        variants = self.with_context(active_test=False).product_variant_ids
        for template in self:
            template.marketplace_listing_count = sum(
                variants.filtered(
                    lambda v, template=template: v.product_tmpl_id == template
                ).mapped("marketplace_listing_count")
            )

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
