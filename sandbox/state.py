"""In-memory state of the Cartona sandbox and Cartona's rules applied to it.

Orders are kept in the pull-orders shape (``cartona-api.md`` section 7). Bookkeeping
(the retailer's OTP, change and acknowledgement counters, the supplier's status
history) lives beside them and never reaches an API payload. Every method takes
``lock``; read accessors return deep copies.

A rule broken by a request raises :class:`SandboxRejection`, which the HTTP layer
turns into a JSON error response.
"""

import copy
import datetime
import itertools
import re
import threading
import time
from dataclasses import dataclass, field

from . import rules
from .catalog import Catalog, CatalogRejection
from .demo import ORDER_DEFAULTS, demo_products
from .faults import FaultBook

DEFAULT_OTP = "123456"
#: How the sandbox answers a supplier's ``returned`` by default (it accepts it; see
#: :meth:`SandboxState.set_returns`).
RETURNS_ACCEPTED = {"accept": True, "status": 422, "message": None}
DATE_FIELDS = ("estimated_delivery_day", "delivery_day")
STORED_FIELDS = ("cancellation_reason", *DATE_FIELDS)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_FIRST_LINE_ID = 7_000_001


class RawEntry(bytes):
    """A pull-feed entry served byte for byte, as it is: a test's broken entry."""


class SandboxRejection(Exception):
    """A request Cartona would refuse: HTTP ``status`` with ``{"error", "details"}``."""

    def __init__(self, status, error, details=None):
        super().__init__(error)
        self.status = status
        self.error = error
        self.details = details

    def payload(self):
        """The JSON error body."""
        body = {"error": self.error}
        if self.details is not None:
            body["details"] = self.details
        return body


@dataclass
class _Meta:
    """Sandbox bookkeeping of one order, never part of its payload."""

    otp: str
    changed: int
    acked: int = 0
    history: list = field(default_factory=list)
    internal: dict = field(default_factory=dict)
    #: Ids of the lines the supplier cancelled: gone from the order's lines, and
    #: cancelling one again changes nothing (``cancelled`` is a flag, section 3.4).
    cancelled_lines: set = field(default_factory=set)

    @property
    def in_feed(self):
        return self.changed > self.acked


