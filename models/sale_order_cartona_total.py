# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

from ..cartona import outbound


class SaleOrder(models.Model):
    """Cartona Total follows Cartona's lines: it never goes stale after edits."""

    _inherit = "sale.order"

    cartona_total = fields.Monetary(
        compute="_compute_cartona_total",
        store=True,
        readonly=True,
        copy=False,
        help="What the order's lines add up to on Cartona (selling prices times "
        "quantities, cancelled lines left out), as Cartona last accepted or sent "
        "them. It follows every line change Cartona takes; it differs from the "
        "order's Total while a change made in Odoo waits to be sent.",
    )

    @api.depends("marketplace_cartona_lines")
    def _compute_cartona_total(self):
        for order in self:
            order.cartona_total = outbound.view_total(
                outbound.view_from_json(order.marketplace_cartona_lines)
            )
