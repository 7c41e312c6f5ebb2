# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The labels people read for Cartona's codes (the codes themselves are the core's)."""

from ..cartona import statuses

STATUS_SELECTION = [
    (statuses.PENDING, "Pending"),
    (statuses.EDITING, "Being Edited by Retailer"),
    (statuses.APPROVED, "Approved"),
    (statuses.ASSIGNED_TO_SALESMAN, "Shipped (Assigned to Salesman)"),
    (statuses.DELIVERED, "Delivered"),
    (statuses.CANCELLED_BY_RETAILER, "Cancelled by Retailer"),
    (statuses.CANCELLED_BY_SUPPLIER, "Cancelled by Supplier"),
    (statuses.RETURNED, "Returned"),
]


#: Cartona's cancellation reason codes (cartona-api.md section 6.3) with their labels.
CANCELLATION_REASON_SELECTION = [
    ("out_of_stock", "Out of stock"),
    ("cannot_deliver_the_order", "Cannot deliver the order"),
    ("supplier_asked_me_to_cancel", "Supplier asked to cancel"),
    ("delayed_order", "Delayed order"),
    ("pending_order_without_action", "Pending order without action"),
    ("removed_items", "Removed items"),
    ("supplier_attitude", "Supplier attitude"),
    ("missing_items", "Missing items"),
    ("expired_products", "Expired products"),
    ("different_prices", "Different prices"),
    ("different_products", "Different products"),
]
