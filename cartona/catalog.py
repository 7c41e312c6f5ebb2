"""The catalog planner: Odoo's stock and prices of listed products -> bulk-update items.

Retailers order what Cartona shows in stock; only Odoo knows the stock. Every catalog
decision of the addon (the catalog job, the nightly reconcile, Sync Catalog Now, the
listing's "differs from Cartona" figure) asks this module, and nothing else:

- :func:`wanted_values`: the values Odoo wants Cartona to show for one listing, from
  plain inputs (free quantity, safety buffer, price, minimum and maximum order).
  Stock is a whole number >= 0 (``in_stock`` false at 0), never negative; a price is a
  positive number, never a string.
- :func:`changed_values`: the fields whose value differs from what Cartona last
  accepted (all of them when forced).
- :func:`plan`: the ``supplier-product/bulk-update`` items of a set of listings, with
  the problems that keep a value from being sent.
- :func:`send_all`: sends the items ``batch_size`` at a time through a callable and
  isolates the bad items of a batch Cartona rejects by splitting it in halves: Cartona
  answers a batch as a whole (section 3.6), so the other items still go through.

Problems are codes (``REASON_*``) with ``params``; the ORM layer words them in the
reader's language. Sources: ``cartona-api.md`` sections 3.5 and 3.6.
"""

import math
from collections import deque
from dataclasses import dataclass, field

from . import errors
from .prices import same_price

# Field names of a bulk-update item (section 3.6).
SUPPLIER_PRODUCT_ID = "supplier_product_id"
INTERNAL_PRODUCT_ID = "internal_product_id"
STOCK = "available_stock_quantity"
IN_STOCK = "in_stock"
PRICE = "selling_price"
MIN_ORDER = "min_order"
MAX_ORDER = "max_order"
#: The values this addon sends, in the order they appear in an item.
VALUE_FIELDS = (STOCK, IN_STOCK, PRICE, MIN_ORDER, MAX_ORDER)
#: Fields that always travel together: Cartona's stock and its in-stock flag.
STOCK_FIELDS = (STOCK, IN_STOCK)

# Problems of one listing, found while planning it.
REASON_NO_IDENTIFIER = "no_identifier"
REASON_PRICE_NOT_POSITIVE = "price_not_positive"
REASON_ORDER_LIMITS = "order_limits"

#: A free quantity of 9.9999999 (float sums of quants) is 10 pieces, not 9.
QUANTITY_EPSILON = 1e-6
#: Longest identifier accepted from Cartona's catalog or an order line.
IDENTIFIER_LIMIT = 64


@dataclass(frozen=True)
class Listing:
    """One listed product as the planner sees it, in plain values.

    ``key`` identifies the listing (its database id). ``free_qty`` is the free
    quantity now (on hand minus reserved) in the account's warehouse, ``buffer`` the
    account's safety buffer, ``price`` the account's price (``None``: unknown).
    ``min_order`` and ``max_order`` are sent when set (``None`` or 0: not managed).
    ``accepted`` holds the values Cartona last accepted, by field (``None``: never
    synced). ``force`` sends every value even when Cartona has it already.
    """

    key: object
    internal_product_id: str | None = None
    supplier_product_id: str | None = None
    sync_stock: bool = True
    sync_price: bool = True
    free_qty: float = 0.0
    buffer: int = 0
    price: float | None = None
    min_order: int | None = None
    max_order: int | None = None
    accepted: dict | None = None
    force: bool = False


@dataclass(frozen=True)
class ItemPlan:
    """What to send for one listing.

    ``item`` is the bulk-update array item (identifier and changed values), ``None``
    when nothing differs or the listing cannot be sent. ``values`` are the values it
    carries; ``problems`` are ``(reason, params)`` pairs of the values left out.
    """

    key: object
    item: dict | None = None
    values: dict = field(default_factory=dict)
    problems: tuple = ()


@dataclass
class SendResult:
    """What :func:`send_all` did.

    ``accepted``: ``{key: values}`` of the items Cartona took. ``rejected``: ``{key:
    error}`` of the items Cartona refused on their own (a batch of one). ``pending``:
    the ``(key, item)`` entries not sent, because ``error`` stopped the run (a
    transient, authentication or protocol error; ``None`` when the request cap was
    reached). ``requests`` counts the requests made.
    """

    accepted: dict = field(default_factory=dict)
    rejected: dict = field(default_factory=dict)
    pending: list = field(default_factory=list)
    error: Exception | None = None
    requests: int = 0


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------


