"""The Cartona sandbox over raw HTTP: rules, feed, faults and the control API."""

import itertools
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from sandbox import (
    DEFAULT_OTP,
    DEFAULT_TOKEN,
    FAULT_KINDS,
    SandboxRejection,
    SandboxServer,
    delivered_demo_orders,
    demo_orders,
)
from tests_unit import documented as doc

ROOT = Path(__file__).resolve().parent.parent
STANDARD = "Dm1Kq7Za"  # pending, standard, delivered by supplier
CARTONA = "Dm2Vx9Kp"  # approved, delivered by Cartona, part Cartona credit
INSTALLMENT = "Dm3Hb3Nw"  # pending, installment, OTP 482913
WALLET = "Dm4Qr8Ls"  # assigned_to_salesman, wallet top-up, OTP 615204
OFFER = "Dm5Tz2Ra"  # pending, two lines of one product
DEMO_IDS = [STANDARD, CARTONA, INSTALLMENT, WALLET, OFFER]
SINGLE = "order/update-order-status/{}"


def api(sandbox, method, endpoint, body=None, token=DEFAULT_TOKEN, timeout=2, **kw):
    """One raw request to the sandbox's Cartona API."""
    headers = {} if token is None else {"AuthorizationToken": token}
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return requests.request(
        method,
        sandbox.base_url + endpoint,
        data=None if body is None else data,
        headers={**headers, "Content-Type": "application/json"},
        timeout=timeout,
        **kw,
    )


def control(sandbox, method, route, body=None):
    """One request to the control API."""
    return requests.request(
        method,
        sandbox.control_url + route,
        data=None if body is None else json.dumps(body),
        timeout=2,
    )


def set_single(sandbox, hashed_id, status, **extra):
    return api(sandbox, "POST", SINGLE.format(hashed_id), {"status": status, **extra})


def feed_ids(sandbox, **params):
    response = api(sandbox, "GET", "order/pull-orders", params=params)
    assert response.status_code == 200
    return [order["hashed_id"] for order in response.json()]


# Authentication

ROUTES = [
    ("GET", "order/pull-orders", None),
    ("GET", "supplier-product", None),
    (
        "POST",
        "order/update-order-status",
        [{"hashed_id": STANDARD, "status": "synced"}],
    ),
    ("POST", SINGLE.format(STANDARD), {"status": "approved"}),
    (
        "POST",
        "order/update-order-details",
        [{"hashed_id": STANDARD, "order_details": []}],
    ),
]


@pytest.mark.parametrize(
    ("route", "token"),
    itertools.product(ROUTES, [None, "", "wrong", f"Bearer {DEFAULT_TOKEN}"]),
)
def test_every_route_checks_the_token(sandbox, route, token):
    method, endpoint, body = route
    response = api(sandbox, method, endpoint, body, token=token)
    assert response.status_code == 401
    assert "AuthorizationToken" in response.json()["error"]
    assert sandbox.state.order(STANDARD)["status"] == "pending"
    assert not sandbox.state.acknowledged(STANDARD)
    assert sandbox.state.requests[-1]["authorized"] is False


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_answers_with_the_token(sandbox, route):
    method, endpoint, body = route
    assert api(sandbox, method, endpoint, body).status_code == 200


def test_unknown_endpoint_and_wrong_method(sandbox):
    assert api(sandbox, "GET", "order/nothing").status_code == 404
    assert api(sandbox, "POST", "order/pull-orders", []).status_code == 405
    assert api(sandbox, "GET", SINGLE.format(STANDARD)).status_code == 405
    assert (
        requests.get(sandbox.base_url.replace("/api/v1/", "/x"), timeout=2).status_code
        == 404
    )


# Transition graph (single endpoint)

POSTABLE = sorted(s for s in doc.SUPPLIER_MAY_POST if s != "synced")


@pytest.mark.parametrize(
    ("current", "target"), itertools.product(sorted(doc.STATUSES), POSTABLE)
)
def test_single_endpoint_enforces_the_graph(sandbox, current, target):
    sandbox.state.set_status(STANDARD, current)
    response = set_single(sandbox, STANDARD, target)
    if current == target or target in doc.ORDER_CYCLE[current]:
        assert response.status_code == 200
        assert response.json() == {"hashed_id": STANDARD, "status": target}
        assert sandbox.state.order(STANDARD)["status"] == target
        expected_history = [] if current == target else [target]
        assert sandbox.state.status_history(STANDARD) == expected_history
    else:
        assert response.status_code == 422
        error = response.json()["error"]
        assert repr(current) in error and repr(target) in error
        assert response.json()["details"]["current_status"] == current
        assert sandbox.state.order(STANDARD)["status"] == current
        assert sandbox.state.status_history(STANDARD) == []


