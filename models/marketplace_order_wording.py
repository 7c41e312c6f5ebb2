# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the planner's reasons say to people: one sentence per reason, in the reader's
language (the caller's environment carries it; the reconciler switches to the order's
responsible person before it writes)."""

from odoo import api, models

from ..cartona import outbound, statuses


class MarketplaceOrderWording(models.AbstractModel):
    _name = "marketplace.order.wording"
    _description = "Cartona Order Reasons in Words"

    @api.model
    def _status_label(self, status):
        """A Cartona status as people read it, in the current language."""
        labels = dict(
            self.env["sale.order"]
            ._fields["marketplace_status"]
            ._description_selection(self.env)
        )
        return labels.get(status, status or "")

    @api.model
    def _plan_text(self, order, plan, reason=None, params=None):
        """The plan's reason (or ``reason``) as a sentence for people."""
        order.ensure_one()
        self = self.with_env(order.env)  # the order's reader, the order's language
        _ = self.env._
        reason = reason or plan.reason
        params = dict(plan.params, **(params or {}))
        label = self._status_label
        current, target = label(params.get("current")), label(params.get("target"))
        config = order.marketplace_config_id.sudo().display_name
        line = self._line_label(order, params.get("line"))
        texts = {
            outbound.REASON_NOT_MARKETPLACE: lambda: _(
                "%(order)s is not a Cartona marketplace order.", order=order.name
            ),
            outbound.REASON_NO_CARTONA_ID: lambda: _(
                "%(order)s has no External Order ID.", order=order.name
            ),
            outbound.REASON_NO_ACCOUNT: lambda: _(
                "%(order)s has no Cartona configuration.", order=order.name
            ),
            outbound.REASON_ACCOUNT_ARCHIVED: lambda: _(
                "The Cartona configuration %(config)s is archived.", config=config
            ),
            outbound.REASON_TOKEN_REJECTED: lambda: _(
                "Cartona rejected the token of %(config)s: a manager must fix it and "
                "test the connection.",
                config=config,
            ),
            outbound.REASON_IMPORT_PROBLEM: lambda: _(
                "Cartona's version of %(order)s differs from Odoo's (see Import "
                "Problem on the Cartona tab): only a cancellation may be sent until "
                "that is settled.",
                order=order.name,
            ),
            outbound.REASON_NO_TARGET: lambda: _(
                "The state %(state)s of %(order)s has no Cartona status.",
                state=order.state,
                order=order.name,
            ),
            outbound.REASON_NOT_SUPPLIER_STATUS: lambda: _(
                "Cartona does not accept %(status)s from suppliers.", status=target
            ),
            outbound.REASON_NO_PATH: lambda: _(
                "Cartona's order cycle does not allow going from %(current)s to "
                "%(target)s.",
                current=current,
                target=target,
            ),
            outbound.REASON_CARTONA_DELIVERS: lambda: _(
                "%(order)s is delivered by Cartona: only a cancellation may be sent "
                "to Cartona, not %(status)s.",
                order=order.name,
                status=target,
            ),
            outbound.REASON_AHEAD: lambda: _(
                "Cartona already has %(current)s, further than %(target)s.",
                current=current,
                target=target,
            ),
            outbound.REASON_IN_SYNC: lambda: _(
                "Cartona already has %(order)s as %(status)s.",
                order=order.name,
                status=current,
            ),
            outbound.REASON_TERMINAL: lambda: self._terminal_text(
                order, params.get("current")
            ),
            outbound.REASON_EDITING: lambda: _(
                "The retailer is editing %(order)s on Cartona: Odoo sends its changes "
                "once Cartona shows the order as pending again.",
                order=order.name,
            ),
            outbound.REASON_CONTENT_CLOSED: lambda: _(
                "Cartona no longer takes changes to the lines of %(order)s (it is "
                "%(current)s): Odoo's changes to its lines stay in Odoo.",
                order=order.name,
                current=current,
            ),
            outbound.REASON_LINE_NOT_WHOLE: lambda: _(
                "%(order)s: %(line)s has the quantity %(amount)s; Cartona takes whole "
                "quantities only.",
                order=order.name,
                line=line,
                amount=params.get("amount"),
            ),
            outbound.REASON_LINE_NO_PRODUCT: lambda: _(
                "%(order)s: Cartona cannot identify the product of %(line)s; give it "
                "the identifier the Cartona account matches products by.",
                order=order.name,
                line=line,
            ),
            outbound.REASON_LINE_UNKNOWN: lambda: _(
                "%(order)s: %(line)s carries a Cartona line id this order does not "
                "have on Cartona.",
                order=order.name,
                line=line,
            ),
            outbound.REASON_LINE_CANCELLED: lambda: _(
                "%(order)s: %(line)s is cancelled on Cartona and cannot come back; "
                "add a new line instead.",
                order=order.name,
                line=line,
            ),
        }
        return texts[reason]()

    @api.model
    def _terminal_text(self, order, current):
        """What a terminal Cartona status allows, in words."""
        _ = order.env._
        if current == statuses.DELIVERED:
            return _(
                "Cartona has %(order)s as delivered and takes no change after "
                "delivery: if goods come back, record a return in Odoo.",
                order=order.name,
            )
        if current == statuses.RETURNED:
            return _(
                "Cartona has %(order)s as returned and takes no more change.",
                order=order.name,
            )
        if current == statuses.CANCELLED_BY_RETAILER:
            return _(
                "The retailer cancelled %(order)s on Cartona: nothing more to send.",
                order=order.name,
            )
        return _(
            "%(order)s is cancelled on Cartona: nothing more to send.", order=order.name
        )

    @api.model
    def _line_label(self, order, key):
        if not key:
            return ""
        line = order.order_line.filtered(lambda line: str(line.id) == str(key))
        return line.product_id.display_name or line.name or str(key)
