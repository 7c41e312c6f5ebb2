"""CartonaClient against the sandbox over real HTTP, and the error helpers."""

import dataclasses
import json
import logging
import socket
import time
from unittest import mock

import pytest
import requests

from cartona import errors, urls
from cartona.client import CartonaClient, Exchange, UnreadableEntry
from cartona.transport import new_session
from sandbox import DEFAULT_TOKEN, SandboxServer, demo_orders

STANDARD = "Dm1Kq7Za"  # pending, standard payment, delivered by supplier
INSTALLMENT = "Dm3Hb3Nw"  # pending, installment, OTP 482913
DEMO_IDS = ["Dm1Kq7Za", "Dm2Vx9Kp", "Dm3Hb3Nw", "Dm4Qr8Ls", "Dm5Tz2Ra"]
TIMEOUT = 0.3  # as the ``client`` fixture
LOCAL = {"allow_local": True}  # the sandbox listens on 127.0.0.1


def _last_request(sandbox):
    return sandbox.state.requests[-1]


# Success paths


def test_pull_orders_returns_the_feed_with_the_right_headers(sandbox, client):
    orders = client.pull_orders()
    assert [order["hashed_id"] for order in orders] == DEMO_IDS
    request = _last_request(sandbox)
    assert request["endpoint"] == "order/pull-orders"
    assert request["query"] == {"page": "1", "per_page": "100"}
    assert request["authorized"] is True  # the bare token, no "Bearer "
    assert request["headers"]["AuthorizationToken"] == "***"
    assert request["headers"]["User-Agent"] == "Odoo-Cartona-Marketplace/18.0"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Accept"] == "application/json"


def test_iter_pull_orders_follows_pages_until_a_short_one(sandbox, client):
    pages = list(client.iter_pull_orders(per_page=2))
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [o["hashed_id"] for page in pages for o in page] == DEMO_IDS
    assert [r["query"]["page"] for r in sandbox.state.requests] == ["1", "2", "3"]


def test_iter_pull_orders_stops_at_an_empty_page():
    with SandboxServer(orders=demo_orders()[:4]) as sandbox:
        with CartonaClient(
            sandbox.base_url, DEFAULT_TOKEN, timeout=TIMEOUT, **LOCAL
        ) as client:
            pages = list(client.iter_pull_orders(per_page=2))
        assert [len(page) for page in pages] == [2, 2]
        assert len(sandbox.state.requests) == 3


def test_iter_pull_orders_stops_when_pages_repeat():
    page = [{"hashed_id": "A"}, {"hashed_id": "B"}]
    session = StubSession([(200, json.dumps(page))] * 5)
    client = CartonaClient("https://cartona.test/api/v1/", "t", session=session)
    assert list(client.iter_pull_orders(per_page=2)) == [page]
    assert len(session.calls) == 2


def test_iter_pull_orders_respects_max_pages():
    pages = [(200, json.dumps([{"hashed_id": f"O{n}"}])) for n in range(10)]
    session = StubSession(pages)
    client = CartonaClient("https://cartona.test/api/v1/", "t", session=session)
    assert len(list(client.iter_pull_orders(per_page=1, max_pages=3))) == 3
    assert len(session.calls) == 3


def test_update_order_status_applies_and_drops_none_values(sandbox, client):
    result = client.update_order_status(STANDARD, "approved", retailer_otp=None)
    assert result == {"hashed_id": STANDARD, "status": "approved"}
    assert sandbox.state.status_history(STANDARD) == ["approved"]
    request = _last_request(sandbox)
    assert request["endpoint"] == f"order/update-order-status/{STANDARD}"
    assert request["body"] == {"hashed_id": STANDARD, "status": "approved"}


def test_update_order_status_delivers_with_otp(sandbox, client, caplog):
    caplog.set_level(logging.DEBUG)
    for status in ("approved", "assigned_to_salesman"):
        client.update_order_status(INSTALLMENT, status)
    client.update_order_status(
        INSTALLMENT, "delivered", retailer_otp="482913", delivery_day="2025-03-05"
    )
    assert _last_request(sandbox)["body"]["retailer_otp"] == "482913"
    assert client.last_exchange.request_body["retailer_otp"] == "***"
    assert "482913" not in caplog.text
    order = sandbox.state.order(INSTALLMENT)
    assert order["status"] == "delivered"
    assert order["delivery_day"] == "2025-03-05"
    assert sandbox.state.status_history(INSTALLMENT) == [
        "approved",
        "assigned_to_salesman",
        "delivered",
    ]


def test_update_orders_status_bulk_returns_list_and_acks(sandbox, client):
    result = client.update_orders_status(
        [
            {"hashed_id": STANDARD, "status": "synced"},
            {"hashed_id": "Dm5Tz2Ra", "status": "approved", "delivery_day": None},
            {"hashed_id": "unknown", "status": "approved"},
        ]
    )
    assert result == [
        {"hashed_id": STANDARD, "status": "synced"},
        {"hashed_id": "Dm5Tz2Ra", "status": "approved"},
    ]
    assert sandbox.state.acknowledged(STANDARD)
    assert _last_request(sandbox)["body"][1] == {
        "hashed_id": "Dm5Tz2Ra",
        "status": "approved",
    }


