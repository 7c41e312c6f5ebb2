# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from ..cartona import outbound

#: Line fields whose change Cartona must learn (amount, price, product).
CONTENT_FIELDS = frozenset({"product_uom_qty", "price_unit", "product_id"})


class SaleOrderLine(models.Model):
    _name = "sale.order.line"
    _inherit = ["sale.order.line", "marketplace.binding.mixin"]
    #: Which Cartona line a line is, and whether it was sent: the import's and the
    #: sync's to set (as superuser), or a Marketplace Manager's.
    _marketplace_binding_fields = ("cartona_line_ref", "cartona_line_sent")

    cartona_line_ref = fields.Char(
        string="Cartona Line ID",
        copy=False,
        readonly=True,
        help="Cartona's id of this order line (order_details id).",
    )
    cartona_line_comment = fields.Text(
        string="Retailer Comment", copy=False, help="The retailer's comment on Cartona."
    )
    cartona_line_sent = fields.Boolean(
        string="Sent to Cartona",
        copy=False,
        readonly=True,
        help="Added in Odoo and sent to Cartona as a new line: it is never sent again, "
        "and the next version pulled from Cartona links it to Cartona's line id.",
    )
    cartona_amount = fields.Float(
        string="Quantity on Cartona",
        compute="_compute_cartona_line",
        digits="Product Unit of Measure",
        help="The quantity Cartona last accepted for this line.",
    )
    cartona_cancelled = fields.Boolean(
        string="Cancelled on Cartona", compute="_compute_cartona_line"
    )

    @api.depends("cartona_line_ref", "order_id.marketplace_cartona_lines")
    def _compute_cartona_line(self):
        for line in self:
            view = (
                outbound.view_from_json(line.order_id.marketplace_cartona_lines) or {}
            )
            ref = line.cartona_line_ref
            known = view.get(int(ref)) if ref and ref.isdigit() else None
            line.cartona_amount = known.amount if known else 0.0
            line.cartona_cancelled = bool(known and known.cancelled)

    def _compute_price_unit(self):
        # A line from Cartona keeps the price the retailer ordered at: changing its
        # quantity does not reprice it from the pricelist (an explicit price edit,
        # or force_price_recomputation, still does).
        return super(
            SaleOrderLine, self - self._marketplace_priced()
        )._compute_price_unit()

    def _compute_discount(self):
        return super(
            SaleOrderLine, self - self._marketplace_priced()
        )._compute_discount()

    def _marketplace_priced(self):
        """Lines whose price is Cartona's (they have a value already)."""
        if self.env.context.get("force_price_recomputation"):
            return self.browse()
        return self.filtered(lambda line: line.cartona_line_ref and line._origin)

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.order_id._marketplace_content_changed()
        return lines

    def write(self, vals):
        result = super().write(vals)
        if CONTENT_FIELDS.intersection(vals):
            self.order_id._marketplace_content_changed()
        return result

    def unlink(self):
        orders = self.order_id
        result = super().unlink()
        orders.exists()._marketplace_content_changed()
        return result

    def _marketplace_product_key(self):
        """The ``internal_product_id`` Cartona knows this line's product by."""
        self.ensure_one()
        return self.order_id.marketplace_config_id._product_key(self.product_id)