def stock_quantity(free_qty, buffer=0):
    """The stock Cartona shows: whole pieces of the free quantity minus the safety
    buffer, never below 0.

    A fraction of a piece is not offered (``2.5`` -> ``2``); a negative free quantity
    (stock short of its reservations) or a value that is not a finite number is 0.
    """
    if isinstance(free_qty, bool) or not isinstance(free_qty, int | float):
        return 0
    if not math.isfinite(free_qty):
        return 0
    whole = math.floor(free_qty + QUANTITY_EPSILON)
    return max(whole - max(_whole_or_zero(buffer), 0), 0)


def selling_price(price):
    """``price`` as Cartona takes it: a number rounded to 2 decimals, or ``None`` when
    it is not a positive finite number."""
    if isinstance(price, bool) or not isinstance(price, int | float):
        return None
    if not math.isfinite(price):
        return None
    rounded = round(float(price), 2)
    return rounded if rounded > 0 else None


def wanted_values(listing):
    """``(values, problems)``: what Odoo wants Cartona to show for ``listing``.

    Stock and ``in_stock`` when the listing syncs stock, ``selling_price`` when it
    syncs prices and the price is positive, ``min_order``/``max_order`` when set and
    consistent. ``problems`` lists the ``(reason, params)`` of the values left out.
    """
    values, problems = {}, []
    if listing.sync_stock:
        quantity = stock_quantity(listing.free_qty, listing.buffer)
        values[STOCK] = quantity
        values[IN_STOCK] = quantity > 0
    if listing.sync_price:
        price = selling_price(listing.price)
        if price is None:
            problems.append((REASON_PRICE_NOT_POSITIVE, {"price": listing.price}))
        else:
            values[PRICE] = price
    minimum = _whole_or_zero(listing.min_order)
    maximum = _whole_or_zero(listing.max_order)
    if minimum > 0 and maximum > 0 and minimum > maximum:
        problems.append((REASON_ORDER_LIMITS, {"min": minimum, "max": maximum}))
    else:
        if minimum > 0:
            values[MIN_ORDER] = minimum
        if maximum > 0:
            values[MAX_ORDER] = maximum
    return values, tuple(problems)


def changed_values(wanted, accepted, force=False):
    """The fields of ``wanted`` whose value Cartona does not have.

    ``accepted`` is what Cartona last accepted (``None``: nothing). Stock and
    ``in_stock`` travel together; prices closer than a half cent are equal. With
    ``force`` every wanted value is sent.
    """
    if force or not accepted:
        return dict(wanted)
    changed = {}
    if any(
        key in wanted and not _same(key, wanted[key], accepted.get(key))
        for key in STOCK_FIELDS
    ):
        changed.update({key: wanted[key] for key in STOCK_FIELDS if key in wanted})
    for key in (PRICE, MIN_ORDER, MAX_ORDER):
        if key in wanted and not _same(key, wanted[key], accepted.get(key)):
            changed[key] = wanted[key]
    return changed


def identifier(listing):
    """How the bulk-update item names the product: Cartona's ``supplier_product_id``
    when known (it wins over ``internal_product_id``, section 3.4), else the
    supplier's ``internal_product_id``; ``None`` when the listing has neither."""
    supplier_id = clean_identifier(listing.supplier_product_id)
    if supplier_id:
        return {SUPPLIER_PRODUCT_ID: supplier_id}
    internal_id = clean_identifier(listing.internal_product_id)
    if internal_id:
        return {INTERNAL_PRODUCT_ID: internal_id}
    return None


def plan_listing(listing):
    """The :class:`ItemPlan` of one listing."""
    wanted, problems = wanted_values(listing)
    name = identifier(listing)
    if name is None:
        return ItemPlan(listing.key, problems=((REASON_NO_IDENTIFIER, {}),))
    values = changed_values(wanted, listing.accepted, listing.force)
    if not values:
        return ItemPlan(listing.key, problems=problems)
    item = dict(name)
    item.update((key, values[key]) for key in VALUE_FIELDS if key in values)
    return ItemPlan(listing.key, item=item, values=values, problems=problems)


