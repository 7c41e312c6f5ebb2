# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A Cartona order ends in money: Cartona's final prices, one invoice on delivery
(built by a job of its own) and Cartona's share of it (``account_move_money.py``)."""

import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, RedirectWarning, UserError, ValidationError
from odoo.tools import float_is_zero

from ..cartona import statuses

_logger = logging.getLogger(__name__)

INVOICE_ACTIVITY = "cartona_marketplace.mail_activity_type_cartona_invoice_failed"
#: What may stop an invoice being built or posted, until a person fixes its cause.
INVOICE_ERRORS = (UserError, ValidationError, RedirectWarning, AccessError)


class SaleOrder(models.Model):
    _inherit = "sale.order"

    cartona_credit = fields.Monetary(
        copy=False,
        readonly=True,
        help="cartona_credit: the part of the order the retailer pays from its Cartona "
        "credit; Cartona owes it to the supplier.",
    )
    cartona_installment_cost = fields.Monetary(
        string="Cartona Installments",
        copy=False,
        readonly=True,
        help="installment_cost: the part of the order Cartona finances; Cartona owes "
        "it to the supplier.",
    )
    cartona_wallet_top_up = fields.Monetary(
        string="Wallet Top-up",
        copy=False,
        readonly=True,
        help="wallet_top_up: cash the retailer hands the driver on top of the order "
        "to load its Cartona wallet; it belongs to Cartona.",
    )
    marketplace_invoice_error = fields.Text(
        string="Invoicing Problem",
        copy=False,
        readonly=True,
        help="Why the invoice on delivery could not be made; press Retry once fixed.",
    )
    marketplace_invoiced = fields.Monetary(
        string="Invoiced (Cartona)",
        compute="_compute_marketplace_money",
        help="Total of the order's customer invoices.",
    )
    marketplace_cash_to_collect = fields.Monetary(
        string="Cash to Collect",
        compute="_compute_marketplace_money",
        help="What the retailer still owes for the order (its invoice less Cartona's "
        "share, plus the wallet top-up): the cash the driver brings back.",
    )
    marketplace_cartona_share = fields.Monetary(
        string="Cartona's Share",
        compute="_compute_marketplace_money",
        help="What Cartona owes for the order (credit, installments and funded "
        "discounts, less the wallet top-up), as booked on the settlement partner.",
    )

    @api.depends(
        "invoice_ids.state",
        "invoice_ids.amount_total",
        "invoice_ids.amount_residual",
        "invoice_ids.marketplace_settlement_move_id",
    )
    def _compute_marketplace_money(self):
        for order in self:
            invoices = order.invoice_ids.filtered(
                lambda m: m.move_type == "out_invoice" and m.state != "cancel"
            )
            settlements = invoices.marketplace_settlement_move_id
            retailer = order.partner_id.commercial_partner_id
            receivable = (
                invoices.filtered(lambda m: m.state == "posted").line_ids
                | settlements.line_ids
            ).filtered(lambda line: line.account_id.account_type == "asset_receivable")
            order.marketplace_invoiced = sum(invoices.mapped("amount_total"))
            order.marketplace_cash_to_collect = sum(
                receivable.filtered(
                    lambda line, retailer=retailer: line.partner_id == retailer
                ).mapped("amount_residual")
            )
            order.marketplace_cartona_share = sum(
                settlements.line_ids.filtered(
                    lambda line, retailer=retailer: line.account_id.account_type
                    == "asset_receivable"
                    and line.partner_id != retailer
                ).mapped("balance")
            )

    # ------------------------------------------------------------------
    # Cartona's prices are final
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("is_marketplace_order") and "fiscal_position_id" not in vals:
                position = self._marketplace_price_position(vals)
                if position:
                    vals["fiscal_position_id"] = position.id
        return super().create(vals_list)

    @api.model
    def _marketplace_price_position(self, vals):
        """The fiscal position keeping Cartona's prices final, for a new order."""
        # sudo: a setting of the account, for whoever creates the order.
        config = (
            self.env["marketplace.config"]
            .sudo()
            .browse(vals.get("marketplace_config_id"))
            .exists()
        )
        if not config or not config.cartona_prices_include_taxes:
            return None
        product_ids = [
            command[2]["product_id"]
            for command in vals.get("order_line") or ()
            if isinstance(command, list | tuple)
            and command[0] == fields.Command.CREATE
            and command[2].get("product_id")
        ]
        products = self.env["product.product"].sudo().browse(product_ids)
        return config._money_fiscal_position(products.taxes_id)

    # ------------------------------------------------------------------
    # An invoice on delivery
    # ------------------------------------------------------------------
    def write(self, vals):
        result = super().write(vals)
        if vals.get("marketplace_status") == statuses.DELIVERED:
            self._marketplace_enqueue_invoice()
        return result

    def action_marketplace_retry(self):
        result = super().action_marketplace_retry()
        self.filtered("marketplace_invoice_error")._marketplace_enqueue_invoice()
        return result

    def _marketplace_invoice_due(self):
        """Orders delivered on Cartona, with invoicing on, still without invoice."""
        return self.filtered(
            lambda order: order.is_marketplace_order
            and order.state == "sale"
            and order.marketplace_status == statuses.DELIVERED
            # sudo: a setting of the account, for whoever delivered the order.
            and order.marketplace_config_id.sudo().invoice_on_delivery != "off"
            and not order.sudo()._marketplace_invoice()
        )

    def _marketplace_enqueue_invoice(self):
        """One invoicing job per order, run once this transaction committed."""
        for order in self._marketplace_invoice_due():
            order.with_delay(
                identity_key=f"cartona-invoice-{order.id}",
                description=self.env._("Cartona: invoice %(order)s", order=order.name),
            )._marketplace_make_invoice()

    def _marketplace_invoice(self):
        """The order's customer invoice (made by the job or by a person)."""
        self.ensure_one()
        return self.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state != "cancel"
        ).sorted("id")[:1]

    def _marketplace_make_invoice(self):
        """Make the customer invoice of a delivered Cartona order (job).

        Idempotent: the order's row is locked, an invoice it already has (made
        before, or by hand) is adopted, never doubled. A cause a person must fix (a
        missing income account, a locked period) is told to the account's
        responsible; Retry queues the job again.
        """
        self.ensure_one()
        # sudo: invoicing a delivered order is the integration's work, whoever's
        # delivery queued it; the order's company scopes everything.
        order = self.sudo().with_company(self.company_id)
        if not order.exists() or not self.env["marketplace.order.sync"]._lock(order):
            return "order deleted"
        order.invalidate_recordset()
        if not order._marketplace_invoice_due():
            invoice = order.invoice_ids and order._marketplace_invoice()
            if invoice:
                if order.marketplace_invoice_error:
                    order._marketplace_invoice_solved()
                return f"{order.name}: already invoiced by {invoice.name or invoice.id}"
            return f"{order.name}: nothing to invoice"
        try:
            with self.env.cr.savepoint():
                invoice = order._marketplace_create_invoice()
                if order.marketplace_config_id.invoice_on_delivery == "post":
                    invoice.action_post()
        except INVOICE_ERRORS as exc:
            order._marketplace_invoice_failed(exc)
            return f"{order.name}: invoice not made: {exc}"
        order._marketplace_invoice_solved()
        return f"{order.name}: invoiced by {invoice.name or invoice.id}"

    def _marketplace_invoice_quantities(self):
        """``{sale line: quantity}`` the retailer received.

        A supplier-delivered order: what left in Odoo. A Cartona-delivered order:
        Cartona's last report (its cancelled lines excluded), whatever Odoo's
        pickup shows.
        """
        self.ensure_one()
        lines = self.order_line.filtered(
            lambda line: not line.display_type and not line.is_downpayment
        )
        if self.delivered_by != statuses.DELIVERED_BY_CARTONA:
            return {line: line.qty_delivered for line in lines}
        quantities = {}
        for line in lines:
            if line.cartona_line_ref and self.marketplace_cartona_lines:
                quantities[line] = (
                    0.0 if line.cartona_cancelled else line.cartona_amount
                )
            else:
                quantities[line] = line.product_uom_qty
        return quantities

    def _marketplace_create_invoice(self):
        """The draft invoice of what the retailer received, at Cartona's prices."""
        self.ensure_one()
        order = self
        if order.partner_invoice_id.lang:
            order = order.with_context(lang=order.partner_invoice_id.lang)
        invoice_vals = order._prepare_invoice()
        invoice_vals["ref"] = self.env._("Cartona %(order)s", order=order.cartona_id)
        sequence = 0
        for line, quantity in order._marketplace_invoice_quantities().items():
            if float_is_zero(
                quantity, precision_rounding=line.product_uom.rounding or 0.01
            ):
                continue
            invoice_vals["invoice_line_ids"].append(
                fields.Command.create(
                    line._prepare_invoice_line(sequence=sequence, quantity=quantity)
                )
            )
            sequence += 1
        if not sequence:
            raise UserError(
                self.env._(
                    "%(order)s has nothing delivered to invoice.", order=order.name
                )
            )
        return (
            self.env["account.move"]
            .with_context(default_move_type="out_invoice")
            .create(invoice_vals)
        )

    def _marketplace_invoice_failed(self, error):
        """Say why on the order, and tell the account's responsible in their
        language what to do next (one open activity, kept current)."""
        self.ensure_one()
        message = str(error.args[0] if error.args else error)
        self.marketplace_invoice_error = message
        user = self.env["marketplace.people"]._account_responsible(
            self.marketplace_config_id
        )
        if not user:
            _logger.warning(
                "Cartona invoice of %s not made and nobody to tell: give the Cartona "
                "account a responsible",
                self.name,
            )
            return
        note = Markup(
            self.with_context(lang=user.lang or self.env.lang).env._(
                "<p>The invoice of this delivered Cartona order could not be made: "
                "%(reason)s</p><p>Fix its cause (for example the product's income "
                "account or the accounting lock date), then press <b>Retry</b> on the "
                "order: the invoice is made once.</p>"
            )
        ) % {"reason": message}
        activity = self.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(INVOICE_ACTIVITY)
        )
        if activity:
            activity.write({"note": note, "user_id": user.id})
        else:
            self.activity_schedule(INVOICE_ACTIVITY, note=note, user_id=user.id)

    def _marketplace_invoice_solved(self):
        self.marketplace_invoice_error = False
        if self.activity_ids:
            self.activity_feedback(
                [INVOICE_ACTIVITY], feedback=self.env._("The invoice is made.")
            )
