"""Cartona order statuses, the transition graph and the rules around them.

Source of truth: ``cartona-api.md`` section 4 (order cycle), 5 (``delivered_by``),
6 (OTP, payment methods, cancellation reasons) and 8 (Odoo states to Cartona
statuses).
Everything here takes and returns plain strings so that the Odoo layer and the sandbox
server share one definition.
"""

from collections import deque

PENDING = "pending"
EDITING = "editing"
APPROVED = "approved"
ASSIGNED_TO_SALESMAN = "assigned_to_salesman"
DELIVERED = "delivered"
CANCELLED_BY_RETAILER = "cancelled_by_retailer"
CANCELLED_BY_SUPPLIER = "cancelled_by_supplier"
RETURNED = "returned"
#: Not a status: the acknowledgement that takes an order out of the pull feed.
SYNCED = "synced"

STATUSES = (
    PENDING,
    EDITING,
    APPROVED,
    ASSIGNED_TO_SALESMAN,
    DELIVERED,
    CANCELLED_BY_RETAILER,
    CANCELLED_BY_SUPPLIER,
    RETURNED,
)

#: Values the supplier may post to ``order/update-order-status`` (section 3.2).
SUPPLIER_STATUSES = (
    SYNCED,
    PENDING,
    APPROVED,
    ASSIGNED_TO_SALESMAN,
    DELIVERED,
    CANCELLED_BY_SUPPLIER,
)

#: Cartona's order cycle (section 4): status -> statuses it may move to.
TRANSITIONS = {
    PENDING: frozenset(
        {EDITING, APPROVED, CANCELLED_BY_RETAILER, CANCELLED_BY_SUPPLIER}
    ),
    EDITING: frozenset({PENDING}),
    APPROVED: frozenset(
        {ASSIGNED_TO_SALESMAN, CANCELLED_BY_RETAILER, CANCELLED_BY_SUPPLIER}
    ),
    ASSIGNED_TO_SALESMAN: frozenset({DELIVERED, CANCELLED_BY_SUPPLIER, RETURNED}),
    DELIVERED: frozenset(),
    CANCELLED_BY_RETAILER: frozenset(),
    CANCELLED_BY_SUPPLIER: frozenset(),
    RETURNED: frozenset(),
}

TERMINAL_STATUSES = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
CANCELLED_STATUSES = frozenset({CANCELLED_BY_RETAILER, CANCELLED_BY_SUPPLIER})

# Delivery responsibility (section 5).
DELIVERED_BY_SUPPLIER = "delivered_by_supplier"
DELIVERED_BY_CARTONA = "delivered_by_cartona"
DELIVERED_BY_VALUES = (DELIVERED_BY_SUPPLIER, DELIVERED_BY_CARTONA)
#: What a Cartona-delivered order may push: a cancellation only.
CARTONA_DELIVERED_PUSHABLE = frozenset({CANCELLED_BY_SUPPLIER})

# Payment methods (section 6.1) and the OTP rule.
PAYMENT_STANDARD = "standard"
PAYMENT_INSTALLMENT = "installment"
PAYMENT_WALLET_TOP_UP = "wallet_top_up"
PAYMENT_CARTONA_CREDIT = "cartona_credit"
OTP_PAYMENT_METHODS = frozenset({PAYMENT_INSTALLMENT, PAYMENT_WALLET_TOP_UP})

#: Cartona's cancellation reason codes (section 6.3); the first six are the supplier's.
CANCELLATION_REASONS = (
    "out_of_stock",
    "cannot_deliver_the_order",
    "supplier_asked_me_to_cancel",
    "delayed_order",
    "pending_order_without_action",
    "removed_items",
    "supplier_attitude",
    "missing_items",
    "expired_products",
    "different_prices",
    "different_products",
)
SUPPLIER_CANCELLATION_REASONS = CANCELLATION_REASONS[:6]
DEFAULT_CANCELLATION_REASON = "supplier_asked_me_to_cancel"


