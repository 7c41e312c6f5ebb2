"""HTTP front of the Cartona sandbox (stdlib only).

- ``/api/v1/``: Cartona's supplier API (``cartona-api.md`` section 3), guarded by the
  ``AuthorizationToken`` header, with faults injected on demand.
- ``/_sandbox/``: the control API (no auth) that tests, scripts and demos use to add
  orders and catalog products, act as the retailer, inspect recorded requests and
  inject faults; ``returned`` tells whether a supplier's ``returned`` is accepted or
  refused; to make the feed hostile, ``raw-entries`` puts bytes served as they are
  (broken JSON, invalid UTF-8) among the orders, and ``cookie`` has every API answer
  set a cookie.
"""

import base64
import hmac
import json
import logging
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from . import faults as fk
from .state import RawEntry, SandboxRejection, SandboxState

_logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "sandbox-token"
API_PREFIX = "/api/v1/"
CONTROL_PREFIX = "/_sandbox/"
AUTH_HEADER = "AuthorizationToken"
MAX_PER_PAGE = 1000
SINGLE_STATUS_PREFIX = "order/update-order-status/"


class RawBody(str):
    """A response body sent as it is, not JSON-encoded."""


class RawBytes(bytes):
    """A response body sent byte for byte (it need not even be UTF-8)."""


class _Response:
    """Status, body (JSON-able or :class:`RawBody`) and extra headers."""

    def __init__(self, status, body=None, headers=None):
        self.status = status
        self.body = body
        self.headers = headers or {}


def _rejection(exc):
    return _Response(exc.status, exc.payload())


class _Handler(BaseHTTPRequestHandler):
    """One connection; routes each request to the API or the control API."""

    protocol_version = "HTTP/1.1"
    server_version = "CartonaSandbox/1.0"

    def setup(self):
        result = super().setup()
        # Headers and body go out in two writes: without this, delayed ACKs add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)
        return result

    def finish(self):
        try:
            return super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def log_message(self, fmt, *args):  # pylint: disable=arguments-renamed
        _logger.debug("sandbox %s: %s", self.address_string(), fmt % args)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def _dispatch(self, method):
        parts = urlsplit(self.path)
        query = {
            k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()
        }
        raw = self._read_body()
        if parts.path.startswith(CONTROL_PREFIX):
            self._send(self._control(method, parts.path[len(CONTROL_PREFIX) :], raw))
        elif parts.path.startswith(API_PREFIX):
            self._api(method, parts.path, query, raw)
        else:
            self._send(_Response(404, {"error": f"no route {parts.path}"}))

    # Cartona API

    def _api(self, method, path, query, raw):
        """Serve one API request through the fault injector and record it."""
        state = self.server.state
        fault = state.take_fault(method, path)
        if fault is not None and fault.kind == fk.LATENCY:
            self.server.pause(fault.seconds)
            fault = None
        response = None
        if fault is None or fault.apply:
            response = self._serve_api(method, path[len(API_PREFIX) :], query, raw)
        if fault is not None:
            response = _fault_response(fault, path, response)
        state.record_request(self._entry(method, path, query, raw, response, fault))
        if fault is not None and fault.kind == fk.HANG:
            self.server.pause(fault.seconds)
        if response is None:
            self.close_connection = True
            return
        cookie = state.cookie
        if cookie is not None:
            response.headers.setdefault("Set-Cookie", cookie)
        self._send(response)

    def _serve_api(self, method, endpoint, query, raw):
        """The real answer of Cartona's API to this request."""
        if not self._authorized():
            return _Response(401, {"error": "missing or invalid AuthorizationToken"})
        endpoint = endpoint.rstrip("/")
        route, arg = self._api_route(endpoint)
        if route is None:
            return _Response(404, {"error": f"unknown endpoint {endpoint!r}"})
        expected_method, handler = route
        if method != expected_method:
            return _Response(405, {"error": f"{method} not allowed on {endpoint}"})
        try:
            return _Response(200, handler(self.server.state, query, raw, arg))
        except SandboxRejection as exc:
            return _rejection(exc)
        except Exception:
            _logger.exception("sandbox failed on %s %s", method, endpoint)
            return _Response(500, {"error": "sandbox internal error"})

    def _authorized(self):
        """Whether the request carries the sandbox token, bare, in its header."""
        sent = self.headers.get(AUTH_HEADER) or ""
        return hmac.compare_digest(sent.encode(), self.server.token.encode())

    @staticmethod
    def _api_route(endpoint):
        """The route ``(method, handler)`` and path argument, or ``(None, None)``."""
        if endpoint.startswith(SINGLE_STATUS_PREFIX):
            hashed_id = endpoint[len(SINGLE_STATUS_PREFIX) :]
            if hashed_id and "/" not in hashed_id:
                return ("POST", _api_update_status_single), unquote(hashed_id)
            return None, None
        return API_ROUTES.get(endpoint), None

    def _entry(self, method, path, query, raw, response, fault):
        """A recorded request, with the token's value hidden."""
        headers = {
            key: "***" if key.lower() == AUTH_HEADER.lower() else value
            for key, value in self.headers.items()
        }
        return {
            "method": method,
            "path": path,
            "endpoint": path[len(API_PREFIX) :],
            "query": query,
            "headers": headers,
            "authorized": self._authorized(),
            "body": _loads_or_text(raw),
            "status": None if response is None else response.status,
            "fault": None if fault is None else fault.kind,
            "time": time.time(),
            # The client's port: requests sharing it came over one kept-alive
            # connection.
            "connection": self.client_address[1],
        }

    # Control API

    def _control(self, method, route, raw):
        """Serve ``/_sandbox/<route>``."""
        try:
            body = _loads(raw)
            return _control_call(self.server.state, method, route.strip("/"), body)
        except SandboxRejection as exc:
            return _rejection(exc)
        except (TypeError, ValueError) as exc:
            return _Response(400, {"error": str(exc)})
        except Exception:
            _logger.exception("sandbox control call failed: %s %s", method, route)
            return _Response(500, {"error": "sandbox internal error"})

    # Wire

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, response):
        body = response.body
        if isinstance(body, RawBytes):
            data = bytes(body)
        elif isinstance(body, RawBody):
            data = body.encode("utf-8")
        else:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


