"""The outbound planner: every status x line-change case that matters."""

import itertools

import pytest

from cartona import outbound as ob
from cartona import statuses as st
from tests_unit import documented as doc

SUPPLIER = st.DELIVERED_BY_SUPPLIER
CARTONA = st.DELIVERED_BY_CARTONA
TARGETS = [
    st.PENDING,
    st.APPROVED,
    st.ASSIGNED_TO_SALESMAN,
    st.DELIVERED,
    st.CANCELLED_BY_SUPPLIER,
]


def view(**lines):
    """``view(l1=(3, 350.0))`` -> Cartona's lines keyed 1, 2, ... by name order."""
    return {
        int(name[1:]): ob.LineView(*values) if isinstance(values, tuple) else values
        for name, values in lines.items()
    }


def want(ref, amount, price=350.0, key=None, product=None, sent=False):
    return ob.WantedLine(
        key=key or f"L{ref}",
        amount=amount,
        price=price,
        ref=ref,
        product=product,
        sent=sent,
    )


def make_plan(current, target, lines=None, wanted=(), delivered_by=SUPPLIER, **kw):
    has = ob.CartonaHas(status=current, lines=lines)
    wants = ob.OdooWants(status=target, lines=tuple(wanted), delivered_by=delivered_by)
    return ob.plan(has, wants, **kw)


# ---------------------------------------------------------------- statuses only


@pytest.mark.parametrize(
    ("current", "target", "expected"),
    [
        (st.PENDING, st.PENDING, ()),
        (st.PENDING, st.APPROVED, (st.APPROVED,)),
        (st.PENDING, st.ASSIGNED_TO_SALESMAN, (st.APPROVED, st.ASSIGNED_TO_SALESMAN)),
        (
            st.PENDING,
            st.DELIVERED,
            (st.APPROVED, st.ASSIGNED_TO_SALESMAN, st.DELIVERED),
        ),
        (st.PENDING, st.CANCELLED_BY_SUPPLIER, (st.CANCELLED_BY_SUPPLIER,)),
        (st.APPROVED, st.ASSIGNED_TO_SALESMAN, (st.ASSIGNED_TO_SALESMAN,)),
        (st.APPROVED, st.DELIVERED, (st.ASSIGNED_TO_SALESMAN, st.DELIVERED)),
        (st.APPROVED, st.CANCELLED_BY_SUPPLIER, (st.CANCELLED_BY_SUPPLIER,)),
        (st.ASSIGNED_TO_SALESMAN, st.DELIVERED, (st.DELIVERED,)),
        (
            st.ASSIGNED_TO_SALESMAN,
            st.CANCELLED_BY_SUPPLIER,
            (st.CANCELLED_BY_SUPPLIER,),
        ),
    ],
)
def test_status_steps_follow_the_cycle(current, target, expected):
    plan = make_plan(current, target)
    assert plan.status_steps == expected
    assert plan.decision == (ob.SEND if expected else ob.NOTHING)
    if not expected:
        assert plan.reason == ob.REASON_IN_SYNC


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (st.APPROVED, st.PENDING),
        (st.ASSIGNED_TO_SALESMAN, st.APPROVED),
        (st.ASSIGNED_TO_SALESMAN, st.PENDING),
    ],
)
def test_cartona_further_along_needs_nothing(current, target):
    plan = make_plan(current, target)
    assert (plan.decision, plan.reason, plan.steps) == (ob.NOTHING, ob.REASON_AHEAD, ())


@pytest.mark.parametrize("current", sorted(doc.TERMINAL))
@pytest.mark.parametrize("target", [*TARGETS, None])
@pytest.mark.parametrize("delivered_by", [SUPPLIER, CARTONA])
def test_a_terminal_status_ends_every_plan(current, target, delivered_by):
    lines = view(l1=(3, 350.0))
    plan = make_plan(current, target, lines, [want(1, 0)], delivered_by)
    assert (plan.decision, plan.reason, plan.steps) == (
        ob.CLOSED,
        ob.REASON_TERMINAL,
        (),
    )


def test_retailer_cancellation_needs_nothing_more():
    plan = make_plan(st.CANCELLED_BY_RETAILER, st.CANCELLED_BY_SUPPLIER)
    assert plan.decision == ob.CLOSED
    assert not plan.steps
    assert plan.params["conflict"] is False


