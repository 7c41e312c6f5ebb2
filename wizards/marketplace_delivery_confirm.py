# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import UserError


class MarketplaceDeliveryConfirm(models.TransientModel):
    _name = "marketplace.delivery.confirm"
    _description = "Confirm Delivery to Cartona"

    order_id = fields.Many2one(comodel_name="sale.order", required=True, readonly=True)
    payment_method = fields.Selection(
        related="order_id.marketplace_payment_method",
        string="Payment Method",
        related_sudo=False,
    )
    retailer_otp = fields.Char(
        string="Retailer OTP", help="The code the retailer received from Cartona."
    )
    refusal = fields.Text(
        readonly=True, help="Why Cartona refused the last code typed in this dialog."
    )
    unanswered = fields.Text(
        readonly=True,
        help="Cartona did not answer the last attempt: the code is kept, try again.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        # Only for orders the user may act on: the dialog shows the order's name and
        # payment method, which another company's user may not read.
        orders = self.env["sale.order"].browse(
            [vals.get("order_id") for vals in vals_list if vals.get("order_id")]
        )
        orders._marketplace_check_rights()
        return super().create(vals_list)

    def action_confirm(self):
        self.ensure_one()
        otp = (self.retailer_otp or "").strip()
        if self.order_id.marketplace_otp_required and not otp:
            raise UserError(
                self.env._("Enter the OTP the retailer received from Cartona.")
            )
        outcome, notification = self.order_id._marketplace_confirm_delivery(
            retailer_otp=otp or None
        )
        if outcome == "unanswered":
            # Cartona did not answer: the dialog stays open with the code in it.
            self.write(
                {"unanswered": notification["params"]["message"], "refusal": False}
            )
        elif outcome == "otp_refused":
            # A wrong code: the dialog stays open and says so; the order is not in
            # error.
            self.write(
                {
                    "refusal": notification["params"]["message"],
                    "unanswered": False,
                    "retailer_otp": False,
                }
            )
        else:
            return notification
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Confirm Delivery to Cartona"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