# API handlers: (state, query, raw body, path argument) -> JSON-able


def _api_pull_orders(state, query, raw, arg):
    page = _positive_int(query, "page", 1)
    per_page = _positive_int(query, "per_page", _positive_int(query, "limit", 100))
    entries = state.pull(page=page, per_page=min(per_page, MAX_PER_PAGE))
    if not any(isinstance(entry, RawEntry) for entry in entries):
        return entries
    # A raw entry goes out as it is, between its JSON-encoded neighbours.
    parts = [
        bytes(entry)
        if isinstance(entry, RawEntry)
        else json.dumps(entry, ensure_ascii=False).encode("utf-8")
        for entry in entries
    ]
    return RawBytes(b"[" + b", ".join(parts) + b"]")


def _api_update_status_bulk(state, query, raw, arg):
    return state.update_status_bulk(_loads(raw))


def _api_update_status_single(state, query, raw, hashed_id):
    return state.update_status_single(hashed_id, _loads(raw))


def _api_update_details(state, query, raw, arg):
    return state.update_details(_loads(raw))


def _api_products(state, query, raw, arg):
    page = _positive_int(query, "page", 1)
    per_page = _positive_int(query, "per_page", 100)
    return state.products(page=page, per_page=min(per_page, MAX_PER_PAGE))


def _api_bulk_update_products(state, query, raw, arg):
    return state.bulk_update_products(_loads(raw))


API_ROUTES = {
    "order/pull-orders": ("GET", _api_pull_orders),
    "order/update-order-status": ("POST", _api_update_status_bulk),
    "order/update-order-details": ("POST", _api_update_details),
    "supplier-product": ("GET", _api_products),
    "supplier-product/bulk-update": ("POST", _api_bulk_update_products),
}


