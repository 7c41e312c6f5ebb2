"""Cartona's rules transcribed row by row from ``../shared/cartona-api.md``.

Neither the core (``cartona/``) nor the sandbox (``sandbox/``) is the reference of the
other: both are compared with these rows, so a wrong row on either side fails a test.
"""

#: Section 4, "Allowed next (per doc)". approved -> delivered is UNCERTAIN there and
#: is not a documented row.
ORDER_CYCLE = {
    "pending": {
        "editing",
        "approved",
        "cancelled_by_retailer",
        "cancelled_by_supplier",
    },
    "editing": {"pending"},
    "approved": {
        "assigned_to_salesman",
        "cancelled_by_retailer",
        "cancelled_by_supplier",
    },
    "assigned_to_salesman": {"delivered", "cancelled_by_supplier", "returned"},
    "delivered": set(),
    "cancelled_by_retailer": set(),
    "cancelled_by_supplier": set(),
    "returned": set(),
}
STATUSES = set(ORDER_CYCLE)
TERMINAL = {status for status, following in ORDER_CYCLE.items() if not following}

#: Section 3.2, "Allowed status values".
SUPPLIER_MAY_POST = {
    "synced",
    "pending",
    "approved",
    "assigned_to_salesman",
    "delivered",
    "cancelled_by_supplier",
}

#: Section 3.4, "When allowed".
DETAILS_EDITABLE = {"pending", "approved", "assigned_to_salesman"}

#: Section 6.1: (installment_cost, wallet_top_up, cartona_credit) -> payment method.
PAYMENT_METHOD_ROWS = [
    ((0, 0, 0), "standard"),
    ((900, 0, 0), "installment"),
    ((0, 50, 0), "wallet_top_up"),
    ((0, 0, 100), "cartona_credit"),
    ((900, 50, 100), "installment"),
    ((0, 50, 100), "wallet_top_up"),
]


def payment_method(installment_cost, wallet_top_up, cartona_credit):
    """Section 6.1, as written: the first amount above 0 decides."""
    for amount, method in (
        (installment_cost, "installment"),
        (wallet_top_up, "wallet_top_up"),
        (cartona_credit, "cartona_credit"),
    ):
        if amount > 0:
            return method
    return "standard"


#: Section 6.1: payment methods whose delivery needs the retailer's OTP.
OTP_PAYMENT_METHODS = {"installment", "wallet_top_up"}

#: Section 6.3: cancellation reasons.
CANCELLATION_REASONS = {
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

#: Section 5.
DELIVERED_BY_VALUES = {"delivered_by_supplier", "delivered_by_cartona"}

#: Section 5, permission matrix: the only status the supplier sends for an order
#: Cartona delivers ("cancellation only").
CARTONA_DELIVERED_SUPPLIER_MAY_POST = {"cancelled_by_supplier"}
