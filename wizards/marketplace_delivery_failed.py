# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class MarketplaceDeliveryFailed(models.TransientModel):
    _name = "marketplace.delivery.failed"
    _description = "Report a Failed Delivery to Cartona"

    order_id = fields.Many2one(comodel_name="sale.order", required=True, readonly=True)
    return_reason = fields.Char(
        required=True,
        help="Why the retailer did not receive the goods; Cartona keeps it with the "
        "order.",
    )
    refusal = fields.Text(
        readonly=True, help="Why Cartona refused the last report made in this dialog."
    )

    @api.model_create_multi
    def create(self, vals_list):
        # Only for orders the user may act on: the dialog shows the order's name.
        orders = self.env["sale.order"].browse(
            [vals.get("order_id") for vals in vals_list if vals.get("order_id")]
        )
        orders._marketplace_check_return_rights()
        return super().create(vals_list)

    def action_report(self):
        """Tell Cartona now; on a refusal the dialog stays open and says why."""
        self.ensure_one()
        outcome, message = self.order_id._marketplace_report_failed_delivery(
            self.return_reason
        )
        if outcome in ("returned", "return_failed"):
            kind = "success" if outcome == "returned" else "warning"
            return self.env["marketplace.config"]._notify(message, kind)
        self.refusal = message
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Delivery Failed"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
