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
from ..cartona.client import CartonaClient, new_session

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
    key = (config.id, config.api_base_url)
    session = pool.get(key)
    if session is None:
        session = pool[key] = new_session()
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
    def update_order_status(self, orders, status, config=None, **extra):
        """Post ``status`` for ``orders`` on the bulk endpoint, batch_size a request.

        Returns Cartona's responses (one list item per request). Raises the core's
        ``CartonaError`` subclasses after logging the failed exchange; Cartona reports
        no per-order failure on this endpoint.
        """
        config = self._resolve_config(orders, config)
        results = []
        for batch in split_every(config.batch_size, orders.ids, orders.browse):
            items = [
                order._marketplace_status_item(status, config, **extra)
                for order in batch
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
        item = order._marketplace_status_item(status, config, **extra)
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
        """Post ``synced`` for ``orders`` (bulk, batch_size a request).

        Acknowledged orders leave the pull feed until their next change. Logged as
        inbound ``ack`` exchanges; raises the core's ``CartonaError`` subclasses.
        """
        results = []
        for batch in split_every(config.batch_size, orders.ids, orders.browse):
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
    def pull_orders(self, config):
        """Yield Cartona's pull feed page by page (lists of order payloads).

        Reads every page (``batch_size`` orders a page) and writes one inbound
        ``order_pull`` log per request that brought orders or failed: the empty
        page that ends the feed (every request of a pull that found nothing) is no
        row, the account's Last Pull says it. Raises the core's ``CartonaError``
        subclasses after logging the failed request; the pages yielded before stay
        valid.
        """
        exchanges = []
        with self._client(config, on_exchange=exchanges.append) as client:
            pages = client.iter_pull_orders(per_page=config.batch_size)
            number = 0
            while True:
                number += 1
                try:
                    page = next(pages)
                except StopIteration:
                    return  # the empty page ending the feed: no row
                except errors.CartonaError as exc:
                    self._log_pull(config, exchanges, number, None, exc)
                    if isinstance(exc, errors.AuthenticationError):
                        config._set_connection_result(exc)
                    raise
                self._log_pull(config, exchanges, number, page, None)
                yield page

    @api.model
    def _log_pull(self, config, exchanges, number, page, error):
        """One log per pull request made since the last call (``exchanges`` emptied)."""
        Log = self.env["marketplace.sync.log"]
        if page is None:
            message = False
        elif len(page) == 1:
            message = self.env._("page %(page)s: 1 order", page=number)
        else:
            message = self.env._(
                "page %(page)s: %(count)s orders", page=number, count=len(page)
            )
        vals_list = [
            Log._vals(
                config,
                "order_pull",
                "success" if exchange.error is None else errors.outcome_of(error),
                exchange=exchange,
                direction="inbound",
                message=message,
                error_message=exchange.error or False,
            )
            for exchange in exchanges
        ]
        exchanges.clear()
        return Log._record(vals_list, keep_on_rollback=bool(error))

    @api.model
    def _exchange(
        self, orders, config, operation, status, items, call, direction="outbound"
    ):
        """Run ``call(client)``, log the exchange for each order, re-raise errors."""
        exchanges = []
        error = result = None
        try:
            with self._client(config, on_exchange=exchanges.append) as client:
                result = call(client)
        except errors.CartonaError as exc:
            error = exc
        self._log_exchange(
            orders,
            config,
            operation,
            status,
            items,
            exchanges,
            error,
            direction=direction,
        )
        if isinstance(error, errors.AuthenticationError):
            config._set_connection_result(error)
        if error is not None:
            raise error
        return result

    @api.model
    def _log_exchange(
        self,
        orders,
        config,
        operation,
        status,
        items,
        exchanges,
        error,
        direction="outbound",
    ):
        """One log row per order of the exchange (a bulk body: its own item)."""
        Log = self.env["marketplace.sync.log"]
        exchange = exchanges[-1] if exchanges else getattr(error, "exchange", None)
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
        return Log._record(vals_list, keep_on_rollback=bool(error))
