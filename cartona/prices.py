# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""When two prices are the same price: one rule for line edits and the catalog."""

#: Prices closer than this are equal: Odoo stores 2 decimals by default, so a cent
#: is a real difference and float noise (0.1 + 0.2) is none.
PRICE_TOLERANCE = 0.005


def same_price(a, b):
    """Whether prices ``a`` and ``b`` are the same price (numbers, not ``None``)."""
    return abs(float(a) - float(b)) <= PRICE_TOLERANCE
