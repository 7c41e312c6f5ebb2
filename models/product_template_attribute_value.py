# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class ProductTemplateAttributeValue(models.Model):
    _inherit = "product.template.attribute.value"

    def write(self, vals):
        result = super().write(vals)
        if "price_extra" in vals:
            # A variant extra is part of the variants' sales price.
            self.env["marketplace.product.change"]._mark(
                product_ids=self.ptav_product_variant_ids.ids
            )
        return result