@pytest.mark.parametrize(
    "items",
    [
        [{"status": "approved"}],
        [{"hashed_id": STANDARD}],
        [{"hashed_id": "", "status": "approved"}],
        [{"hashed_id": STANDARD, "status": None}],
        ["Dm1Kq7Za"],
        {"hashed_id": STANDARD, "status": "approved"},
    ],
)
def test_update_orders_status_validates_before_sending(sandbox, client, items):
    with pytest.raises(ValueError):
        client.update_orders_status(items)
    assert sandbox.state.requests == []


@pytest.mark.parametrize(("hashed_id", "status"), [("", "approved"), (STANDARD, "")])
def test_update_order_status_validates_before_sending(
    sandbox, client, hashed_id, status
):
    with pytest.raises(ValueError):
        client.update_order_status(hashed_id, status)
    assert sandbox.state.requests == []


def test_hashed_id_is_quoted_as_one_path_segment(sandbox, client):
    with pytest.raises(errors.RejectedError) as caught:
        client.update_order_status("a/b c?", "approved")
    assert caught.value.status_code == 404
    assert _last_request(sandbox)["path"] == (
        "/api/v1/order/update-order-status/a%2Fb%20c%3F"
    )
    assert "'a/b c?'" in caught.value.message


def test_update_order_details_applies_lines(sandbox, client):
    result = client.update_order_details(
        [{"hashed_id": STANDARD, "order_details": [{"id": 5550101, "amount": 1}]}]
    )
    assert result[0]["hashed_id"] == STANDARD
    assert sandbox.state.order(STANDARD)["order_details"][0]["amount"] == 1


def test_update_order_details_validates_before_sending(sandbox, client):
    with pytest.raises(ValueError):
        client.update_order_details([{"hashed_id": STANDARD, "order_details": {}}])
    assert sandbox.state.requests == []


def test_update_order_details_rejection_carries_message(sandbox, client):
    sandbox.state.set_status(STANDARD, "delivered")
    with pytest.raises(errors.RejectedError, match="cannot be edited in status"):
        client.update_order_details(
            [{"hashed_id": STANDARD, "order_details": [{"id": 5550101, "amount": 1}]}]
        )


def test_test_connection(sandbox, client):
    products = client.test_connection()
    assert len(products) == 1
    assert _last_request(sandbox)["query"] == {"page": "1", "per_page": "1"}


# Error classes


def test_timeout_is_transient(sandbox, client):
    sandbox.state.add_fault("hang", seconds=2)
    started = time.monotonic()
    with pytest.raises(errors.TransientError, match="timeout") as caught:
        client.pull_orders()
    assert time.monotonic() - started < 1.5
    error = caught.value
    assert error.status_code is None and error.retry_after is None
    assert error.exchange.status_code is None
    assert error.exchange.error == str(error)
    assert error.exchange.duration_ms >= TIMEOUT * 1000 * 0.9


def test_dropped_connection_is_transient(sandbox, client):
    sandbox.state.add_fault("drop")
    with pytest.raises(errors.TransientError, match="connection") as caught:
        client.pull_orders()
    assert caught.value.status_code is None
    assert client.pull_orders()  # the next call works again


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient(sandbox, client, status):
    sandbox.state.add_fault("error", status=status, body="upstream exploded")
    with pytest.raises(errors.TransientError) as caught:
        client.update_order_status(STANDARD, "approved")
    assert caught.value.status_code == status
    assert caught.value.body == "upstream exploded"
    assert f"HTTP {status}" in str(caught.value)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"seconds": 7}, 7.0),
        ({"seconds": 0.5}, 0.5),
        # A date in the past: the normal backoff.
        ({"retry_after": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),
        ({"retry_after": "later"}, None),
    ],
)
def test_rate_limit_is_transient_with_retry_after(sandbox, client, options, expected):
    sandbox.state.add_fault("rate_limit", **options)
    with pytest.raises(errors.TransientError) as caught:
        client.pull_orders()
    assert caught.value.status_code == 429
    assert caught.value.retry_after == expected


def test_rate_limit_with_future_http_date(sandbox, client):
    moment = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 60))
    sandbox.state.add_fault("rate_limit", retry_after=moment)
    with pytest.raises(errors.TransientError) as caught:
        client.pull_orders()
    assert 55 <= caught.value.retry_after <= 61


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures(sandbox, client, status):
    if status == 401:
        sandbox.state.add_fault("auth")
    else:
        sandbox.state.add_fault("error", status=403, body={"error": "forbidden"})
    with pytest.raises(errors.AuthenticationError) as caught:
        client.pull_orders()
    assert caught.value.status_code == status


