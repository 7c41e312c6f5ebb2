"""Outbound bodies for Cartona's status endpoints, built and checked in one place.

The ORM layer passes plain values; these functions return the exact JSON-able bodies
sent (cartona-api.md sections 3.2 and 3.3) and a redacted copy for logs and previews.
"""

import re

from . import statuses

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Keys whose values never reach a log or a preview in clear.
SECRET_KEYS = frozenset({"retailer_otp"})


def build_status_item(
    hashed_id,
    status,
    payment_method=statuses.PAYMENT_STANDARD,
    retailer_otp=None,
    cancellation_reason=None,
    delivery_day=None,
    estimated_delivery_day=None,
):
    """One status update: the bulk endpoint's array item and the single endpoint's body.

    ``retailer_otp`` is sent only where Cartona requires it (``delivered`` for
    installment and wallet top-up orders); ``cancellation_reason`` only on a
    supplier cancellation.
    Raises ``ValueError`` with a readable message when the update cannot be valid.
    """
    if not hashed_id or not isinstance(hashed_id, str):
        raise ValueError("the order has no Cartona id (hashed_id)")
    if status not in statuses.SUPPLIER_STATUSES:
        raise ValueError(f"{status!r} is not a status the supplier may send")
    item = {"hashed_id": hashed_id, "status": status}
    if statuses.otp_required(status, payment_method):
        if not retailer_otp:
            raise ValueError(
                f"Cartona needs the retailer's OTP to accept 'delivered' for "
                f"{payment_method} orders"
            )
        item["retailer_otp"] = str(retailer_otp).strip()
    if status == statuses.CANCELLED_BY_SUPPLIER:
        reason = cancellation_reason or statuses.DEFAULT_CANCELLATION_REASON
        if reason not in statuses.CANCELLATION_REASONS:
            raise ValueError(f"unknown cancellation reason {reason!r}")
        item["cancellation_reason"] = reason
    for key, value in (
        ("delivery_day", delivery_day),
        ("estimated_delivery_day", estimated_delivery_day),
    ):
        if value:
            if not _DATE.match(str(value)):
                raise ValueError(f"{key} must be a YYYY-MM-DD date, not {value!r}")
            item[key] = str(value)
    return item


def redacted(value):
    """Copy of a body (dict, list or scalar) with secret keys masked, for logs."""
    if isinstance(value, dict):
        return {
            key: "***" if key in SECRET_KEYS and val else redacted(val)
            for key, val in value.items()
        }
    if isinstance(value, list):
        return [redacted(val) for val in value]
    return value
