# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models
from odoo.exceptions import UserError

from ..cartona import returns, statuses


class MarketplaceApi(models.AbstractModel):
    _inherit = "marketplace.api"

    @api.model
    def report_order_returned(self, order, return_reason, config=None):
        """Post ``returned`` with ``return_reason`` for one order on the single
        endpoint, which reports a refusal (cartona-api.md sections 3.3 and 4).

        Not a value of :meth:`update_single_order_status`: the API's list of
        statuses a supplier may send omits ``returned`` (UNCERTAIN), so the supplier
        sends it only when a person reports a failed delivery. Returns Cartona's
        answer; raises the core's ``CartonaError`` subclasses after logging.
        """
        order.ensure_one()
        config = self._resolve_config(order, config)
        try:
            item = returns.returned_item(order.cartona_id, return_reason)
        except ValueError as exc:
            raise UserError(
                self.env._("%(order)s: %(error)s", order=order.name, error=exc)
            ) from exc
        return self._exchange(
            order,
            config,
            "status_push",
            statuses.RETURNED,
            [item],
            lambda client: client.update_order_status(
                item["hashed_id"],
                statuses.RETURNED,
                return_reason=item[returns.RETURN_REASON],
            ),
        )
