"""Returns: goods the retailer did not receive come back to the supplier's stock.

``returned`` (``cartona-api.md`` section 4) means the retailer did not receive the
goods. It follows ``assigned_to_salesman`` only and carries a ``return_reason``. Two
ways lead to it:

- Cartona reports it in the pull feed (an order its couriers deliver, after pickup, or
  any order it reports so). :func:`plan_return` says what Odoo does: the deliveries
  that never left are cancelled, what left comes back through one return of the
  quantities shipped (:func:`quantity_to_return`), once: an order already returned
  changes no more.
- The supplier's driver comes back with the goods ("Delivery Failed").
  :func:`failed_delivery_problem` says whether the supplier may tell Cartona, and
  :func:`returned_item` builds the body for the single-order endpoint (section 3.3),
  which reports a refusal. ``returned`` is missing from section 3.2's list of values a
  supplier may send (UNCERTAIN), so it stays out of
  :data:`cartona.statuses.SUPPLIER_STATUSES` and the outbound planner never sends it:
  a person takes this path, explicitly, and Cartona may refuse it.

Everything here takes and returns plain values.
"""

from dataclasses import dataclass

from . import statuses
from .inbound import MAX_TEXT

RETURN_REASON = "return_reason"
#: Longest return reason sent (the longest text the import accepts from Cartona).
MAX_REASON = MAX_TEXT

# Why a failed delivery cannot be reported to Cartona (the ORM layer words them).
PROBLEM_CARTONA_DELIVERS = "cartona_delivers"
PROBLEM_NOT_CONFIRMED = "not_confirmed"
PROBLEM_NOT_OUT_FOR_DELIVERY = "not_out_for_delivery"
# What is wrong with a return reason.
PROBLEM_REASON_EMPTY = "reason_empty"
PROBLEM_REASON_TOO_LONG = "reason_too_long"
PROBLEM_REASON_UNSTORABLE = "reason_unstorable"

#: Odoo picking states of a delivery that is over (left, or dropped).
_CLOSED_STATES = frozenset({"done", "cancel"})


@dataclass(frozen=True)
class Delivery:
    """One of the order's pickings taking goods out (not a return).

    ``key`` identifies it (the picking id), ``state`` is Odoo's picking state, and
    ``to_customer`` tells the last step (goods handed to the retailer's side) from
    the warehouse's inner steps (pick, pack).
    """

    key: int
    state: str
    to_customer: bool = True


@dataclass(frozen=True)
class ReturnPlan:
    """What ``returned`` asks of Odoo's stock.

    ``cancel``: the deliveries (backorders and inner steps included) that never
    left; ``return_from``: the customer deliveries that left, whose goods come back
    through one return; ``already``: the return was handled before, nothing more.
    """

    cancel: tuple = ()
    return_from: tuple = ()
    already: bool = False

    @property
    def changes_anything(self):
        return bool(self.cancel or self.return_from)


def plan_return(deliveries, returned_before=False):
    """What Odoo does when Cartona has the order as ``returned``.

    ``deliveries`` are :class:`Delivery` values; ``returned_before`` is true once the
    order's return was handled (by an earlier pull or by Delivery Failed): seeing
    ``returned`` again then changes nothing.
    """
    if returned_before:
        return ReturnPlan(already=True)
    deliveries = sorted(deliveries, key=lambda delivery: delivery.key)
    return ReturnPlan(
        cancel=tuple(d.key for d in deliveries if d.state not in _CLOSED_STATES),
        return_from=tuple(
            d.key for d in deliveries if d.state == "done" and d.to_customer
        ),
    )


def quantity_to_return(shipped, returned=()):
    """What of a move that left still has to come back: the quantity ``shipped``
    less the quantities already ``returned`` (earlier returns of that move), never
    below 0."""
    return max(0.0, float(shipped or 0) - sum(float(q or 0) for q in returned))


def failed_delivery_problem(cartona_status, delivered_by, order_state):
    """Why the supplier may not report this order's delivery as failed, or ``None``.

    Only the supplier's own deliveries (Cartona drives the statuses of the orders its
    couriers deliver, section 5), of a confirmed order, out for delivery on Cartona
    (``returned`` follows ``assigned_to_salesman`` only, section 4).
    """
    if delivered_by != statuses.DELIVERED_BY_SUPPLIER:
        return PROBLEM_CARTONA_DELIVERS
    if order_state != "sale":
        return PROBLEM_NOT_CONFIRMED
    if not statuses.can_transition(cartona_status, statuses.RETURNED):
        return PROBLEM_NOT_OUT_FOR_DELIVERY
    return None


def clean_reason(reason):
    """The return reason as sent: the text, stripped (``""`` for nothing)."""
    return reason.strip() if isinstance(reason, str) else ""


def reason_problem(reason):
    """What is wrong with a return reason (``PROBLEM_REASON_*``), or ``None``."""
    text = clean_reason(reason)
    if not text:
        return PROBLEM_REASON_EMPTY
    if len(text) > MAX_REASON:
        return PROBLEM_REASON_TOO_LONG
    if "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text):
        return PROBLEM_REASON_UNSTORABLE
    return None


def returned_item(hashed_id, reason):
    """The single-order endpoint's body telling Cartona the delivery failed.

    Raises ``ValueError`` (with a ``PROBLEM_REASON_*`` code as its message) for a
    reason Cartona cannot be sent, and for an order without a Cartona id.
    """
    if not hashed_id or not isinstance(hashed_id, str):
        raise ValueError("the order has no Cartona id (hashed_id)")
    problem = reason_problem(reason)
    if problem:
        raise ValueError(problem)
    return {
        "hashed_id": hashed_id,
        "status": statuses.RETURNED,
        RETURN_REASON: clean_reason(reason),
    }
