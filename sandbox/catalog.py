"""The sandbox's supplier-product catalog (``cartona-api.md`` sections 3.5 and 3.6).

Cartona keeps, per supplier, its products: Cartona's id (``id``, also given as
``supplier_product_id``), the supplier's ``internal_product_id``, the base product and
unit, and what retailers see (stock, price, order limits, published). ``GET
supplier-product`` lists them page by page; ``POST supplier-product/bulk-update``
changes them.

The sandbox is strict where the document is silent, so that the suite catches what a
real Cartona might refuse: every item of a bulk update is checked (one identifier at
least, known product, documented fields only, each of its documented type, stock and
quantities whole numbers >= 0, a price a positive number) and the batch is applied as
a whole or not at all, like Cartona's answer, which is one HTTP status for the whole
batch (section 3.6). A refused batch is a 422 naming the first bad item (``index``)
and why. Written from the document alone: never imports the addon's core.
"""

import copy
import math

from .rules import UNITS

# Section 3.6: how an item names its product, and the optional fields with their type.
SUPPLIER_PRODUCT_ID = "supplier_product_id"
INTERNAL_PRODUCT_ID = "internal_product_id"
BASE_PRODUCT = ("base_product_id", "unit", "unit_count")
IDENTIFIERS = (SUPPLIER_PRODUCT_ID, INTERNAL_PRODUCT_ID, *BASE_PRODUCT)
BOOLEAN_FIELDS = ("in_stock", "is_published", "is_bundle")
#: Whole numbers, and the least value each takes.
WHOLE_FIELDS = {
    "available_stock_quantity": 0,
    "min_order": 1,
    "max_order": 1,
    "remind_me_at_stock": 0,
}
OPTIONAL_FIELDS = frozenset(
    {"supplier_code", "selling_price", "notes", *BOOLEAN_FIELDS, *WHOLE_FIELDS}
)
ALLOWED_KEYS = frozenset(IDENTIFIERS) | OPTIONAL_FIELDS
#: Keys of a catalog product that identify it: a bulk update never changes them.
PRODUCT_KEYS = frozenset({"id", *IDENTIFIERS})


class CatalogRejection(Exception):
    """An item Cartona would refuse: ``index`` in the batch and the reason."""

    def __init__(self, index, reason, item=None):
        super().__init__(f"item {index}: {reason}")
        self.index = index
        self.reason = reason
        self.item = item


class Catalog:
    """The supplier's products on Cartona. Callers hold the sandbox state's lock."""

    def __init__(self, products=()):
        self._products = []
        for product in products:
            self.put(product)

    # Reading

    def products(self):
        """Every product (copies), in catalog order."""
        return copy.deepcopy(self._products)

    def page(self, page=1, per_page=100):
        """One page of ``GET supplier-product``."""
        start = (page - 1) * per_page
        return copy.deepcopy(self._products[start : start + per_page])

    def find(self, item):
        """The products an item names (section 3.4's precedence: Cartona's id, then
        the supplier's id, then base product + unit + unit count); ``[]`` when none."""
        if item.get(SUPPLIER_PRODUCT_ID) is not None:
            wanted = str(item[SUPPLIER_PRODUCT_ID])
            return [p for p in self._products if _cartona_id(p) == wanted]
        if item.get(INTERNAL_PRODUCT_ID) is not None:
            wanted = item[INTERNAL_PRODUCT_ID]
            return [p for p in self._products if p.get(INTERNAL_PRODUCT_ID) == wanted]
        wanted = tuple(str(item[key]) for key in BASE_PRODUCT)
        return [
            p
            for p in self._products
            if tuple(str(p.get(key)) for key in BASE_PRODUCT) == wanted
        ]

    # Writing

    def put(self, product):
        """Add a product, or replace the one with the same Cartona id; returns a copy.

        A product needs an integer ``id`` (Cartona's); ``supplier_product_id`` defaults
        to it as text.
        """
        if not isinstance(product, dict):
            raise ValueError("a catalog product must be an object")
        product = copy.deepcopy(product)
        product_id = product.get("id")
        if isinstance(product_id, bool) or not isinstance(product_id, int):
            raise ValueError("a catalog product needs an integer id")
        product.setdefault(SUPPLIER_PRODUCT_ID, str(product_id))
        for index, known in enumerate(self._products):
            if known["id"] == product_id:
                self._products[index] = product
                break
        else:
            self._products.append(product)
        return copy.deepcopy(product)

    def bulk_update(self, items):
        """Apply a bulk update, all items or none; returns the updated products.

        Raises :class:`CatalogRejection` for the first bad item (nothing applied),
        ``TypeError`` when the body is not an array.
        """
        if not isinstance(items, list):
            raise TypeError("the request body must be a JSON array")
        changes = []
        for index, item in enumerate(items):
            check_item(index, item)
            products = self.find(item)
            if not products:
                raise CatalogRejection(index, "no such product on Cartona", item)
            values = {k: v for k, v in item.items() if k in OPTIONAL_FIELDS}
            for product in products:
                _check_limits(index, item, product, values)
                changes.append((product, values))
        updated = []
        for product, values in changes:
            product.update(values)
            updated.append(copy.deepcopy(product))
        return updated


