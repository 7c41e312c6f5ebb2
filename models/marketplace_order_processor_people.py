# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class MarketplaceOrderProcessor(models.AbstractModel):
    """What an import writes in an order's chatter (tracked values such as the
    order's status, Odoo's own notes) is read by the order's people: it is written
    in their language, not in the language of the user the pull runs as (OdooBot
    for the scheduled pull)."""

    _inherit = "marketplace.order.processor"

    @api.model
    def _import(self, config, data, pulled_at):
        lang = self._people_lang(config, data.hashed_id)
        people = self.with_context(lang=lang) if lang else self
        return super(MarketplaceOrderProcessor, people)._import(config, data, pulled_at)

    @api.model
    def _people_lang(self, config, hashed_id):
        """The language of the order's salesperson, else of the account's
        responsible (who becomes the salesperson of a new order), else of the
        company."""
        people = self.env["marketplace.people"]
        user = self._find_order(config, hashed_id).user_id
        if not people._is_person(user):
            user = people._account_responsible(config)
        return user.lang or config.company_id.partner_id.lang