def test_wrong_token_is_an_authentication_error(sandbox):
    with CartonaClient(
        sandbox.base_url, "wrong-token", timeout=TIMEOUT, **LOCAL
    ) as client:
        with pytest.raises(errors.AuthenticationError, match="AuthorizationToken"):
            client.test_connection()


def test_unknown_order_is_rejected_with_cartona_message(sandbox, client):
    with pytest.raises(errors.RejectedError) as caught:
        client.update_order_status("NoSuchId", "approved")
    error = caught.value
    assert error.status_code == 404
    assert "order not found" in error.message
    assert "NoSuchId" in error.message
    assert json.loads(error.body)["error"] == "order not found"


def test_forbidden_transition_is_rejected(sandbox, client):
    with pytest.raises(errors.RejectedError) as caught:
        client.update_order_status(STANDARD, "delivered")
    assert caught.value.status_code == 422
    assert "'pending'" in caught.value.message
    assert "'delivered'" in caught.value.message


@pytest.mark.parametrize(
    ("otp", "message"), [(None, "retailer_otp is required"), ("000000", "invalid")]
)
def test_otp_rejections(sandbox, client, otp, message):
    sandbox.state.set_status(INSTALLMENT, "assigned_to_salesman")
    with pytest.raises(errors.RejectedError, match=message) as caught:
        client.update_order_status(INSTALLMENT, "delivered", retailer_otp=otp)
    assert caught.value.status_code == 400
    assert sandbox.state.order(INSTALLMENT)["status"] == "assigned_to_salesman"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"message": "quantity too high"}, "quantity too high"),
        ({"error": "bad", "details": {"field": "x"}}, 'bad: {"field": "x"}'),
        ("plain text refusal", "plain text refusal"),
    ],
)
def test_other_4xx_are_rejected_with_the_server_message(sandbox, client, body, message):
    sandbox.state.add_fault("error", status=400, body=body)
    with pytest.raises(errors.RejectedError) as caught:
        client.pull_orders()
    assert message in caught.value.message
    assert caught.value.status_code == 400


def test_malformed_json_is_a_protocol_error(sandbox, client):
    sandbox.state.add_fault("malformed")
    with pytest.raises(errors.ProtocolError, match="malformed JSON") as caught:
        client.pull_orders()
    assert caught.value.status_code == 200
    assert caught.value.body.startswith('{"orders"')


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda c: c.pull_orders(), "expected a JSON array, got a JSON object"),
        (lambda c: c.test_connection(), "expected a JSON array, got a JSON object"),
        (
            lambda c: c.update_orders_status(
                [{"hashed_id": STANDARD, "status": "synced"}]
            ),
            "expected a JSON array, got a JSON object",
        ),
        (
            lambda c: c.update_order_status(STANDARD, "approved"),
            "expected a JSON object, got a JSON array",
        ),
    ],
)
def test_wrong_shape_is_a_protocol_error(sandbox, client, call, expected):
    sandbox.state.add_fault("wrong_shape")
    with pytest.raises(errors.ProtocolError, match=expected):
        call(client)


def test_applied_but_failed_update_is_safe_to_retry(sandbox, client):
    sandbox.state.add_fault("error", status=500, apply=True)
    with pytest.raises(errors.TransientError):
        client.update_order_status(STANDARD, "approved")
    assert client.update_order_status(STANDARD, "approved")["status"] == "approved"
    assert sandbox.state.status_history(STANDARD) == ["approved"]


def test_error_classes_form_one_hierarchy():
    for cls in (
        errors.TransientError,
        errors.AuthenticationError,
        errors.RejectedError,
        errors.ProtocolError,
    ):
        assert issubclass(cls, errors.CartonaError)
    assert not issubclass(errors.RejectedError, errors.TransientError)


# Responses the sandbox never sends (stub session)


class StubSession:
    """Stands in for ``requests.Session``: replays canned (status, text, headers)."""

    def __init__(self, answers):
        self.headers = {}
        self.answers = list(answers)
        self.calls = []
        self.closed = False

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, text, *headers = answer
        response = requests.Response()
        response.status_code = status
        response._content = text if isinstance(text, bytes) else text.encode()
        response._content_consumed = True  # read whole, as a stub
        response.headers.update(headers[0] if headers else {})
        response.url = url
        return response

    def close(self):
        self.closed = True


def _stub_client(*answers, **kwargs):
    session = StubSession(answers)
    return CartonaClient(
        "https://cartona.test/api/v1/", "tok", session=session, **kwargs
    )


@pytest.mark.parametrize(("status", "text"), [(204, ""), (200, ""), (201, "  ")])
def test_single_update_empty_success_is_an_empty_dict(status, text):
    assert _stub_client((status, text)).update_order_status("A1", "approved") == {}


def test_single_update_accepts_201_object():
    result = _stub_client((201, '{"ok": true}')).update_order_status("A1", "approved")
    assert result == {"ok": True}


def test_bulk_update_empty_success_is_an_empty_list():
    items = [{"hashed_id": "A1", "status": "synced"}]
    assert _stub_client((204, "")).update_orders_status(items) == []


