# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What a Cartona order's credit notes and their reversals change in its money."""

from odoo import api, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    @api.depends(
        "invoice_ids.amount_residual",
        "invoice_ids.marketplace_settlement_reversal_id",
    )
    def _compute_marketplace_money(self):
        result = super()._compute_marketplace_money()
        for order in self:
            refunds = order.invoice_ids.filtered(
                lambda m: m.move_type == "out_refund" and m.state == "posted"
            )
            if not refunds:
                continue
            reversals = refunds.marketplace_settlement_reversal_id.filtered(
                lambda m: m.state == "posted"
            )
            retailer = order.partner_id.commercial_partner_id
            receivable = (refunds | reversals).line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable"
            )
            order.marketplace_cash_to_collect += sum(
                receivable.filtered(
                    lambda line, retailer=retailer: line.partner_id == retailer
                ).mapped("amount_residual")
            )
            order.marketplace_cartona_share += sum(
                reversals.line_ids.filtered(
                    lambda line, retailer=retailer: line.account_id.account_type
                    == "asset_receivable"
                    and line.partner_id != retailer
                ).mapped("balance")
            )
        return result
