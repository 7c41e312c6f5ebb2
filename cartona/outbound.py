"""The outbound planner: what Cartona has and what Odoo wants -> the steps to send.

Every outbound decision of the addon (the reconciler job, Preview Sync, Confirm
Delivery, Retry, the sync buttons, the cancellation dialog, the triggers) asks
:func:`plan` and nothing else. It takes plain values and returns a :class:`Plan`:

- ``SEND``: the ordered steps. Content first (``update-order-details``, only the lines
  that differ, only inside Cartona's edit window), then the status steps of
  Cartona's order cycle (``approved`` -> ``assigned_to_salesman`` -> ``delivered``).
- ``NOTHING``: Cartona already has what Odoo wants, is further along, or the rule of
  delivery responsibility leaves the change to Cartona. ``reason`` says which.
- ``WAIT``: the retailer is editing the order; the supplier must not act until Cartona
  sends it back as ``pending``.
- ``CLOSED``: Cartona's status is terminal (``delivered``, ``returned`` or a
  cancellation). Cartona takes nothing more; nothing is wrong on Odoo's side either.
- ``BLOCKED``: a rule forbids what Odoo wants; ``reason`` says which, so a person can
  act (fix the account, the line, the order).

Reasons are codes (``REASON_*``) with ``params``; the ORM layer words them in the
reader's language. Sources: ``cartona-api.md`` sections 3.2-3.4, 4 and 5.
"""

import math
from dataclasses import dataclass, field

from . import statuses
from .prices import same_price

# Decisions
SEND = "send"
NOTHING = "nothing"
WAIT = "wait"
CLOSED = "closed"
BLOCKED = "blocked"

# Reasons. Preconditions, found by the ORM layer and passed in as ``problem``:
REASON_NOT_MARKETPLACE = "not_marketplace"
REASON_NO_CARTONA_ID = "no_cartona_id"
REASON_NO_ACCOUNT = "no_account"
REASON_ACCOUNT_ARCHIVED = "account_archived"
REASON_TOKEN_REJECTED = "token_rejected"
#: The last version pulled from Cartona could not be applied in Odoo: Cartona's
#: order differs from Odoo's, nothing but a cancellation may be sent until a person
#: settles it (approving, say, would approve a version the supplier never saw).
REASON_IMPORT_PROBLEM = "import_problem"
#: The order is not bound to Cartona at all: nothing to record on it.
UNBOUND_REASONS = frozenset(
    {REASON_NOT_MARKETPLACE, REASON_NO_CARTONA_ID, REASON_NO_ACCOUNT}
)
# ... and the planner's own:
REASON_IN_SYNC = "in_sync"
REASON_AHEAD = "ahead"
REASON_CARTONA_DELIVERS = "cartona_delivers"
REASON_TERMINAL = "terminal"
REASON_EDITING = "editing"
REASON_NO_TARGET = "no_target"
REASON_NOT_SUPPLIER_STATUS = "not_supplier_status"
REASON_NO_PATH = "no_path"
REASON_CONTENT_CLOSED = "content_closed"
REASON_LINE_NOT_WHOLE = "line_not_whole"
REASON_LINE_NO_PRODUCT = "line_no_product"
REASON_LINE_UNKNOWN = "line_unknown"
REASON_LINE_CANCELLED = "line_cancelled"

STEP_DETAILS = "details"
STEP_STATUS = "status"

#: Statuses in which the supplier may edit an order's lines (section 3.4).
SUPPLIER_EDIT_WINDOW = frozenset(
    {statuses.PENDING, statuses.APPROVED, statuses.ASSIGNED_TO_SALESMAN}
)
#: Orders Cartona delivers: lines are edited before Cartona's courier picks them up.
CARTONA_EDIT_WINDOW = frozenset({statuses.PENDING, statuses.APPROVED})


@dataclass(frozen=True)
class LineView:
    """What Cartona has of one order line (keyed by Cartona's line id)."""

    amount: float
    price: float
    cancelled: bool = False

    def as_dict(self):
        return {"amount": self.amount, "price": self.price, "cancelled": self.cancelled}


@dataclass(frozen=True)
class WantedLine:
    """What Odoo wants one of its order lines to be on Cartona.

    ``ref`` is Cartona's line id, ``None`` for a line added in Odoo; such a line needs
    ``product`` (its ``internal_product_id``) and is sent once, after which ``sent`` is
    true until Cartona's id is known. ``key`` identifies the Odoo line.
    """

    key: str
    amount: float
    price: float
    ref: int | None = None
    product: str | None = None
    sent: bool = False


@dataclass(frozen=True)
class CartonaHas:
    """What Cartona last accepted: its status and, for orders whose lines came from
    Cartona, each line by Cartona's id (``lines is None``: statuses only)."""

    status: str = statuses.PENDING
    lines: dict | None = None


@dataclass(frozen=True)
class OdooWants:
    """What Odoo wants Cartona to hold now."""

    status: str | None
    lines: tuple = ()
    delivered_by: str = statuses.DELIVERED_BY_SUPPLIER


@dataclass(frozen=True)
class Step:
    """One request: a details edit (``changes``) or one status."""

    kind: str
    status: str | None = None
    changes: tuple = ()
    new_keys: tuple = ()

    def details_item(self, hashed_id):
        """The ``update-order-details`` array item of a details step."""
        return {
            "hashed_id": hashed_id,
            "order_details": [dict(c) for c in self.changes],
        }


@dataclass(frozen=True)
class Plan:
    decision: str
    steps: tuple = ()
    reason: str | None = None
    params: dict = field(default_factory=dict)
    #: Content that differs but that Cartona no longer takes (orders Cartona
    #: delivers, after pickup): reported, never an error.
    notes: tuple = ()

    @property
    def status_steps(self):
        return tuple(step.status for step in self.steps if step.kind == STEP_STATUS)

    @property
    def details_step(self):
        return next((s for s in self.steps if s.kind == STEP_DETAILS), None)


def plan(has, wants, problem=None):
    """The steps that bring Cartona from ``has`` to ``wants`` (see the module doc).

    ``problem`` is a precondition the ORM layer found (``REASON_NOT_MARKETPLACE``,
    ``REASON_TOKEN_REJECTED``...): it blocks everything.
    """
    current = has.status or statuses.PENDING
    target = wants.status
    params = {"current": current, "target": target}
    if problem == REASON_IMPORT_PROBLEM and target == statuses.CANCELLED_BY_SUPPLIER:
        problem = None  # leaving is always safe, whatever version Cartona has
    if problem:
        return Plan(BLOCKED, reason=problem, params=params)
    if current in statuses.TERMINAL_STATUSES:
        # A conflict: Odoo wants what Cartona can no longer reach, cancelling a
        # delivered order or shipping a cancelled one. Two cancellations agree.
        cancelled = statuses.CANCELLED_STATUSES
        if not target or {target, current} <= cancelled:
            params["conflict"] = False
        else:
            params["conflict"] = (target in cancelled) != (
                current in cancelled
            ) or not statuses.reachable(target, current)
        return Plan(CLOSED, reason=REASON_TERMINAL, params=params)
    if current == statuses.EDITING:
        return Plan(WAIT, reason=REASON_EDITING, params=params)
    if not target:
        return Plan(BLOCKED, reason=REASON_NO_TARGET, params=params)

    steps, notes = [], []
    if has.lines is not None and target != statuses.CANCELLED_BY_SUPPLIER:
        changes, new_keys, problem = line_changes(has.lines, wants.lines)
        if problem:
            reason, line_params = problem
            return Plan(BLOCKED, reason=reason, params={**params, **line_params})
        if changes:
            window = (
                CARTONA_EDIT_WINDOW
                if wants.delivered_by == statuses.DELIVERED_BY_CARTONA
                else SUPPLIER_EDIT_WINDOW
            )
            if current in window:
                steps.append(
                    Step(STEP_DETAILS, changes=tuple(changes), new_keys=new_keys)
                )
            else:
                notes.append((REASON_CONTENT_CLOSED, dict(params)))

    reason = None
    if (
        wants.delivered_by == statuses.DELIVERED_BY_CARTONA
        and target not in statuses.CARTONA_DELIVERED_PUSHABLE
    ):
        # Cartona drives the statuses of the orders it delivers: nothing to send.
        reason = None if target == current else REASON_CARTONA_DELIVERS
    elif target not in statuses.SUPPLIER_STATUSES:
        return Plan(BLOCKED, reason=REASON_NOT_SUPPLIER_STATUS, params=params)
    else:
        path = statuses.supplier_path(current, target)
        if path is None:
            if statuses.supplier_path(target, current) is None:
                return Plan(BLOCKED, reason=REASON_NO_PATH, params=params)
            reason = REASON_AHEAD
        else:
            steps.extend(Step(STEP_STATUS, status=status) for status in path)
    if steps:
        return Plan(SEND, steps=tuple(steps), params=params, notes=tuple(notes))
    return Plan(
        NOTHING, reason=reason or REASON_IN_SYNC, params=params, notes=tuple(notes)
    )


