# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        result = super()._action_done()
        # Shipping the last customer delivery moves the order to assigned_to_salesman.
        self.sale_id._trigger_status_sync()
        return result
