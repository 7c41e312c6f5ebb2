# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import UserError

from ..cartona import statuses
from ..models.selections import CANCELLATION_REASON_SELECTION


class MarketplaceCancelReason(models.TransientModel):
    _name = "marketplace.cancel.reason"
    _description = "Cartona Cancellation Reason"

    order_ids = fields.Many2many(
        comodel_name="sale.order", string="Orders", readonly=True
    )
    cancellation_reason = fields.Selection(
        selection=[
            (code, label)
            for code, label in CANCELLATION_REASON_SELECTION
            if code in statuses.SUPPLIER_CANCELLATION_REASONS
        ],
        help="Sent to Cartona with the cancellation.",
    )
    needs_reason = fields.Boolean(compute="_compute_cartona")
    cartona_warning = fields.Text(
        compute="_compute_cartona",
        help="Orders Cartona can no longer cancel: cancelling them is for Odoo only.",
    )

    @api.depends("order_ids")
    def _compute_cartona(self):
        for wizard in self:
            orders = wizard.order_ids
            wizard.needs_reason = any(
                order._marketplace_cancel_needs_reason() for order in orders
            )
            wizard.cartona_warning = "\n".join(
                filter(None, (order._marketplace_cancel_warning() for order in orders))
            )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        orders = self.env["sale.order"].browse(self.env.context.get("active_ids", []))
        orders.check_access("write")  # only orders the user may cancel
        values.setdefault("order_ids", [fields.Command.set(orders.ids)])
        # sudo: the account's default reason, for whoever may cancel the order (a
        # salesperson need not read Cartona accounts).
        reason = orders.sudo().marketplace_config_id[:1].default_cancellation_reason
        if reason in statuses.SUPPLIER_CANCELLATION_REASONS:
            values.setdefault("cancellation_reason", reason)
        return values

    def action_cancel_orders(self):
        """Cancel the orders Cartona learns of with the reason chosen; the others
        (ordinary orders in the same selection) go through Odoo's own flow, its
        "email the customer" dialog included."""
        self.ensure_one()
        marketplace = self.order_ids.filtered(
            lambda o: o._marketplace_cancel_needs_reason()
            or o._marketplace_cancel_warning()
        )
        if self.needs_reason and not self.cancellation_reason:
            raise UserError(self.env._("Choose the reason Cartona gives the retailer."))
        marketplace.write({"marketplace_cancellation_reason": self.cancellation_reason})
        # Cartona tells the retailer: no "email the customer" dialog for these.
        marketplace.with_context(disable_cancel_warning=True).action_cancel()
        others = self.order_ids - marketplace
        if others:
            return others.action_cancel()
        return {"type": "ir.actions.act_window_close"}
