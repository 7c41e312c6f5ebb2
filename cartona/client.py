"""HTTP client for Cartona's supplier-integrations API (``cartona-api.md`` section 3).

One :class:`CartonaClient` holds one token and a ``requests.Session`` (keep-alive), its
own or one lent by the caller to reuse connections across clients.
Every HTTP attempt produces an :class:`Exchange`, handed to ``on_exchange`` and kept as
``client.last_exchange``, whatever its outcome. Every failure is raised as one of the
classes of :mod:`.errors`, classified in :meth:`CartonaClient._request` and nowhere
else.

The token travels only in the ``AuthorizationToken`` header. Texts that leave the client
(exchanges, error messages, log lines) are still passed through :func:`.errors.redact`.
"""

import json
import logging
import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

import requests

from .errors import (
    AuthenticationError,
    CartonaError,
    ProtocolError,
    RejectedError,
    TransientError,
    extract_message,
    parse_retry_after,
    redact,
    truncate,
)
from .payloads import redacted as mask_secret_keys

_logger = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "Odoo-Cartona-Marketplace/18.0"
AUTH_HEADER = "AuthorizationToken"
PULL_ORDERS = "order/pull-orders"
UPDATE_STATUS = "order/update-order-status"
UPDATE_DETAILS = "order/update-order-details"
SUPPLIER_PRODUCT = "supplier-product"
BULK_UPDATE_PRODUCTS = "supplier-product/bulk-update"
#: Marks "an empty 2xx body is not acceptable" for :meth:`CartonaClient._request`.
_NO_EMPTY = object()


@dataclass(frozen=True)
class Exchange:
    """One HTTP attempt, as a sync log stores it.

    Never contains the token; ``request_body`` has ``retailer_otp`` masked.
    """

    method: str
    url: str
    endpoint: str
    request_body: object = None
    status_code: int | None = None
    response_body: str | None = None
    duration_ms: float = 0.0
    error: str | None = None


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
    ):
        self.base_url = _checked_base_url(base_url)
        if not token:
            raise ValueError("a Cartona API token is required")
        self._token = token
        self.timeout = timeout
        self.on_exchange = on_exchange
        self.last_exchange = None
        # A session lent by the caller (a pool of kept-alive connections, possibly
        # shared by several accounts) stays open and never holds the token: the
        # headers go with each request.
        self._owns_session = session is None
        self._session = requests.Session() if session is None else session
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

    def iter_pull_orders(self, per_page=100, max_pages=1000):
        """Yield the pull feed page by page (each page a non-empty list of orders).

        Stops after a page shorter than ``per_page``, at an empty page, after
        ``max_pages`` pages, or when a page brings no order not seen yet (a server
        that ignores ``page`` would otherwise send the same page forever).
        """
        seen = set()
        for page in range(1, max_pages + 1):
            orders = self.pull_orders(page=page, per_page=per_page)
            if not orders:
                return
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
            if len(orders) < per_page:
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
            )
            raw = response.content.decode("utf-8", errors="replace")
            result = self._interpret(method, endpoint, response, raw, expect, empty)
        except requests.RequestException as exc:
            error = self._transport_error(method, endpoint, exc)
        except CartonaError as exc:
            error = exc
        else:
            error = None
        exchange = Exchange(
            method=method,
            url=self._redact(shown_url),
            endpoint=endpoint,
            request_body=shown_body,
            status_code=response.status_code if response is not None else None,
            response_body=truncate(self._redact(raw)),
            duration_ms=(time.monotonic() - started) * 1000.0,
            error=str(error) if error is not None else None,
        )
        self._record(exchange)
        if error is not None:
            error.exchange = exchange
            raise error
        return result

    def _interpret(self, method, endpoint, response, raw, expect, empty):
        """Map a received response to its parsed body, or raise its error class."""
        status = response.status_code
        what = f"{method} {endpoint}"
        text = self._redact(raw)
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
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
            location = self._redact(response.headers.get("Location"))
            where = f" (redirect to {location})" if location else ""
            raise RejectedError(
                f"unexpected HTTP {status} from Cartona on {what}{where}", status, text
            )
        return self._parse(what, status, raw, expect, empty)

    def _parse(self, what, status, raw, expect, empty):
        """Parse a 2xx body and check it has the type the endpoint returns."""
        if status == 204 or not raw.strip():
            if empty is _NO_EMPTY:
                raise ProtocolError(f"empty response from Cartona on {what}", status)
            return type(empty)(empty)
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ProtocolError(
                f"malformed JSON from Cartona on {what}: {exc}",
                status,
                self._redact(raw),
            ) from None
        if not isinstance(data, expect):
            raise ProtocolError(
                f"unexpected response from Cartona on {what}: expected a JSON "
                f"{_json_type(expect)}, got a JSON {_json_type(type(data))}",
                status,
                self._redact(raw),
            )
        return data

    def _transport_error(self, method, endpoint, exc):
        """The error for a request that got no (complete) response."""
        what = f"{method} {endpoint}"
        detail = self._redact(str(exc))
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

    def _url(self, endpoint):
        return f"{self.base_url.rstrip('/')}/{endpoint.lstrip('/')}"


def _checked_base_url(base_url):
    """The base URL, which must be an absolute http(s) URL."""
    parts = urlsplit(base_url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"Cartona base URL must be an http(s) URL, got {base_url!r}")
    return base_url


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