@pytest.mark.parametrize(
    ("current", "target", "conflict"),
    [
        (st.DELIVERED, st.CANCELLED_BY_SUPPLIER, True),
        (st.RETURNED, st.CANCELLED_BY_SUPPLIER, True),
        (st.CANCELLED_BY_SUPPLIER, st.ASSIGNED_TO_SALESMAN, True),
        (st.DELIVERED, st.ASSIGNED_TO_SALESMAN, False),
        (st.DELIVERED, st.DELIVERED, False),
        (st.RETURNED, st.ASSIGNED_TO_SALESMAN, False),
        (st.CANCELLED_BY_RETAILER, st.APPROVED, True),
        (st.CANCELLED_BY_SUPPLIER, st.CANCELLED_BY_SUPPLIER, False),
        (st.DELIVERED, None, False),
    ],
)
def test_closed_plans_say_when_odoo_wants_what_cartona_cannot_reach(
    current, target, conflict
):
    assert make_plan(current, target).params["conflict"] is conflict


@pytest.mark.parametrize("target", TARGETS)
def test_the_retailer_editing_means_wait(target):
    lines = view(l1=(3, 350.0))
    plan = make_plan(st.EDITING, target, lines, [want(1, 1)])
    assert (plan.decision, plan.reason, plan.steps) == (ob.WAIT, ob.REASON_EDITING, ())


def test_an_order_state_without_status_is_blocked():
    plan = make_plan(st.PENDING, None)
    assert (plan.decision, plan.reason) == (ob.BLOCKED, ob.REASON_NO_TARGET)


@pytest.mark.parametrize("status", ["returned", "editing", "cancelled_by_retailer"])
def test_statuses_only_cartona_sets_are_blocked(status):
    plan = make_plan(st.PENDING, status)
    assert (plan.decision, plan.reason) == (ob.BLOCKED, ob.REASON_NOT_SUPPLIER_STATUS)


@pytest.mark.parametrize(
    "problem",
    [
        ob.REASON_NOT_MARKETPLACE,
        ob.REASON_NO_CARTONA_ID,
        ob.REASON_NO_ACCOUNT,
        ob.REASON_ACCOUNT_ARCHIVED,
        ob.REASON_TOKEN_REJECTED,
    ],
)
def test_a_precondition_blocks_everything(problem):
    assert make_plan(
        st.PENDING, st.CANCELLED_BY_SUPPLIER, problem=problem
    ).decision == (ob.BLOCKED)
    plan = make_plan(st.PENDING, st.APPROVED, problem=problem)
    assert (plan.decision, plan.reason, plan.steps) == (ob.BLOCKED, problem, ())


def test_an_import_problem_lets_only_a_cancellation_through():
    problem = ob.REASON_IMPORT_PROBLEM
    plan = make_plan(st.PENDING, st.APPROVED, problem=problem)
    assert (plan.decision, plan.reason) == (ob.BLOCKED, problem)
    plan = make_plan(st.PENDING, st.CANCELLED_BY_SUPPLIER, problem=problem)
    assert plan.status_steps == (st.CANCELLED_BY_SUPPLIER,)


# ---------------------------------------------------------------- delivered by Cartona


@pytest.mark.parametrize("current", [st.PENDING, st.APPROVED, st.ASSIGNED_TO_SALESMAN])
@pytest.mark.parametrize(
    "target", [st.PENDING, st.APPROVED, st.ASSIGNED_TO_SALESMAN, st.DELIVERED]
)
def test_cartona_delivered_orders_never_push_a_status_but_cancellation(current, target):
    plan = make_plan(current, target, delivered_by=CARTONA)
    assert plan.status_steps == ()
    assert plan.decision == ob.NOTHING
    assert plan.reason == (
        ob.REASON_IN_SYNC if current == target else ob.REASON_CARTONA_DELIVERS
    )


@pytest.mark.parametrize("current", [st.PENDING, st.APPROVED, st.ASSIGNED_TO_SALESMAN])
def test_cartona_delivered_orders_push_their_cancellation(current):
    plan = make_plan(current, st.CANCELLED_BY_SUPPLIER, delivered_by=CARTONA)
    assert plan.status_steps == (st.CANCELLED_BY_SUPPLIER,)


@pytest.mark.parametrize(
    ("current", "sent"),
    [(st.PENDING, True), (st.APPROVED, True), (st.ASSIGNED_TO_SALESMAN, False)],
)
def test_cartona_delivered_content_only_before_pickup(current, sent):
    lines = view(l1=(3, 350.0))
    plan = make_plan(current, st.APPROVED, lines, [want(1, 2)], CARTONA)
    if sent:
        assert plan.decision == ob.SEND
        assert plan.details_step.changes == ({"id": 1, "amount": 2},)
        assert plan.notes == ()
    else:
        assert plan.decision == ob.NOTHING
        assert [note[0] for note in plan.notes] == [ob.REASON_CONTENT_CLOSED]