def line_changes(cartona_lines, wanted_lines):
    """``(changes, new_keys, problem)``: the ``order_details`` entries that make
    Cartona's lines what Odoo wants.

    Only lines that differ: an amount or a price changed (``{"id", "amount"}``,
    ``{"id", "price"}``), a line at 0 or gone from Odoo (``{"id", "cancelled":
    true}``), a line added in Odoo and not sent yet (``{"internal_product_id",
    "amount", "price"}``, its key in ``new_keys``). ``problem`` is ``(reason,
    params)`` when a line cannot be sent as Odoo has it.
    """
    changes, new_keys = [], []
    wanted_refs = set()
    for line in sorted(wanted_lines, key=_line_order):
        amount = _whole(line.amount)
        if amount is None:
            return [], (), (REASON_LINE_NOT_WHOLE, _line_params(line))
        if line.ref is None:
            if line.sent or not amount:
                continue
            if not line.product:
                return [], (), (REASON_LINE_NO_PRODUCT, _line_params(line))
            changes.append(
                {
                    "internal_product_id": line.product,
                    "amount": amount,
                    "price": _price(line.price),
                }
            )
            new_keys.append(line.key)
            continue
        wanted_refs.add(line.ref)
        known = cartona_lines.get(line.ref)
        if known is None:
            return [], (), (REASON_LINE_UNKNOWN, _line_params(line))
        if known.cancelled:
            if amount:
                return [], (), (REASON_LINE_CANCELLED, _line_params(line))
            continue
        if not amount:
            changes.append({"id": line.ref, "cancelled": True})
            continue
        change = {"id": line.ref}
        if amount != _whole(known.amount):
            change["amount"] = amount
        if not same_price(line.price, known.price):
            change["price"] = _price(line.price)
        if len(change) > 1:
            changes.append(change)
    for ref in sorted(set(cartona_lines) - wanted_refs):
        if not cartona_lines[ref].cancelled:
            changes.append({"id": ref, "cancelled": True})
    changes.sort(key=lambda c: (c.get("id") is None, c.get("id") or 0))
    return changes, tuple(new_keys), None


def apply_details(cartona_lines, step):
    """Cartona's lines once it accepted the details ``step`` (lines sent as new have
    no id yet and are not part of it; see :func:`link_new_lines`)."""
    lines = dict(cartona_lines or {})
    for change in step.changes:
        ref = change.get("id")
        if ref is None:
            continue
        known = lines.get(ref) or LineView(amount=0, price=0.0)
        if change.get("cancelled"):
            lines[ref] = LineView(known.amount, known.price, cancelled=True)
        else:
            lines[ref] = LineView(
                amount=change.get("amount", known.amount),
                price=change.get("price", known.price),
                cancelled=False,
            )
    return lines


