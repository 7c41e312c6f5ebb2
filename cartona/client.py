"""HTTP client for Cartona's supplier-integrations API (``cartona-api.md`` section 3).

One :class:`CartonaClient` holds one token and a ``requests.Session`` (keep-alive), its
own or one lent by the caller to reuse connections across clients. A session used by
the client never keeps a cookie, and checks the address each of its connections
reaches (:mod:`.transport`): a cookie Cartona sets for one account never goes with
another's requests, and a name that resolves to an internal address at call time is
refused (:class:`~.errors.ConfigurationError`) before anything is sent.
Every HTTP attempt produces an :class:`Exchange`, handed to ``on_exchange`` and kept as
``client.last_exchange``, whatever its outcome. Every failure is raised as one of the
classes of :mod:`.errors`, classified in :meth:`CartonaClient._request` and nowhere
else.

The token travels only in the ``AuthorizationToken`` header. Texts that leave the client
(exchanges, error messages, log lines) are still passed through :func:`.errors.redact`.
The base URL is checked by :func:`.urls.check_base_url` before anything is sent:
https to a public host, or the local sandbox when ``allow_local`` says so; redirects
are never followed.
"""

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import requests

from .errors import (
    BODY_LIMIT,
    MAX_RESPONSE_BYTES,
    MESSAGE_LIMIT,
    AuthenticationError,
    CartonaError,
    ConfigurationError,
    MalformedResponseError,
    ProtocolError,
    RejectedError,
    ResponseTooLargeError,
    TransientError,
    bounded_retry_after,
    extract_message,
    parse_retry_after,
    redact,
)
from .payloads import log_excerpt, mask_secret_text
from .payloads import redacted as mask_secret_keys
from .transport import new_session, secure_session
from .urls import UnsafeURLError, check_base_url

_logger = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "Odoo-Cartona-Marketplace/18.0"
AUTH_HEADER = "AuthorizationToken"
PULL_ORDERS = "order/pull-orders"
UPDATE_STATUS = "order/update-order-status"
UPDATE_DETAILS = "order/update-order-details"
SUPPLIER_PRODUCT = "supplier-product"
#: Deepest JSON nesting accepted in a response (Cartona's bodies have 4 levels).
MAX_RESPONSE_DEPTH = 32
#: Unreadable feed entries one pull skips before it takes the feed for broken.
MAX_UNREADABLE = 100
BULK_UPDATE_PRODUCTS = "supplier-product/bulk-update"
#: Bytes read from the network at a time (an answer is read as a stream).
READ_CHUNK = 64 * 1024
#: Marks "an empty 2xx body is not acceptable" for :meth:`CartonaClient._request`.
_NO_EMPTY = object()


@dataclass(frozen=True)
class Exchange:
    """One HTTP attempt, as a sync log stores it.

    Never contains the token. ``request_body`` has the values of
    :data:`.payloads.SECRET_KEYS` masked; ``response_body`` is an excerpt of the
    response (:func:`.payloads.log_excerpt`: at most ``BODY_LIMIT`` characters,
    token and secret keys masked, storable), whoever answered.
    """

    method: str
    url: str
    endpoint: str
    request_body: object = None
    status_code: int | None = None
    response_body: str | None = None
    duration_ms: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class UnreadableEntry:
    """An entry of the pull feed that cannot be read, even alone on a page of one.

    ``position`` is its 0-based offset in the feed during the pull (page ``n`` of
    ``p`` entries holds offsets ``(n-1)p`` to ``np-1``); ``error`` the
    :class:`~.errors.MalformedResponseError` of that one-entry page, with its
    ``exchange``.
    """

    position: int
    error: MalformedResponseError

    @property
    def excerpt(self):
        """What the entry looked like: a bounded, redacted excerpt of the page."""
        return self.error.body

    @property
    def fingerprint(self):
        """SHA-256 of the one-entry page: the same while the entry is unchanged."""
        return self.error.digest