def can_transition(current, target):
    """Whether Cartona's graph allows ``current`` -> ``target`` in one step."""
    return target in TRANSITIONS.get(current, ())


def supplier_path(current, target):
    """Shortest list of statuses the supplier must post to go ``current`` -> ``target``.

    Every step is a value the supplier may post and an edge of the graph, so
    ``approved`` -> ``delivered`` gives ``["assigned_to_salesman", "delivered"]``.
    Returns ``[]`` when the order already has ``target`` and ``None`` when the graph
    offers no way (going backwards, leaving a terminal status, unknown statuses).
    """
    if current == target:
        return []
    if current not in TRANSITIONS or target not in TRANSITIONS:
        return None
    allowed = set(SUPPLIER_STATUSES)
    previous = {current: None}
    queue = deque([current])
    while queue:
        status = queue.popleft()
        for nxt in sorted(TRANSITIONS[status]):
            if nxt in previous or nxt not in allowed:
                continue
            previous[nxt] = status
            if nxt == target:
                path = [nxt]
                while previous[path[-1]] != current:
                    path.append(previous[path[-1]])
                return path[::-1]
            queue.append(nxt)
    return None


def reachable(current, target):
    """Whether Cartona's graph leads from ``current`` to ``target`` (any side's
    steps, ``current == target`` included)."""
    if current == target:
        return True
    seen, queue = {current}, deque([current])
    while queue:
        for nxt in TRANSITIONS.get(queue.popleft(), ()):
            if nxt == target:
                return True
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return False


def normalize_delivered_by(value):
    """Return ``(delivered_by, warning)``; unknown or missing values mean supplier."""
    if value in DELIVERED_BY_VALUES:
        return value, None
    return DELIVERED_BY_SUPPLIER, (
        f"unknown delivered_by {value!r}, treated as {DELIVERED_BY_SUPPLIER}"
        if value
        else f"missing delivered_by, treated as {DELIVERED_BY_SUPPLIER}"
    )


def payment_method_from_amounts(installment_cost=0, wallet_top_up=0, cartona_credit=0):
    """Classify a pulled order's payment method (section 6.1, first match wins)."""
    if (installment_cost or 0) > 0:
        return PAYMENT_INSTALLMENT
    if (wallet_top_up or 0) > 0:
        return PAYMENT_WALLET_TOP_UP
    if (cartona_credit or 0) > 0:
        return PAYMENT_CARTONA_CREDIT
    return PAYMENT_STANDARD


def otp_required(status, payment_method):
    """Cartona accepts ``delivered`` of installment/top-up orders only with an OTP."""
    return status == DELIVERED and payment_method in OTP_PAYMENT_METHODS


# Odoo -> Cartona mapping (section 8.1). Odoo 18 has no ``done`` sale state: a confirmed
# delivery (accepted by Cartona) is what the old ``done`` meant.
BASIC_MAPPING = {
    "draft": PENDING,
    "sent": PENDING,
    "sale": APPROVED,
    "cancel": CANCELLED_BY_SUPPLIER,
}


def map_odoo_status(state, delivery_confirmed=False):
    """Basic mapping: the sale order state alone (plus delivery confirmation)."""
    if state == "sale" and delivery_confirmed:
        return DELIVERED
    return BASIC_MAPPING.get(state)


def map_combined_status(state, all_shipped=False, delivery_confirmed=False):
    """Combined mapping: order state and the state of its outgoing customer deliveries.

    ``all_shipped`` is true when every delivery leaving for the customer is done and no
    backorder is open. A cancelled order maps to a cancellation whatever was shipped.
    """
    if state == "cancel":
        return CANCELLED_BY_SUPPLIER
    if state in ("draft", "sent"):
        return PENDING
    if state == "sale":
        if delivery_confirmed:
            return DELIVERED
        return ASSIGNED_TO_SALESMAN if all_shipped else APPROVED
    return None
