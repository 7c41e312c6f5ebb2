"""The sandbox and ``returned``: a supplier's failed delivery, and Cartona's own.

``returned`` follows ``assigned_to_salesman`` with a ``return_reason`` (cartona-api.md
section 4), but section 3.2's list of values omits it: the sandbox takes it on the
single-order endpoint and can be told to refuse it, so both answers can be rehearsed.
"""

import pytest

from tests_unit.test_sandbox import (
    CARTONA,
    INSTALLMENT,
    SINGLE,
    STANDARD,
    WALLET,
    api,
    control,
    feed_ids,
    set_single,
)

REASON = "Shop closed, retailer not reachable"


def test_returned_from_assigned_to_salesman_with_a_reason(sandbox):
    sandbox.state.set_status(STANDARD, "assigned_to_salesman")
    response = set_single(sandbox, STANDARD, "returned", return_reason=REASON)
    assert response.status_code == 200
    assert response.json() == {"hashed_id": STANDARD, "status": "returned"}
    order = sandbox.state.order(STANDARD)
    assert (order["status"], order["return_reason"]) == ("returned", REASON)
    assert sandbox.state.status_history(STANDARD) == ["returned"]


def test_returned_again_is_a_no_op(sandbox):
    sandbox.state.set_status(STANDARD, "assigned_to_salesman")
    set_single(sandbox, STANDARD, "returned", return_reason=REASON)
    response = set_single(sandbox, STANDARD, "returned", return_reason=REASON)
    assert response.status_code == 200
    assert sandbox.state.status_history(STANDARD) == ["returned"]


@pytest.mark.parametrize("extra", [{}, {"return_reason": ""}, {"return_reason": 7}])
def test_returned_needs_a_reason(sandbox, extra):
    sandbox.state.set_status(STANDARD, "assigned_to_salesman")
    response = set_single(sandbox, STANDARD, "returned", **extra)
    assert response.status_code == 400
    assert "return_reason" in response.json()["error"]
    assert sandbox.state.order(STANDARD)["status"] == "assigned_to_salesman"


@pytest.mark.parametrize(
    "current", ["pending", "approved", "delivered", "cancelled_by_supplier"]
)
def test_returned_only_from_assigned_to_salesman(sandbox, current):
    sandbox.state.set_status(STANDARD, current)
    response = set_single(sandbox, STANDARD, "returned", return_reason=REASON)
    assert response.status_code == 422
    assert response.json()["details"]["current_status"] == current
    assert sandbox.state.order(STANDARD)["status"] == current
    assert sandbox.state.order(STANDARD)["return_reason"] is None


def test_returned_needs_no_otp(sandbox):
    sandbox.state.set_status(INSTALLMENT, "assigned_to_salesman")
    response = set_single(sandbox, INSTALLMENT, "returned", return_reason=REASON)
    assert response.status_code == 200


def test_bulk_endpoint_still_skips_returned(sandbox):
    sandbox.state.set_status(STANDARD, "assigned_to_salesman")
    item = {"hashed_id": STANDARD, "status": "returned", "return_reason": REASON}
    response = api(sandbox, "POST", "order/update-order-status", [item])
    assert response.json() == []
    assert sandbox.state.skipped[0]["status"] == 422
    assert sandbox.state.order(STANDARD)["status"] == "assigned_to_salesman"


def test_told_to_refuse_returned(sandbox):
    sandbox.state.set_status(STANDARD, "assigned_to_salesman")
    answer = control(
        sandbox,
        "POST",
        "returned",
        {"accept": False, "status": 403, "message": "Returns need Cartona's approval"},
    )
    assert answer.status_code == 200
    assert control(sandbox, "GET", "returned").json() == {
        "accept": False,
        "status": 403,
        "message": "Returns need Cartona's approval",
    }
    response = set_single(sandbox, STANDARD, "returned", return_reason=REASON)
    assert response.status_code == 403
    assert response.json() == {"error": "Returns need Cartona's approval"}
    assert sandbox.state.order(STANDARD)["status"] == "assigned_to_salesman"
    assert sandbox.state.status_history(STANDARD) == []
    # Other statuses are not concerned.
    assert set_single(sandbox, STANDARD, "delivered").status_code == 200


def test_refusal_defaults_to_a_cartona_like_422(sandbox):
    sandbox.state.set_status(STANDARD, "assigned_to_salesman")
    control(sandbox, "POST", "returned", {"accept": False})
    response = set_single(sandbox, STANDARD, "returned", return_reason=REASON)
    assert response.status_code == 422
    assert "cannot be set by the supplier" in response.json()["error"]


def test_reset_accepts_returned_again(sandbox):
    control(sandbox, "POST", "returned", {"accept": False})
    sandbox.state.reset()
    assert sandbox.state.returns["accept"] is True


@pytest.mark.parametrize(
    "options",
    [
        {"accept": "no"},
        {"accept": False, "status": 500},
        {"accept": False, "status": "422"},
        {"accept": False, "message": ["x"]},
    ],
)
def test_bad_refusal_settings(sandbox, options):
    assert control(sandbox, "POST", "returned", options).status_code == 400
    assert sandbox.state.returns["accept"] is True


def test_cartona_marks_an_order_returned(sandbox):
    sandbox.state.set_status(CARTONA, "assigned_to_salesman")
    set_single(sandbox, CARTONA, "synced")
    assert CARTONA not in feed_ids(sandbox)
    response = control(sandbox, "POST", f"orders/{CARTONA}/return", {"reason": REASON})
    assert response.status_code == 200
    pulled = {
        o["hashed_id"]: o for o in api(sandbox, "GET", "order/pull-orders").json()
    }
    assert (pulled[CARTONA]["status"], pulled[CARTONA]["return_reason"]) == (
        "returned",
        REASON,
    )
    assert sandbox.state.status_history(CARTONA) == [], "not the supplier's doing"


def test_cartona_return_follows_the_graph_and_needs_a_reason(sandbox):
    response = control(sandbox, "POST", f"orders/{STANDARD}/return", {"reason": REASON})
    assert response.status_code == 409
    assert sandbox.state.order(STANDARD)["status"] == "pending"
    assert (
        control(sandbox, "POST", f"orders/{WALLET}/return", {"reason": ""}).status_code
        == 400
    )
    assert sandbox.state.order(WALLET)["status"] == "assigned_to_salesman"


def test_returned_is_recorded_like_other_requests(sandbox):
    sandbox.state.set_status(STANDARD, "assigned_to_salesman")
    set_single(sandbox, STANDARD, "returned", return_reason=REASON)
    request = sandbox.state.requests[-1]
    assert request["endpoint"] == SINGLE.format(STANDARD)
    assert request["body"] == {"status": "returned", "return_reason": REASON}
