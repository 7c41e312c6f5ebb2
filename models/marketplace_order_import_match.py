# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The import, who and what: the products of a pulled order's lines (matched the way
the account matches products) and the retailer's contact."""

from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import api, models

from odoo.addons.queue_job.exception import RetryableJobError

from ..cartona import inbound


class MarketplaceOrderProcessor(models.AbstractModel):
    _inherit = "marketplace.order.processor"

    @api.model
    def _resolve_products(self, config, data):
        """``{internal_product_id: product.product}`` for every line, or InvalidOrder.

        Products must be active, saleable and of the configuration's company (or of
        no company); ``product_match`` says which product field holds the id.
        """
        found = config._find_products(data.product_ids)
        reasons = []
        for line in data.lines:
            candidates = found.get(line.internal_product_id)
            if candidates is not None and len(candidates) == 1:
                continue
            reasons.append(
                self._product_problem(
                    config, line, candidates or self.env["product.product"]
                )
            )
        if reasons:
            raise inbound.InvalidOrder(reasons, data.hashed_id)
        return found

    @api.model
    def _product_problem(self, config, line, candidates):
        label = dict(config._fields["product_match"]._description_selection(self.env))[
            config.product_match
        ]
        if candidates:
            return self.env._(
                "%(line)s: %(count)s saleable products have %(field)s %(value)s: "
                "make it unique",
                line=line.label,
                count=len(candidates),
                field=label,
                value=repr(line.internal_product_id),
            )
        return self.env._(
            "%(line)s: no active, saleable product of %(company)s has %(field)s "
            "%(value)s (%(name)s)",
            line=line.label,
            company=config.company_id.name,
            field=label,
            value=repr(line.internal_product_id),
            name=line.product_name or self.env._("no product name"),
        )

    @api.model
    def _retailer_partner(self, config, retailer, outcome):
        """The retailer's partner: matched by retailer code within the config only.

        Never by name or phone (different retailers share them). Without a code a
        new contact is created for the order.
        """
        Partner = self.env["res.partner"].with_context(active_test=False)
        if retailer.code:
            partner = Partner.search(
                [
                    ("marketplace_config_id", "=", config.id),
                    ("cartona_retailer_code", "=", retailer.code),
                ],
                limit=1,
            )
            if partner:
                return partner
        else:
            outcome.warnings.append(
                self.env._(
                    "the retailer has no retailer_code: a new contact was created"
                )
            )
        vals = self._partner_vals(config, retailer)
        try:
            with self.env.cr.savepoint():
                partner = Partner.create(vals)
        except pg_errors.UniqueViolation as exc:
            raise RetryableJobError(
                f"retailer {retailer.code} is being created by another import",
                seconds=5,
                ignore_retry=True,
            ) from exc
        outcome.changes.append(
            self.env._("new retailer %(name)s", name=partner.display_name)
        )
        return partner

    @api.model
    def _partner_vals(self, config, retailer):
        return {
            "name": retailer.name,
            "is_company": True,
            "customer_rank": 1,
            "company_id": config.company_id.id,
            "marketplace_config_id": config.id,
            "cartona_retailer_code": retailer.code or False,
            "phone": retailer.phone or False,
            "mobile": retailer.phone2 or False,
            "street": retailer.address or False,
            # The retailer's text is text: never markup in the contact's notes, nor
            # a link (plaintext2html would make its addresses live links).
            "comment": Markup("<p>%s</p>")
            % Markup("<br/>").join(retailer.address_notes.splitlines())
            if retailer.address_notes
            else False,
            "country_id": self.env.ref("base.eg").id,
        }
