# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Returns after delivery: a credit note on a Cartona invoice reverses the matching
share of Cartona's settlement (Egypt's chart, acting as a Billing user)."""

from odoo import Command
from odoo.tests import tagged

from .test_money import MoneyCase


@tagged("post_install", "-at_install")
class TestCreditNotes(MoneyCase):
    def _settled(self, **fields):
        order = self._imported(
            status="delivered", delivered_by="delivered_by_cartona", **fields
        )
        invoice = self._invoices(order)
        invoice.ensure_one()
        self.assertEqual(invoice.state, "posted")
        return order, invoice

    def _credit_note(self, invoice):
        """The accountant's draft credit note, from Odoo's Credit Note wizard."""
        wizard = (
            self.env["account.move.reversal"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "move_ids": [Command.set(invoice.ids)],
                    "reason": "Damaged on arrival",
                    "journal_id": invoice.journal_id.id,
                }
            )
        )
        action = wizard.refund_moves()
        refund = self.env["account.move"].browse(action["res_id"])
        self.assertEqual(refund.move_type, "out_refund")
        self.assertEqual(refund.state, "draft")
        return refund.with_user(self.accountant)

    def _retailer_balance(self, order, invoice):
        retailer = order.partner_id.commercial_partner_id
        moves = (
            invoice
            | invoice.marketplace_settlement_move_id
            | invoice.reversal_move_ids
            | invoice.reversal_move_ids.marketplace_settlement_reversal_id
        ).filtered(lambda m: m.state == "posted")
        return sum(
            moves.line_ids.filtered(
                lambda line: line.partner_id == retailer
                and line.account_id.account_type == "asset_receivable"
            ).mapped("balance")
        )

    def _notes(self, order):
        return order.message_ids.mapped("body")

    def test_a_full_credit_note_leaves_nothing_owed(self):
        order, invoice = self._settled(cartona_credit=300, wallet_top_up=50)
        self.assertAlmostEqual(self.config.money_cartona_share, 250, delta=0.01)
        refund = self._credit_note(invoice)
        refund.action_post()
        reversal = refund.marketplace_settlement_reversal_id
        self.assertEqual(reversal.state, "posted")
        self.assertEqual(
            reversal.journal_id, invoice.marketplace_settlement_move_id.journal_id
        )
        cartona = reversal.line_ids.filtered(
            lambda line: line.partner_id == self.config.settlement_partner_id
        )
        self.assertEqual(cartona.mapped("balance"), [-250])
        self.assertAlmostEqual(self._retailer_balance(order, invoice), 0, delta=0.01)
        self.assertAlmostEqual(self.config.money_cartona_share, 0, delta=0.01)
        self.assertAlmostEqual(invoice.amount_residual, 0, delta=0.01)
        self.assertAlmostEqual(refund.amount_residual, 0, delta=0.01)
        self.env.invalidate_all()
        self.assertAlmostEqual(order.marketplace_cartona_share, 0, delta=0.01)
        self.assertAlmostEqual(order.marketplace_cash_to_collect, 0, delta=0.01)
        self.assertTrue(
            any(
                refund.name in body and reversal.name in body and "250" in body
                for body in self._notes(order)
            )
        )

    def test_a_partial_credit_note_leaves_the_proportional_remainder(self):
        lines = [
            dict(self._line(5550101, "4812", 3, 350), applied_cartona_discount=10),
            self._line(5550102, "904#2", 2, 200),
        ]
        order, invoice = self._settled(cartona_credit=300, lines=lines)
        self.assertAlmostEqual(invoice.amount_total, 1450, delta=0.01)
        refund = self._credit_note(invoice)
        # One juice of three came back damaged: 350 of 1450.
        juice = refund.invoice_line_ids.filtered(
            lambda line: line.product_id == self.juice
        )
        refund.write(
            {
                "invoice_line_ids": [Command.update(juice.id, {"quantity": 1})]
                + [Command.delete(line.id) for line in refund.invoice_line_ids - juice]
            }
        )
        self.assertAlmostEqual(refund.amount_total, 350, delta=0.01)
        refund.action_post()
        reversal = refund.marketplace_settlement_reversal_id
        moved = round(300 * 350 / 1450, 2)  # 72.41
        discount = round(30 * 350 / 1450, 2)  # 7.24
        cartona = reversal.line_ids.filtered(
            lambda line: line.partner_id == self.config.settlement_partner_id
        )
        self.assertEqual(cartona.mapped("balance"), [-round(moved + discount, 2)])
        income = reversal.line_ids.filtered(
            lambda line: line.account_id.account_type == "income"
        )
        self.assertEqual(income.mapped("balance"), [discount])
        self.assertAlmostEqual(
            self._retailer_balance(order, invoice), 1450 - 300 - 350 + moved, delta=0.01
        )
        self.assertAlmostEqual(
            self.config.money_cartona_share, 330 - moved - discount, delta=0.01
        )
        self.env.invalidate_all()
        self.assertAlmostEqual(
            order.marketplace_cartona_share, 330 - moved - discount, delta=0.01
        )
        self.assertAlmostEqual(
            order.marketplace_cash_to_collect, 1450 - 300 - 350 + moved, delta=0.01
        )
        # The rest comes back too: together, everything is reversed.
        rest = self._credit_note(invoice)
        rest.write(
            {
                "invoice_line_ids": [
                    Command.update(
                        rest.invoice_line_ids.filtered(
                            lambda line: line.product_id == self.juice
                        ).id,
                        {"quantity": 2},
                    )
                ]
            }
        )
        self.assertAlmostEqual(rest.amount_total, 1100, delta=0.01)
        rest.action_post()
        self.assertAlmostEqual(self._retailer_balance(order, invoice), 0, delta=0.01)
        self.assertAlmostEqual(self.config.money_cartona_share, 0, delta=0.01)

    def test_reset_and_post_again_reverses_once(self):
        order, invoice = self._settled(cartona_credit=300)
        refund = self._credit_note(invoice)
        refund.action_post()
        first = refund.marketplace_settlement_reversal_id
        self.assertEqual(first.state, "posted")
        refund.button_draft()
        self.assertEqual(first.state, "cancel")
        self.assertFalse(refund.marketplace_settlement_reversal_id)
        self.assertAlmostEqual(self.config.money_cartona_share, 300, delta=0.01)
        refund.action_post()
        second = refund.marketplace_settlement_reversal_id
        self.assertEqual(second.state, "posted")
        self.assertNotEqual(second, first)
        refund._marketplace_reverse_settlement()
        self.assertEqual(refund.marketplace_settlement_reversal_id, second)
        reversals = self.env["account.move"].search(
            [
                ("journal_id", "=", first.journal_id.id),
                ("ref", "ilike", refund.name),
                ("state", "=", "posted"),
            ]
        )
        self.assertEqual(reversals, second)
        self.env.invalidate_all()  # Cartona's Share is computed, not stored
        self.assertAlmostEqual(self._retailer_balance(order, invoice), 0, delta=0.01)
        self.assertAlmostEqual(self.config.money_cartona_share, 0, delta=0.01)

    def test_a_cash_order_credit_note_reverses_nothing(self):
        order, invoice = self._settled()
        self.assertFalse(invoice.marketplace_settlement_move_id)
        refund = self._credit_note(invoice)
        refund.action_post()
        self.assertFalse(refund.marketplace_settlement_reversal_id)
        self.assertAlmostEqual(self._retailer_balance(order, invoice), 0, delta=0.01)

    def test_an_ordinary_invoice_credit_note_does_nothing(self):
        customer = self.env["res.partner"].create({"name": "Walk-in Grocer"})
        invoice = (
            self.env["account.move"]
            .with_user(self.accountant)
            .with_company(self.company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": self.juice.id,
                                "quantity": 2,
                                "price_unit": 100,
                            }
                        )
                    ],
                }
            )
        )
        invoice.action_post()
        self.assertFalse(invoice.marketplace_settlement_move_id)
        journal = self.config.settlement_journal_id
        before = self.env["account.move"].search_count(
            [("journal_id", "=", journal.id)]
        )
        refund = self._credit_note(invoice)
        refund.action_post()
        self.assertEqual(refund.state, "posted")
        self.assertFalse(refund.marketplace_settlement_reversal_id)
        self.assertEqual(
            self.env["account.move"].search_count([("journal_id", "=", journal.id)]),
            before,
        )
        self.assertAlmostEqual(invoice.amount_residual, 0, delta=0.01)