class SandboxState:
    """Orders, pull feed, catalog, recorded requests, skipped bulk items and faults.

    A test can also make the feed hostile: :meth:`add_raw_entry` puts bytes that
    need not be JSON at all among the orders, and :meth:`set_cookie` has every API
    answer set a cookie.
    """

    def __init__(self, orders=None, products=None):
        self.lock = threading.RLock()
        self._initial_orders = copy.deepcopy(list(orders or ()))
        self._products = copy.deepcopy(
            demo_products() if products is None else list(products)
        )
        self.reset()

    def reset(self):
        """Back to the orders given at construction; forget requests and faults."""
        with self.lock:
            self._orders = {}
            self._meta = {}
            self._clock = itertools.count(1)
            self._next_line_id = _FIRST_LINE_ID
            self._requests = []
            self._skipped = []
            self._faults = FaultBook()
            self._raw_entries = {}
            self._raw_ids = itertools.count(1)
            self._cookie = None
            self._returns = dict(RETURNS_ACCEPTED)
            self._catalog = Catalog(self._products)
            for order in self._initial_orders:
                self.add_order(order)

    # Read accessors

    @property
    def orders(self):
        """Snapshot: hashed_id -> order in the pull-orders shape."""
        with self.lock:
            return copy.deepcopy(self._orders)

    @property
    def requests(self):
        """Snapshot of the recorded ``/api/v1/`` requests, oldest first."""
        with self.lock:
            return copy.deepcopy(self._requests)

    @property
    def skipped(self):
        """Bulk status items Cartona skipped silently, with the reason."""
        with self.lock:
            return copy.deepcopy(self._skipped)

    @property
    def faults(self):
        with self.lock:
            return self._faults.as_list()

    def order(self, hashed_id):
        """Copy of one order; :class:`SandboxRejection` 404 when unknown."""
        with self.lock:
            return copy.deepcopy(self._get(hashed_id))

    def describe(self, hashed_id):
        """One order plus its sandbox bookkeeping under ``_sandbox``."""
        with self.lock:
            order = copy.deepcopy(self._get(hashed_id))
            meta = self._meta[hashed_id]
            order["_sandbox"] = {
                "in_feed": meta.in_feed,
                "acknowledged": not meta.in_feed,
                "status_history": list(meta.history),
                "payment_method": rules.payment_method(order),
                "retailer_otp": meta.otp,
            }
            return order

    def status_history(self, hashed_id):
        """Statuses the supplier changed the order to, in order (no-ops excluded)."""
        with self.lock:
            self._get(hashed_id)
            return list(self._meta[hashed_id].history)

    def acknowledged(self, hashed_id):
        """Whether the order's latest change was acknowledged with ``synced``."""
        with self.lock:
            self._get(hashed_id)
            return not self._meta[hashed_id].in_feed

    def feed(self):
        """Orders changed since their last acknowledgement, oldest change first."""
        with self.lock:
            return [e for e in self._feed_entries() if not isinstance(e, RawEntry)]

    def pull(self, page=1, per_page=100):
        """One page of the feed: orders and raw entries (:class:`RawEntry`)."""
        start = (page - 1) * per_page
        with self.lock:
            return self._feed_entries()[start : start + per_page]

    @property
    def raw_entries(self):
        """The raw entries: ``{"id", "position", "raw"}`` (text, bad bytes escaped)."""
        with self.lock:
            return [
                {
                    "id": raw_id,
                    "position": self._position(raw_id),
                    "raw": entry.decode("utf-8", errors="backslashreplace"),
                }
                for raw_id, (_changed, entry) in self._raw_entries.items()
            ]

    def add_raw_entry(self, raw):
        """Put ``raw`` (text or bytes, JSON or not) in the feed as its newest entry.

        The entry stays in the feed (it has no ``hashed_id`` to acknowledge) until
        removed. Returns ``{"id", "position"}``, the 0-based position in the feed.
        """
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogatepass")
        if not isinstance(raw, bytes | bytearray):
            raise ValueError("a raw entry is text or bytes")
        with self.lock:
            raw_id = f"raw-{next(self._raw_ids)}"
            self._raw_entries[raw_id] = (next(self._clock), RawEntry(raw))
            return {"id": raw_id, "position": self._position(raw_id)}

    def remove_raw_entry(self, raw_id=None):
        """Remove one raw entry (404 when unknown), or all of them."""
        with self.lock:
            if raw_id is None:
                self._raw_entries.clear()
            elif self._raw_entries.pop(raw_id, None) is None:
                raise SandboxRejection(404, f"no raw entry {raw_id!r}")

    @property
    def cookie(self):
        with self.lock:
            return self._cookie

    def set_cookie(self, cookie):
        """Have every API answer carry ``Set-Cookie: <cookie>`` (``None``: stop)."""
        if cookie is not None and (
            not isinstance(cookie, str) or not cookie or "\n" in cookie
        ):
            raise ValueError("cookie must be one header line or null")
        with self.lock:
            self._cookie = cookie

    def products(self, page=1, per_page=100):
        """One page of the supplier-product catalog."""
        with self.lock:
            return self._catalog.page(page, per_page)

    # Retailer side and control operations (each puts the order in the feed)

    def add_order(self, order, fill_defaults=True):
        """Add or replace an order; keys starting with ``_`` are bookkeeping.

        ``_retailer_otp`` sets the OTP the retailer gives (default ``123456``). With
        ``fill_defaults`` missing fields get a fresh order's values and lines get ids.
        """
        if not isinstance(order, dict) or not _is_text(order.get("hashed_id")):
            raise SandboxRejection(400, "an order needs a non-empty string hashed_id")
        order = copy.deepcopy(order)
        internal = {k: order.pop(k) for k in list(order) if k.startswith("_")}
        with self.lock:
            if fill_defaults:
                self._fill_defaults(order)
            else:
                self._reserve_line_ids(order.get("order_details"))
            hashed_id = order["hashed_id"]
            self._orders[hashed_id] = order
            self._meta[hashed_id] = _Meta(
                otp=str(internal.pop("_retailer_otp", DEFAULT_OTP)),
                changed=next(self._clock),
                internal=internal,
            )
            return copy.deepcopy(order)

    def retailer_edit(self, hashed_id, order_details):
        """The retailer changes the lines: status back to ``pending``, back in feed."""
        if not isinstance(order_details, list) or not all(
            isinstance(line, dict) for line in order_details
        ):
            raise SandboxRejection(400, "order_details must be a list of objects")
        with self.lock:
            order = self._get(hashed_id)
            if order["status"] not in rules.RETAILER_MAY_EDIT:
                raise SandboxRejection(
                    409,
                    f"the retailer cannot edit an order in status {order['status']!r}",
                )
            lines = copy.deepcopy(order_details)
            self._assign_line_ids(lines)
            order["order_details"] = lines
            order["total_price"] = _total(lines)
            order["status"] = "pending"
            self._touch(hashed_id)
            return copy.deepcopy(order)

    def retailer_cancel(self, hashed_id, reason=""):
        """The retailer cancels, where the graph allows ``cancelled_by_retailer``."""
        if reason and reason not in rules.CANCELLATION_REASONS:
            raise SandboxRejection(400, f"unknown cancellation_reason {reason!r}")
        with self.lock:
            order = self._get(hashed_id)
            current = order["status"]
            if not rules.may_move(current, "cancelled_by_retailer"):
                raise SandboxRejection(
                    409, f"the retailer cannot cancel an order in status {current!r}"
                )
            order["status"] = "cancelled_by_retailer"
            order["cancellation_reason"] = reason or ""
            self._touch(hashed_id)
            return copy.deepcopy(order)

    def retailer_return(self, hashed_id, reason):
        """The goods came back (the retailer or Cartona says so): ``returned`` with
        ``return_reason``, where the graph allows it; back in the feed."""
        if not _is_text(reason):
            raise SandboxRejection(400, "a return needs a non-empty reason")
        with self.lock:
            order = self._get(hashed_id)
            current = order["status"]
            if not rules.may_move(current, rules.RETURNED):
                raise SandboxRejection(
                    409, f"an order in status {current!r} cannot be returned"
                )
            order["status"] = rules.RETURNED
            order[rules.RETURN_REASON] = reason
            self._touch(hashed_id)
            return copy.deepcopy(order)

    @property
    def returns(self):
        """How a supplier's ``returned`` is answered: ``{"accept", "status",
        "message"}``."""
        with self.lock:
            return dict(self._returns)

    def set_returns(self, accept=True, status=422, message=None):
        """Accept a supplier's ``returned`` (the default), or refuse it with HTTP
        ``status`` (4xx) and Cartona's ``message``: whether Cartona takes it is
        UNCERTAIN (cartona-api.md section 4)."""
        if not isinstance(accept, bool):
            raise ValueError("accept must be true or false")
        if isinstance(status, bool) or not isinstance(status, int):
            raise ValueError("status must be an HTTP status code")
        if not 400 <= status < 500:
            raise ValueError("a refusal is a 4xx status")
        if message is not None and not isinstance(message, str):
            raise ValueError("message must be text")
        with self.lock:
            self._returns = {"accept": accept, "status": status, "message": message}
            return dict(self._returns)

    def set_status(self, hashed_id, status):
        """Force any status (Cartona's or the retailer's doing); back in the feed."""
        if not _is_text(status):
            raise SandboxRejection(400, "status must be a non-empty string")
        with self.lock:
            order = self._get(hashed_id)
            order["status"] = status
            self._touch(hashed_id)
            return copy.deepcopy(order)

    # Supplier API

    def update_status(self, item, single=False):
        """Apply one supplier status item (single endpoint semantics).

        ``synced`` acknowledges the order. Raises :class:`SandboxRejection` for an
        unknown order (404), a status the supplier may not send or a transition the
        graph forbids (422), and bad optional fields or a missing/wrong OTP (400).
        ``returned`` is taken on the single endpoint (``single``) only, with a
        ``return_reason``, unless the sandbox was told to refuse it.
        """
        hashed_id, status = item["hashed_id"], item["status"]
        with self.lock:
            order = self._get(hashed_id)
            if status == rules.SYNCED:
                self._meta[hashed_id].acked = next(self._clock)
                return {"hashed_id": hashed_id, "status": rules.SYNCED}
            if status == rules.RETURNED and single:
                self._check_return(item)
            elif status not in rules.SUPPLIER_MAY_POST:
                raise SandboxRejection(
                    422,
                    f"status {status!r} cannot be set by the supplier",
                    {"allowed": sorted(rules.SUPPLIER_MAY_POST)},
                )
            _check_optional_fields(item)
            if status != order["status"]:
                self._check_transition(order, status)
                self._check_otp(order, status, item.get("retailer_otp"))
                order["status"] = status
                self._meta[hashed_id].history.append(status)
            for key in STORED_FIELDS:
                if item.get(key) is not None:
                    order[key] = item[key]
            if status == rules.RETURNED:
                order[rules.RETURN_REASON] = item[rules.RETURN_REASON]
            return {"hashed_id": hashed_id, "status": order["status"]}

    def _check_return(self, item):
        """A supplier's ``returned``: refused when the sandbox is told so, and it
        needs a ``return_reason``."""
        if not self._returns["accept"]:
            raise SandboxRejection(
                self._returns["status"],
                self._returns["message"]
                or f"status {rules.RETURNED!r} cannot be set by the supplier",
            )
        if not _is_text(item.get(rules.RETURN_REASON)):
            raise SandboxRejection(
                400, f"{rules.RETURN_REASON} is required to return an order"
            )

    def update_status_single(self, hashed_id, body):
        """``POST order/update-order-status/<hashed_id>``: the body is one object."""
        if not isinstance(body, dict):
            raise SandboxRejection(400, "the request body must be a JSON object")
        if not _is_text(body.get("status")):
            raise SandboxRejection(400, "status is required and must be a string")
        if body.get("hashed_id") not in (None, hashed_id):
            raise SandboxRejection(
                400,
                "hashed_id in the body does not match the URL",
                {"url": hashed_id, "body": body["hashed_id"]},
            )
        return self.update_status({**body, "hashed_id": hashed_id}, single=True)

    def update_status_bulk(self, items):
        """``POST order/update-order-status``: failing items are skipped silently."""
        _check_items(items, "status", str)
        applied = []
        with self.lock:
            for item in items:
                try:
                    applied.append(self.update_status(item))
                except SandboxRejection as exc:
                    self._skipped.append(
                        {
                            "item": copy.deepcopy(item),
                            "status": exc.status,
                            "error": exc.error,
                            "time": time.time(),
                        }
                    )
        return applied

    def update_details(self, items):
        """``POST order/update-order-details``: all items valid, or nothing applied.

        Cartona's behaviour on a failing item is undocumented; the sandbox is strict
        and refuses the whole request (404 unknown order, 422 otherwise).
        """
        _check_items(items, "order_details", list)
        with self.lock:
            planned = [(item["hashed_id"], self._plan_details(item)) for item in items]
            result = []
            for hashed_id, lines in planned:
                order = self._orders[hashed_id]
                kept = {line["id"] for line in lines}
                self._meta[hashed_id].cancelled_lines |= {
                    line["id"] for line in order["order_details"]
                } - kept
                order["order_details"] = lines
                order["total_price"] = _total(lines)
                result.append(
                    {"hashed_id": hashed_id, "order_details": copy.deepcopy(lines)}
                )
            return result

    # Catalog (sections 3.5 and 3.6; see :mod:`.catalog`)

    @property
    def catalog(self):
        """Snapshot of the supplier's products on Cartona, in catalog order."""
        with self.lock:
            return self._catalog.products()

    def catalog_product(self, internal_product_id=None, supplier_product_id=None):
        """Copy of the one product named so; ``None`` when none or several match."""
        key = (
            {"supplier_product_id": supplier_product_id}
            if supplier_product_id is not None
            else {"internal_product_id": internal_product_id}
        )
        with self.lock:
            found = self._catalog.find(key)
            return copy.deepcopy(found[0]) if len(found) == 1 else None

    def put_products(self, products):
        """Add products to the catalog (or replace those with the same ``id``)."""
        if isinstance(products, dict):
            products = [products]
        if not isinstance(products, list):
            raise SandboxRejection(400, "expected a product or a list of products")
        with self.lock:
            try:
                return [self._catalog.put(product) for product in products]
            except ValueError as exc:
                raise SandboxRejection(400, str(exc)) from None

    def bulk_update_products(self, items):
        """``POST supplier-product/bulk-update``: every item valid, or nothing applied.

        Returns the updated products. 400 when the body is not an array, 422 naming
        the first bad item (``details.index``) otherwise.
        """
        with self.lock:
            try:
                return self._catalog.bulk_update(items)
            except TypeError as exc:
                raise SandboxRejection(400, str(exc)) from None
            except CatalogRejection as exc:
                raise SandboxRejection(
                    422,
                    f"invalid item {exc.index}: {exc.reason}",
                    {"index": exc.index, "item": exc.item},
                ) from None

    # Faults and the request log

    def add_fault(self, kind, **options):
        """Inject a fault into ``/api/v1/`` requests; returns its JSON view.

        Options (:meth:`.faults.FaultBook.add`): ``count``, ``ratio``, ``path``,
        ``method``, ``status``, ``seconds``, ``apply``, ``seed``, ``body``,
        ``retry_after``. Raises ``ValueError`` on bad ones.
        """
        with self.lock:
            return self._faults.add(kind, **options).as_dict()

    def clear_faults(self):
        with self.lock:
            self._faults.clear()

    def take_fault(self, method, path):
        """The fault firing for this request, or ``None``."""
        with self.lock:
            return self._faults.take(method, path)

    def record_request(self, entry):
        with self.lock:
            self._requests.append(copy.deepcopy(entry))

    def clear_requests(self):
        with self.lock:
            self._requests.clear()

    # Internals

    def _feed_entries(self):
        """Orders in the feed and raw entries, oldest change first (lock held)."""
        dated = [
            (meta.changed, copy.deepcopy(self._orders[hid]))
            for hid, meta in self._meta.items()
            if meta.in_feed
        ]
        dated += list(self._raw_entries.values())
        dated.sort(key=lambda item: item[0])
        return [entry for _changed, entry in dated]

    def _position(self, raw_id):
        changed = self._raw_entries[raw_id][0]
        in_feed = [m.changed for m in self._meta.values() if m.in_feed]
        in_feed += [c for c, _entry in self._raw_entries.values()]
        return sorted(in_feed).index(changed)

    def _get(self, hashed_id):
        order = self._orders.get(hashed_id)
        if order is None:
            raise SandboxRejection(
                404, "order not found", f"no order with hashed_id {hashed_id!r}"
            )
        return order

    def _touch(self, hashed_id):
        self._meta[hashed_id].changed = next(self._clock)

    def _new_line_id(self):
        line_id = self._next_line_id
        self._next_line_id += 1
        return line_id

    def _reserve_line_ids(self, lines):
        """Make sure new line ids never collide with ids already given."""
        for line in lines if isinstance(lines, list) else ():
            line_id = line.get("id") if isinstance(line, dict) else None
            if isinstance(line_id, int) and line_id >= self._next_line_id:
                self._next_line_id = line_id + 1

    def _assign_line_ids(self, lines):
        """Give an id to every line without one, after the ids already given."""
        self._reserve_line_ids(lines)
        for line in lines if isinstance(lines, list) else ():
            if isinstance(line, dict) and line.get("id") is None:
                line["id"] = self._new_line_id()

    def _fill_defaults(self, order):
        """Complete a fresh order with the fields Cartona always sends."""
        for key, value in ORDER_DEFAULTS.items():
            order.setdefault(key, copy.deepcopy(value))
        self._assign_line_ids(order["order_details"])
        order.setdefault("total_price", _total(order["order_details"]))

    @staticmethod
    def _check_transition(order, status):
        current = order["status"]
        if not rules.may_move(current, status):
            raise SandboxRejection(
                422,
                f"cannot change order status from {current!r} to {status!r}",
                {
                    "current_status": current,
                    "requested_status": status,
                    "allowed_next": sorted(rules.allowed_next(current)),
                },
            )

    def _check_otp(self, order, status, otp):
        if not rules.needs_otp(order, status):
            return
        method = rules.payment_method(order)
        if otp in (None, ""):
            raise SandboxRejection(
                400, f"retailer_otp is required to deliver an order paid by {method}"
            )
        if not isinstance(otp, str):
            raise SandboxRejection(400, "retailer_otp must be a string")
        if otp != self._meta[order["hashed_id"]].otp:
            raise SandboxRejection(400, "invalid retailer_otp")

    def _plan_details(self, item):
        """The lines of the order once ``item`` applies; raises before any change."""
        hashed_id = item["hashed_id"]
        order = self._get(hashed_id)
        if order["status"] not in rules.DETAILS_EDITABLE:
            raise SandboxRejection(
                422,
                f"order details cannot be edited in status {order['status']!r}",
                {"hashed_id": hashed_id, "allowed": sorted(rules.DETAILS_EDITABLE)},
            )
        lines = copy.deepcopy(order["order_details"])
        cancelled = self._meta[hashed_id].cancelled_lines
        for change in item["order_details"]:
            if not isinstance(change, dict):
                raise SandboxRejection(
                    400, "each order_details entry must be an object"
                )
            if change.get("id") is None:
                lines.append(self._new_line(hashed_id, change))
            else:
                lines = _edit_line(hashed_id, lines, change, cancelled)
        return lines

    def _new_line(self, hashed_id, change):
        """A line added by the supplier; the product must be identified."""
        product = self._find_product(change)
        if product is None:
            raise SandboxRejection(
                422,
                "a new line needs supplier_product_id, internal_product_id or "
                "base_product_id + unit + unit_count",
                {"hashed_id": hashed_id},
            )
        amount = _amount_of(change, default=None)
        if amount is None or amount <= 0:
            raise SandboxRejection(422, "a new line needs an amount above 0")
        return {
            "id": self._new_line_id(),
            "supplier_product_id": product.get("supplier_product_id"),
            "internal_product_id": product.get("internal_product_id"),
            "base_product_id": product.get("base_product_id"),
            "unit": product.get("unit"),
            "unit_count": product.get("unit_count"),
            "product_name": product.get("product_name"),
            "amount": amount,
            "selling_price": _price_of(change, product.get("selling_price", 0)),
            "applied_supplier_discount": 0.0,
            "applied_cartona_discount": 0.0,
            "comment": change.get("comment"),
        }

    def _find_product(self, change):
        """The catalog product a new line names (precedence of section 3.4)."""
        keys = ("supplier_product_id", "internal_product_id")
        for key in keys:
            if change.get(key) not in (None, ""):
                wanted = str(change[key])
                known = [p for p in self._products if str(p.get(key)) == wanted]
                return known[0] if known else {key: wanted, "product_name": wanted}
        trio = ("base_product_id", "unit", "unit_count")
        if all(change.get(key) not in (None, "") for key in trio):
            return {key: change[key] for key in trio}
        return None