@pytest.mark.parametrize(
    "status", ["editing", "cancelled_by_retailer", "cancelled", "done"]
)
def test_single_endpoint_refuses_statuses_the_supplier_cannot_send(sandbox, status):
    sandbox.state.set_status(STANDARD, "assigned_to_salesman")
    response = set_single(sandbox, STANDARD, status)
    assert response.status_code == 422
    assert "cannot be set by the supplier" in response.json()["error"]


def test_full_supplier_path_in_order(sandbox):
    for status in ("approved", "assigned_to_salesman", "delivered"):
        assert set_single(sandbox, STANDARD, status).status_code == 200
    assert sandbox.state.status_history(STANDARD) == [
        "approved",
        "assigned_to_salesman",
        "delivered",
    ]


def test_single_endpoint_synced_acknowledges_without_status_change(sandbox):
    response = set_single(sandbox, STANDARD, "synced")
    assert response.json() == {"hashed_id": STANDARD, "status": "synced"}
    assert sandbox.state.acknowledged(STANDARD)
    assert sandbox.state.order(STANDARD)["status"] == "pending"
    assert sandbox.state.status_history(STANDARD) == []


# OTP rule


@pytest.mark.parametrize(
    ("hashed_id", "otp"), [(INSTALLMENT, "482913"), (WALLET, "615204")]
)
def test_otp_orders_need_the_right_otp(sandbox, hashed_id, otp):
    sandbox.state.set_status(hashed_id, "assigned_to_salesman")
    for wrong in ({}, {"retailer_otp": None}, {"retailer_otp": ""}):
        response = set_single(sandbox, hashed_id, "delivered", **wrong)
        assert response.status_code == 400
        assert "retailer_otp is required" in response.json()["error"]
    response = set_single(sandbox, hashed_id, "delivered", retailer_otp="999999")
    assert (response.status_code, response.json()["error"]) == (
        400,
        "invalid retailer_otp",
    )
    response = set_single(sandbox, hashed_id, "delivered", retailer_otp=int(otp))
    assert response.status_code == 400
    assert sandbox.state.order(hashed_id)["status"] == "assigned_to_salesman"
    assert (
        set_single(sandbox, hashed_id, "delivered", retailer_otp=otp).status_code == 200
    )
    assert sandbox.state.status_history(hashed_id) == ["delivered"]


@pytest.mark.parametrize("hashed_id", [STANDARD, CARTONA])
def test_other_orders_deliver_without_otp(sandbox, hashed_id):
    sandbox.state.set_status(hashed_id, "assigned_to_salesman")
    assert set_single(sandbox, hashed_id, "delivered").status_code == 200


def test_otp_only_guards_delivery(sandbox):
    assert set_single(sandbox, INSTALLMENT, "approved").status_code == 200
    assert set_single(sandbox, INSTALLMENT, "cancelled_by_supplier").status_code == 200


def test_default_otp_when_the_order_file_has_none(sandbox):
    sandbox.state.add_order(
        {
            "hashed_id": "NewInst1",
            "status": "assigned_to_salesman",
            "installment_cost": 9,
        }
    )
    assert (
        set_single(sandbox, "NewInst1", "delivered", retailer_otp="1").status_code
        == 400
    )
    response = set_single(sandbox, "NewInst1", "delivered", retailer_otp=DEFAULT_OTP)
    assert response.status_code == 200


# Optional fields and body validation


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"cancellation_reason": "because"}, "unknown cancellation_reason"),
        ({"delivery_day": "05/03/2025"}, "delivery_day must be a YYYY-MM-DD"),
        ({"estimated_delivery_day": "2025-02-30"}, "estimated_delivery_day"),
        ({"delivery_day": 20250305}, "delivery_day"),
    ],
)
def test_bad_optional_fields_are_refused(sandbox, extra, message):
    response = set_single(sandbox, STANDARD, "cancelled_by_supplier", **extra)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert sandbox.state.order(STANDARD)["status"] == "pending"


def test_optional_fields_are_stored(sandbox):
    response = set_single(
        sandbox,
        STANDARD,
        "approved",
        estimated_delivery_day="2025-03-04",
        delivery_day="2025-03-05",
    )
    assert response.status_code == 200
    set_single(
        sandbox, STANDARD, "cancelled_by_supplier", cancellation_reason="out_of_stock"
    )
    order = sandbox.state.order(STANDARD)
    assert order["estimated_delivery_day"] == "2025-03-04"
    assert order["delivery_day"] == "2025-03-05"
    assert order["cancellation_reason"] == "out_of_stock"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([{"hashed_id": STANDARD, "status": "approved"}], "JSON object"),
        ({"hashed_id": STANDARD}, "status is required"),
        ({"status": 3}, "status is required"),
        ({"hashed_id": "Other", "status": "approved"}, "does not match"),
        (b"{not json", "not valid JSON"),
        (b"", "JSON object"),
    ],
)
def test_single_endpoint_body_validation(sandbox, body, message):
    response = api(sandbox, "POST", SINGLE.format(STANDARD), body)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_single_endpoint_unknown_order(sandbox):
    response = set_single(sandbox, "Nope1234", "approved")
    assert response.status_code == 404
    assert response.json()["error"] == "order not found"
    assert "Nope1234" in response.json()["details"]


