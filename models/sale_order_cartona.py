# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What Cartona says about an order: the ``cartona_*`` fields, written by the import
(``marketplace.order.processor``) from the pull feed and read-only for people.

The naming rule (ARCHITECTURE.md): ``cartona_*`` for what Cartona said or holds,
``marketplace_*`` for Odoo's own sync state (sale_order.py).
"""

from odoo import api, fields, models

from ..cartona import outbound, statuses

#: What the import takes from Cartona's feed, and its own bookkeeping: set by the
#: import (or a Marketplace Manager) only, like the fields that bind an order.
FEED_FIELDS = (
    "cartona_status_raw",
    "cartona_retailer_code",
    "cartona_supplier_code",
    "cartona_total",
    "cartona_note_message",
    "cartona_delivery_day",
    "cartona_estimated_delivery_day",
    "cartona_preferred_delivery_date",
    "cartona_pickup_date",
    "cartona_pickup_otp",
    "cartona_route_code",
    "cartona_return_reason",
    "cartona_fingerprint",
    "cartona_pulled_at",
    "marketplace_ack_pending",
    "marketplace_import_error",
)


class SaleOrder(models.Model):
    _inherit = "sale.order"

    cartona_status_raw = fields.Char(
        string="Status in Last Pull",
        copy=False,
        readonly=True,
        help="The status of the last version pulled from Cartona, as Cartona wrote "
        "it, unknown statuses included. Shown when it is not the Status on Cartona "
        "nor an earlier step of it.",
    )
    cartona_status_differs = fields.Boolean(compute="_compute_cartona_status_differs")
    cartona_retailer_code = fields.Char(
        string="Retailer Code", copy=False, readonly=True
    )
    cartona_supplier_code = fields.Char(
        string="Supplier Account Code",
        copy=False,
        readonly=True,
        help="Cartona's supplier_code: which supplier account of the token got the "
        "order (1 retail, 2 wholesale, 3 wholesale-to-wholesale by default).",
    )
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
    cartona_note_message = fields.Text(
        string="Retailer Note", copy=False, readonly=True
    )
    cartona_delivery_day = fields.Date(string="Delivery Day", copy=False, readonly=True)
    cartona_estimated_delivery_day = fields.Date(
        string="Estimated Delivery Day", copy=False, readonly=True
    )
    cartona_preferred_delivery_date = fields.Date(
        string="Retailer's Preferred Delivery Date", copy=False, readonly=True
    )
    cartona_pickup_date = fields.Date(
        string="Pickup Date",
        copy=False,
        readonly=True,
        help="Orders delivered by Cartona: when Cartona's courier collects the goods.",
    )
    cartona_pickup_otp = fields.Char(
        string="Pickup OTP",
        copy=False,
        readonly=True,
        # The people who hand the goods to Cartona's courier, no one else.
        groups="stock.group_stock_user",
        help="Orders delivered by Cartona: the code checked when the courier collects "
        "the goods.",
    )
    cartona_route_code = fields.Char(
        string="Distribution Route", copy=False, readonly=True
    )
    cartona_return_reason = fields.Char(
        string="Return Reason", copy=False, readonly=True
    )
    cartona_fingerprint = fields.Char(
        string="Imported Version",
        copy=False,
        readonly=True,
        help="Fingerprint of the last feed entry fully imported: the same entry pulled "
        "again changes nothing.",
    )
    cartona_pulled_at = fields.Datetime(
        string="Last Pulled Version", copy=False, readonly=True
    )

    @api.depends("marketplace_cartona_lines")
    def _compute_cartona_total(self):
        # Computed from Cartona's view of the lines, never stale after an edit.
        for order in self:
            order.cartona_total = outbound.view_total(
                outbound.view_from_json(order.marketplace_cartona_lines)
            )

    @api.depends("cartona_status_raw", "marketplace_status")
    def _compute_cartona_status_differs(self):
        # Shown when it tells something: a status Odoo does not know, or one that is
        # not merely an earlier step of what Odoo has sent since the pull.
        for order in self:
            raw, status = order.cartona_status_raw, order.marketplace_status
            order.cartona_status_differs = bool(raw) and (
                raw not in statuses.STATUSES
                or not (status and statuses.reachable(raw, status))
            )