def _fault_response(fault, path, real):
    """The answer a fault gives instead of ``real`` (``None``: no answer at all)."""
    if fault.kind == fk.ERROR:
        body = fault.body if fault.body is not None else {"error": "sandbox fault"}
        return _Response(fault.status, _as_body(body))
    if fault.kind == fk.RATE_LIMIT:
        retry_after = fault.retry_after or f"{fault.seconds:g}"
        return _Response(
            429, {"error": "too many requests"}, {"Retry-After": retry_after}
        )
    if fault.kind == fk.AUTH:
        return _Response(401, {"error": "invalid AuthorizationToken"})
    if fault.kind == fk.MALFORMED:
        return _Response(200, RawBody('{"orders": [{"hashed_id": '))
    if fault.kind == fk.WRONG_SHAPE:
        expects_object = SINGLE_STATUS_PREFIX in path
        return _Response(
            200, [{"unexpected": True}] if expects_object else {"data": []}
        )
    if fault.kind == fk.HANG and fault.apply:
        return real
    return None


def _as_body(body):
    return RawBody(body) if isinstance(body, str) else body


# Control API


def _control_call(state, method, route, body):
    """Route a control request; returns a :class:`_Response`."""
    segments = [unquote(s) for s in route.split("/")] if route else []
    key = (method, segments[0] if segments else "", len(segments))
    if key == ("GET", "orders", 1):
        return _Response(200, list(state.orders.values()))
    if key == ("POST", "orders", 1):
        orders = body if isinstance(body, list) else [body]
        return _Response(201, [state.add_order(order) for order in orders])
    if key == ("GET", "orders", 2):
        return _Response(200, state.describe(segments[1]))
    if method == "POST" and len(segments) == 3 and segments[0] == "orders":
        return _order_action(state, segments[1], segments[2], body or {})
    if key == ("GET", "products", 1):
        return _Response(200, state.catalog)
    if key == ("POST", "products", 1):
        return _Response(201, state.put_products(body))
    if key == ("GET", "requests", 1):
        return _Response(200, state.requests)
    if key == ("DELETE", "requests", 1):
        state.clear_requests()
        return _Response(200, [])
    if key == ("GET", "skipped", 1):
        return _Response(200, state.skipped)
    if key == ("GET", "faults", 1):
        return _Response(200, state.faults)
    if key == ("POST", "faults", 1):
        options = dict(body or {})
        return _Response(201, state.add_fault(options.pop("kind", None), **options))
    if key == ("DELETE", "faults", 1):
        state.clear_faults()
        return _Response(200, [])
    if key == ("POST", "reset", 1):
        state.reset()
        return _Response(200, {"orders": len(state.orders)})
    if segments and segments[0] in CONTROL_SUBROUTES:
        return CONTROL_SUBROUTES[segments[0]](state, method, segments[1:], body)
    if key == ("POST", "cookie", 1):
        state.set_cookie((body or {}).get("cookie"))
        return _Response(200, {"cookie": state.cookie})
    return _Response(404, {"error": f"no control route {method} /_sandbox/{route}"})


def _raw_entries_call(state, method, rest, body):
    """``/_sandbox/raw-entries[/<id>]``: list, add (``raw`` text or ``raw_base64``),
    remove one or all."""
    if method == "GET" and not rest:
        return _Response(200, state.raw_entries)
    if method == "POST" and not rest:
        body = body if isinstance(body, dict) else {}
        if isinstance(body.get("raw_base64"), str):
            raw = base64.b64decode(body["raw_base64"], validate=True)
        elif isinstance(body.get("raw"), str):
            raw = body["raw"]
        else:
            raise ValueError("give the entry as raw (text) or raw_base64")
        return _Response(201, state.add_raw_entry(raw))
    if method == "DELETE" and len(rest) <= 1:
        state.remove_raw_entry(rest[0] if rest else None)
        return _Response(200, state.raw_entries)
    return _Response(404, {"error": f"no control route {method} raw-entries"})


def _returns_call(state, method, rest, body):
    """``/_sandbox/returned``: how a supplier's ``returned`` is answered (GET), or
    ``{"accept": false, "status": 4xx, "message": "..."}`` to refuse it (POST)."""
    if method == "GET" and not rest:
        return _Response(200, state.returns)
    if method == "POST" and not rest:
        options = body if isinstance(body, dict) else {}
        return _Response(
            200,
            state.set_returns(
                accept=options.get("accept", True),
                status=options.get("status", 422),
                message=options.get("message"),
            ),
        )
    return _Response(404, {"error": f"no control route {method} returned"})


#: ``/_sandbox/<name>/...`` routes served by a function of their own.
CONTROL_SUBROUTES = {"raw-entries": _raw_entries_call, "returned": _returns_call}