# ---------------------------------------------------------------- content


def test_unchanged_content_sends_statuses_only():
    lines = view(l1=(3, 350.0), l2=(2, 200.0))
    plan = make_plan(st.PENDING, st.APPROVED, lines, [want(1, 3), want(2, 2, 200.0)])
    assert [s.kind for s in plan.steps] == [ob.STEP_STATUS]


def test_lowered_quantity_names_only_that_line_before_the_status():
    lines = view(l1=(3, 350.0), l2=(2, 200.0))
    plan = make_plan(
        st.APPROVED,
        st.ASSIGNED_TO_SALESMAN,
        lines,
        [want(1, 2), want(2, 2, 200.0)],
    )
    assert [s.kind for s in plan.steps] == [ob.STEP_DETAILS, ob.STEP_STATUS]
    assert plan.steps[0].changes == ({"id": 1, "amount": 2},)
    assert plan.steps[0].details_item("H1") == {
        "hashed_id": "H1",
        "order_details": [{"id": 1, "amount": 2}],
    }


@pytest.mark.parametrize("current", [st.PENDING, st.APPROVED, st.ASSIGNED_TO_SALESMAN])
def test_content_alone_when_the_status_is_right(current):
    lines = view(l1=(3, 350.0))
    plan = make_plan(current, current, lines, [want(1, 1)])
    assert plan.decision == ob.SEND
    assert [s.kind for s in plan.steps] == [ob.STEP_DETAILS]


def test_a_line_at_zero_or_removed_is_cancelled():
    lines = view(l1=(3, 350.0), l2=(2, 200.0), l3=(1, 10.0))
    plan = make_plan(st.APPROVED, st.APPROVED, lines, [want(1, 0), want(3, 1, 10.0)])
    assert plan.details_step.changes == (
        {"id": 1, "cancelled": True},
        {"id": 2, "cancelled": True},
    )


def test_a_price_change_is_sent_as_a_number():
    lines = view(l1=(3, 350.0))
    plan = make_plan(st.PENDING, st.PENDING, lines, [want(1, 3, 355.5)])
    assert plan.details_step.changes == ({"id": 1, "price": 355.5},)
    assert isinstance(plan.details_step.changes[0]["price"], float)


def test_amount_and_price_in_one_change():
    lines = view(l1=(3, 350.0))
    plan = make_plan(st.PENDING, st.PENDING, lines, [want(1, 2, 340)])
    assert plan.details_step.changes == ({"id": 1, "amount": 2, "price": 340.0},)


def test_tiny_price_differences_are_equal():
    lines = view(l1=(3, 350.0))
    plan = make_plan(st.PENDING, st.PENDING, lines, [want(1, 3.0, 350.001)])
    assert plan.decision == ob.NOTHING


def test_a_line_added_in_odoo_is_sent_once():
    lines = view(l1=(3, 350.0))
    new = want(None, 2, 95.0, key="sol-7", product="4820")
    plan = make_plan(st.APPROVED, st.APPROVED, lines, [want(1, 3), new])
    assert plan.details_step.changes == (
        {"internal_product_id": "4820", "amount": 2, "price": 95.0},
    )
    assert plan.details_step.new_keys == ("sol-7",)
    sent = want(None, 2, 95.0, key="sol-7", product="4820", sent=True)
    assert make_plan(st.APPROVED, st.APPROVED, lines, [want(1, 3), sent]).decision == (
        ob.NOTHING
    )


def test_a_new_line_at_zero_is_not_sent():
    lines = view(l1=(3, 350.0))
    new = want(None, 0, 95.0, key="sol-7", product="4820")
    assert make_plan(st.APPROVED, st.APPROVED, lines, [want(1, 3), new]).decision == (
        ob.NOTHING
    )


def test_a_new_line_cartona_cannot_identify_is_blocked():
    lines = view(l1=(3, 350.0))
    new = want(None, 2, 95.0, key="sol-7", product=None)
    plan = make_plan(st.APPROVED, st.APPROVED, lines, [want(1, 3), new])
    assert (plan.decision, plan.reason) == (ob.BLOCKED, ob.REASON_LINE_NO_PRODUCT)
    assert plan.params["line"] == "sol-7"


@pytest.mark.parametrize("amount", [2.5, -1, float("nan"), float("inf")])
def test_a_quantity_cartona_cannot_hold_is_blocked(amount):
    lines = view(l1=(3, 350.0))
    plan = make_plan(st.APPROVED, st.APPROVED, lines, [want(1, amount)])
    assert (plan.decision, plan.reason) == (ob.BLOCKED, ob.REASON_LINE_NOT_WHOLE)


def test_an_unknown_line_id_is_blocked_not_sent():
    plan = make_plan(st.APPROVED, st.APPROVED, view(l1=(3, 350.0)), [want(9, 3)])
    assert (plan.decision, plan.reason) == (ob.BLOCKED, ob.REASON_LINE_UNKNOWN)


def test_a_cancelled_line_cannot_come_back():
    lines = view(l1=ob.LineView(3, 350.0, cancelled=True))
    assert make_plan(st.APPROVED, st.APPROVED, lines, [want(1, 0)]).decision == (
        ob.NOTHING
    )
    plan = make_plan(st.APPROVED, st.APPROVED, lines, [want(1, 2)])
    assert (plan.decision, plan.reason) == (ob.BLOCKED, ob.REASON_LINE_CANCELLED)


def test_lines_not_from_cartona_send_statuses_only():
    # An order linked to a Cartona id by hand: its lines are not Cartona's.
    plan = make_plan(st.PENDING, st.APPROVED, None, [want(None, 9, product="X")])
    assert [s.kind for s in plan.steps] == [ob.STEP_STATUS]


def test_a_cancellation_sends_no_content():
    lines = view(l1=(3, 350.0))
    plan = make_plan(st.APPROVED, st.CANCELLED_BY_SUPPLIER, lines, [want(1, 0)])
    assert [s.kind for s in plan.steps] == [ob.STEP_STATUS]


# ---------------------------------------------------------------- short deliveries


def test_short_delivery_without_backorder():
    # Ordered 5 and 3, shipped 4 and 0, the backorder dropped: the deliveries are
    # finished, Odoo wants what left. Details first, while still approved.
    lines = view(l1=(5, 100.0), l2=(3, 50.0))
    plan = make_plan(
        st.APPROVED,
        st.ASSIGNED_TO_SALESMAN,
        lines,
        [want(1, 4, 100.0), want(2, 0, 50.0)],
    )
    assert [(s.kind, s.status) for s in plan.steps] == [
        (ob.STEP_DETAILS, None),
        (ob.STEP_STATUS, st.ASSIGNED_TO_SALESMAN),
    ]
    assert plan.steps[0].changes == (
        {"id": 1, "amount": 4},
        {"id": 2, "cancelled": True},
    )


def test_confirm_delivery_sends_content_before_delivered():
    lines = view(l1=(5, 100.0))
    plan = make_plan(st.APPROVED, st.DELIVERED, lines, [want(1, 4, 100.0)])
    assert [s.kind for s in plan.steps] == [
        ob.STEP_DETAILS,
        ob.STEP_STATUS,
        ob.STEP_STATUS,
    ]
    assert plan.status_steps == (st.ASSIGNED_TO_SALESMAN, st.DELIVERED)


# ---------------------------------------------------------------- every combination


@pytest.mark.parametrize(
    ("current", "target", "delivered_by", "content"),
    itertools.product(
        sorted(doc.STATUSES),
        TARGETS,
        [SUPPLIER, CARTONA],
        ["none", "same", "changed"],
    ),
)
def test_every_plan_respects_cartonas_rules(current, target, delivered_by, content):
    lines = None if content == "none" else view(l1=(3, 350.0))
    wanted = {"none": [], "same": [want(1, 3)], "changed": [want(1, 2)]}[content]
    plan = make_plan(current, target, lines, wanted, delivered_by)
    # A step is only ever sent when a status is open, and the statuses sent walk
    # the documented cycle from Cartona's status, each one a supplier status.
    if plan.steps:
        assert plan.decision == ob.SEND
        assert current not in doc.TERMINAL and current != "editing"
    status = current
    for step in plan.steps:
        if step.kind == ob.STEP_DETAILS:
            window = (
                {"pending", "approved"}
                if delivered_by == CARTONA
                else doc.DETAILS_EDITABLE
            )
            assert status in window
            assert step is plan.steps[0], "content goes first"
            assert content == "changed"
        else:
            assert step.status in doc.SUPPLIER_MAY_POST
            assert step.status in doc.ORDER_CYCLE[status]
            if delivered_by == CARTONA:
                assert step.status == "cancelled_by_supplier"
            status = step.status
    if plan.status_steps:
        assert status == target
    if content == "changed" and current in doc.DETAILS_EDITABLE:
        sent = plan.details_step is not None
        expected = target != "cancelled_by_supplier" and (
            delivered_by == SUPPLIER or current in ("pending", "approved")
        )
        assert sent == expected