def _edit_line(hashed_id, lines, change, cancelled_ids=frozenset()):
    """``lines`` with the existing line ``change['id']`` edited or cancelled.

    A line the supplier cancelled before stays cancelled: cancelling it again is no
    change, editing it is refused.
    """
    cancelled = change.get("cancelled", False)
    if not isinstance(cancelled, bool):
        raise SandboxRejection(
            422, f"cancelled must be true or false, got {cancelled!r}"
        )
    index = next(
        (i for i, line in enumerate(lines) if line["id"] == change["id"]), None
    )
    if index is None and change["id"] in cancelled_ids:
        if cancelled:
            return lines
        raise SandboxRejection(
            422, f"order detail {change['id']!r} of order {hashed_id!r} is cancelled"
        )
    if index is None:
        raise SandboxRejection(
            422,
            f"order detail {change['id']!r} is not part of order {hashed_id!r}",
        )
    if cancelled:
        return lines[:index] + lines[index + 1 :]
    line = lines[index]
    line["amount"] = _amount_of(change, line["amount"])
    line["selling_price"] = _price_of(change, line["selling_price"])
    if "comment" in change:
        line["comment"] = change["comment"]
    return lines


def _amount_of(change, default):
    """Section 3.4: ``amount`` is a whole number >= 0 (``6.0`` is accepted, as the
    document's examples send it); ``default`` when absent."""
    value = change.get("amount")
    if value is None:
        return default
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value != value
        or value in (float("inf"), float("-inf"))
        or value < 0
        or int(value) != value
    ):
        raise SandboxRejection(
            422, f"amount must be a whole number >= 0, got {value!r}"
        )
    return int(value)