def test_single_endpoint_unquotes_the_path(sandbox):
    sandbox.state.add_order({"hashed_id": "a/b c"})
    response = api(sandbox, "POST", SINGLE.format("a%2Fb%20c"), {"status": "approved"})
    assert response.status_code == 200
    assert sandbox.state.order("a/b c")["status"] == "approved"


# Bulk endpoint


@pytest.mark.parametrize(
    "body",
    [
        {"hashed_id": STANDARD, "status": "approved"},
        [{"hashed_id": STANDARD, "status": "approved"}, {"hashed_id": OFFER}],
        [{"hashed_id": STANDARD, "status": "approved"}, "Dm5Tz2Ra"],
        [{"hashed_id": 12, "status": "approved"}],
        b"[oops",
    ],
)
def test_bulk_malformed_body_is_refused_whole(sandbox, body):
    response = api(sandbox, "POST", "order/update-order-status", body)
    assert response.status_code == 400
    assert "error" in response.json()
    assert sandbox.state.order(STANDARD)["status"] == "pending"


def test_bulk_skips_failing_items_silently(sandbox):
    sandbox.state.set_status(INSTALLMENT, "assigned_to_salesman")
    items = [
        {"hashed_id": STANDARD, "status": "approved"},
        {"hashed_id": "Unknown1", "status": "approved"},
        {"hashed_id": OFFER, "status": "delivered"},
        {"hashed_id": INSTALLMENT, "status": "delivered"},
        {"hashed_id": CARTONA, "status": "returned"},
        {"hashed_id": WALLET, "status": "synced"},
    ]
    response = api(sandbox, "POST", "order/update-order-status", items)
    assert response.status_code == 200
    assert response.json() == [
        {"hashed_id": STANDARD, "status": "approved"},
        {"hashed_id": WALLET, "status": "synced"},
    ]
    skipped = sandbox.state.skipped
    assert [(s["item"]["hashed_id"], s["status"]) for s in skipped] == [
        ("Unknown1", 404),
        (OFFER, 422),
        (INSTALLMENT, 400),
        (CARTONA, 422),
    ]
    assert sandbox.state.order(OFFER)["status"] == "pending"
    assert sandbox.state.order(INSTALLMENT)["status"] == "assigned_to_salesman"
    assert sandbox.state.acknowledged(WALLET)
    assert control(sandbox, "GET", "skipped").json() == skipped


# Pull feed and acknowledgements


def test_feed_ack_and_reappearance(sandbox):
    assert feed_ids(sandbox) == DEMO_IDS
    acks = [{"hashed_id": h, "status": "synced"} for h in (STANDARD, INSTALLMENT)]
    api(sandbox, "POST", "order/update-order-status", acks)
    assert feed_ids(sandbox) == [CARTONA, WALLET, OFFER]
    assert sandbox.state.acknowledged(STANDARD)

    set_single(sandbox, STANDARD, "approved")  # supplier's own change: stays out
    assert STANDARD not in feed_ids(sandbox)

    sandbox.state.retailer_edit(
        INSTALLMENT, [{"internal_product_id": "X", "amount": 1}]
    )
    assert feed_ids(sandbox) == [CARTONA, WALLET, OFFER, INSTALLMENT]
    assert not sandbox.state.acknowledged(INSTALLMENT)

    sandbox.state.retailer_cancel(STANDARD, "delayed_order")
    assert feed_ids(sandbox)[-1] == STANDARD
    pulled = {
        o["hashed_id"]: o for o in api(sandbox, "GET", "order/pull-orders").json()
    }
    assert pulled[STANDARD]["status"] == "cancelled_by_retailer"
    assert pulled[STANDARD]["cancellation_reason"] == "delayed_order"


def test_set_status_puts_the_order_back(sandbox):
    set_single(sandbox, CARTONA, "synced")
    sandbox.state.set_status(CARTONA, "delivered")
    assert feed_ids(sandbox)[-1] == CARTONA


def test_retailer_edit_replaces_lines_and_resets_to_pending(sandbox):
    sandbox.state.set_status(OFFER, "editing")
    lines = [
        {
            "id": 5550501,
            "internal_product_id": "DEMO-005",
            "amount": 2,
            "selling_price": 280,
        },
        {"internal_product_id": "DEMO-001", "amount": 1, "selling_price": 1140},
    ]
    order = sandbox.state.retailer_edit(OFFER, lines)
    assert order["status"] == "pending"
    assert order["total_price"] == 2 * 280 + 1140
    assert order["order_details"][0]["id"] == 5550501
    new_id = order["order_details"][1]["id"]
    assert isinstance(new_id, int) and new_id > 5550501


@pytest.mark.parametrize("status", ["approved", "assigned_to_salesman", "delivered"])
def test_retailer_cannot_edit_after_approval(sandbox, status):
    sandbox.state.set_status(STANDARD, status)
    with pytest.raises(SandboxRejection) as caught:
        sandbox.state.retailer_edit(STANDARD, [])
    assert caught.value.status == 409