class CartonaClient:
    """Client of one Cartona supplier account (one token)."""

    def __init__(
        self,
        base_url,
        token,
        timeout=30,
        session=None,
        user_agent=DEFAULT_USER_AGENT,
        on_exchange=None,
        allow_local=False,
        max_response_bytes=MAX_RESPONSE_BYTES,
    ):
        # Raises urls.UnsafeURLError (a ValueError) before any request.
        self.base_url = check_base_url(base_url, allow_local=allow_local)
        if not token:
            raise ValueError("a Cartona API token is required")
        self._token = token
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self.on_exchange = on_exchange
        self.last_exchange = None
        # A session lent by the caller (a pool of kept-alive connections) stays
        # open and never holds the token: the headers go with each request. No
        # session keeps cookies, so nothing set for one account follows another,
        # and each connection's address is checked.
        self._owns_session = session is None
        self._session = new_session(allow_local) if session is None else session
        if isinstance(self._session, requests.Session):
            secure_session(self._session, allow_local)
        self._headers = {
            AUTH_HEADER: token,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": user_agent,
        }

    def __repr__(self):
        return f"CartonaClient(base_url={self.base_url!r}, timeout={self.timeout!r})"

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        """Close the HTTP session and its connections, unless it was lent."""
        if self._owns_session:
            self._session.close()

    # Remote verbs

    def pull_orders(self, page=1, per_page=100):
        """``GET order/pull-orders``: one page of new or changed orders (a list)."""
        params = {"page": page, "per_page": per_page}
        return self._request("GET", PULL_ORDERS, params=params, expect=list)

    def iter_pull_orders(
        self,
        per_page=100,
        max_pages=1000,
        on_unreadable=None,
        max_unreadable=MAX_UNREADABLE,
    ):
        """Yield the pull feed page by page (each page a non-empty list of orders).

        Stops after a page shorter than ``per_page``, at an empty page, after
        ``max_pages`` pages, or when a page brings no order not seen yet (a server
        that ignores ``page`` would otherwise send the same page forever).

        One broken entry must not hide the others: when a page that starts as a
        JSON array cannot be read (:class:`~.errors.MalformedResponseError`:
        invalid JSON or UTF-8, too deep, a number too long), the same range is
        read again with pages of half the size, down to pages of one entry, and
        the readable entries of the range are yielded. Each entry still
        unreadable alone is reported as an :class:`UnreadableEntry` to
        ``on_unreadable`` (a callable; its failures are logged and ignored) and
        logged as a warning, then skipped.

        The feed itself is taken for broken, and a ``MalformedResponseError``
        raised, when an unreadable answer is no array at all (an HTML page, an
        object: no smaller page would help), when two entries answer exactly the
        same unreadable body (a server answering garbage to everything), or past
        ``max_unreadable`` unreadable entries in one pull. Any other error (a page
        of the wrong shape, timeouts, 5xx, ...) is raised as it comes. Pages
        yielded before an error stay valid.
        """
        feed = _FeedReader(self, on_unreadable, max_unreadable)
        seen = set()
        for page in range(1, max_pages + 1):
            start = (page - 1) * per_page
            orders, ended = feed.read_range(start, start + per_page, per_page)
            if orders:
                ids = {_order_key(order) for order in orders}
                if ids <= seen:
                    _logger.warning(
                        "Cartona pull-orders page %s repeats orders already pulled; "
                        "stopping pagination",
                        page,
                    )
                    return
                seen |= ids
                yield orders
            if ended:
                return
        _logger.warning("Cartona pull-orders stopped after %s pages", max_pages)

    def update_orders_status(self, items):
        """``POST order/update-order-status`` (bulk). Returns Cartona's list.

        Cartona skips failing items silently (section 3.2): use
        :meth:`update_order_status` when the outcome matters.
        """
        body = [_status_item(item) for item in _checked_list(items)]
        return self._request("POST", UPDATE_STATUS, body=body, expect=list, empty=[])

    def update_order_status(self, hashed_id, status, **extra):
        """``POST order/update-order-status/<hashed_id>``: one order, errors reported.

        ``extra`` holds optional keys (``retailer_otp``, ``cancellation_reason``,
        ``delivery_day``, ``estimated_delivery_day``); ``None`` values are left out.
        Returns Cartona's JSON object, or ``{}`` for an empty success.
        """
        body = _status_item({"hashed_id": hashed_id, "status": status, **extra})
        endpoint = f"{UPDATE_STATUS}/{_path_segment(hashed_id)}"
        return self._request("POST", endpoint, body=body, expect=dict, empty={})

    def update_order_details(self, items):
        """``POST order/update-order-details``: edit order lines (bulk)."""
        body = [_details_item(item) for item in _checked_list(items)]
        return self._request("POST", UPDATE_DETAILS, body=body, expect=list, empty=[])

    def test_connection(self):
        """``GET supplier-product?page=1&per_page=1``: succeeds when the token works."""
        params = {"page": 1, "per_page": 1}
        return self._request("GET", SUPPLIER_PRODUCT, params=params, expect=list)

    # Catalog (sections 3.5 and 3.6)

    def list_supplier_products(self, page=1, per_page=100):
        """``GET supplier-product``: one page of the supplier's products (a list)."""
        params = {"page": page, "per_page": per_page}
        return self._request("GET", SUPPLIER_PRODUCT, params=params, expect=list)

    def iter_supplier_products(self, per_page=100, max_pages=1000):
        """Yield the supplier's catalog page by page (each page a non-empty list).

        Stops as :meth:`iter_pull_orders` does: after a short or empty page, after
        ``max_pages``, or when a page brings no product not seen yet.
        """
        seen = set()
        for page in range(1, max_pages + 1):
            products = self.list_supplier_products(page=page, per_page=per_page)
            if not products:
                return
            keys = {_product_key(product) for product in products}
            if keys <= seen:
                _logger.warning(
                    "Cartona supplier-product page %s repeats products already read; "
                    "stopping pagination",
                    page,
                )
                return
            seen |= keys
            yield products
            if len(products) < per_page:
                return
        _logger.warning("Cartona supplier-product stopped after %s pages", max_pages)

    def update_products(self, items):
        """``POST supplier-product/bulk-update``: stock, price and flags per product.

        Cartona answers the batch as a whole (section 3.6): a 2xx is success whatever
        JSON it carries (undocumented), and a 4xx refuses every item. Each item
        must name its product (``supplier_product_id``, ``internal_product_id`` or
        ``base_product_id`` + ``unit`` + ``unit_count``). Returns Cartona's answer.
        """
        body = [_product_item(item) for item in _checked_list(items)]
        return self._request(
            "POST", BULK_UPDATE_PRODUCTS, body=body, expect=object, empty=[]
        )

    # Transport

    def _request(
        self, method, endpoint, params=None, body=None, expect=list, empty=_NO_EMPTY
    ):
        """Send one request, record its :class:`Exchange`, return the parsed body.

        ``expect`` is the JSON type the endpoint returns; ``empty`` what a 204 or an
        empty 2xx body stands for (by default such a body is a :class:`ProtocolError`).
        Raises the :mod:`.errors` class matching the outcome.
        """
        url = self._url(endpoint)
        shown_url = f"{url}?{urlencode(params)}" if params else url
        data = None if body is None else json.dumps(body, ensure_ascii=False)
        shown_body = mask_secret_keys(body)
        _logger.debug("Cartona %s %s body=%s", method, shown_url, shown_body)
        started = time.monotonic()
        response = raw = None
        try:
            response = self._session.request(
                method,
                url,
                params=params,
                headers=self._headers,
                data=data.encode("utf-8") if data is not None else None,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
            )
            raw = self._read_body(method, endpoint, response)
            result = self._interpret(method, endpoint, response, raw, expect, empty)
        except requests.RequestException as exc:
            error = self._transport_error(method, endpoint, exc)
        except UnsafeURLError as exc:  # the connection reached a refused address
            error = ConfigurationError(
                f"Cartona base URL refused on {method} {endpoint}: "
                f"{self._excerpt(str(exc), MESSAGE_LIMIT)}"
            )
        except CartonaError as exc:
            error = exc
        else:
            error = None
        finally:
            if response is not None:
                response.close()  # a refused answer is never read to its end
        exchange = Exchange(
            method=method,
            url=self._redact(shown_url),
            endpoint=endpoint,
            request_body=shown_body,
            status_code=response.status_code if response is not None else None,
            response_body=self._excerpt(raw, BODY_LIMIT),
            duration_ms=(time.monotonic() - started) * 1000.0,
            error=str(error) if error is not None else None,
        )
        self._record(exchange)
        if error is not None:
            error.exchange = exchange
            raise error
        return result

    def _read_body(self, method, endpoint, response):
        """The body of ``response`` (bytes), read as a stream and refused
        (:class:`~.errors.ResponseTooLargeError`) past ``max_response_bytes``:
        memory stays bounded whatever Cartona sends."""
        limit = self.max_response_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.strip().isdigit() and int(declared) > limit:
            self._too_large(method, endpoint, response, b"")
        chunks, size = [], 0
        for chunk in response.iter_content(READ_CHUNK):
            size += len(chunk)
            if size > limit:
                self._too_large(method, endpoint, response, b"".join(chunks[:1]))
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, method, endpoint, response, start):
        limit = self.max_response_bytes
        raise ResponseTooLargeError(
            f"Cartona's answer to {method} {endpoint} is larger than "
            f"{_size_text(limit)}: refused, nothing in it was used",
            response.status_code,
            mask_secret_text(self._redact(start.decode("utf-8", errors="replace"))),
            limit=limit,
        )

    def _interpret(self, method, endpoint, response, raw, expect, empty):
        """Map a received response to its parsed body, or raise its error class.

        ``raw`` is the body as received (bytes).
        """
        status = response.status_code
        what = f"{method} {endpoint}"
        text = mask_secret_text(self._redact(raw.decode("utf-8", errors="replace")))
        if status == 429 or status >= 500:
            retry_after = bounded_retry_after(
                parse_retry_after(response.headers.get("Retry-After"))
            )
            reason = "rate limited" if status == 429 else "server error"
            message = f"Cartona {reason} on {what}"
            if retry_after is not None:
                message += f", retry after {retry_after:g} s"
            raise TransientError(message, status, text, retry_after=retry_after)
        if status in (401, 403):
            raise AuthenticationError(
                f"Cartona refused the API token on {what}: {extract_message(text)}",
                status,
                text,
            )
        if 400 <= status < 500:
            raise RejectedError(
                f"Cartona rejected {what}: {extract_message(text) or 'no message'}",
                status,
                text,
            )
        if not 200 <= status < 300:
            location = self._excerpt(response.headers.get("Location"), 200)
            where = f" (redirect to {location})" if location else ""
            raise RejectedError(
                f"unexpected HTTP {status} from Cartona on {what}{where}", status, text
            )
        return self._parse(what, status, raw, text, expect, empty)

    def _parse(self, what, status, raw, text, expect, empty):
        """Parse a 2xx body and check it has the type the endpoint returns.

        A body that cannot be read (invalid UTF-8 or JSON, ``NaN``, a number past
        Python's 4,300 digits, nesting past ``MAX_RESPONSE_DEPTH`` or the
        interpreter's recursion limit) is a :class:`MalformedResponseError`; valid
        JSON of another type a :class:`ProtocolError`. ``text`` is the redacted body.
        """
        if status == 204 or not raw.strip():
            if empty is _NO_EMPTY:
                raise ProtocolError(f"empty response from Cartona on {what}", status)
            return type(empty)(empty)
        try:
            data = _loads(raw)
        except UnicodeDecodeError as exc:
            problem = f"the body is not valid UTF-8 ({exc.reason} at byte {exc.start})"
        except RecursionError:
            problem = "malformed JSON: nested too deeply to be read"
        except ValueError as exc:
            problem = f"malformed JSON: {self._excerpt(str(exc), MESSAGE_LIMIT)}"
        else:
            problem = None
            if _nested_deeper_than(data, MAX_RESPONSE_DEPTH):
                problem = f"JSON nested more than {MAX_RESPONSE_DEPTH} levels deep"
        if problem:
            raise MalformedResponseError(
                f"unreadable response from Cartona on {what}: {problem}",
                status,
                text,
                array=raw.lstrip()[:1] == b"[",
                digest=hashlib.sha256(raw).hexdigest(),
            )
        if not isinstance(data, expect):
            raise ProtocolError(
                f"unexpected response from Cartona on {what}: expected a JSON "
                f"{_json_type(expect)}, got a JSON {_json_type(type(data))}",
                status,
                text,
            )
        return data

    def _transport_error(self, method, endpoint, exc):
        """The error for a request that got no (complete) response."""
        what = f"{method} {endpoint}"
        detail = self._excerpt(str(exc), MESSAGE_LIMIT)
        if isinstance(exc, requests.Timeout):
            message = f"timeout after {self.timeout} s on Cartona {what}"
        elif isinstance(
            exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError
        ):
            message = f"connection to Cartona failed on {what}: {detail}"
        else:
            return CartonaError(f"request to Cartona failed on {what}: {detail}")
        return TransientError(message)

    def _record(self, exchange):
        """Keep ``exchange`` as ``last_exchange`` and hand it to ``on_exchange``."""
        self.last_exchange = exchange
        _logger.debug(
            "Cartona %s %s -> %s in %.0f ms: %s",
            exchange.method,
            exchange.url,
            exchange.status_code,
            exchange.duration_ms,
            exchange.error or exchange.response_body,
        )
        if self.on_exchange is None:
            return
        try:
            self.on_exchange(exchange)
        except Exception:
            _logger.exception("on_exchange callback failed for %s", exchange.url)

    def _redact(self, text):
        return redact(text, (self._token,))

    def _excerpt(self, value, limit):
        """What may be kept of a received text: see :func:`.payloads.log_excerpt`."""
        return log_excerpt(value, limit, secrets=(self._token,))

    def _url(self, endpoint):
        return f"{self.base_url.rstrip('/')}/{endpoint.lstrip('/')}"


