# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The money side of a Cartona account: final prices, invoicing on delivery and
the partner and journal that hold Cartona's share of each order."""

from odoo import api, fields, models

#: Code of the settlement journal made for a company (unique per company).
SETTLEMENT_JOURNAL_CODE = "CRTN"


class MarketplaceConfig(models.Model):
    _inherit = "marketplace.config"

    cartona_prices_include_taxes = fields.Boolean(
        default=True,
        help="Cartona's prices are what the retailer pays, taxes included: imported "
        "orders keep Cartona's total and show the VAT inside it (the fiscal position "
        "'Cartona prices include taxes'), and the catalog sends prices with the "
        "products' sales taxes added.",
    )
    invoice_on_delivery = fields.Selection(
        selection=[
            ("off", "Off"),
            ("draft", "Draft Invoice"),
            ("post", "Posted Invoice"),
        ],
        string="Invoice on Delivery",
        default="post",
        required=True,
        help="When a Cartona order is delivered, make its customer invoice for what "
        "the retailer received, at Cartona's prices: left in draft, or posted (then "
        "Cartona's share is moved to the settlement partner).",
    )
    settlement_partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Settlement Partner",
        check_company=True,
        help="The partner standing for Cartona: what Cartona owes for each order "
        "(credit, installments, funded discounts, less wallet top-ups) is booked on "
        "its receivable.",
    )
    settlement_journal_id = fields.Many2one(
        comodel_name="account.journal",
        string="Settlement Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        help="Miscellaneous journal of the entries moving Cartona's share of an "
        "invoice off the retailer.",
    )
    money_invoiced = fields.Monetary(
        string="Invoiced", compute="_compute_money", currency_field="money_currency_id"
    )
    money_cash_to_collect = fields.Monetary(
        string="Cash to Collect",
        compute="_compute_money",
        currency_field="money_currency_id",
        help="What retailers still owe on the posted invoices of this account's "
        "orders: the cash drivers bring back.",
    )
    money_cartona_share = fields.Monetary(
        string="Cartona's Share",
        compute="_compute_money",
        currency_field="money_currency_id",
        help="Open balance of the settlement partner in the settlement journal: what "
        "Cartona owes (negative: what the supplier owes Cartona).",
    )
    money_currency_id = fields.Many2one(related="company_id.currency_id")

    def _compute_money(self):
        for config in self:
            moves = (
                self.env["account.move"].search(
                    [
                        (
                            "line_ids.sale_line_ids.order_id.marketplace_config_id",
                            "=",
                            config.id,
                        ),
                        ("move_type", "=", "out_invoice"),
                        ("state", "=", "posted"),
                    ]
                )
                if config.id
                else self.env["account.move"]
            )
            config.money_invoiced = sum(moves.mapped("amount_total"))
            config.money_cash_to_collect = sum(moves.mapped("amount_residual"))
            config.money_cartona_share = sum(
                config._money_open_items().mapped("amount_residual")
            )

    @api.model_create_multi
    def create(self, vals_list):
        configs = super().create(vals_list)
        configs._money_ensure_settlement()
        return configs

    def action_view_money_balance(self):
        self.ensure_one()
        self._check_caller("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "cartona_marketplace.marketplace_settlement_line_action"
        )
        action["domain"] = [("id", "in", self._money_open_items().ids)]
        return action

    def _money_open_items(self):
        """Open settlement items of this account (journal items of its partner)."""
        self.ensure_one()
        if not (self.settlement_partner_id and self.settlement_journal_id):
            return self.env["account.move.line"]
        return self.env["account.move.line"].search(
            [
                ("partner_id", "=", self.settlement_partner_id.id),
                ("journal_id", "=", self.settlement_journal_id.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
            ]
        )

    def _money_ensure_settlement(self):
        """Give each account its settlement partner and journal, when missing.

        sudo: part of creating the account (a Marketplace Manager need not be an
        accountant); the journal is shared by the company's accounts.
        """
        for config in self.sudo():
            vals = {}
            if not config.settlement_partner_id:
                vals["settlement_partner_id"] = (
                    self.env["res.partner"]
                    .sudo()
                    .create(
                        {
                            "name": "Cartona",
                            "is_company": True,
                            "company_id": config.company_id.id,
                            "comment": self.env._(
                                "Stands for Cartona in the settlement of its share of "
                                "each order."
                            ),
                        }
                    )
                    .id
                )
            if not config.settlement_journal_id:
                journal = config._money_settlement_journal()
                if journal:
                    vals["settlement_journal_id"] = journal.id
            if vals:
                config.write(vals)

    def _money_settlement_journal(self):
        """The company's settlement journal, made on demand; none without a chart."""
        self.ensure_one()
        Journal = self.env["account.journal"].sudo()
        company = self.company_id
        journal = Journal.search(
            [
                ("company_id", "=", company.id),
                ("code", "=", SETTLEMENT_JOURNAL_CODE),
            ],
            limit=1,
        )
        if journal or not company.chart_template:
            return journal
        return Journal.create(
            {
                "name": self.env._("Cartona Settlement"),
                "code": SETTLEMENT_JOURNAL_CODE,
                "type": "general",
                "company_id": company.id,
            }
        )

    def _money_fiscal_position(self, taxes):
        """The company's fiscal position "Cartona prices include taxes", mapping each
        of ``taxes`` (sales taxes excluded from the price) to a twin included in the
        price; made and completed on demand.

        sudo: the import's integration work; no person picks this position.
        """
        self.ensure_one()
        company = self.company_id
        FiscalPosition = self.env["account.fiscal.position"].sudo()
        xmlid_name = f"fiscal_position_prices_included_{company.id}"
        position = self.env.ref(f"cartona_marketplace.{xmlid_name}", False)
        if not position:
            position = FiscalPosition.create(
                {
                    "name": self.env._("Cartona prices include taxes"),
                    "company_id": company.id,
                    "auto_apply": False,
                }
            )
            self.env["ir.model.data"].sudo().create(
                {
                    "module": "cartona_marketplace",
                    "name": xmlid_name,
                    "model": position._name,
                    "res_id": position.id,
                    "noupdate": True,
                }
            )
        position = position.sudo()
        mapped = position.tax_ids.tax_src_id
        for tax in taxes.sudo().filtered(
            lambda t: t.company_id == company
            and t.type_tax_use == "sale"
            and not t.price_include
            and t.amount_type in ("percent", "division", "fixed")
            and t not in mapped
        ):
            twin = tax.copy(
                {
                    "name": self.env._("%(tax)s (Cartona, included)", tax=tax.name),
                    "price_include_override": "tax_included",
                }
            )
            position.write(
                {
                    "tax_ids": [
                        fields.Command.create(
                            {"tax_src_id": tax.id, "tax_dest_id": twin.id}
                        )
                    ]
                }
            )
        return position
