# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Thin adapter between Odoo records and the Cartona HTTP client.

One method per remote verb, no business rules: those live in ``cartona.statuses`` and in
``sale.order``. Every HTTP exchange is written to ``marketplace.sync.log``.
"""

import logging
import threading

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import split_every

from ..cartona import errors, payloads, statuses, urls
from ..cartona.client import CartonaClient
from ..cartona.transport import new_session

_logger = logging.getLogger(__name__)

#: This thread's kept-alive HTTP sessions, one per Cartona account (and base URL):
#: each job reuses the connection (and TLS session) that the worker's previous job
#: of the same account opened. Prefork workers are single-threaded; a threaded
#: server has one pool per thread. The sessions hold no token (the client sends it
#: with each request) and keep no cookie, and no account shares another's pool.
_http = threading.local()


def http_session(config):
    """The kept-alive ``requests.Session`` of this thread for ``config``'s account."""
    pool = _http.__dict__.setdefault("sessions", {})
    key = (config.id, config.api_base_url, config.allow_local_sandbox)
    session = pool.get(key)
    if session is None:
        session = pool[key] = new_session(allow_local=config.allow_local_sandbox)
    return session


class MarketplaceApi(models.AbstractModel):
    _name = "marketplace.api"
    _description = "Cartona API Adapter"

    @api.model
    def _client(self, config, on_exchange=None):
        """A client of ``config``'s Cartona account.

        Raises ``ConfigurationError`` (nothing sent) when the account's base URL
        is not one the integration may call (``cartona.urls``), e.g. an address
        saved before these rules.
        """
        config.ensure_one()
        try:
            return CartonaClient(
                config.api_base_url,
                config._get_token(),
                timeout=config.timeout,
                session=http_session(config),
                on_exchange=on_exchange,
                allow_local=config.allow_local_sandbox,
            )
        except urls.UnsafeURLError as exc:
            raise errors.ConfigurationError(
                self.env._(
                    "Cartona account %(config)s: %(reason)s",
                    config=config.display_name,
                    reason=config._base_url_refusal(exc),
                )
            ) from exc

    @api.model
    def _resolve_config(self, orders, config=None):
        """The config to use: explicit argument, then context, then the orders' own."""
        Config = self.env["marketplace.config"]
        if config is None and self.env.context.get("marketplace_config_id"):
            config = self.env.context["marketplace_config_id"]
        if isinstance(config, int):
            # An id from a caller or the context may be stale; a record is not
            # checked again (the orders' own is kept by ondelete="restrict").
            config = Config.browse(config).exists()
        if config is None:
            config = orders.marketplace_config_id
        config = config or Config
        if len(config) != 1:
            raise UserError(
                self.env._(
                    "Cannot tell which Cartona configuration to use for %(orders)s.",
                    orders=", ".join(orders.mapped("display_name")),
                )
            )
        return config

    @api.model
    def _status_item(self, order, status, config, **extra):
        """The status update body for ``order`` (see ``cartona.payloads``)."""
        order.ensure_one()
        try:
            return payloads.build_status_item(
                order.cartona_id,
                status,
                payment_method=order.marketplace_payment_method,
                retailer_otp=extra.get("retailer_otp"),
                cancellation_reason=extra.get("cancellation_reason")
                or order.marketplace_cancellation_reason
                or config.default_cancellation_reason,
                delivery_day=extra.get("delivery_day"),
                estimated_delivery_day=extra.get("estimated_delivery_day"),
            )
        except ValueError as exc:
            raise UserError(
                order.env._("%(order)s: %(error)s", order=order.name, error=exc)
            ) from exc

    @api.model
    def update_order_status(self, orders, status, config=None, **extra):
        """Post ``status`` for ``orders`` on the bulk endpoint, ``status_batch_size``
        a request.

        Returns Cartona's responses (one list item per request). Raises the core's
        ``CartonaError`` subclasses after logging the failed exchange; Cartona reports
        no per-order failure on this endpoint.
        """
        config = self._resolve_config(orders, config)
        results = []
        for batch in split_every(config.status_batch_size, orders.ids, orders.browse):
            items = [
                self._status_item(order, status, config, **extra) for order in batch
            ]
            results.append(
                self._exchange(
                    batch,
                    config,
                    "bulk_status_push",
                    status,
                    items,
                    lambda client, items=items: client.update_orders_status(items),
                )
            )
        return results

    @api.model
    def update_single_order_status(self, order, status, config=None, **extra):
        """Post ``status`` for one order on the single endpoint (reports failures)."""
        order.ensure_one()
        config = self._resolve_config(order, config)
        item = self._status_item(order, status, config, **extra)
        extra_keys = {k: v for k, v in item.items() if k not in ("hashed_id", "status")}
        return self._exchange(
            order,
            config,
            "status_push",
            status,
            [item],
            lambda client: client.update_order_status(
                item["hashed_id"], status, **extra_keys
            ),
        )

    @api.model
    def update_order_details(self, order, items, config=None):
        """Post line edits (``update-order-details`` array items) for one order.

        Returns Cartona's answer (a list). Raises the core's ``CartonaError``
        subclasses after logging the exchange; Cartona applies all items or none.
        """
        order.ensure_one()
        config = self._resolve_config(order, config)
        return self._exchange(
            order,
            config,
            "details_push",
            False,
            items,
            lambda client: client.update_order_details(items),
        )

    @api.model
    def acknowledge_orders(self, orders, config):
        """Post ``synced`` for ``orders`` (bulk, ``status_batch_size`` a request).

        Acknowledged orders leave the pull feed until their next change. Logged as
        inbound ``ack`` exchanges; raises the core's ``CartonaError`` subclasses.
        """
        results = []
        for batch in split_every(config.status_batch_size, orders.ids, orders.browse):
            items = [
                payloads.build_status_item(order.cartona_id, statuses.SYNCED)
                for order in batch
            ]
            results.append(
                self._exchange(
                    batch,
                    config,
                    "ack",
                    statuses.SYNCED,
                    items,
                    lambda client, items=items: client.update_orders_status(items),
                    direction="inbound",
                )
            )
        return results

    @api.model
    def pull_orders(self, config, on_unreadable=None):
        """Yield Cartona's pull feed page by page (lists of order payloads).

        Reads every page (``pull_page_size`` orders a page). An entry that cannot be
        read even alone on a page (``cartona.client.UnreadableEntry``: broken JSON,
        invalid UTF-8, ...) is skipped so that the others still flow, logged once
        while it stays unchanged, and handed to ``on_unreadable(entry)`` when given
        (``entry.position``, ``entry.excerpt``, ``entry.fingerprint``,
        ``entry.error``). Writes one inbound ``order_pull`` log per page that
        brought orders, per new unreadable entry and per failure: the empty page
        that ends the feed is no row, the account's Last Pull says it. Raises the
        core's ``CartonaError`` subclasses after logging the failed request; the
        pages yielded before stay valid.
        """
        exchanges, unreadable = [], []

        def report(entry):
            unreadable.append(entry)
            if on_unreadable is not None:
                on_unreadable(entry)

        with self._client(config, on_exchange=exchanges.append) as client:
            pages = client.iter_pull_orders(
                per_page=config.pull_page_size, on_unreadable=report
            )
            number = 0
            while True:
                number += 1
                try:
                    page = next(pages)
                except StopIteration:
                    self._log_pull(config, exchanges, unreadable, number, None, None)
                    return
                except errors.CartonaError as exc:
                    self._log_pull(config, exchanges, unreadable, number, None, exc)
                    if isinstance(exc, errors.AuthenticationError):
                        config._set_connection_result(exc)
                    raise
                self._log_pull(config, exchanges, unreadable, number, page, None)
                yield page

    @api.model
    def _log_pull(self, config, exchanges, unreadable, number, page, error):
        """Log what the pull did since the last call (both lists are emptied).

        One row for the page (its last successful request), or for the request
        that failed; none for the end of the feed (``page`` is ``None``: the
        account's Last Pull says it); one row per unreadable entry not logged
        before.
        """
        Log = self.env["marketplace.sync.log"]
        vals_list = self._unreadable_log_vals(config, unreadable)
        keep = bool(error or vals_list)
        done = [exchange for exchange in exchanges if exchange.error is None]
        if error is not None:
            exchange = getattr(error, "exchange", None)
            if exchange is None and exchanges:
                exchange = exchanges[-1]
            if exchange is not None:
                vals_list.append(
                    Log._vals(
                        config,
                        "order_pull",
                        errors.outcome_of(error),
                        exchange=exchange,
                        direction="inbound",
                        error_message=str(error),
                    )
                )
        elif page is not None and done:
            if len(exchanges) == 1 and len(page) == 1:
                message = self.env._("page %(page)s: 1 order", page=number)
            elif len(exchanges) == 1:
                message = self.env._(
                    "page %(page)s: %(count)s orders", page=number, count=len(page)
                )
            else:
                message = self.env._(
                    "page %(page)s: %(count)s orders, read in %(requests)s requests "
                    "around entries that cannot be read",
                    page=number,
                    count=len(page),
                    requests=len(exchanges),
                )
            vals_list.append(
                Log._vals(
                    config,
                    "order_pull",
                    "success",
                    exchange=done[-1],
                    direction="inbound",
                    message=message,
                )
            )
        exchanges.clear()
        unreadable.clear()
        return Log._record(vals_list, keep_on_rollback=keep)

    @api.model
    def _unreadable_log_vals(self, config, entries):
        """Log rows for the unreadable feed entries not logged yet for ``config``.

        An entry is logged once while it is unchanged (same ``fingerprint``), not
        at every pull.
        """
        if not entries:
            return []
        Log = self.env["marketplace.sync.log"]
        # sudo: a technical look-up of the integration's own logs, whoever pulls.
        known = set(
            Log.sudo()
            .search(
                [
                    ("config_id", "=", config.id),
                    ("operation", "=", "order_pull"),
                    ("payload_fingerprint", "in", [e.fingerprint for e in entries]),
                ]
            )
            .mapped("payload_fingerprint")
        )
        vals_list = []
        for entry in entries:
            if entry.fingerprint in known:
                continue
            known.add(entry.fingerprint)
            vals_list.append(
                Log._vals(
                    config,
                    "order_pull",
                    errors.outcome_of(entry.error),
                    exchange=entry.error.exchange,
                    direction="inbound",
                    message=self.env._(
                        "feed entry %(position)s cannot be read, even alone: skipped "
                        "(logged once while it is unchanged); the other entries "
                        "are imported",
                        position=entry.position,
                    ),
                    error_message=str(entry.error),
                    payload_fingerprint=entry.fingerprint,
                )
            )
        return vals_list

    @api.model
    def _exchange(
        self, orders, config, operation, status, items, call, direction="outbound"
    ):
        """Run ``call(client)``, log the exchange for each order (a bulk body: its
        own item), re-raise errors."""
        result, error, exchanges = self._call(config, call)
        Log = self.env["marketplace.sync.log"]
        exchange = exchanges[-1] if exchanges else None  # the failed one included
        by_id = {item["hashed_id"]: item for item in items}
        vals_list = []
        for order in orders:
            vals = Log._vals(
                config,
                operation,
                errors.outcome_of(error),
                order=order,
                exchange=exchange,
                direction=direction,
                status_sent=status,
                error_message=str(error) if error else False,
            )
            if len(orders) > 1:
                vals["request_body"] = Log._json(
                    payloads.redacted(by_id.get(order.cartona_id))
                )
            vals_list.append(vals)
        Log._record(vals_list, keep_on_rollback=bool(error))
        self._raise_logged(config, error)
        return result

    @api.model
    def _call(self, config, call):
        """``call(client)`` with ``config``'s account, as ``(result, error,
        exchanges)``: the core's ``CartonaError`` caught, the HTTP exchanges made
        listed, the failed one included."""
        exchanges = []
        try:
            with self._client(config, on_exchange=exchanges.append) as client:
                return call(client), None, exchanges
        except errors.CartonaError as exc:
            if not exchanges and exc.exchange is not None:
                exchanges.append(exc.exchange)
            return None, exc, exchanges

    @api.model
    def _raise_logged(self, config, error):
        """Once the exchange is logged: a rejected token pauses the account, and
        the error goes on to the caller."""
        if isinstance(error, errors.AuthenticationError):
            config._set_connection_result(error)
        if error is not None:
            raise error

    # ------------------------------------------------------------------
    # Catalog (cartona-api.md sections 3.5 and 3.6)
    # ------------------------------------------------------------------
    @api.model
    def update_products(self, config, items):
        """Post ``supplier-product/bulk-update`` items (one request, one log row).

        Returns Cartona's answer. Raises the core's ``CartonaError`` subclasses after
        logging the exchange; a rejected token pauses the account.
        """
        message = self.env._("%(count)s products", count=len(items))
        return self._catalog_exchange(
            config,
            "catalog_push",
            lambda client: client.update_products(items),
            message,
        )

    @api.model
    def supplier_products(self, config, per_page=100):
        """Yield Cartona's catalog of the account page by page (lists of products).

        One inbound ``catalog_pull`` log per request. Raises the core's
        ``CartonaError`` subclasses after logging the failed request.
        """
        exchanges = []
        with self._client(config, on_exchange=exchanges.append) as client:
            pages = client.iter_supplier_products(per_page=per_page)
            number = 0
            while True:
                number += 1
                try:
                    page = next(pages)
                except StopIteration:
                    page = None
                except errors.CartonaError as exc:
                    self._log_catalog(config, "catalog_pull", exchanges, exc, False)
                    if isinstance(exc, errors.AuthenticationError):
                        config._set_connection_result(exc)
                    raise
                message = (
                    self.env._(
                        "page %(page)s: %(count)s products",
                        page=number,
                        count=len(page),
                    )
                    if page is not None
                    else self.env._("page %(page)s: no more products", page=number)
                )
                self._log_catalog(config, "catalog_pull", exchanges, None, message)
                if page is None:
                    return
                yield page

    @api.model
    def _catalog_exchange(self, config, operation, call, message):
        """Run ``call(client)``, log its exchange, re-raise errors."""
        result, error, exchanges = self._call(config, call)
        self._log_catalog(config, operation, exchanges, error, message)
        self._raise_logged(config, error)
        return result

    @api.model
    def _log_catalog(self, config, operation, exchanges, error, message):
        """One log row per catalog request made since the last call (``exchanges``
        emptied); failed ones are kept if the job is rolled back."""
        Log = self.env["marketplace.sync.log"]
        vals_list = [
            Log._vals(
                config,
                operation,
                "success" if exchange.error is None else errors.outcome_of(error),
                exchange=exchange,
                direction="inbound" if operation == "catalog_pull" else "outbound",
                message=message or False,
                error_message=exchange.error or False,
            )
            for exchange in exchanges
        ]
        exchanges.clear()
        return Log._record(vals_list, keep_on_rollback=bool(error))