class _FeedReader:
    """Reads ranges of the pull feed, isolating entries that cannot be read."""

    def __init__(self, client, on_unreadable, max_unreadable):
        self.client = client
        self.on_unreadable = on_unreadable
        self.max_unreadable = max_unreadable
        self.unreadable = {}  # digest of the one-entry page -> position

    def read_range(self, start, end, size):
        """The readable entries at offsets ``start`` to ``end - 1``, read with pages
        of ``size`` entries, and whether the feed ends in that range.

        A page that cannot be read is read again with pages of ``size // 2`` (only
        the part of it inside the range); a page of one is an unreadable entry.
        """
        entries = []
        offset = start - start % size  # the first page holding ``start``
        while offset < end:
            low, high = max(offset, start), min(offset + size, end)
            try:
                orders = self.client.pull_orders(page=offset // size + 1, per_page=size)
            except MalformedResponseError as exc:
                if not exc.array:
                    raise
                if size == 1:
                    self._skip(offset, exc)
                    found, ended = [], False
                else:
                    found, ended = self.read_range(low, high, size // 2)
                entries += found
                if ended:
                    return entries, True
            else:
                entries += orders[low - offset : high - offset]
                if len(orders) < size and offset + len(orders) <= end:
                    return entries, True
            offset += size
        return entries, False

    def _skip(self, position, error):
        if error.digest in self.unreadable:
            self._broken(
                f"entries {self.unreadable[error.digest]} and {position} of Cartona's "
                "pull feed give the same unreadable answer",
                error,
            )
        self.unreadable[error.digest] = position
        if len(self.unreadable) > self.max_unreadable:
            self._broken(
                f"more than {self.max_unreadable} entries of Cartona's pull feed "
                "cannot be read",
                error,
            )
        _logger.warning(
            "entry %s of Cartona's pull feed cannot be read, skipped: %s",
            position,
            error,
        )
        if self.on_unreadable is None:
            return
        try:
            self.on_unreadable(UnreadableEntry(position, error))
        except Exception:
            _logger.exception("on_unreadable callback failed for entry %s", position)

    @staticmethod
    def _broken(reason, error):
        raise MalformedResponseError(
            f"{reason}; the feed itself seems broken: {error.message}",
            error.status_code,
            error.body,
            error.exchange,
            error.array,
            error.digest,
        ) from error


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _loads(raw):
    """Strict JSON from UTF-8 bytes (``NaN`` and ``Infinity`` refused).

    Raises ``UnicodeDecodeError``, ``ValueError`` or ``RecursionError``.
    """
    return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)


def _nested_deeper_than(data, limit):
    """Whether ``data`` nests containers more than ``limit`` levels (no recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _path_segment(hashed_id):
    """``hashed_id`` quoted as one URL path segment."""
    if not isinstance(hashed_id, str) or not hashed_id:
        raise ValueError(f"hashed_id must be a non-empty string, got {hashed_id!r}")
    return quote(hashed_id, safe="")


def _checked_list(items):
    """``items`` as a list of dicts, refusing anything else before any request."""
    if isinstance(items, dict | str | bytes):
        raise ValueError("expected a list of objects, got a single value")
    items = list(items)
    for item in items:
        if not isinstance(item, dict):
            raise ValueError(f"expected an object, got {item!r}")
    return items


def _require(item, key):
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} must be a non-empty string in {item!r}")


def _status_item(item):
    """A status-update object without ``None`` values; needs hashed_id and status."""
    _require(item, "hashed_id")
    _require(item, "status")
    return {key: value for key, value in item.items() if value is not None}


def _details_item(item):
    """An order-details object; needs hashed_id and a list of order_details."""
    _require(item, "hashed_id")
    if not isinstance(item.get("order_details"), list):
        raise ValueError(f"order_details must be a list in {item!r}")
    return item


def _product_item(item):
    """A bulk-update item; it must name its product one of the documented ways."""
    if item.get("supplier_product_id") not in (None, ""):
        return item
    if item.get("internal_product_id") not in (None, ""):
        return item
    if all(
        item.get(key) not in (None, "")
        for key in ("base_product_id", "unit", "unit_count")
    ):
        return item
    raise ValueError(
        f"a catalog item needs supplier_product_id, internal_product_id or "
        f"base_product_id + unit + unit_count: {item!r}"
    )


def _product_key(product):
    """What identifies a catalog product for the repeated-page guard."""
    if isinstance(product, dict):
        for key in ("id", "supplier_product_id", "internal_product_id"):
            if product.get(key) not in (None, ""):
                return f"{key}:{product[key]}"
    return json.dumps(product, sort_keys=True, default=str)


def _order_key(order):
    """What identifies a pulled order for the repeated-page guard."""
    if isinstance(order, dict) and order.get("hashed_id"):
        return str(order["hashed_id"])
    return json.dumps(order, sort_keys=True, default=str)


_JSON_TYPES = {
    list: "array",
    dict: "object",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def _json_type(python_type):
    """The JSON name of a type ``json.loads`` returns."""
    return _JSON_TYPES.get(python_type, python_type.__name__)


def _size_text(size):
    """``size`` bytes for people: ``20 MB`` (whole megabytes), else bytes."""
    megabyte = 1024 * 1024
    if size >= megabyte and not size % megabyte:
        return f"{size // megabyte} MB"
    return f"{size} bytes"