def _order_action(state, hashed_id, action, body):
    """``POST /_sandbox/orders/<id>/<edit|cancel|return|status>``."""
    if not isinstance(body, dict):
        raise ValueError("the request body must be a JSON object")
    if action == "edit":
        return _Response(200, state.retailer_edit(hashed_id, body.get("order_details")))
    if action == "cancel":
        return _Response(
            200, state.retailer_cancel(hashed_id, body.get("reason") or "")
        )
    if action == "return":
        return _Response(200, state.retailer_return(hashed_id, body.get("reason")))
    if action == "status":
        return _Response(200, state.set_status(hashed_id, body.get("status")))
    return _Response(404, {"error": f"unknown order action {action!r}"})


# Helpers


def _loads(raw):
    """Parse a JSON request body; 400 when it is not JSON. Empty means ``None``."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise SandboxRejection(400, "the request body is not valid JSON") from None


def _loads_or_text(raw):
    try:
        return _loads(raw)
    except SandboxRejection:
        return raw.decode("utf-8", errors="replace")


def _positive_int(query, key, default):
    if key not in query:
        return default
    try:
        value = int(query[key])
    except ValueError:
        value = 0
    if value < 1:
        raise SandboxRejection(400, f"{key} must be a positive integer")
    return value


# Server


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows the sandbox state and its open connections."""

    daemon_threads = True

    def __init__(self, address, state, token, stopping):
        super().__init__(address, _Handler)
        self.state = state
        self.token = token
        self.stopping = stopping
        self._connections = set()
        self._connections_lock = threading.Lock()

    def track(self, connection, add):
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self):
        """Cut every open connection (keep-alive clients, hanging requests)."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError as exc:
                _logger.debug("sandbox: connection already closed (%s)", exc)

    def pause(self, seconds):
        """Sleep ``seconds``, cut short when the server stops."""
        self.stopping.wait(seconds)

    def handle_error(self, request, client_address):
        """A client that went away (timeouts, drops) is expected, not news."""
        if isinstance(sys.exc_info()[1], OSError):
            _logger.debug("sandbox client %s went away", client_address, exc_info=True)
        else:
            _logger.exception("sandbox failed serving %s", client_address)


class SandboxServer:
    """The Cartona sandbox: ``start()`` serves it in a daemon thread.

    ``port=0`` picks a free port; ``base_url`` and ``control_url`` tell where it is.
    ``state`` (:class:`~.state.SandboxState`) is the Python API of the control plane.
    """

    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        token=DEFAULT_TOKEN,
        orders=None,
        products=None,
    ):
        if not token:
            raise ValueError("the sandbox needs a token")
        self.host = host
        self.port = port
        self.token = token
        self.state = SandboxState(orders=orders, products=products)
        self._stopping = threading.Event()
        self._httpd = None
        self._thread = None

    def __repr__(self):
        where = self.base_url if self._httpd else "not started"
        return f"SandboxServer({where})"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def base_url(self):
        """``http://host:port/api/v1/`` (the server must be bound)."""
        return f"{self._root()}{API_PREFIX}"

    @property
    def control_url(self):
        return f"{self._root()}{CONTROL_PREFIX}"

    def bind(self):
        """Open the listening socket (``start`` and ``serve_forever`` do it)."""
        if self._httpd is None:
            self._stopping.clear()
            self._httpd = _HTTPServer(
                (self.host, self.port), self.state, self.token, self._stopping
            )
            self.port = self._httpd.server_address[1]
        return self

    def start(self):
        """Serve in a daemon thread; returns ``self``."""
        self.bind()
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"cartona-sandbox-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self):
        """Serve in the calling thread until interrupted, then close."""
        self.bind()
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._close()

    def stop(self):
        """Stop serving, cut open connections and release the port."""
        if self._httpd is None:
            return
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._close()

    def _close(self):
        if self._httpd is not None:
            self._httpd.close_connections()
            self._httpd.server_close()
            self._httpd = None

    def _root(self):
        if self._httpd is None:
            raise RuntimeError("the sandbox is not started")
        host = self.host if self.host not in ("", "0.0.0.0") else "127.0.0.1"
        return f"http://{host}:{self.port}"
