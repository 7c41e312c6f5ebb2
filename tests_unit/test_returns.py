"""The core's returns: what ``returned`` asks of Odoo, and the supplier's Delivery
Failed (cartona-api.md sections 3.3, 4 and 5)."""

import pytest

from cartona import inbound, outbound, payloads, returns
from cartona import statuses as st
from tests_unit import documented as doc

D = returns.Delivery


def test_returned_is_not_among_the_documented_supplier_statuses():
    # Section 3.2 omits it: Delivery Failed is a path of its own, never the planner's.
    assert "returned" not in doc.SUPPLIER_MAY_POST
    assert st.RETURNED not in st.SUPPLIER_STATUSES
    with pytest.raises(ValueError):
        payloads.build_status_item("Qm7TzR2a", st.RETURNED)


@pytest.mark.parametrize("delivered_by", st.DELIVERED_BY_VALUES)
def test_returned_in_the_feed_asks_for_a_return_whoever_delivers(delivered_by):
    assert inbound.status_steps(st.RETURNED, delivered_by) == (inbound.STEP_RETURN,)


@pytest.mark.parametrize("wanted", [st.APPROVED, st.ASSIGNED_TO_SALESMAN])
def test_the_planner_sends_nothing_once_cartona_has_returned(wanted):
    plan = outbound.plan(
        outbound.CartonaHas(status=st.RETURNED, lines=None),
        outbound.OdooWants(status=wanted, delivered_by=st.DELIVERED_BY_SUPPLIER),
    )
    assert (plan.decision, plan.steps) == (outbound.CLOSED, ())
    assert plan.params["conflict"] is False


def test_plan_cancels_what_never_left_and_returns_what_left():
    plan = returns.plan_return(
        [
            D(12, "assigned"),  # the backorder, still in the warehouse
            D(10, "done"),  # the first delivery, left
            D(11, "cancel"),
            D(9, "done", to_customer=False),  # the pick step of a 2-step route
            D(13, "confirmed", to_customer=False),
        ]
    )
    assert plan == returns.ReturnPlan(cancel=(12, 13), return_from=(10,))
    assert plan.changes_anything


def test_plan_with_nothing_shipped_only_cancels():
    plan = returns.plan_return([D(1, "assigned"), D(2, "waiting")])
    assert (plan.cancel, plan.return_from) == ((1, 2), ())


def test_plan_with_everything_shipped_returns_every_delivery_once():
    plan = returns.plan_return([D(3, "done"), D(1, "done")])
    assert (plan.cancel, plan.return_from) == ((), (1, 3))


def test_plan_is_empty_once_returned():
    plan = returns.plan_return([D(1, "assigned"), D(2, "done")], returned_before=True)
    assert plan == returns.ReturnPlan(already=True)
    assert not plan.changes_anything


def test_plan_of_an_order_without_deliveries():
    assert not returns.plan_return([]).changes_anything


@pytest.mark.parametrize(
    ("shipped", "returned", "back"),
    [
        (5, (), 5),
        (5, (2,), 3),
        (5, (2, 3), 0),
        (5, (4, 4), 0),
        (0, (), 0),
        (2.5, (), 2.5),
    ],
)
def test_quantity_to_return(shipped, returned, back):
    assert returns.quantity_to_return(shipped, returned) == back


@pytest.mark.parametrize(
    ("status", "delivered_by", "state", "problem"),
    [
        (st.ASSIGNED_TO_SALESMAN, st.DELIVERED_BY_SUPPLIER, "sale", None),
        (
            st.ASSIGNED_TO_SALESMAN,
            st.DELIVERED_BY_CARTONA,
            "sale",
            returns.PROBLEM_CARTONA_DELIVERS,
        ),
        (
            st.ASSIGNED_TO_SALESMAN,
            st.DELIVERED_BY_SUPPLIER,
            "cancel",
            returns.PROBLEM_NOT_CONFIRMED,
        ),
        (
            st.ASSIGNED_TO_SALESMAN,
            st.DELIVERED_BY_SUPPLIER,
            "draft",
            returns.PROBLEM_NOT_CONFIRMED,
        ),
    ]
    + [
        (status, st.DELIVERED_BY_SUPPLIER, "sale", returns.PROBLEM_NOT_OUT_FOR_DELIVERY)
        for status in sorted(doc.STATUSES - {st.ASSIGNED_TO_SALESMAN})
    ]
    + [(None, st.DELIVERED_BY_SUPPLIER, "sale", returns.PROBLEM_NOT_OUT_FOR_DELIVERY)],
)
def test_failed_delivery_problem(status, delivered_by, state, problem):
    assert returns.failed_delivery_problem(status, delivered_by, state) == problem


def test_failed_delivery_follows_the_documented_graph():
    # Only where the document's cycle leads to returned.
    allowed = {s for s, nxt in doc.ORDER_CYCLE.items() if "returned" in nxt}
    assert allowed == {st.ASSIGNED_TO_SALESMAN}


def test_returned_item():
    assert returns.returned_item("Qm7TzR2a", "  Shop closed\n") == {
        "hashed_id": "Qm7TzR2a",
        "status": "returned",
        "return_reason": "Shop closed",
    }


def test_markup_in_a_reason_is_sent_as_it_is():
    reason = "<b>closed</b> & gone"
    assert returns.returned_item("Qm7TzR2a", reason)["return_reason"] == reason


@pytest.mark.parametrize(
    ("reason", "problem"),
    [
        ("", returns.PROBLEM_REASON_EMPTY),
        ("   \n", returns.PROBLEM_REASON_EMPTY),
        (None, returns.PROBLEM_REASON_EMPTY),
        (42, returns.PROBLEM_REASON_EMPTY),
        ("x" * (returns.MAX_REASON + 1), returns.PROBLEM_REASON_TOO_LONG),
        ("bad\x00byte", returns.PROBLEM_REASON_UNSTORABLE),
        ("lone \ud800 surrogate", returns.PROBLEM_REASON_UNSTORABLE),
    ],
)
def test_bad_reasons(reason, problem):
    assert returns.reason_problem(reason) == problem
    with pytest.raises(ValueError, match=problem):
        returns.returned_item("Qm7TzR2a", reason)


def test_longest_reason_and_arabic_are_fine():
    assert returns.reason_problem("x" * returns.MAX_REASON) is None
    assert returns.reason_problem("المحل مغلق") is None


@pytest.mark.parametrize("hashed_id", ["", None, 7])
def test_returned_item_needs_the_cartona_id(hashed_id):
    with pytest.raises(ValueError, match="hashed_id"):
        returns.returned_item(hashed_id, "Shop closed")