def plan(listings):
    """The :class:`ItemPlan` of every listing, in the order given."""
    return [plan_listing(listing) for listing in listings]


def accepted_after(accepted, values):
    """What Cartona has once it accepted ``values`` over ``accepted``."""
    merged = dict(accepted or {})
    merged.update(values)
    return merged


# ---------------------------------------------------------------------------
# Sending: batches, and splitting a rejected batch to isolate its bad items
# ---------------------------------------------------------------------------


def batches(entries, size):
    """``entries`` in consecutive lists of at most ``size`` (``size`` >= 1)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"the batch size must be a whole number >= 1, got {size!r}")
    entries = list(entries)
    return [entries[start : start + size] for start in range(0, len(entries), size)]


def split(batch):
    """The two halves of a rejected batch (the first one the larger)."""
    middle = (len(batch) + 1) // 2
    return batch[:middle], batch[middle:]


def send_all(entries, batch_size, send, max_requests=None):
    """Send ``(key, item)`` entries ``batch_size`` items a request through
    ``send(items)``, which raises the :mod:`.errors` classes. Returns a
    :class:`SendResult`.

    A batch Cartona rejects (:class:`~.errors.RejectedError`) is split in halves,
    sent again half by half, until every bad item stands alone and carries Cartona's
    refusal; the other items are accepted. Each bad item costs at most ``2 *
    ceil(log2(batch_size))`` more requests. Any other error stops the run: the batch
    and those after it are left ``pending``, with ``error``. ``max_requests`` caps the
    requests of one run (the rest is ``pending`` without an error).
    """
    result = SendResult()
    queue = deque(batches(entries, batch_size))
    while queue:
        if max_requests is not None and result.requests >= max_requests:
            break
        batch = queue.popleft()
        result.requests += 1
        try:
            send([item for _key, item in batch])
        except errors.RejectedError as exc:
            if len(batch) == 1:
                result.rejected[batch[0][0]] = exc
            else:
                first, second = split(batch)
                queue.extendleft([second, first])
            continue
        except errors.CartonaError as exc:
            result.error = exc
            queue.appendleft(batch)
            break
        for key, item in batch:
            result.accepted[key] = item_values(item)
    result.pending = [entry for batch in queue for entry in batch]
    return result


def item_values(item):
    """The values a bulk-update item carries (its identifier left out)."""
    return {key: item[key] for key in VALUE_FIELDS if key in item}


# ---------------------------------------------------------------------------
# What Cartona sends: its catalog, the product ids of order lines
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SupplierProduct:
    """One product of ``GET supplier-product`` (section 3.5), checked."""

    supplier_product_id: str | None
    internal_product_id: str | None
    name: str | None = None


def clean_identifier(value):
    """An identifier as text (``88001`` and ``"88001"`` alike), or ``None`` for
    anything that cannot be one (empty, too long, a boolean, a float, an object)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > IDENTIFIER_LIMIT:
        return None
    return value


def supplier_product(entry):
    """A :class:`SupplierProduct` from one catalog entry, or ``None`` when the entry
    names no product.

    Cartona's id is ``id`` (LINKDEV) or ``supplier_product_id`` (the order lines'
    name for it); the name is ``product_name`` or ``suppler_prodcut_name`` (sic,
    section 3.7).
    """
    if not isinstance(entry, dict):
        return None
    supplier_id = clean_identifier(entry.get(SUPPLIER_PRODUCT_ID))
    if supplier_id is None:
        supplier_id = clean_identifier(entry.get("id"))
    internal_id = clean_identifier(entry.get(INTERNAL_PRODUCT_ID))
    if supplier_id is None and internal_id is None:
        return None
    name = entry.get("product_name") or entry.get("suppler_prodcut_name")
    name = name.strip()[:256] if isinstance(name, str) and name.strip() else None
    return SupplierProduct(supplier_id, internal_id, name)


# Internals


def _whole_or_zero(value):
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    if not math.isfinite(value):
        return 0
    return int(value)


def _same(key, wanted, accepted):
    if accepted is None:
        return False
    if key == PRICE:
        if isinstance(accepted, bool) or not isinstance(accepted, int | float):
            return False
        return same_price(wanted, accepted)
    if key == IN_STOCK:
        return accepted is wanted
    if isinstance(accepted, bool):
        return False
    return accepted == wanted