@pytest.mark.parametrize(
    ("status", "allowed"),
    [(s, "cancelled_by_retailer" in doc.ORDER_CYCLE[s]) for s in sorted(doc.STATUSES)],
)
def test_retailer_cancel_follows_the_graph(sandbox, status, allowed):
    sandbox.state.set_status(STANDARD, status)
    if allowed:
        order = sandbox.state.retailer_cancel(STANDARD)
        assert order["status"] == "cancelled_by_retailer"
    else:
        with pytest.raises(SandboxRejection) as caught:
            sandbox.state.retailer_cancel(STANDARD)
        assert caught.value.status == 409
        assert sandbox.state.order(STANDARD)["status"] == status


def test_feed_never_shows_bookkeeping(sandbox):
    text = api(sandbox, "GET", "order/pull-orders").text
    for order in json.loads(text):
        assert not [key for key in order if key.startswith("_")]
    assert "482913" not in text and "615204" not in text
    assert "retailer_otp" not in text


def test_pull_pagination(sandbox):
    assert feed_ids(sandbox, page=1, per_page=2) == DEMO_IDS[:2]
    assert feed_ids(sandbox, page=3, per_page=2) == DEMO_IDS[4:]
    assert feed_ids(sandbox, page=4, per_page=2) == []
    assert feed_ids(sandbox, limit=3) == DEMO_IDS[:3]
    assert feed_ids(sandbox, page=2, limit=3) == DEMO_IDS[3:]


# Hostile feeds: raw entries, served as they are

DEEP_ENTRY = '{"hashed_id": "Deep1", "x": ' + "[" * 5000 + "]" * 5000 + "}"


def _page(sandbox, **params):
    response = api(sandbox, "GET", "order/pull-orders", params=params)
    assert response.status_code == 200
    return response.content


def test_a_raw_entry_is_served_as_it_is_in_feed_order(sandbox):
    entry = sandbox.state.add_raw_entry(DEEP_ENTRY)
    assert entry == {"id": "raw-1", "position": 5}
    body = _page(sandbox)
    assert DEEP_ENTRY.encode() in body
    with pytest.raises(RecursionError):
        json.loads(body)
    # Only the page holding it is broken; the others stay JSON.
    assert feed_ids(sandbox, page=1, per_page=5) == DEMO_IDS
    assert _page(sandbox, page=6, per_page=1) == f"[{DEEP_ENTRY}]".encode()
    assert _page(sandbox, page=7, per_page=1) == b"[]"


def test_raw_entries_take_their_place_among_changed_orders(sandbox):
    api(
        sandbox,
        "POST",
        "order/update-order-status",
        [{"hashed_id": h, "status": "synced"} for h in DEMO_IDS],
    )
    sandbox.state.set_status(STANDARD, "cancelled_by_retailer")
    sandbox.state.add_raw_entry(b'{"hashed_id": "Bad\xff"}')
    sandbox.state.set_status(OFFER, "editing")
    body = _page(sandbox)
    assert body.startswith(b"[{")
    assert b'{"hashed_id": "Bad\xff"}' in body
    assert (
        body.index(STANDARD.encode()) < body.index(b"Bad") < body.index(OFFER.encode())
    )


def test_raw_entries_over_the_control_api(sandbox):
    created = control(
        sandbox, "POST", "raw-entries", {"raw": '{"n": 1' + "0" * 5000 + "}"}
    )
    assert created.status_code == 201 and created.json()["id"] == "raw-1"
    created = control(
        sandbox, "POST", "raw-entries", {"raw_base64": "eyJhIjogIv8ifQ=="}
    )
    assert created.json() == {"id": "raw-2", "position": 6}
    assert b'{"a": "\xff"}' in _page(sandbox)
    listed = control(sandbox, "GET", "raw-entries").json()
    assert [entry["id"] for entry in listed] == ["raw-1", "raw-2"]
    assert control(sandbox, "DELETE", "raw-entries/raw-1").status_code == 200
    assert [e["id"] for e in control(sandbox, "GET", "raw-entries").json()] == ["raw-2"]
    assert control(sandbox, "DELETE", "raw-entries/raw-9").status_code == 404
    assert control(sandbox, "POST", "raw-entries", {"raw": 5}).status_code == 400
    assert control(sandbox, "DELETE", "raw-entries").status_code == 200
    assert feed_ids(sandbox) == DEMO_IDS


def test_reset_drops_raw_entries(sandbox):
    sandbox.state.add_raw_entry("{")
    sandbox.state.reset()
    assert feed_ids(sandbox) == DEMO_IDS


# Cookies, when asked


