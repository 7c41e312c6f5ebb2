# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Cancelling a Cartona order: Cartona needs a reason, and the retailer hears of it
from Cartona (not from Odoo's "email the customer" dialog)."""

from odoo import models

from ..cartona import outbound, statuses


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _action_cancel(self):
        for order in self:
            if order.is_marketplace_order and not order.marketplace_cancellation_reason:
                # sudo: the account's default reason, for whoever may cancel.
                reason = order.marketplace_config_id.sudo().default_cancellation_reason
                if reason:
                    order.marketplace_cancellation_reason = reason
        return super()._action_cancel()

    def action_cancel(self):
        """Ask people for Cartona's cancellation reason before cancelling.

        Programmatic cancellations (``disable_cancel_warning``, as Odoo's own) cancel
        at once with the account's default reason.
        """
        if not self.env.context.get("disable_cancel_warning") and any(
            order._marketplace_cancel_needs_reason()
            or order._marketplace_cancel_warning()
            for order in self
        ):
            return {
                "type": "ir.actions.act_window",
                "name": self.env._("Cancel Marketplace Order"),
                "res_model": "marketplace.cancel.reason",
                "view_mode": "form",
                "target": "new",
                "context": {"active_model": "sale.order", "active_ids": self.ids},
            }
        return super().action_cancel()

    def _show_cancel_wizard(self):
        # Cartona tells the retailer of a marketplace order's cancellation: Odoo's
        # "email the customer" dialog is for the ordinary orders.
        ordinary = self.filtered(lambda o: not o.is_marketplace_order)
        return super(SaleOrder, ordinary)._show_cancel_wizard()

    def _marketplace_cancel_needs_reason(self):
        """Whether cancelling sends Cartona a cancellation (which carries a reason)."""
        self.ensure_one()
        if self.state == "cancel" or not self.is_marketplace_order:
            return False
        plan = self._marketplace_plan(target=statuses.CANCELLED_BY_SUPPLIER)
        return statuses.CANCELLED_BY_SUPPLIER in plan.status_steps

    def _marketplace_cancel_warning(self):
        """What cancelling means on Cartona when Cartona can no longer take it (the
        order is delivered, returned or cancelled there), or ``False``."""
        self.ensure_one()
        if self.state == "cancel" or not self.is_marketplace_order:
            return False
        plan = self._marketplace_plan(target=statuses.CANCELLED_BY_SUPPLIER)
        if plan.decision == outbound.CLOSED and plan.params.get("conflict"):
            return self.env["marketplace.order.wording"]._plan_text(self, plan)
        return False
