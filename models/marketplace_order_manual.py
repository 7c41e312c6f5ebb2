# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Sync Status, Enhanced Sync and Retry: a person asks for a sync now.

Each button asks the planner for every selected order, queues the orders it has
something to send for, settles a stale error or "syncing" state on the others, and
tells the person what happened in one notification."""

from odoo import api, models
from odoo.exceptions import UserError

from ..cartona import outbound


class MarketplaceOrderManual(models.AbstractModel):
    _name = "marketplace.order.manual"
    _description = "Cartona Syncs Asked by a Person"

    @api.model
    def _queue(self, orders, mapping, retry=False):
        """Queue ``orders``' syncs of ``mapping``; return the notification action.

        Sync Status and Enhanced Sync refuse at once when a rule blocks an order;
        Retry (``retry``) queues the others and lists the blocked ones.
        """
        _ = self.env._
        wording = self.env["marketplace.order.wording"]
        plans = {order: order._marketplace_plan(mapping) for order in orders}
        blocked = orders.filtered(lambda o: plans[o].decision == outbound.BLOCKED)
        if blocked and not retry:
            raise UserError(
                "\n".join(wording._plan_text(order, plans[order]) for order in blocked)
            )
        to_send = orders.filtered(lambda o: plans[o].decision == outbound.SEND)
        to_send._enqueue_status_sync(mapping)
        lines = []
        if to_send:
            names = ", ".join(to_send.mapped("name"))
            lines.append(
                _("Sync queued for %(orders)s.", orders=names)
                if retry
                else _("Status sync queued for %(orders)s.", orders=names)
            )
        for order in orders - to_send:
            plan = plans[order]
            if plan.decision == outbound.BLOCKED:
                lines.append(wording._plan_text(order, plan))
                continue
            self._nothing_to_send(order, plan)
            lines.append(
                _(
                    "Nothing to send for %(order)s: %(reason)s",
                    order=order.name,
                    reason=wording._plan_text(order, plan),
                )
            )
        if retry and not orders:
            lines.append(_("None of the selected orders is a Cartona order."))
        if to_send and to_send == orders:
            kind = "success"
        else:
            kind = "warning" if retry else "info"
        return self.env["marketplace.config"]._notify("\n".join(lines), kind)

    @api.model
    def _nothing_to_send(self, order, plan):
        """Nothing is left to send: an error or a "syncing" state no longer stands."""
        if order.marketplace_sync_status in ("error", "syncing"):
            self.env["marketplace.order.sync"]._set_result(
                order,
                "not_synced" if plan.decision == outbound.WAIT else "synced",
                False,
            )