def test_pull_orders_empty_body_is_a_protocol_error():
    with pytest.raises(errors.ProtocolError, match="empty response"):
        _stub_client((200, "")).pull_orders()


def test_redirect_is_not_followed():
    client = _stub_client((302, "", {"Location": "https://elsewhere.test/"}))
    with pytest.raises(errors.RejectedError, match="redirect to https://elsewhere"):
        client.pull_orders()
    assert client._session.calls[0][2]["allow_redirects"] is False


def test_chunked_encoding_error_is_transient():
    client = _stub_client(requests.exceptions.ChunkedEncodingError("cut"))
    with pytest.raises(errors.TransientError):
        client.pull_orders()


def test_other_request_exceptions_are_plain_cartona_errors():
    client = _stub_client(requests.exceptions.InvalidHeader("bad header"))
    with pytest.raises(errors.CartonaError) as caught:
        client.pull_orders()
    assert type(caught.value) is errors.CartonaError


def test_every_call_passes_a_timeout():
    client = _stub_client((200, "[]"), (200, "{}"), timeout=12)
    client.pull_orders()
    client.update_order_status("A1", "approved")
    assert [call[2]["timeout"] for call in client._session.calls] == [12, 12]


@pytest.mark.parametrize(
    "base_url", ["https://cartona.test/api/v1/", "https://cartona.test/api/v1"]
)
def test_base_url_join(base_url):
    session = StubSession([(200, "[]")])
    CartonaClient(base_url, "t", session=session).pull_orders()
    assert session.calls[0][1] == "https://cartona.test/api/v1/order/pull-orders"


@pytest.mark.parametrize(
    "base_url", ["ftp://cartona.test/", "cartona.test/api/v1/", "", None, "http://"]
)
def test_base_url_must_be_http(base_url):
    with pytest.raises(ValueError):
        CartonaClient(base_url, "t")


@pytest.mark.parametrize(
    "base_url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/",
        "https://10.0.0.5/api/v1/",
        "http://supplier-integrations.cartona.com/api/v1/",
        "https://user:pw@supplier-integrations.cartona.com/api/v1/",
        "https://supplier-integrations.cartona.com/api/v1/#x",
        "http://127.0.0.1:8071/api/v1/",
        "http://localhost:8071/api/v1/",
    ],
)
def test_unsafe_base_urls_are_refused_before_any_request(base_url):
    session = StubSession([])
    with pytest.raises(urls.UnsafeURLError):
        CartonaClient(base_url, "t", session=session)
    assert session.calls == []


def test_the_local_sandbox_needs_the_allowance(sandbox):
    with pytest.raises(urls.UnsafeURLError, match="local Cartona sandbox"):
        CartonaClient(sandbox.base_url, DEFAULT_TOKEN)
    with CartonaClient(sandbox.base_url, DEFAULT_TOKEN, allow_local=True) as client:
        assert client.pull_orders()
    with pytest.raises(urls.UnsafeURLError):
        CartonaClient("http://10.0.0.5/api/v1/", DEFAULT_TOKEN, allow_local=True)


def test_token_is_required():
    with pytest.raises(ValueError):
        CartonaClient("https://cartona.test/", "")


def test_context_manager_closes_its_own_session():
    with CartonaClient("https://cartona.test/", "t") as client:
        own = client._session
        own.close = lambda: setattr(own, "was_closed", True)
    assert own.was_closed


def test_lent_session_stays_open_and_never_holds_the_token():
    session = StubSession([(200, "[]"), (200, "[]")])
    with CartonaClient("https://cartona.test/", "token-a", session=session) as a:
        a.pull_orders()
    with CartonaClient("https://cartona.test/", "token-b", session=session) as b:
        b.pull_orders()
    assert not session.closed
    assert session.headers == {}
    sent = [kwargs["headers"]["AuthorizationToken"] for _m, _u, kwargs in session.calls]
    assert sent == ["token-a", "token-b"]


def test_lent_session_reuses_the_connection(sandbox):
    session = requests.Session()
    for _attempt in range(3):
        with CartonaClient(
            sandbox.base_url, DEFAULT_TOKEN, session=session, **LOCAL
        ) as client:
            client.pull_orders()
    sent = sandbox.state.requests[-3:]
    assert [r["endpoint"] for r in sent] == ["order/pull-orders"] * 3
    assert len({r["connection"] for r in sent}) == 1, "one kept-alive connection"
    session.close()


# Exchanges


