# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from ..models.selections import STATUS_SELECTION


class MarketplaceSyncPreview(models.TransientModel):
    _name = "marketplace.sync.preview"
    _description = "Cartona Sync Preview"

    order_id = fields.Many2one(comodel_name="sale.order", required=True, readonly=True)
    mapping = fields.Selection(
        selection=[
            ("basic", "Basic (order state)"),
            ("combined", "Combined (state and deliveries)"),
        ],
        readonly=True,
    )
    order_state = fields.Char(readonly=True)
    delivery_state = fields.Char(readonly=True)
    basic_status = fields.Selection(selection=STATUS_SELECTION, readonly=True)
    combined_status = fields.Selection(selection=STATUS_SELECTION, readonly=True)
    current_status = fields.Selection(
        selection=STATUS_SELECTION, string="Cartona Has", readonly=True
    )
    target_status = fields.Selection(
        selection=STATUS_SELECTION, string="Cartona Should Have", readonly=True
    )
    steps = fields.Char(string="Statuses to Send", readonly=True)
    decision = fields.Selection(
        selection=[
            ("send", "Would Send"),
            ("nothing", "Nothing to Send"),
            ("blocked", "Blocked"),
        ],
        readonly=True,
    )
    reason = fields.Text(readonly=True)
    endpoint = fields.Text(string="Requests", readonly=True)
    request_body = fields.Text(string="JSON Bodies", readonly=True)
