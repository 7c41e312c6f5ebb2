# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import UserError


class MarketplaceProductList(models.TransientModel):
    """List on Cartona: list the selected products on one Cartona account."""

    _name = "marketplace.product.list"
    _description = "List Products on Cartona"

    config_id = fields.Many2one(
        comodel_name="marketplace.config",
        string="Cartona Account",
        required=True,
        domain="[('company_id', 'in', allowed_company_ids)]",
    )
    product_ids = fields.Many2many(comodel_name="product.product", string="Products")
    sync_stock = fields.Boolean(default=True)
    sync_price = fields.Boolean(default=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        products = self.env["product.product"]
        if context.get("active_model") == "product.template":
            templates = self.env["product.template"].browse(context.get("active_ids"))
            products = templates.product_variant_ids
        elif context.get("active_model") == "product.product":
            products = products.browse(context.get("active_ids"))
        if products:
            values["product_ids"] = [fields.Command.set(products.ids)]
        configs = self.env["marketplace.config"].search([])
        if len(configs) == 1:
            values.setdefault("config_id", configs.id)
        return values

    def action_list(self):
        """Create the listings that do not exist yet; they are sent to Cartona."""
        self.ensure_one()
        if not self.product_ids:
            raise UserError(self.env._("Select the products to list."))
        Listing = self.env["marketplace.product"]
        listed = Listing.with_context(active_test=False).search(
            [
                ("config_id", "=", self.config_id.id),
                ("product_id", "in", self.product_ids.ids),
            ]
        )
        new = self.product_ids - listed.product_id
        Listing.create(
            [
                {
                    "config_id": self.config_id.id,
                    "product_id": product.id,
                    "sync_stock": self.sync_stock,
                    "sync_price": self.sync_price,
                }
                for product in new
            ]
        )
        listed.filtered(lambda listing: not listing.active).active = True
        return self.env["marketplace.config"]._notify(
            self.env._(
                "%(new)s products listed on %(config)s (%(known)s were already); "
                "Cartona gets their stock and price in a moment.",
                new=len(new),
                config=self.config_id.name,
                known=len(listed),
            ),
            "success",
        )