def test_every_attempt_produces_an_exchange(sandbox):
    seen = []
    client = CartonaClient(
        sandbox.base_url,
        DEFAULT_TOKEN,
        timeout=TIMEOUT,
        on_exchange=seen.append,
        **LOCAL,
    )
    with client:
        client.pull_orders(page=1, per_page=2)
        sandbox.state.add_fault("error", status=502)
        with pytest.raises(errors.TransientError) as caught:
            client.update_order_status(STANDARD, "approved")
    ok, failed = seen
    assert isinstance(ok, Exchange)
    assert ok.method == "GET" and ok.endpoint == "order/pull-orders"
    assert ok.url == f"{sandbox.base_url}order/pull-orders?page=1&per_page=2"
    assert ok.status_code == 200 and ok.error is None and ok.duration_ms > 0
    assert ok.response_body.startswith(f'[{{"hashed_id": "{STANDARD}"')
    assert failed.request_body == {"hashed_id": STANDARD, "status": "approved"}
    assert failed.status_code == 502 and failed.error == str(caught.value)
    assert caught.value.exchange is failed is client.last_exchange
    with pytest.raises(dataclasses.FrozenInstanceError):
        failed.status_code = 200


def test_on_exchange_failure_does_not_hide_the_result(sandbox, caplog):
    def broken(exchange):
        raise RuntimeError("log table locked")

    client = CartonaClient(sandbox.base_url, DEFAULT_TOKEN, on_exchange=broken, **LOCAL)
    with client, caplog.at_level(logging.ERROR):
        assert client.test_connection()
    assert "on_exchange callback failed" in caplog.text


def test_exchange_response_body_is_truncated():
    client = _stub_client((200, json.dumps([{"x": "y" * 5000}])))
    client.pull_orders()
    assert len(client.last_exchange.response_body) < 2100
    assert "more characters" in client.last_exchange.response_body


# The token never leaks

SECRET = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXN1cHBsaWVy.Zm9vYmFyYmF6"


def _texts_of(error):
    yield str(error)
    yield repr(error)
    yield error.message
    yield error.body or ""
    yield repr(error.exchange)


def test_token_appears_nowhere(caplog):
    caplog.set_level(logging.DEBUG)
    exchanges, texts = [], []
    with SandboxServer(token=SECRET, orders=demo_orders()) as sandbox:
        client = CartonaClient(
            sandbox.base_url,
            SECRET,
            timeout=TIMEOUT,
            on_exchange=exchanges.append,
            **LOCAL,
        )
        with client:
            texts.append(repr(client))
            client.pull_orders()
            client.update_order_status(STANDARD, "approved")
            faults = [
                ("error", {"status": 500, "body": f"echo token={SECRET}"}),
                ("error", {"status": 400, "body": {"error": f"bad {SECRET}"}}),
                ("auth", {}),
                ("hang", {"seconds": 1}),
                ("drop", {}),
                ("malformed", {}),
                ("rate_limit", {"seconds": 3}),
            ]
            for kind, options in faults:
                sandbox.state.add_fault(kind, **options)
                with pytest.raises(errors.CartonaError) as caught:
                    client.pull_orders()
                texts.extend(_texts_of(caught.value))
            with pytest.raises(errors.RejectedError) as caught:
                client.update_order_status("missing", "approved", retailer_otp="1")
            texts.extend(_texts_of(caught.value))
        texts.append(json.dumps(sandbox.state.requests))
        texts.append(repr(sandbox))
    texts.extend(repr(exchange) for exchange in exchanges)
    texts.extend(record.getMessage() for record in caplog.records)
    texts.extend(caplog.text.splitlines())
    assert len(exchanges) == 10
    assert any("***" in text for text in texts)  # the echoed token was redacted
    leaks = [text for text in texts if SECRET in text]
    assert leaks == []


# errors helpers


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        ("a tok b tok", ["tok"], "a *** b ***"),
        ("x", ["", None], "x"),
        ("ab", ["a", "b"], "******"),
        (None, ["tok"], None),
        ("", ["tok"], ""),
    ],
)
def test_redact(text, secrets, expected):
    assert errors.redact(text, secrets) == expected


def test_truncate():
    assert errors.truncate("abc", 5) == "abc"
    assert errors.truncate("abcdefgh", 5) == "abcde... [3 more characters]"
    assert errors.truncate(None) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 1.5 ", 1.5),
        ("0", 0.0),
        ("-3", 0.0),
        ("", None),
        (None, None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:29:00 GMT", 60.0),
    ],
)
def test_parse_retry_after(value, expected):
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert errors.parse_retry_after(value, now=now) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"error": "order not found", "details": "no order"}',
            "order not found: no order",
        ),
        ('{"message": "Invalid OTP"}', "Invalid OTP"),
        ('{"detail": ["a", "b"]}', '["a", "b"]'),
        ('{"errors": {"status": "bad"}}', '{"status": "bad"}'),
        ('"just a string"', "just a string"),
        ('{"other": 1}', '{"other": 1}'),
        ("[1, 2]", "[1, 2]"),
        ("<html>Bad Gateway</html>\n", "<html>Bad Gateway</html>"),
        ("", ""),
        (None, ""),
    ],
)
def test_extract_message(text, expected):
    assert errors.extract_message(text) == expected


def test_extract_message_is_bounded():
    assert len(errors.extract_message("x" * 10_000)) < 600


def test_error_str_and_attributes():
    error = errors.RejectedError("refused", 422, "b" * 3000)
    assert str(error) == "refused (HTTP 422)"
    assert len(error.body) < 2100
    assert error.exchange is None
    plain = errors.TransientError("timeout", retry_after=2.0)
    assert str(plain) == "timeout"
    assert plain.retry_after == 2.0 and plain.status_code is None


# Bodies that cannot be parsed end as protocol errors, never another exception

DEEP = "[" * 5000 + "]" * 5000
HUGE_NUMBER = '[{"hashed_id": "A", "total_price": ' + "9" * 5000 + "}]"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (DEEP.encode(), "malformed JSON"),
        ("[" * 40 + "]" * 40, "nested more than 32 levels"),
        (HUGE_NUMBER.encode(), "malformed JSON"),
        (b'[{"hashed_id": "caf\xe9"}]', "not valid UTF-8"),
        (b'[{"total_price": NaN}]', "malformed JSON"),
        (b'[{"total_price": -Infinity}]', "malformed JSON"),
        (b'{"data": []}', "expected a JSON array"),
        (b'"just text"', "expected a JSON array"),
    ],
    ids=["deep", "too-deep", "huge-number", "utf8", "nan", "infinity", "obj", "str"],
)
def test_unparseable_pages_are_protocol_errors(body, expected):
    client = _stub_client((200, body))
    with pytest.raises(errors.ProtocolError, match=expected) as caught:
        client.pull_orders()
    error = caught.value
    assert error.status_code == 200
    assert len(error.body) < 2100 and len(str(error)) < 700
    assert client.last_exchange.error == str(error)
    assert len(client.last_exchange.response_body) < 2100


@pytest.mark.parametrize("status", [400, 404, 422, 500])
def test_error_bodies_that_cannot_be_parsed_still_give_a_message(status):
    client = _stub_client((status, DEEP.encode()))
    with pytest.raises(errors.CartonaError) as caught:
        client.pull_orders()
    assert caught.value.status_code == status
    assert len(str(caught.value)) < 700


def test_a_readable_page_keeps_big_but_sane_values():
    page = [{"hashed_id": "A", "n": 10**40, "x": [[[["ok"]]]], "t": 1.5e300}]
    assert _stub_client((200, json.dumps(page))).pull_orders() == page


# What exchanges and errors keep of a response: bounded, redacted, storable

TOKEN = "tok"


def test_a_foreign_service_answer_is_bounded_and_redacted():
    """An internal service behind a wrong base URL answers 200 with a page of HTML
    echoing the token: the exchange keeps 2,000 characters, token masked."""
    html = f"<html>{'metadata ' * 200_000}AuthorizationToken: {TOKEN}</html>"
    client = _stub_client((200, f"<p>{TOKEN}</p>" + html))
    with pytest.raises(errors.ProtocolError) as caught:
        client.pull_orders()
    for text in (client.last_exchange.response_body, caught.value.body):
        assert len(text) < 2100
        assert "more characters]" in text
        assert f"<p>{TOKEN}</p>" not in text and "<p>***</p>" in text
    assert TOKEN not in str(caught.value)


def test_secret_keys_in_responses_are_masked_everywhere():
    feed = [{"hashed_id": "A", "pickup_otp": "771203", "retailer_otp": "482913"}]
    client = _stub_client((200, json.dumps(feed)))
    assert client.pull_orders() == feed, "the caller gets the real values"
    assert "771203" not in client.last_exchange.response_body
    assert "482913" not in client.last_exchange.response_body
    refusal = {"error": "bad otp", "details": {"retailer_otp": "482913"}}
    client = _stub_client((400, json.dumps(refusal)))
    with pytest.raises(errors.RejectedError) as caught:
        client.update_order_status("A", "approved")
    for text in (
        str(caught.value),
        caught.value.body,
        client.last_exchange.response_body,
    ):
        assert "482913" not in text


def test_response_texts_are_storable():
    client = _stub_client((400, '{"error": "bad \\ud800 name\\u0000"}'))
    with pytest.raises(errors.RejectedError) as caught:
        client.pull_orders()
    for text in (str(caught.value), caught.value.body, client.last_exchange.error):
        text.encode("utf-8")
        assert "\x00" not in text


def test_a_long_redirect_location_is_bounded():
    location = "https://elsewhere.test/" + "x" * 100_000
    client = _stub_client((302, "", {"Location": location}))
    with pytest.raises(errors.RejectedError) as caught:
        client.pull_orders()
    assert len(str(caught.value)) < 700


# A hostile feed: unreadable entries are isolated, the others still flow


def _order_at_end(sandbox, hashed_id):
    """Move ``hashed_id`` to the end of the feed (a change of Cartona's)."""
    sandbox.state.set_status(hashed_id, sandbox.state.order(hashed_id)["status"])