def check_item(index, item):
    """Raise :class:`CatalogRejection` unless ``item`` is a valid bulk-update item."""
    if not isinstance(item, dict):
        raise CatalogRejection(index, "an item must be an object", item)
    unknown = sorted(set(item) - ALLOWED_KEYS)
    if unknown:
        raise CatalogRejection(index, f"unknown fields {unknown}", item)
    _check_identifier(index, item)
    for key in BOOLEAN_FIELDS:
        if key in item and not isinstance(item[key], bool):
            raise CatalogRejection(
                index, f"{key} must be true or false, got {item[key]!r}", item
            )
    for key, least in WHOLE_FIELDS.items():
        if key in item and not (_is_int(item[key]) and item[key] >= least):
            raise CatalogRejection(
                index,
                f"{key} must be a whole number >= {least}, got {item[key]!r}",
                item,
            )
    if "selling_price" in item:
        price = item["selling_price"]
        if not (_is_number(price) and price > 0):
            raise CatalogRejection(
                index, f"selling_price must be a positive number, got {price!r}", item
            )
    for key in ("supplier_code", "notes"):
        if key in item and not isinstance(item[key], str):
            raise CatalogRejection(index, f"{key} must be a string", item)


def _check_identifier(index, item):
    if item.get(SUPPLIER_PRODUCT_ID) is not None:
        value = item[SUPPLIER_PRODUCT_ID]
        if not (_is_int(value) or (isinstance(value, str) and value.strip())):
            raise CatalogRejection(
                index, f"supplier_product_id must be an id, got {value!r}", item
            )
        return
    if item.get(INTERNAL_PRODUCT_ID) is not None:
        value = item[INTERNAL_PRODUCT_ID]
        if not (isinstance(value, str) and value.strip()):
            raise CatalogRejection(
                index,
                f"internal_product_id must be a non-empty string, got {value!r}",
                item,
            )
        return
    if all(item.get(key) is not None for key in BASE_PRODUCT):
        if item["unit"] not in UNITS:
            raise CatalogRejection(index, f"unknown unit {item['unit']!r}", item)
        if not (_is_int(item["unit_count"]) and item["unit_count"] > 0):
            raise CatalogRejection(index, "unit_count must be a whole number > 0", item)
        return
    raise CatalogRejection(
        index,
        "an item needs supplier_product_id, internal_product_id or "
        "base_product_id + unit + unit_count",
        item,
    )


def _check_limits(index, item, product, values):
    """The order limits the product would have must be consistent."""
    minimum = values.get("min_order", product.get("min_order"))
    maximum = values.get("max_order", product.get("max_order"))
    if _is_int(minimum) and _is_int(maximum) and minimum > maximum:
        raise CatalogRejection(
            index, f"min_order {minimum} is above max_order {maximum}", item
        )


def _cartona_id(product):
    return str(product.get(SUPPLIER_PRODUCT_ID, product.get("id")))


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )
