# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        result = super()._action_done()
        # Shipping the last customer delivery moves the order to assigned_to_salesman
        # (after what left, if less than ordered, is sent as the order's lines).
        self.sale_id._trigger_status_sync()
        return result

    def action_cancel(self):
        result = super().action_cancel()
        # Cancelling the last open delivery (a backorder dropped) finishes the order's
        # deliveries too: what left is then all Cartona will get.
        self.sale_id._trigger_status_sync()
        return result