def _feed_with_raw(sandbox, positions_and_entries):
    """The demo feed with raw entries put at the given 0-based positions."""
    ids = list(DEMO_IDS)
    feed = []
    for position, raw in sorted(positions_and_entries):
        while len(feed) < position:
            feed.append(ids.pop(0))
        feed.append(raw)
    feed.extend(ids)
    for item in feed:
        if item in DEMO_IDS:
            _order_at_end(sandbox, item)
        else:
            sandbox.state.add_raw_entry(item)
    return feed


def _pull_all(client, **kwargs):
    unreadable = []
    pages = list(client.iter_pull_orders(on_unreadable=unreadable.append, **kwargs))
    return pages, unreadable


def test_one_unreadable_entry_is_isolated_by_smaller_pages(sandbox, client):
    _feed_with_raw(sandbox, [(2, DEEP)])
    pages, unreadable = _pull_all(client, per_page=4)
    assert [o["hashed_id"] for page in pages for o in page] == DEMO_IDS
    assert [entry.position for entry in unreadable] == [2]
    entry = unreadable[0]
    assert isinstance(entry, UnreadableEntry)
    assert isinstance(entry.error, errors.MalformedResponseError)
    assert entry.error.exchange.endpoint == "order/pull-orders"
    assert entry.excerpt.startswith("[[[[") and len(entry.excerpt) < 2100
    queries = [
        (r["query"]["page"], r["query"]["per_page"]) for r in sandbox.state.requests
    ]
    assert queries == [
        ("1", "4"),  # entries 0-3: unreadable
        ("1", "2"),  # 0-1
        ("2", "2"),  # 2-3: unreadable
        ("3", "1"),  # 2: the bad one
        ("4", "1"),  # 3
        ("2", "4"),  # 4-7: two entries, the end of the feed
    ]


HOSTILE_ENTRIES = [
    DEEP,
    '{"hashed_id": "Big1", "total_price": ' + "9" * 5000 + "}",
    b'{"hashed_id": "Utf1", "retailer": {"retailer_name": "caf\xe9"}}',
    '{"hashed_id": "Nan1", "total_price": NaN}',
    '{"hashed_id": "Cut1", "order_details": [',
    "[" * 40 + "]" * 40,
]


@pytest.mark.parametrize("per_page", [1, 2, 3, 5, 7, 100])
def test_every_kind_of_unreadable_entry_is_isolated(sandbox, client, per_page):
    positions = [0, 2, 4, 6, 7, 10]
    _feed_with_raw(sandbox, list(zip(positions, HOSTILE_ENTRIES, strict=True)))
    pages, unreadable = _pull_all(client, per_page=per_page)
    assert [o["hashed_id"] for page in pages for o in page] == DEMO_IDS
    assert [entry.position for entry in unreadable] == positions
    assert all(page for page in pages), "no empty page is yielded"


def test_isolation_with_pages_that_do_not_halve_evenly(sandbox, client):
    for number in range(25):
        sandbox.state.add_order(dict(demo_orders()[0], hashed_id=f"Many{number:02d}"))
    everything = [o["hashed_id"] for o in sandbox.state.feed()]
    for index, hashed_id in enumerate(everything):
        if index == 7:
            sandbox.state.add_raw_entry(DEEP)  # at 7
        if index == 25:
            sandbox.state.add_raw_entry("{")  # at 26, after 25 orders and DEEP
        _order_at_end(sandbox, hashed_id)
    pages, unreadable = _pull_all(client, per_page=25)
    assert [o["hashed_id"] for page in pages for o in page] == everything
    assert [entry.position for entry in unreadable] == [7, 26]
    assert len(sandbox.state.requests) < 25


def test_unreadable_entries_are_logged_without_a_callback(sandbox, client, caplog):
    _feed_with_raw(sandbox, [(1, "{")])
    with caplog.at_level(logging.WARNING, logger="cartona.client"):
        pages = list(client.iter_pull_orders(per_page=10))
    assert sum(len(page) for page in pages) == 5
    assert "entry 1 of Cartona's pull feed cannot be read" in caplog.text


def test_the_same_unreadable_answer_everywhere_is_a_broken_feed(sandbox, client):
    sandbox.state.add_fault("error", status=200, body='[{"x": ', ratio=1)
    unreadable = []
    with pytest.raises(errors.MalformedResponseError, match="same") as caught:
        for _page in client.iter_pull_orders(
            per_page=100, on_unreadable=unreadable.append
        ):
            raise AssertionError("no page can be read")
    assert [entry.position for entry in unreadable] == [0]
    assert caught.value.exchange is not None
    assert len(sandbox.state.requests) <= 9, "a few requests, not 199"


def test_a_pull_stops_after_max_unreadable_entries(sandbox, client):
    _feed_with_raw(sandbox, [(n, f'{{"n": {n}, ') for n in range(4)])
    unreadable = []
    with pytest.raises(errors.MalformedResponseError, match="more than 3"):
        list(
            client.iter_pull_orders(
                per_page=10, on_unreadable=unreadable.append, max_unreadable=3
            )
        )
    assert [entry.position for entry in unreadable] == [0, 1, 2]


