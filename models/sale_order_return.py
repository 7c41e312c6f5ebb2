# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Returns: a failed delivery comes back to stock, and Cartona knows.

Two ways lead to Cartona's ``returned`` (the decisions are ``cartona.returns``'s):

- Cartona reports it in the pull feed: the import's status step calls
  :meth:`SaleOrder._marketplace_apply_return`. Nothing is pushed back.
- A storekeeper whose driver came back with the goods presses **Delivery Failed**
  (:meth:`SaleOrder.action_marketplace_delivery_failed`): Odoo tells Cartona at once,
  on the single-order endpoint, and applies the return only once Cartona accepted.

Either way the deliveries that never left are cancelled and what left comes back
through one return, ready to validate when the goods arrive; seen again, nothing more
happens. Nothing is invoiced.
"""

from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.queue_job.exception import RetryableJobError

from ..cartona import errors, outbound, returns, statuses

STOCK_USER = "stock.group_stock_user"


class SaleOrder(models.Model):
    _inherit = "sale.order"

    marketplace_return_picking_id = fields.Many2one(
        comodel_name="stock.picking",
        string="Return of the Failed Delivery",
        copy=False,
        readonly=True,
        check_company=True,
        index="btree_not_null",
        help="The receipt that brings back the goods the retailer did not receive "
        "(Cartona status Returned). Validate it when the goods are back.",
    )
    marketplace_returned_date = fields.Datetime(
        string="Return Handled On",
        copy=False,
        readonly=True,
        help="When Odoo handled Cartona's Returned: the deliveries that never left "
        "were cancelled, a return was prepared for what left. Seeing Returned again "
        "changes nothing.",
    )

    # ------------------------------------------------------------------
    # Delivery Failed (Odoo -> Cartona)
    # ------------------------------------------------------------------
    def action_marketplace_delivery_failed(self):
        """Delivery Failed: ask the return reason, then tell Cartona."""
        self.ensure_one()
        self._marketplace_check_return_rights()
        self._marketplace_check_failed_delivery()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Delivery Failed"),
            "res_model": "marketplace.delivery.failed",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_id": self.id},
        }

    def _marketplace_check_return_rights(self):
        """Who may report a failed delivery: a Marketplace User who may validate
        deliveries (Inventory / User) and edit the order. A button is also a method
        anyone logged in can call over RPC."""
        if not (self.env.su or self.env.user.has_group(STOCK_USER)):
            raise AccessError(
                self.env._(
                    "Only people who validate deliveries (Inventory / User) may "
                    "report a failed delivery to Cartona."
                )
            )
        self._marketplace_check_rights()

    def _marketplace_check_failed_delivery(self):
        """A UserError saying why this order's delivery cannot be reported as
        failed, if it cannot."""
        self.ensure_one()
        problem = self.env["marketplace.order.plan"]._problem(self)
        if problem:
            raise UserError(
                self.env["marketplace.order.wording"]._plan_text(
                    self, outbound.Plan(outbound.BLOCKED), problem
                )
            )
        problem = returns.failed_delivery_problem(
            self.marketplace_status, self.delivered_by, self.state
        )
        if problem == returns.PROBLEM_CARTONA_DELIVERS:
            raise UserError(
                self.env._(
                    "%(order)s is delivered by Cartona: Cartona reports its returns.",
                    order=self.name,
                )
            )
        if problem == returns.PROBLEM_NOT_CONFIRMED:
            raise UserError(
                self.env._("Only confirmed orders can have a failed delivery.")
            )
        if problem:
            label = self.env["marketplace.order.wording"]._status_label
            raise UserError(
                self.env._(
                    "Cartona has %(order)s as %(status)s: a failed delivery can be "
                    "reported only while the order is out for delivery (%(shipped)s).",
                    order=self.name,
                    status=label(self.marketplace_status),
                    shipped=label(statuses.ASSIGNED_TO_SALESMAN),
                )
            )

    def _marketplace_reason_text(self, problem):
        _ = self.env._
        if problem == returns.PROBLEM_REASON_TOO_LONG:
            return _(
                "The return reason is too long: Cartona takes %(limit)s characters.",
                limit=returns.MAX_REASON,
            )
        if problem == returns.PROBLEM_REASON_UNSTORABLE:
            return _("The return reason contains characters Cartona cannot take.")
        return _("Say why the retailer did not receive the goods.")

    def _marketplace_report_failed_delivery(self, reason):
        """Tell Cartona now that the delivery failed; apply the return once it
        accepted.

        Returns ``(outcome, message)``, the message in the person's language:
        ``returned`` (Cartona accepted, the return is ready), ``return_failed``
        (Cartona accepted, Odoo could not prepare the return: the order says what
        to do), ``refused`` (Cartona refused: its reason, as text) or ``failed``
        (Cartona could not be reached...). Unless Cartona accepted, nothing changes
        in Odoo besides the sync log of the request.
        """
        self.ensure_one()
        self._marketplace_check_return_rights()
        self._marketplace_check_failed_delivery()
        problem = returns.reason_problem(reason)
        if problem:
            raise UserError(self._marketplace_reason_text(problem))
        reason = returns.clean_reason(reason)
        _ = self.env._
        Sync = self.env["marketplace.order.sync"]
        try:
            # The savepoint keeps the transaction usable for the message.
            with self.env.cr.savepoint(flush=False):
                Sync._lock(self)
        except RetryableJobError as exc:
            raise UserError(
                _(
                    "%(order)s is being synced with Cartona right now: try again in a "
                    "few seconds.",
                    order=self.name,
                )
            ) from exc
        # sudo: rights checked above; the token is the integration's, and what
        # Cartona accepts is recorded by it (the fields that bind an order to
        # Cartona are not the user's).
        order = self.sudo()
        try:
            answer = self.env["marketplace.api"].report_order_returned(order, reason)
        except errors.RejectedError as exc:
            return "refused", _(
                "Cartona refused to mark %(order)s as returned (nothing changed in "
                "Odoo): %(reason)s",
                order=self.name,
                reason=errors.extract_message(exc.body) or _("no reason given"),
            )
        except errors.CartonaError as exc:
            return "failed", _(
                "Nothing changed in Odoo. %(error)s",
                error=Sync._error_text(self, exc),
            )
        Sync._accepted(
            order,
            outbound.Step(outbound.STEP_STATUS, status=statuses.RETURNED),
            answer,
        )
        order.cartona_return_reason = reason
        try:
            with self.env.cr.savepoint():
                self._marketplace_apply_return()
        except (UserError, ValidationError, AccessError) as exc:
            message = _(
                "Cartona has %(order)s as returned, but Odoo could not prepare the "
                "return: %(error)s Return the goods from the delivery (Return) and "
                "cancel what did not leave.",
                order=self.name,
                error=str(exc),
            )
            Sync._set_result(order, "error", message)
            return "return_failed", message
        receipt = self.marketplace_return_picking_id
        if receipt:
            return "returned", _(
                "Cartona knows the delivery of %(order)s failed. The return "
                "%(picking)s is ready to receive the goods.",
                order=self.name,
                picking=receipt.name,
            )
        return "returned", _(
            "Cartona knows the delivery of %(order)s failed. Nothing had left the "
            "warehouse: its deliveries are cancelled.",
            order=self.name,
        )

    # ------------------------------------------------------------------
    # The return (either way)
    # ------------------------------------------------------------------
    def _marketplace_apply_return(self):
        """Bring back what left for the retailer, once (see ``cartona.returns``).

        Cancels the deliveries that never left (backorders included) and prepares
        one return of the quantities shipped, linked to the order and ready to
        validate. Returns ``(changes, warnings)``, sentences for the import's log.
        """
        self.ensure_one()
        _ = self.env._
        customer = self.env["marketplace.order.plan"]._customer_pickings(self)
        outgoing = self.picking_ids.filtered(
            lambda p: p.picking_type_code != "incoming" and not p.return_id
        )
        plan = returns.plan_return(
            [returns.Delivery(p.id, p.state, p in customer) for p in outgoing],
            returned_before=bool(self.marketplace_returned_date),
        )
        if plan.already:
            return [], []
        Picking = self.env["stock.picking"]
        changes, warnings = [], []
        cancelled = Picking.browse(plan.cancel)
        if cancelled:
            cancelled.action_cancel()
            changes.append(
                _(
                    "deliveries %(pickings)s cancelled",
                    pickings=", ".join(cancelled.mapped("name")),
                )
            )
        shipped = Picking.browse(plan.return_from)
        receipt = self._marketplace_create_return(shipped)
        if receipt:
            changes.append(
                _("return %(picking)s prepared for what left", picking=receipt.name)
            )
        elif shipped:
            warnings.append(self._marketplace_returned_text(shipped))
        invoices = self._marketplace_posted_invoices()
        if invoices:
            warnings.append(self._marketplace_invoiced_text(invoices))
        self.write(
            {
                "marketplace_returned_date": fields.Datetime.now(),
                "marketplace_return_picking_id": receipt.id,
            }
        )
        self._marketplace_return_note(
            receipt, cancelled, shipped if not receipt else Picking, invoices
        )
        return changes, warnings

    def _marketplace_returned_text(self, shipped):
        return self.env._(
            "The goods of %(pickings)s were returned already.",
            pickings=", ".join(shipped.mapped("name")),
        )

    def _marketplace_invoiced_text(self, invoices):
        return self.env._(
            "%(invoices)s invoiced goods that came back: reverse it with a credit "
            "note.",
            invoices=", ".join(invoices.mapped("name")),
        )

    def _marketplace_posted_invoices(self):
        """The order's posted customer invoices."""
        # sudo: whether the goods were invoiced, for a storekeeper who may not read
        # invoices; only their names reach the note.
        return self.sudo().invoice_ids.filtered(
            lambda m: m.state == "posted" and m.move_type == "out_invoice"
        )

    def _marketplace_create_return(self, pickings):
        """One return (Odoo's own return wizard) of what ``pickings`` shipped and
        was not returned yet; an empty recordset when nothing is left to return."""
        Wizard = self.env["stock.return.picking"]
        wizards = []
        for picking in pickings:
            wizard = Wizard.create({"picking_id": picking.id})
            for line in wizard.product_return_moves:
                move = line.move_id
                returned = move.move_dest_ids.filtered(
                    lambda m, move=move: m.origin_returned_move_id == move
                    and m.state != "cancel"
                )
                line.quantity = returns.quantity_to_return(
                    move.quantity, returned.mapped("quantity")
                )
            if any(wizard.product_return_moves.mapped("quantity")):
                wizards.append(wizard)
        if not wizards:
            return self.env["stock.picking"]
        receipt = wizards[0]._create_return()
        if len(wizards) > 1:
            # The other deliveries' goods come back in the same receipt.
            for wizard in wizards[1:]:
                for line in wizard.product_return_moves:
                    line._process_line(receipt)
            receipt.action_confirm()
            receipt.action_assign()
        return receipt

    def _marketplace_return_note(self, receipt, cancelled, returned, invoices):
        """Say on the order what the return did, in its responsible's language;
        Cartona's reason is text, never markup."""
        order = self.env["marketplace.people"]._for_reader(self)
        _ = order.env._
        parts = [
            _(
                "Cartona: the retailer did not receive the goods (%(reason)s).",
                reason=order.cartona_return_reason or _("no reason given"),
            )
        ]
        if receipt:
            parts.append(
                _(
                    "The return %(picking)s is ready to receive them: validate it "
                    "when the goods are back.",
                    picking=receipt.name,
                )
            )
        if cancelled:
            parts.append(
                _(
                    "Cancelled, as they never left: %(pickings)s.",
                    pickings=", ".join(cancelled.mapped("name")),
                )
            )
        if returned:
            parts.append(order._marketplace_returned_text(returned))
        if invoices:
            parts.append(order._marketplace_invoiced_text(invoices))
        body = Markup("").join(Markup("<p>%s</p>") % part for part in parts)
        order.with_company(order.company_id)._message_log(body=body)
