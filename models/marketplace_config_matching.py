# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Product matching, one rule both ways: the ``internal_product_id`` Cartona knows an
Odoo variant by, and the variants a Cartona id may name. The order import, the
catalog import, line edits and listings all ask the account."""

from odoo import models


class MarketplaceConfig(models.Model):
    _inherit = "marketplace.config"

    def _product_key(self, product):
        """The ``internal_product_id`` Cartona knows ``product`` by under this
        account's matching, or ``None`` when the product has none."""
        # sudo: a setting of the account, for whoever lists a product or edits an
        # order (a salesperson may not read accounts).
        match = self.sudo().product_match
        if match == "variant_id":
            return str(product.id)
        if match == "barcode":
            return product.barcode or None
        return product.default_code or None

    def _find_products(self, keys):
        """The Odoo variants each key may name, as ``{key: product.product}``
        (saleable variants of the account's company, or shared ones)."""
        config = self.sudo()
        config.ensure_one()
        Product = self.env["product.product"].with_company(config.company_id)
        company_domain = [("company_id", "in", (False, config.company_id.id))]
        saleable = [("sale_ok", "=", True), *company_domain]
        if config.product_match == "variant_id":
            ids = {
                key: int(key)
                for key in keys
                if key.isascii() and key.isdigit() and len(key) < 10
            }
            products = Product.search([("id", "in", list(ids.values())), *saleable])
            return {
                key: products.filtered(lambda p, pid=pid: p.id == pid)
                for key, pid in ids.items()
            }
        field = config.product_match
        products = Product.search([(field, "in", list(keys)), *saleable])
        return {
            key: products.filtered(lambda p, key=key: p[field] == key) for key in keys
        }