@pytest.mark.parametrize(
    "body", ["<html>Down for maintenance</html>", '{"orders": [', "\ufeff[]", "nope"]
)
def test_an_answer_that_is_no_array_at_all_is_not_isolated(sandbox, client, body):
    sandbox.state.add_fault("error", status=200, body=body, path="pull-orders")
    with pytest.raises(errors.MalformedResponseError):
        list(client.iter_pull_orders(on_unreadable=pytest.fail))
    assert len(sandbox.state.requests) == 1


def test_a_page_of_the_wrong_shape_is_not_isolated(sandbox, client):
    sandbox.state.add_fault("wrong_shape", path="pull-orders")
    with pytest.raises(errors.ProtocolError, match="expected a JSON array"):
        list(client.iter_pull_orders(on_unreadable=pytest.fail))
    assert len(sandbox.state.requests) == 1


def test_a_transient_error_during_isolation_stops_the_pull(sandbox, client):
    sandbox.state.add_fault("error", status=200, body="[{", path="pull-orders")
    sandbox.state.add_fault("error", status=503, path="pull-orders")  # then
    pages = []
    with pytest.raises(errors.TransientError):
        for page in client.iter_pull_orders(per_page=2):
            pages.append(page)
    assert pages == []
    assert [r["query"]["per_page"] for r in sandbox.state.requests] == ["2", "1"]


def test_a_broken_callback_does_not_stop_the_feed(sandbox, client, caplog):
    _feed_with_raw(sandbox, [(3, "{")])

    def broken(entry):
        raise RuntimeError("log table locked")

    with caplog.at_level(logging.ERROR):
        pages = list(client.iter_pull_orders(per_page=2, on_unreadable=broken))
    assert sum(len(page) for page in pages) == 5
    assert "on_unreadable callback failed" in caplog.text


# Cookies: Cartona's API is token-authenticated, the client keeps none


def test_the_sandbox_cookie_would_come_back_with_a_plain_session(sandbox):
    """The control experiment: a plain requests.Session sends the cookie back."""
    sandbox.state.set_cookie("cartona_session=account-a; Path=/")
    session = requests.Session()
    for _attempt in range(2):
        session.get(
            sandbox.base_url + "supplier-product",
            headers={"AuthorizationToken": DEFAULT_TOKEN},
            timeout=2,
        )
    assert (
        sandbox.state.requests[-1]["headers"]["Cookie"] == "cartona_session=account-a"
    )
    session.close()


@pytest.mark.parametrize("lent", [None, "plain", "new_session"])
def test_no_cookie_is_ever_sent_back(sandbox, lent):
    sandbox.state.set_cookie("cartona_session=account-a; Path=/")
    session = {
        None: None,
        "plain": requests.Session(),
        "new_session": new_session(),
    }[lent]
    for token in (DEFAULT_TOKEN, DEFAULT_TOKEN):
        with CartonaClient(sandbox.base_url, token, session=session, **LOCAL) as client:
            client.test_connection()
            client.pull_orders()
    recorded = sandbox.state.requests
    assert len(recorded) == 4
    assert all("Cookie" not in request["headers"] for request in recorded)
    if session is not None:
        assert not session.cookies
        session.close()


# The address each connection really reaches is checked too


def _resolving_to(address):
    """``socket.getaddrinfo`` answering ``address`` for *.rebind.example."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".rebind.example"):
            return real(address, port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    return mock.patch("socket.getaddrinfo", getaddrinfo)


def test_a_name_resolving_to_an_internal_address_at_call_time_is_refused(sandbox):
    """DNS rebinding: the name was public when the account was saved; now it
    points at this machine. Nothing is sent, and retrying cannot help."""
    url = f"https://cartona.rebind.example:{sandbox.port}/api/v1/"
    with _resolving_to("127.0.0.1"), CartonaClient(url, DEFAULT_TOKEN) as client:
        with pytest.raises(errors.ConfigurationError, match="127.0.0.1") as caught:
            client.pull_orders()
    assert not isinstance(caught.value, errors.TransientError)
    assert sandbox.state.requests == []
    assert caught.value.exchange.error == str(caught.value)


def test_the_sandbox_allowance_lets_connections_reach_this_machine(sandbox):
    url = f"https://cartona.rebind.example:{sandbox.port}/api/v1/"
    with _resolving_to("127.0.0.1"):
        with CartonaClient(url, DEFAULT_TOKEN, allow_local=True) as client:
            # The sandbox speaks plain HTTP: the TLS handshake fails, after the check.
            with pytest.raises(errors.TransientError):
                client.pull_orders()


def test_checked_sessions_keep_their_connections(sandbox):
    session = new_session()
    for _attempt in range(3):
        with CartonaClient(sandbox.base_url, DEFAULT_TOKEN, session=session, **LOCAL):
            pass
    with CartonaClient(sandbox.base_url, DEFAULT_TOKEN, session=session, **LOCAL) as c:
        c.pull_orders()
        c.pull_orders()
    assert len({r["connection"] for r in sandbox.state.requests}) == 1
    session.close()