def link_new_lines(cartona_lines, new_lines, remote_lines):
    """Match lines Odoo added (``{key: (product, amount)}``) with Cartona's lines
    that have an id Odoo does not know yet (``remote_lines``: ``order_details``
    entries, from an answer or a pulled version). Returns ``{key: line_id}``.

    A line matches on ``internal_product_id`` and amount; each remote line is used
    once, lowest id first.
    """
    known = set(cartona_lines or ())
    free = sorted(
        (
            line
            for line in remote_lines or ()
            if _remote_id(line) is not None and _remote_id(line) not in known
        ),
        key=_remote_id,
    )
    links = {}
    for key, (product, amount) in sorted(new_lines.items()):
        for line in free:
            line_id = _remote_id(line)
            if str(line.get("internal_product_id")) == str(product) and _whole(
                line.get("amount")
            ) == _whole(amount):
                links[key] = line_id
                free.remove(line)
                break
    return links


def lines_from_answer(answer, hashed_id):
    """The ``order_details`` of ``hashed_id`` in an ``update-order-details``
    answer, or ``()`` when the answer does not carry them (it is undocumented)."""
    for item in answer if isinstance(answer, list) else ():
        if (
            isinstance(item, dict)
            and item.get("hashed_id") == hashed_id
            and isinstance(item.get("order_details"), list)
        ):
            return tuple(
                line for line in item["order_details"] if _remote_id(line) is not None
            )
    return ()


def view_from_pulled(lines):
    """Cartona's lines as a pulled version states them (``cartona.inbound``
    ``OrderLine`` values): every listed line, none cancelled."""
    return {
        line.line_id: LineView(amount=line.amount, price=line.selling_price)
        for line in lines
    }


def merge_pulled(cartona_lines, pulled):
    """Cartona's lines once a pulled version is taken: the lines it lists, and the
    lines known before that it no longer lists, cancelled."""
    merged = {
        ref: LineView(line.amount, line.price, cancelled=True)
        for ref, line in (cartona_lines or {}).items()
        if ref not in pulled
    }
    merged.update(pulled)
    return merged


def pulled_changes(cartona_lines, pulled):
    """Whether a pulled version changes Cartona's lines as Odoo knows them: the
    lines Cartona listed (``pulled``, from :func:`view_from_pulled`) against the
    non-cancelled lines of ``cartona_lines``."""
    active = {
        ref: (line.amount, line.price)
        for ref, line in (cartona_lines or {}).items()
        if not line.cancelled
    }
    listed = {ref: (line.amount, line.price) for ref, line in pulled.items()}
    if active.keys() != listed.keys():
        return True
    return any(
        _whole(active[ref][0]) != _whole(listed[ref][0])
        or not same_price(active[ref][1], listed[ref][1])
        for ref in listed
    )


def view_to_json(lines):
    """Cartona's lines as stored on the order (JSON object keys are strings)."""
    if lines is None:
        return None
    return {str(ref): line.as_dict() for ref, line in sorted(lines.items())}


def view_from_json(value):
    """The inverse of :func:`view_to_json`; ``None`` stays ``None``."""
    if value is None or value is False:
        return None
    return {
        int(ref): LineView(
            amount=data.get("amount", 0),
            price=data.get("price", 0.0),
            cancelled=bool(data.get("cancelled")),
        )
        for ref, data in value.items()
    }


# Internals


def _line_order(line):
    return (line.ref is None, line.ref or 0, str(line.key))


def _line_params(line):
    return {"line": line.key, "amount": line.amount, "product": line.product}


def _whole(amount):
    """``amount`` as an int when it is a whole number >= 0, else ``None``."""
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        return None
    if not math.isfinite(amount) or amount < 0 or float(amount) != int(amount):
        return None
    return int(amount)


def _price(price):
    return round(float(price), 2)


def _remote_id(line):
    if not isinstance(line, dict):
        return None
    value = line.get("id")
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value
