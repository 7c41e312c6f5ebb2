# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The planner's inputs, read off one order: what Cartona has, what Odoo wants, and
what keeps the order from Cartona. ``cartona.outbound.plan`` decides; this model only
turns the order's records into its plain values (and the plan into a preview)."""

import json

from odoo import api, models
from odoo.exceptions import UserError

from ..cartona import inbound, outbound, payloads, statuses
from ..cartona.client import UPDATE_DETAILS, UPDATE_STATUS

MAPPINGS = ("basic", "combined")
#: What the planner reads of an order's lines.
WANTED_LINE_FIELDS = [
    "display_type",
    "is_downpayment",
    "product_id",
    "cartona_line_ref",
    "cartona_line_sent",
    "product_uom_qty",
    "qty_delivered",
    "price_unit",
]


class MarketplaceOrderPlan(models.AbstractModel):
    _name = "marketplace.order.plan"
    _description = "Cartona Order Plan Inputs"

    @api.model
    def _customer_pickings(self, order):
        """Deliveries leaving for the customer (the last step of multi-step routes)."""
        order.ensure_one()
        return order.picking_ids.filtered(
            lambda p: (
                p.picking_type_code == "outgoing"
                and p.location_dest_id.usage == "customer"
                and p.state != "cancel"
            )
        )

    @api.model
    def _all_shipped(self, order):
        pickings = self._customer_pickings(order)
        return bool(pickings) and all(p.state == "done" for p in pickings)

    @api.model
    def _delivery_state(self, order):
        """Readable summary of the customer deliveries, for previews."""
        pickings = self._customer_pickings(order)
        if not pickings:
            return order.env._("no delivery")
        done = len(pickings.filtered(lambda p: p.state == "done"))
        return order.env._(
            "%(done)s/%(count)s customer deliveries done",
            done=done,
            count=len(pickings),
        )

    @api.model
    def _target_status(self, order, mapping):
        if mapping not in MAPPINGS:
            raise ValueError(f"unknown mapping {mapping!r}")
        if mapping == "basic":
            return order._map_odoo_status_to_marketplace()
        return order._map_combined_status_to_marketplace()

    @api.model
    def _problem(self, order, check_account=True):
        """The precondition that keeps this order from Cartona, or ``None``.

        ``check_account=False`` leaves out the state of the Cartona account (archived,
        token rejected): the order's own facts only.
        """
        order.ensure_one()
        if not order.is_marketplace_order:
            return outbound.REASON_NOT_MARKETPLACE
        if not order.cartona_id:
            return outbound.REASON_NO_CARTONA_ID
        if not order.marketplace_config_id:
            return outbound.REASON_NO_ACCOUNT
        if order.marketplace_import_error:
            return outbound.REASON_IMPORT_PROBLEM
        if check_account:
            # sudo: the account's state, not its secrets, for whoever acts on the
            # order (a storekeeper may not read accounts).
            config = order.marketplace_config_id.sudo()
            if not config.active:
                return outbound.REASON_ACCOUNT_ARCHIVED
            if config.connection_status == "auth_failed":
                return outbound.REASON_TOKEN_REJECTED
        return None

    @api.model
    def _cartona_has(self, order):
        """What Cartona last accepted, as the planner reads it.

        A cancellation pulled from Cartona is final even when its name is not one of
        the documented statuses (``cancelled``, ``cancelled_by_cartona``), which the
        order's Cartona Status cannot hold.
        """
        order.ensure_one()
        return outbound.CartonaHas(
            status=inbound.planned_status(
                order.marketplace_status or statuses.PENDING, order.cartona_status_raw
            ),
            lines=outbound.view_from_json(order.marketplace_cartona_lines),
        )

    @api.model
    def _wanted_lines(self, order):
        """What Odoo wants each line to be on Cartona.

        The ordered quantity, or, once every delivery leaving for the customer is done
        or cancelled, the quantity that actually left. Notes, sections, down payments
        and services are not Cartona's; a line added in Odoo carries the product id
        Cartona knows it by (the account's product matching).
        """
        order.ensure_one()
        shipped = order.marketplace_shipped
        wanted = []
        # Only what is compared, in one query (a job starts on a cold cache); values
        # changed in this transaction and not written yet stay those of the cache.
        if isinstance(order.id, models.NewId):
            lines = order.order_line  # a form's record being edited: its own lines
        else:
            lines = order.env["sale.order.line"].search_fetch(
                [("order_id", "=", order.id)], WANTED_LINE_FIELDS
            )
        for line in lines:
            if line.display_type or line.is_downpayment or not line.product_id:
                continue
            ref = line.cartona_line_ref
            # Cartona's lines are goods; a line added in Odoo is, if not a service.
            if not ref and line.product_id.type != "consu":
                continue
            amount = line.qty_delivered if shipped else line.product_uom_qty
            wanted.append(
                outbound.WantedLine(
                    key=str(line.id),
                    amount=amount,
                    price=line.price_unit,
                    ref=int(ref) if ref and ref.isdigit() else None,
                    product=None if ref else line._marketplace_product_key(),
                    sent=line.cartona_line_sent,
                )
            )
        return tuple(wanted)

    @api.model
    def _plan(self, order, mapping="combined", target=None, check_account=True):
        """Ask the planner what bringing Cartona to Odoo's view of this order takes.

        ``target`` overrides the mapping's status (Confirm Delivery asks for
        ``delivered``, the cancellation dialog for a supplier cancellation).
        """
        order.ensure_one()
        problem = self._problem(order, check_account=check_account)
        has = self._cartona_has(order)
        wants = outbound.OdooWants(
            status=target or self._target_status(order, mapping),
            lines=self._wanted_lines(order) if has.lines is not None else (),
            delivered_by=order.delivered_by or statuses.DELIVERED_BY_SUPPLIER,
        )
        return outbound.plan(has, wants, problem=problem)

    @api.model
    def _preview_vals(self, order, mapping="combined"):
        """What the reconciler would send now: the whole plan, every request body."""
        order.ensure_one()
        plan = order._marketplace_plan(mapping)
        config = order.marketplace_config_id
        requests, reason = [], False
        if plan.decision == outbound.SEND:
            try:
                requests = [
                    self._request_preview(order, step, config) for step in plan.steps
                ]
            except UserError as exc:
                plan, reason = outbound.Plan(outbound.BLOCKED), str(exc)
        if plan.decision != outbound.SEND:
            reason = reason or self.env["marketplace.order.wording"]._plan_text(
                order, plan
            )
        notes = [
            self.env["marketplace.order.wording"]._plan_text(order, plan, *note)
            for note in plan.notes
        ]
        decision = {
            outbound.SEND: "send",
            outbound.BLOCKED: "blocked",
        }.get(plan.decision, "nothing")
        steps = [
            order.env._("order lines (%(count)s changes)", count=len(step.changes))
            if step.kind == outbound.STEP_DETAILS
            else step.status
            for step in plan.steps
        ]
        return {
            "order_id": order.id,
            "mapping": mapping,
            "order_state": order.state,
            "delivery_state": self._delivery_state(order),
            "basic_status": order._map_odoo_status_to_marketplace() or False,
            "combined_status": order._map_combined_status_to_marketplace() or False,
            "current_status": plan.params.get("current") or False,
            "target_status": plan.params.get("target") or False,
            "steps": " -> ".join(steps) if steps else False,
            "decision": decision,
            "reason": "\n".join(filter(None, [reason, *notes])) or False,
            "endpoint": "\n".join(r["endpoint"] for r in requests) or False,
            "request_body": json.dumps(requests, indent=2, ensure_ascii=False)
            if requests
            else False,
        }

    @api.model
    def _delivery_plan(self, order):
        """The delivery plan, or a UserError saying why there is none."""
        plan = order._marketplace_plan(target=statuses.DELIVERED)
        reason = None
        if plan.decision == outbound.BLOCKED:
            reason = self.env["marketplace.order.wording"]._plan_text(order, plan)
        elif order.delivered_by == statuses.DELIVERED_BY_CARTONA:
            reason = self.env["marketplace.order.wording"]._plan_text(
                order, plan, outbound.REASON_CARTONA_DELIVERS
            )
        elif order.state != "sale":
            reason = order.env._("Only confirmed orders can be delivered.")
        elif not order.marketplace_shipped:
            reason = order.env._(
                "%(order)s is not shipped yet: validate its deliveries first.",
                order=order.name,
            )
        elif order.marketplace_status == statuses.DELIVERED:
            reason = order.env._(
                "Cartona already knows %(order)s is delivered.", order=order.name
            )
        elif plan.decision != outbound.SEND:
            reason = self.env["marketplace.order.wording"]._plan_text(order, plan)
        if reason:
            raise UserError(reason)
        return plan

    # ------------------------------------------------------------------
    # Previews
    # ------------------------------------------------------------------
    @api.model
    def _request_preview(self, order, step, config):
        """The request a step would make, its body with secrets masked."""
        if step.kind == outbound.STEP_DETAILS:
            endpoint, body = UPDATE_DETAILS, [step.details_item(order.cartona_id)]
        else:
            endpoint = f"{UPDATE_STATUS}/{order.cartona_id}"
            body = self.env["marketplace.api"]._status_item(
                order, step.status, config, retailer_otp="preview"
            )
        return {
            "endpoint": f"POST {config.api_base_url.rstrip('/')}/{endpoint}",
            "body": payloads.redacted(body),
        }