def test_set_cookie_on_api_answers_when_asked(sandbox):
    assert "Set-Cookie" not in api(sandbox, "GET", "supplier-product").headers
    response = control(sandbox, "POST", "cookie", {"cookie": "sid=account-a; Path=/"})
    assert response.status_code == 200
    answer = api(sandbox, "GET", "supplier-product")
    assert answer.headers["Set-Cookie"] == "sid=account-a; Path=/"
    assert "Set-Cookie" not in control(sandbox, "GET", "faults").headers
    requests.get(
        sandbox.base_url + "supplier-product",
        headers={"AuthorizationToken": DEFAULT_TOKEN, "Cookie": "sid=account-a"},
        timeout=2,
    )
    assert sandbox.state.requests[-1]["headers"]["Cookie"] == "sid=account-a"
    assert control(sandbox, "POST", "cookie", {"cookie": None}).status_code == 200
    assert "Set-Cookie" not in api(sandbox, "GET", "supplier-product").headers
    sandbox.state.set_cookie("x=1")
    sandbox.state.reset()
    assert "Set-Cookie" not in api(sandbox, "GET", "supplier-product").headers


@pytest.mark.parametrize("params", [{"page": 0}, {"per_page": "abc"}, {"limit": -1}])
def test_pull_bad_paging_is_refused(sandbox, params):
    response = api(sandbox, "GET", "order/pull-orders", params=params)
    assert response.status_code == 400


def test_supplier_products(sandbox):
    response = api(
        sandbox, "GET", "supplier-product", params={"page": 2, "per_page": 4}
    )
    products = response.json()
    assert [p["internal_product_id"] for p in products] == ["DEMO-005", "DEMO-006"]


# Order details


def test_update_details_applies_amount_price_cancel_and_new_lines(sandbox):
    body = [
        {
            "hashed_id": STANDARD,
            "order_details": [
                {"id": 5550101, "amount": 1, "price": 1100, "comment": "last box"},
                {"id": 5550102, "cancelled": True},
                {"internal_product_id": "DEMO-003", "amount": 4},
            ],
        }
    ]
    response = api(sandbox, "POST", "order/update-order-details", body)
    assert response.status_code == 200
    lines = sandbox.state.order(STANDARD)["order_details"]
    assert [(line["internal_product_id"], line["amount"]) for line in lines] == [
        ("DEMO-001", 1),
        ("DEMO-003", 4),
    ]
    assert lines[0]["selling_price"] == 1100 and lines[0]["comment"] == "last box"
    assert lines[1]["selling_price"] == 330.0  # catalog price
    assert sandbox.state.order(STANDARD)["total_price"] == 1100 + 4 * 330
    assert response.json()[0]["order_details"] == lines
    assert STANDARD in feed_ids(sandbox)  # was never acknowledged
    set_single(sandbox, STANDARD, "synced")
    api(sandbox, "POST", "order/update-order-details", body[:1])
    assert STANDARD not in feed_ids(sandbox)  # supplier edits do not re-feed


@pytest.mark.parametrize(
    ("status", "ok"),
    [(s, s in doc.DETAILS_EDITABLE) for s in sorted(doc.STATUSES)],
)
def test_update_details_only_in_editable_statuses(sandbox, status, ok):
    sandbox.state.set_status(STANDARD, status)
    body = [{"hashed_id": STANDARD, "order_details": [{"id": 5550101, "amount": 1}]}]
    response = api(sandbox, "POST", "order/update-order-details", body)
    assert response.status_code == (200 if ok else 422)
    amount = sandbox.state.order(STANDARD)["order_details"][0]["amount"]
    assert amount == (1 if ok else 2)


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"id": 1, "amount": 1}, 422),
        ({"amount": 1}, 422),
        ({"internal_product_id": "DEMO-001"}, 422),
        ({"id": 5550101, "amount": -1}, 422),
        ({"id": 5550101, "price": "cheap"}, 422),
        ({"id": 5550101, "amount": 1.5}, 422),
        ({"id": 5550101, "amount": True}, 422),
        ({"id": 5550101, "price": -3}, 422),
        ({"id": 5550101, "cancelled": "yes"}, 422),
        ({"internal_product_id": "DEMO-001", "amount": 2.5}, 422),
        ({"internal_product_id": "DEMO-001", "amount": 0}, 422),
        ("line", 400),
    ],
)
def test_update_details_refuses_bad_changes_atomically(sandbox, change, status):
    body = [
        {"hashed_id": OFFER, "order_details": [{"id": 5550501, "amount": 1}]},
        {"hashed_id": STANDARD, "order_details": [change]},
    ]
    before = sandbox.state.orders
    response = api(sandbox, "POST", "order/update-order-details", body)
    assert response.status_code == status
    assert sandbox.state.orders == before


def test_update_details_takes_whole_amounts_sent_as_floats(sandbox):
    body = [{"hashed_id": STANDARD, "order_details": [{"id": 5550101, "amount": 6.0}]}]
    assert api(sandbox, "POST", "order/update-order-details", body).status_code == 200
    line = sandbox.state.order(STANDARD)["order_details"][0]
    assert line["amount"] == 6 and isinstance(line["amount"], int)


