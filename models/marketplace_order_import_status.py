# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The import, Cartona's status: the Odoo steps a pulled status asks for (confirm,
cancel, validate the deliveries Cartona made, a return), in the order the core's
``inbound.status_steps`` gives, each refused step a visible problem."""

from odoo import models
from odoo.exceptions import UserError, ValidationError

from ..cartona import inbound

#: Failures of one Odoo step of an import (confirming, cancelling, validating).
STEP_ERRORS = (UserError, ValidationError)


class MarketplaceOrderProcessor(models.AbstractModel):
    _inherit = "marketplace.order.processor"

    def _apply_status(self, config, order, data, outcome):
        """Do what Cartona's status asks, then store it (only if all steps worked)."""
        for step in inbound.status_steps(data.status, data.delivered_by):
            if not getattr(self, f"_step_{step}")(config, order, data, outcome):
                return
        stored = inbound.stored_status(data.status)
        if stored and order.marketplace_status != stored:
            order.marketplace_status = stored
            outcome.changes.append(
                self.env._("Cartona status %(status)s", status=stored)
            )

    def _attempt(self, outcome, action, problem):
        """``action()`` in a savepoint; Odoo's refusal becomes the import's problem
        (``problem(error text)``), and nothing of the step stays."""
        try:
            with self.env.cr.savepoint():
                action()
        except STEP_ERRORS as exc:
            outcome.problem = problem(str(exc))
            return False
        return True

    def _step_confirm(self, config, order, data, outcome):
        if order.state in ("sale", "done"):
            return True
        if order.state == "cancel":
            outcome.warnings.append(
                self.env._(
                    "Cartona reports %(status)s but the order is cancelled in Odoo",
                    status=data.status,
                )
            )
            return False
        if not config.auto_confirm_approved:
            outcome.changes.append(
                self.env._(
                    "%(status)s on Cartona: confirm the order in Odoo (automatic "
                    "confirmation is off)",
                    status=data.status,
                )
            )
            return True
        confirmed = self._attempt(
            outcome,
            order.action_confirm,
            lambda error: self.env._(
                "Cartona reports %(order)s %(status)s, but it could not be confirmed: "
                "%(error)s",
                order=order.name,
                status=data.status,
                error=error,
            ),
        )
        if not confirmed:
            return False
        outcome.changes.append(self.env._("confirmed"))
        return True

    def _step_cancel(self, config, order, data, outcome):
        if order.state == "cancel":
            return True
        shipped = (
            self.env["marketplace.order.plan"]
            ._customer_pickings(order)
            .filtered(lambda p: p.state == "done")
        )
        if shipped:
            outcome.problem = self.env._(
                "Cartona reports %(order)s %(status)s, but %(pickings)s already left "
                "the warehouse: the order was not cancelled. Arrange the return of "
                "the goods, then cancel the order in Odoo.",
                order=order.name,
                status=data.status,
                pickings=", ".join(shipped.mapped("name")),
            )
            return False

        def cancel():
            order.picking_ids.filtered(
                lambda p: p.state not in ("done", "cancel")
            ).action_cancel()
            # Not action_cancel(): in Odoo 18 it may open a wizard instead.
            order._action_cancel()

        cancelled = self._attempt(
            outcome,
            cancel,
            lambda error: self.env._(
                "Cartona reports %(order)s %(status)s, but it could not be "
                "cancelled: %(error)s",
                order=order.name,
                status=data.status,
                error=error,
            ),
        )
        if not cancelled:
            return False
        outcome.changes.append(self.env._("cancelled"))
        return True

    def _step_validate_delivery(self, config, order, data, outcome):
        if not config.validate_cartona_deliveries or order.state != "sale":
            return True
        pickings = order.picking_ids.filtered(
            lambda p: (
                p.picking_type_code != "incoming" and p.state not in ("done", "cancel")
            )
        ).sorted("id")
        if not pickings:
            return True

        def validate():
            for picking in pickings:
                picking.action_assign()
                for move in picking.move_ids.filtered(
                    lambda m: m.state not in ("done", "cancel")
                ):
                    move.quantity = move.product_uom_qty
                    move.picked = True
                picking.with_context(cancel_backorder=True)._action_done()

        validated = self._attempt(
            outcome,
            validate,
            lambda error: self.env._(
                "Cartona delivered %(order)s, but its delivery could not be "
                "validated: %(error)s",
                order=order.name,
                error=error,
            ),
        )
        if not validated:
            return False
        outcome.changes.append(
            self.env._(
                "delivery %(pickings)s validated",
                pickings=", ".join(pickings.mapped("name")),
            )
        )
        return True

    def _step_return(self, config, order, data, outcome):
        # The goods come back, once (models/sale_order_return.py).
        done = []
        returned = self._attempt(
            outcome,
            lambda: done.append(order._marketplace_apply_return()),
            lambda error: self.env._(
                "Cartona reports %(order)s returned, but its return could not be "
                "prepared: %(error)s",
                order=order.name,
                error=error,
            ),
        )
        if not returned:
            return False
        changes, warnings = done[0]
        outcome.changes.extend(changes)
        outcome.warnings.extend(warnings)
        return True

    def _step_not_driven(self, config, order, data, outcome):
        if inbound.stored_status(data.status) != order.marketplace_status:
            outcome.warnings.append(
                self.env._(
                    "Cartona reports %(status)s for an order the supplier delivers: "
                    "nothing changed in Odoo",
                    status=data.status,
                )
            )
        return True

    def _step_unknown(self, config, order, data, outcome):
        # The core already warned; the raw status is kept on the order.
        return True
