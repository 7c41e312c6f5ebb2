# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Returns after delivery: a credit note on a Cartona invoice reverses the matching
share of its settlement (``account_move_money.py``), once per credit note."""

from markupsafe import Markup

from odoo import fields, models

from ..cartona import settlement
from .account_move_money import cancel_entries, entry_line


class AccountMove(models.Model):
    _inherit = "account.move"

    marketplace_settlement_reversal_id = fields.Many2one(
        comodel_name="account.move",
        string="Cartona Settlement Reversal",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The entry giving back to the retailer Cartona's share of what this "
        "credit note credits.",
    )

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted.filtered(
            lambda m: m.move_type == "out_refund"
            and not m.marketplace_settlement_reversal_id
        )._marketplace_reverse_settlement()
        return posted

    def button_draft(self):
        """A credit note set back to draft takes its reversal with it: posting it
        again reverses the share of what it then says."""
        reversals = self.marketplace_settlement_reversal_id
        result = super().button_draft()
        if reversals:
            # sudo: the reversal follows its credit note, whoever resets it.
            self.sudo().marketplace_settlement_reversal_id = False
            cancel_entries(reversals)
        return result

    def _marketplace_credited_invoice(self):
        """The settled Cartona invoice this credit note credits, if any."""
        self.ensure_one()
        invoice = self.reversed_entry_id
        if not invoice:
            invoices = self.line_ids.sale_line_ids.invoice_lines.move_id.filtered(
                lambda m: m.move_type == "out_invoice" and m.state == "posted"
            )
            invoice = invoices if len(invoices) == 1 else invoices.browse()
        if (
            invoice.move_type == "out_invoice"
            and invoice.state == "posted"
            and invoice.marketplace_settlement_move_id.state == "posted"
        ):
            return invoice
        return invoice.browse()

    def _marketplace_booked_split(self):
        """The split as the invoice's settlement entry booked it."""
        self.ensure_one()
        entry = self.marketplace_settlement_move_id
        retailer = self.commercial_partner_id
        receivable = self.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )[:1].account_id
        moved = -sum(
            entry.line_ids.filtered(
                lambda line: line.account_id == receivable
                and line.partner_id == retailer
            ).mapped("balance")
        )
        discount = -sum(
            entry.line_ids.filtered(
                lambda line: line.account_id.account_type == "income"
            ).mapped("balance")
        )
        total = abs(self.amount_total_signed)
        return settlement.Split(
            total=total,
            retailer=total - moved,
            cartona=moved + discount,
            moved=moved,
            discount=discount,
        )

    def _marketplace_reverse_settlement(self):
        """Reverse the share of each posted credit note of a settled Cartona invoice.

        sudo: a consequence of posting the credit note, whoever posts it; the
        accounts, partner and journal are the settlement's own.
        """
        for refund in self.sudo():
            if refund.marketplace_settlement_reversal_id:
                continue
            invoice = refund._marketplace_credited_invoice()
            order = invoice and invoice._marketplace_order()
            if not order:
                continue
            rounding = invoice.company_id.currency_id.rounding
            earlier = invoice.reversal_move_ids.filtered(
                lambda m, refund=refund: m != refund
                and m.state == "posted"
                and m.marketplace_settlement_reversal_id.state == "posted"
            )
            if not earlier and invoice.line_ids.sale_line_ids:
                earlier = invoice.line_ids.sale_line_ids.invoice_lines.move_id.filtered(
                    lambda m, refund=refund: m != refund
                    and m.move_type == "out_refund"
                    and m.marketplace_settlement_reversal_id.state == "posted"
                )
            share = settlement.credited(
                invoice._marketplace_booked_split(),
                abs(refund.amount_total_signed),
                already_credited=sum(abs(m.amount_total_signed) for m in earlier),
                rounding=rounding,
            )
            if not share.needs_entry:
                continue
            entry = invoice._marketplace_settlement_reversal(refund, share)
            refund.marketplace_settlement_reversal_id = entry
            refund._marketplace_reversal_note(order, invoice, entry, share)

    def _marketplace_settlement_reversal(self, refund, share):
        """Post the entry giving ``share`` back to the retailer and reconcile it."""
        self.ensure_one()
        original = self.marketplace_settlement_move_id
        retailer = self.commercial_partner_id
        receivable = self.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )[:1].account_id
        cartona_lines = original.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
            and line.partner_id != retailer
        )
        income_lines = original.line_ids.filtered(
            lambda line: line.account_id.account_type == "income"
        )
        label = self.env._(
            "Cartona's share of %(refund)s, credit note of %(invoice)s",
            refund=refund.name,
            invoice=self.name,
        )
        lines = []

        def add(account, partner, balance):
            lines.extend(entry_line(label, account, partner, balance))

        add(cartona_lines[:1].account_id, cartona_lines[:1].partner_id, -share.cartona)
        add(receivable, retailer, share.moved)
        add(income_lines[:1].account_id, self.env["res.partner"], share.discount)
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": original.journal_id.id,
                "date": refund.date,
                "ref": label,
                "line_ids": lines,
            }
        )
        entry.action_post()
        related = (
            self
            | original
            | self.reversal_move_ids
            | self.reversal_move_ids.marketplace_settlement_reversal_id
            | refund
            | entry
        ).filtered(lambda m: m.state == "posted")
        _reconcile(
            related.line_ids.filtered(
                lambda line: line.account_id == receivable
                and line.partner_id == retailer
            )
        )
        _reconcile(
            related.line_ids.filtered(
                lambda line: line.account_id == cartona_lines[:1].account_id
                and line.partner_id == cartona_lines[:1].partner_id
            )
        )
        return entry

    def _marketplace_reversal_note(self, order, invoice, entry, share):
        """Say on the order what the credit note gave back, in its people's
        language."""
        order = self.env["marketplace.people"]._for_reader(order)
        order._message_log(
            body=Markup("%s")
            % order.env._(
                "Credit note %(refund)s of %(invoice)s: Cartona's share of it was "
                "reversed by %(entry)s: %(moved)s back on the retailer, %(cartona)s "
                "off Cartona's balance.",
                refund=self.name,
                invoice=invoice.name,
                entry=entry.name,
                moved=share.moved,
                cartona=share.cartona,
            )
        )


def _reconcile(lines):
    """Reconcile the open ones of ``lines`` together, where both signs are open."""
    lines = lines.filtered(lambda line: not line.reconciled and line.amount_residual)
    if any(line.amount_residual > 0 for line in lines) and any(
        line.amount_residual < 0 for line in lines
    ):
        lines.reconcile()