def test_update_details_unknown_order_and_bad_body(sandbox):
    body = [{"hashed_id": "Nope", "order_details": []}]
    assert api(sandbox, "POST", "order/update-order-details", body).status_code == 404
    bad = [{"hashed_id": STANDARD, "order_details": {"id": 1}}]
    assert api(sandbox, "POST", "order/update-order-details", bad).status_code == 400


# Faults


def test_fault_kinds_are_all_known():
    assert set(FAULT_KINDS) == {
        "latency",
        "error",
        "rate_limit",
        "auth",
        "hang",
        "malformed",
        "wrong_shape",
        "drop",
    }


def test_latency_fault_delays_then_serves(sandbox):
    sandbox.state.add_fault("latency", seconds=0.15)
    started = time.monotonic()
    response = api(sandbox, "GET", "order/pull-orders")
    assert time.monotonic() - started >= 0.15
    assert response.status_code == 200 and len(response.json()) == 5


def test_error_fault(sandbox):
    sandbox.state.add_fault("error", status=503)
    response = api(sandbox, "GET", "order/pull-orders")
    assert response.status_code == 503
    assert response.json() == {"error": "sandbox fault"}
    sandbox.state.add_fault("error", status=502, body="<html>Bad Gateway</html>")
    assert api(sandbox, "GET", "order/pull-orders").text == "<html>Bad Gateway</html>"


def test_rate_limit_fault(sandbox):
    sandbox.state.add_fault("rate_limit", seconds=7)
    response = api(sandbox, "GET", "order/pull-orders")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"


def test_auth_fault_refuses_a_valid_token(sandbox):
    sandbox.state.add_fault("auth")
    assert api(sandbox, "GET", "order/pull-orders").status_code == 401