def _price_of(change, default):
    """``price`` is a number >= 0; ``default`` when absent."""
    value = change.get("price")
    if value is None:
        return default
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value != value
        or value in (float("inf"), float("-inf"))
        or value < 0
    ):
        raise SandboxRejection(422, f"price must be a number >= 0, got {value!r}")
    return value


def _check_items(items, key, kind):
    """400 unless ``items`` is a list of objects with a string hashed_id and ``key``."""
    if not isinstance(items, list):
        raise SandboxRejection(400, "the request body must be a JSON array")
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not _is_text(item.get("hashed_id")):
            raise SandboxRejection(
                400, f"item {index} needs a non-empty string hashed_id"
            )
        if not isinstance(item.get(key), kind) or (kind is str and not item[key]):
            raise SandboxRejection(400, f"item {index} needs {key} ({kind.__name__})")


def _check_optional_fields(item):
    """400 for a cancellation reason Cartona does not know or a date not YYYY-MM-DD."""
    reason = item.get("cancellation_reason")
    if reason is not None and reason not in rules.CANCELLATION_REASONS:
        raise SandboxRejection(
            400,
            f"unknown cancellation_reason {reason!r}",
            {"allowed": sorted(rules.CANCELLATION_REASONS)},
        )
    for key in DATE_FIELDS:
        value = item.get(key)
        if value is not None and not _is_date(value):
            raise SandboxRejection(
                400, f"{key} must be a YYYY-MM-DD date, got {value!r}"
            )


def _is_date(value):
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_text(value):
    return isinstance(value, str) and bool(value)


def _amount(order, key):
    value = order.get(key)
    return (
        value if isinstance(value, int | float) and not isinstance(value, bool) else 0
    )


def _total(lines):
    """Σ selling_price × amount over well-formed lines."""
    total = 0
    for line in lines if isinstance(lines, list) else ():
        if isinstance(line, dict):
            total += _amount(line, "selling_price") * _amount(line, "amount")
    return total