# ---------------------------------------------------------------- Cartona's view


def test_apply_details_records_what_cartona_accepted():
    lines = view(l1=(5, 100.0), l2=(3, 50.0))
    step = ob.Step(
        ob.STEP_DETAILS,
        changes=(
            {"id": 1, "amount": 4, "price": 90.0},
            {"id": 2, "cancelled": True},
            {"internal_product_id": "X", "amount": 1, "price": 5.0},
        ),
    )
    assert ob.apply_details(lines, step) == {
        1: ob.LineView(4, 90.0),
        2: ob.LineView(3, 50.0, cancelled=True),
    }
    assert lines[1] == ob.LineView(5, 100.0), "the input is not changed"


def test_a_recorded_edit_is_not_sent_again():
    lines = view(l1=(5, 100.0), l2=(3, 50.0))
    wanted = [want(1, 4, 100.0), want(2, 0, 50.0)]
    first = make_plan(st.APPROVED, st.APPROVED, lines, wanted)
    after = ob.apply_details(lines, first.details_step)
    assert make_plan(st.APPROVED, st.APPROVED, after, wanted).decision == ob.NOTHING


def test_link_new_lines_by_product_and_amount():
    known = view(l1=(5, 100.0))
    remote = [
        {"id": 1, "internal_product_id": "A", "amount": 5},
        {"id": 9, "internal_product_id": "X", "amount": 2},
        {"id": 8, "internal_product_id": "X", "amount": 1},
        {"id": "bad", "internal_product_id": "X", "amount": 2},
    ]
    new = {"sol-3": ("X", 2), "sol-4": ("X", 1), "sol-5": ("Y", 1)}
    assert ob.link_new_lines(known, new, remote) == {"sol-3": 9, "sol-4": 8}


def test_lines_from_answer_reads_only_the_order_asked():
    answer = [
        {"hashed_id": "A", "order_details": [{"id": 1}, {"id": "x"}]},
        {"hashed_id": "B", "order_details": [{"id": 2}]},
    ]
    assert ob.lines_from_answer(answer, "A") == ({"id": 1},)
    assert ob.lines_from_answer([], "A") == ()
    assert ob.lines_from_answer({"unexpected": True}, "A") == ()


def test_pulled_changes_compares_listed_lines_with_active_ones():
    known = view(l1=(5, 100.0), l2=ob.LineView(3, 50.0, cancelled=True))
    assert not ob.pulled_changes(known, {1: ob.LineView(5, 100.0)})
    assert ob.pulled_changes(known, {1: ob.LineView(4, 100.0)})
    assert ob.pulled_changes(known, {1: ob.LineView(5, 101.0)})
    assert ob.pulled_changes(known, {1: ob.LineView(5, 100.0), 2: ob.LineView(3, 50.0)})
    assert ob.pulled_changes(None, {1: ob.LineView(5, 100.0)})


def test_json_round_trip():
    lines = view(l1=(5, 100.0), l2=ob.LineView(3, 50.0, cancelled=True))
    stored = ob.view_to_json(lines)
    assert stored == {
        "1": {"amount": 5, "price": 100.0, "cancelled": False},
        "2": {"amount": 3, "price": 50.0, "cancelled": True},
    }
    assert ob.view_from_json(stored) == lines
    assert ob.view_from_json(None) is None
    assert ob.view_to_json(None) is None


def test_merge_pulled_cancels_the_lines_no_longer_listed():
    known = view(l1=(5, 100.0), l2=(3, 50.0))
    pulled = {1: ob.LineView(4, 100.0), 7: ob.LineView(1, 9.0)}
    assert ob.merge_pulled(known, pulled) == {
        1: ob.LineView(4, 100.0),
        2: ob.LineView(3, 50.0, cancelled=True),
        7: ob.LineView(1, 9.0),
    }
    assert ob.merge_pulled(None, pulled) == pulled


def test_view_total_adds_what_cartona_has_and_leaves_cancelled_lines_out():
    view = {
        1: ob.LineView(3, 350.0),
        2: ob.LineView(2, 200.0),
        3: ob.LineView(5, 10.0, cancelled=True),
    }
    assert ob.view_total(view) == 1450.0
    assert ob.view_total({1: ob.LineView(3, 0.1)}) == 0.3
    assert ob.view_total(None) == 0.0
    assert ob.view_total({}) == 0.0