def test_hang_fault_makes_the_client_time_out(sandbox):
    sandbox.state.add_fault("hang", seconds=3)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        api(sandbox, "GET", "order/pull-orders", timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert sandbox.state.requests[-1]["fault"] == "hang"


def test_malformed_fault(sandbox):
    sandbox.state.add_fault("malformed")
    response = api(sandbox, "GET", "order/pull-orders")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_wrong_shape_fault(sandbox):
    sandbox.state.add_fault("wrong_shape", count=2)
    assert isinstance(api(sandbox, "GET", "order/pull-orders").json(), dict)
    assert isinstance(set_single(sandbox, STANDARD, "approved").json(), list)
    assert sandbox.state.order(STANDARD)["status"] == "pending"


def test_drop_fault_closes_without_answer(sandbox):
    sandbox.state.add_fault("drop")
    with pytest.raises(requests.ConnectionError):
        api(sandbox, "GET", "order/pull-orders")
    assert sandbox.state.requests[-1]["status"] is None


def test_count_limits_a_fault(sandbox):
    sandbox.state.add_fault("error", count=2)
    codes = [api(sandbox, "GET", "supplier-product").status_code for _ in range(3)]
    assert codes == [500, 500, 200]
    assert sandbox.state.faults == []


def test_default_count_is_one(sandbox):
    sandbox.state.add_fault("error")
    codes = [api(sandbox, "GET", "supplier-product").status_code for _ in range(2)]
    assert codes == [500, 200]


def _ratio_pattern(sandbox, seed):
    sandbox.state.add_fault("error", ratio=0.5, seed=seed)
    codes = [api(sandbox, "GET", "supplier-product").status_code for _ in range(20)]
    sandbox.state.clear_faults()
    return codes


def test_ratio_is_seeded_and_lasts_until_cleared(sandbox):
    first = _ratio_pattern(sandbox, seed=3)
    assert first == _ratio_pattern(sandbox, seed=3)
    assert 0 < first.count(500) < 20
    sandbox.state.add_fault("error", ratio=1)
    assert {api(sandbox, "GET", "supplier-product").status_code for _ in range(5)} == {
        500
    }
    sandbox.state.clear_faults()
    sandbox.state.add_fault("error", ratio=0)
    assert {api(sandbox, "GET", "supplier-product").status_code for _ in range(5)} == {
        200
    }


def test_fault_filters_by_path_and_method(sandbox):
    sandbox.state.add_fault("error", path="pull-orders", count=1)
    sandbox.state.add_fault("rate_limit", method="post", count=1)
    assert api(sandbox, "GET", "supplier-product").status_code == 200
    assert set_single(sandbox, STANDARD, "approved").status_code == 429
    assert api(sandbox, "GET", "order/pull-orders").status_code == 500
    assert api(sandbox, "GET", "order/pull-orders").status_code == 200


def test_faults_only_touch_the_api(sandbox):
    sandbox.state.add_fault("error", ratio=1)
    assert control(sandbox, "GET", "orders").status_code == 200


@pytest.mark.parametrize("kind", ["error", "drop", "hang", "malformed", "auth"])
@pytest.mark.parametrize("apply", [True, False])
def test_apply_processes_the_request_before_the_fault(sandbox, kind, apply):
    sandbox.state.add_fault(kind, apply=apply, seconds=1)
    body = {"status": "approved"}
    with pytest.raises((requests.RequestException, ValueError)):
        response = api(sandbox, "POST", SINGLE.format(STANDARD), body, timeout=0.3)
        response.raise_for_status()
        response.json()
    expected = "approved" if apply else "pending"
    assert sandbox.state.order(STANDARD)["status"] == expected


@pytest.mark.parametrize(
    "options",
    [
        {"kind": "explode"},
        {"kind": "error", "ratio": 2},
        {"kind": "error", "count": 0},
        {"kind": "error", "count": 1.5},
        {"kind": "error", "status": 42},
        {"kind": "latency", "seconds": -1},
    ],
)
def test_bad_fault_arguments(sandbox, options):
    options = dict(options)
    with pytest.raises(ValueError):
        sandbox.state.add_fault(options.pop("kind"), **options)
    assert sandbox.state.faults == []


def test_stop_releases_hanging_requests():
    server = SandboxServer().start()
    server.state.add_fault("hang", seconds=30)
    outcome = []

    def call():
        try:
            api(server, "GET", "order/pull-orders", timeout=10)
        except requests.RequestException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    deadline = time.monotonic() + 2
    while not server.state.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    thread.join(timeout=5)
    assert time.monotonic() - started < 2
    assert not thread.is_alive() and len(outcome) == 1


# Request log


def test_requests_are_recorded_without_the_token(sandbox):
    set_single(sandbox, STANDARD, "approved", retailer_otp="1")
    entry = sandbox.state.requests[-1]
    assert entry["method"] == "POST"
    assert entry["path"] == f"/api/v1/order/update-order-status/{STANDARD}"
    assert entry["body"] == {"status": "approved", "retailer_otp": "1"}
    assert entry["status"] == 200 and entry["fault"] is None
    assert entry["headers"]["AuthorizationToken"] == "***"
    assert DEFAULT_TOKEN not in json.dumps(sandbox.state.requests)


# Control API over HTTP


def test_control_orders(sandbox):
    assert [
        o["hashed_id"] for o in control(sandbox, "GET", "orders").json()
    ] == DEMO_IDS
    created = control(
        sandbox, "POST", "orders", {"hashed_id": "New12345", "_retailer_otp": "9"}
    )
    assert created.status_code == 201
    order = created.json()[0]
    assert (
        order["status"] == "pending"
        and order["delivered_by"] == "delivered_by_supplier"
    )
    assert "_retailer_otp" not in order
    assert feed_ids(sandbox)[-1] == "New12345"
    described = control(sandbox, "GET", "orders/New12345").json()
    assert described["_sandbox"]["retailer_otp"] == "9"
    assert described["_sandbox"]["in_feed"] is True
    assert control(sandbox, "GET", "orders/Nope").status_code == 404
    assert control(sandbox, "POST", "orders", {"status": "pending"}).status_code == 400


def test_control_order_actions(sandbox):
    lines = {"order_details": [{"internal_product_id": "DEMO-002", "amount": 1}]}
    response = control(sandbox, "POST", f"orders/{STANDARD}/edit", lines)
    assert response.status_code == 200 and response.json()["status"] == "pending"
    response = control(sandbox, "POST", f"orders/{WALLET}/cancel", {"reason": ""})
    assert response.status_code == 409
    response = control(
        sandbox, "POST", f"orders/{CARTONA}/cancel", {"reason": "out_of_stock"}
    )
    assert response.json()["status"] == "cancelled_by_retailer"
    response = control(sandbox, "POST", f"orders/{OFFER}/status", {"status": "editing"})
    assert response.json()["status"] == "editing"
    assert sandbox.state.order(OFFER)["status"] == "editing"
    assert control(sandbox, "POST", f"orders/{OFFER}/status", {}).status_code == 400
    assert control(sandbox, "POST", f"orders/{OFFER}/fly", {}).status_code == 404
    history = control(sandbox, "GET", f"orders/{STANDARD}").json()["_sandbox"]
    assert history["status_history"] == [] and history["acknowledged"] is False


def test_control_requests_and_faults(sandbox):
    api(sandbox, "GET", "supplier-product")
    assert len(control(sandbox, "GET", "requests").json()) == 1
    assert control(sandbox, "DELETE", "requests").status_code == 200
    assert control(sandbox, "GET", "requests").json() == []
    created = control(
        sandbox, "POST", "faults", {"kind": "error", "status": 502, "count": 2}
    )
    assert created.status_code == 201 and created.json()["remaining"] == 2
    assert [f["kind"] for f in control(sandbox, "GET", "faults").json()] == ["error"]
    assert api(sandbox, "GET", "supplier-product").status_code == 502
    assert control(sandbox, "DELETE", "faults").status_code == 200
    assert api(sandbox, "GET", "supplier-product").status_code == 200
    assert control(sandbox, "POST", "faults", {"kind": "nope"}).status_code == 400
    assert (
        control(sandbox, "POST", "faults", {"kind": "error", "x": 1}).status_code == 400
    )
    assert control(sandbox, "GET", "nothing").status_code == 404


def test_control_reset(sandbox):
    set_single(sandbox, STANDARD, "approved")
    control(sandbox, "POST", "orders", {"hashed_id": "Extra1"})
    sandbox.state.add_fault("error", ratio=1)
    assert control(sandbox, "POST", "reset").json() == {"orders": 5}
    assert sandbox.state.order(STANDARD)["status"] == "pending"
    assert sandbox.state.faults == [] and sandbox.state.requests == []
    assert feed_ids(sandbox) == DEMO_IDS


def test_orders_snapshot_is_a_copy(sandbox):
    sandbox.state.orders[STANDARD]["status"] = "delivered"
    assert sandbox.state.order(STANDARD)["status"] == "pending"


# Demo data and command line


def test_demo_orders_are_realistic():
    orders = demo_orders(product_ids=["11", "12"])
    assert len(orders) == 5
    assert {o["delivered_by"] for o in orders} == doc.DELIVERED_BY_VALUES
    methods = [
        doc.payment_method(
            o["installment_cost"], o["wallet_top_up"], o["cartona_credit"]
        )
        for o in orders
    ]
    assert sorted(methods) == [
        "cartona_credit",
        "installment",
        "standard",
        "standard",
        "wallet_top_up",
    ]
    cities = " ".join(o["retailer"]["retailer_address"] for o in orders)
    for city in ("Cairo", "الجيزة", "Alexandria"):
        assert city in cities
    for order in orders:
        assert order["retailer"]["retailer_number"].startswith("+20")
        lines = order["order_details"]
        assert {line["internal_product_id"] for line in lines} <= {"11", "12"}
        total = sum(line["selling_price"] * line["amount"] for line in lines)
        assert order["total_price"] == total
    assert len({o["hashed_id"] for o in orders}) == 5


def test_delivered_demo_orders_pay_each_way():
    orders = delivered_demo_orders(product_ids=["11", "12"])
    assert {o["status"] for o in orders} == {"delivered"}
    assert {o["delivered_by"] for o in orders} == {"delivered_by_cartona"}
    assert [
        (
            bool(o["cartona_credit"]),
            bool(o["installment_cost"]),
            bool(o["wallet_top_up"]),
        )
        for o in orders
    ] == [
        (False, False, False),
        (True, False, True),
        (False, True, False),
        (False, False, True),
    ]
    installment = orders[2]
    assert installment["installment_cost"] == installment["total_price"]
    assert not {o["hashed_id"] for o in orders} & {
        o["hashed_id"] for o in demo_orders()
    }


def test_demo_default_product_ids():
    ids = {
        line["internal_product_id"]
        for o in demo_orders()
        for line in o["order_details"]
    }
    assert ids <= {f"DEMO-00{n}" for n in range(1, 7)}


def test_command_line_serves_the_demo(tmp_path):
    extra = tmp_path / "orders.json"
    extra.write_text(json.dumps({"orders": [{"hashed_id": "FromFile1"}]}))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--port",
            "0",
            "--token",
            "cli-token",
            "--seed-demo",
            "--orders",
            str(extra),
            "--product-ids",
            "P1,P2",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith(
            "/api/v1/"
        )
        response = requests.get(
            base_url + "order/pull-orders",
            headers={"AuthorizationToken": "cli-token"},
            timeout=2,
        )
        ids = [o["hashed_id"] for o in response.json()]
        assert ids == ["FromFile1", *DEMO_IDS]
        lines = response.json()[1]["order_details"]
        assert {line["internal_product_id"] for line in lines} <= {"P1", "P2"}
    finally:
        process.terminate()
        process.wait(timeout=5)
        process.stdout.close()


def test_cancelling_a_cancelled_line_again_changes_nothing(sandbox):
    """``cancelled`` is a flag (section 3.4): a retry after a lost answer is a no-op,
    an edit of the cancelled line is refused."""
    body = [
        {"hashed_id": STANDARD, "order_details": [{"id": 5550101, "cancelled": True}]}
    ]
    assert api(sandbox, "POST", "order/update-order-details", body).status_code == 200
    lines = sandbox.state.order(STANDARD)["order_details"]
    assert api(sandbox, "POST", "order/update-order-details", body).status_code == 200
    assert sandbox.state.order(STANDARD)["order_details"] == lines
    edit = [{"hashed_id": STANDARD, "order_details": [{"id": 5550101, "amount": 1}]}]
    response = api(sandbox, "POST", "order/update-order-details", edit)
    assert response.status_code == 422
    assert "cancelled" in response.json()["error"]
    unknown = [
        {"hashed_id": STANDARD, "order_details": [{"id": 42, "cancelled": True}]}
    ]
    assert (
        api(sandbox, "POST", "order/update-order-details", unknown).status_code == 422
    )
