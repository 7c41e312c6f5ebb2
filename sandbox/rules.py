"""Cartona's rules as the sandbox enforces them, written from ``cartona-api.md`` alone.

The sandbox stands in for Cartona: it judges what the addon sends. It therefore states
Cartona's order cycle, the values a supplier may post, the OTP rule and the payment
methods on its own and never imports the addon's core (``cartona/``). A wrong row in
the core's tables is then refused here, and the suite sees it. A unit test compares
the two statements on the rows the document gives.

Section numbers refer to ``cartona-api.md``.
"""

# Section 4: the order cycle, as the "Cartona Order Cycle Guide" table gives it. The
# direct approved -> delivered edge is UNCERTAIN in the document: the sandbox refuses
# it, so a supplier has to send assigned_to_salesman first (the safe reading).
CYCLE = {
    "pending": (
        "editing",
        "approved",
        "cancelled_by_retailer",
        "cancelled_by_supplier",
    ),
    "editing": ("pending",),
    "approved": (
        "assigned_to_salesman",
        "cancelled_by_retailer",
        "cancelled_by_supplier",
    ),
    "assigned_to_salesman": ("delivered", "cancelled_by_supplier", "returned"),
    "delivered": (),
    "cancelled_by_retailer": (),
    "cancelled_by_supplier": (),
    "returned": (),
}
STATUSES = frozenset(CYCLE)
TERMINAL = frozenset(status for status, following in CYCLE.items() if not following)

# Section 3.2: the values of ``status`` a supplier may post. ``synced`` is only an
# acknowledgement: it takes the order out of the pull feed and changes nothing else.
SYNCED = "synced"
SUPPLIER_MAY_POST = frozenset(
    {
        SYNCED,
        "pending",
        "approved",
        "assigned_to_salesman",
        "delivered",
        "cancelled_by_supplier",
    }
)

# Section 4: ``returned`` (the retailer did not receive the goods) follows
# ``assigned_to_salesman`` and carries a ``return_reason``; the cycle guide has the
# supplier send it, but section 3.2's list of values omits it (UNCERTAIN). The sandbox
# takes it on the single-order endpoint only (the one that reports failures), and can
# be told to refuse it, so that both of Cartona's possible answers can be rehearsed.
RETURNED = "returned"
RETURN_REASON = "return_reason"

# Section 3.4: the supplier may edit an order's lines in these statuses only.
DETAILS_EDITABLE = frozenset({"pending", "approved", "assigned_to_salesman"})
# Section 4: the retailer edits (``editing``) and cancels while the order is open.
RETAILER_MAY_EDIT = frozenset({"pending", "editing"})

# Section 6.3: cancellation reason codes.
CANCELLATION_REASONS = frozenset(
    {
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
    }
)

# Section 5: who delivers.
DELIVERED_BY_SUPPLIER = "delivered_by_supplier"
DELIVERED_BY_CARTONA = "delivered_by_cartona"


# Section 3.6: allowed ``unit`` values of the catalog.
UNITS = frozenset(
    "box can bottle kg piece dozen bag packet plate glass pallet jar shrink ton "
    "saddlebag roll tissue cone coil bunch strip recharge_card mat".split()
)


def allowed_next(status):
    """The statuses Cartona lets an order in ``status`` move to, in one step."""
    return CYCLE.get(status, ())


def may_move(current, target):
    return target in allowed_next(current)


def payment_method(order):
    """Section 6.1: how Cartona classifies an order's payment, first match wins."""

    def amount(key):
        value = order.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return 0
        return value

    if amount("installment_cost") > 0:
        return "installment"
    if amount("wallet_top_up") > 0:
        return "wallet_top_up"
    if amount("cartona_credit") > 0:
        return "cartona_credit"
    return "standard"


def needs_otp(order, status):
    """Section 6.1: ``delivered`` of an installment or wallet top-up order needs the
    retailer's OTP."""
    return status == "delivered" and payment_method(order) in (
        "installment",
        "wallet_top_up",
    )
