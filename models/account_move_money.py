# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Cartona's share of a posted invoice, booked once on the settlement partner."""

from markupsafe import Markup

from odoo import fields, models

from ..cartona import settlement


class AccountMove(models.Model):
    _inherit = "account.move"

    marketplace_settlement_move_id = fields.Many2one(
        comodel_name="account.move",
        string="Cartona Settlement",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The entry moving Cartona's share of this invoice off the retailer.",
    )

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted.filtered(
            lambda m: m.move_type == "out_invoice"
            and not m.marketplace_settlement_move_id
        )._marketplace_settle()
        return posted

    def button_draft(self):
        """An invoice set back to draft takes its settlement with it: posting it
        again books Cartona's share of what it then says."""
        settlements = self.marketplace_settlement_move_id
        result = super().button_draft()
        if settlements:
            # sudo: the settlement follows its invoice, whoever resets it.
            self.sudo().marketplace_settlement_move_id = False
            cancel_entries(settlements)
        return result

    def _marketplace_order(self):
        self.ensure_one()
        orders = self.line_ids.sale_line_ids.order_id.filtered("is_marketplace_order")
        return orders if len(orders) == 1 else orders.browse()

    def _marketplace_split(self, order):
        """The split of this invoice, with Cartona's figures as last reported."""
        self.ensure_one()
        discount = sum(
            line.quantity * line.sale_line_ids[:1].cartona_discount
            for line in self.invoice_line_ids
            if line.display_type == "product" and line.sale_line_ids
        )
        return settlement.split(
            abs(self.amount_total_signed),
            credit=order.cartona_credit,
            installment=order.cartona_installment_cost,
            wallet_top_up=order.cartona_wallet_top_up,
            discount=discount,
            rounding=self.company_id.currency_id.rounding,
        )

    def _marketplace_settle(self):
        """Book Cartona's share of each posted invoice of a Cartona order, once.

        sudo: a consequence of posting the invoice, whoever posts it (a Billing
        user, or the invoicing job); the account's partner and journal are its own.
        """
        for invoice in self.sudo():
            order = invoice._marketplace_order()
            config = order.marketplace_config_id
            if not (order and config.settlement_partner_id):
                continue
            split = invoice._marketplace_split(order)
            if split.capped:
                order._message_log(
                    body=Markup("%s")
                    % self.env._(
                        "Cartona reported %(paid)s paid by credit and installments, "
                        "more than the invoice %(invoice)s (%(total)s): Cartona's "
                        "share was capped at the invoice total.",
                        paid=split.reported_paid,
                        invoice=invoice.name,
                        total=split.total,
                    )
                )
            if not split.needs_entry:
                continue
            journal = config.settlement_journal_id or config._money_settlement_journal()
            invoice.marketplace_settlement_move_id = invoice._marketplace_settlement(
                split, config.settlement_partner_id, journal
            )

    def _marketplace_settlement(self, split, cartona, journal):
        """Post the entry of ``split`` and reconcile it with this invoice."""
        self.ensure_one()
        receivable = self.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        retailer = self.commercial_partner_id
        cartona_account = cartona.with_company(
            self.company_id
        ).property_account_receivable_id
        income = self.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        )[:1].account_id
        label = self.env._(
            "Cartona's share of %(invoice)s (%(origin)s)",
            invoice=self.name,
            origin=self.invoice_origin or "",
        )
        lines = []

        def add(account, partner, balance):
            lines.extend(entry_line(label, account, partner, balance))

        add(cartona_account, cartona, split.cartona)
        add(receivable[:1].account_id, retailer, -split.moved)
        add(income, self.env["res.partner"], -split.discount)
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": journal.id,
                "date": self.date,
                "ref": label,
                "line_ids": lines,
            }
        )
        entry.action_post()
        if split.moved > 0:
            (
                receivable
                | entry.line_ids.filtered(
                    lambda line: line.partner_id == retailer
                    and line.account_id == receivable[:1].account_id
                )
            ).filtered(lambda line: not line.reconciled).reconcile()
        return entry


def entry_line(label, account, partner, balance):
    """The creation command of a journal item of ``balance`` (none when zero)."""
    if not balance:
        return []
    return [
        fields.Command.create(
            {
                "name": label,
                "account_id": account.id,
                "partner_id": partner.id,
                "debit": balance if balance > 0 else 0.0,
                "credit": -balance if balance < 0 else 0.0,
            }
        )
    ]


def cancel_entries(entries):
    """Cancel the posted ``entries`` that followed a document set back to draft.

    sudo: they follow their document, whoever resets it.
    """
    entries = entries.sudo().filtered(lambda m: m.state == "posted")
    entries.button_draft()
    entries.button_cancel()
