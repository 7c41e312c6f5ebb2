"""Exhaustive tables for :mod:`cartona.statuses`, written from cartona-api.md by hand.

The expected values are spelled out here, never derived from the module under test.
"""

import itertools

import pytest

from cartona import statuses as st

ALL = [
    "pending",
    "editing",
    "approved",
    "assigned_to_salesman",
    "delivered",
    "cancelled_by_retailer",
    "cancelled_by_supplier",
    "returned",
]
#: Values probed on top of the real statuses: the pseudo-status, undocumented ones.
ODD = ["synced", "cancelled", "return", "", None]

#: Cartona's order cycle (cartona-api.md section 4).
EDGES = {
    ("pending", "editing"),
    ("pending", "approved"),
    ("pending", "cancelled_by_retailer"),
    ("pending", "cancelled_by_supplier"),
    ("editing", "pending"),
    ("approved", "assigned_to_salesman"),
    ("approved", "cancelled_by_retailer"),
    ("approved", "cancelled_by_supplier"),
    ("assigned_to_salesman", "delivered"),
    ("assigned_to_salesman", "cancelled_by_supplier"),
    ("assigned_to_salesman", "returned"),
}

A, S, D, P = "approved", "assigned_to_salesman", "delivered", "pending"
CBS = "cancelled_by_supplier"
#: Every (current, target) with a supplier path; all other distinct pairs have none.
PATHS = {
    ("pending", A): [A],
    ("pending", S): [A, S],
    ("pending", D): [A, S, D],
    ("pending", CBS): [CBS],
    ("editing", P): [P],
    ("editing", A): [P, A],
    ("editing", S): [P, A, S],
    ("editing", D): [P, A, S, D],
    ("editing", CBS): [P, CBS],
    (A, S): [S],
    (A, D): [S, D],
    (A, CBS): [CBS],
    (S, D): [D],
    (S, CBS): [CBS],
}


def test_status_sets():
    assert list(st.STATUSES) == ALL
    assert set(st.TRANSITIONS) == set(ALL)
    assert list(st.SUPPLIER_STATUSES) == ["synced", P, A, S, D, CBS]
    assert st.TERMINAL_STATUSES == {D, "cancelled_by_retailer", CBS, "returned"}
    assert st.CANCELLED_STATUSES == {"cancelled_by_retailer", CBS}
    assert st.SYNCED not in st.STATUSES


@pytest.mark.parametrize(("current", "target"), itertools.product(ALL + ODD, ALL + ODD))
def test_can_transition_table(current, target):
    assert st.can_transition(current, target) is ((current, target) in EDGES)


@pytest.mark.parametrize("current", ALL)
def test_transitions_graph_matches_doc(current):
    assert st.TRANSITIONS[current] == {t for c, t in EDGES if c == current}


@pytest.mark.parametrize(("current", "target"), itertools.product(ALL, ALL))
def test_supplier_path_table(current, target):
    expected = [] if current == target else PATHS.get((current, target))
    assert st.supplier_path(current, target) == expected


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("pending", "synced"),
        ("synced", "approved"),
        ("approved", "cancelled"),
        ("return", "delivered"),
        (None, "approved"),
        ("approved", None),
    ],
)
def test_supplier_path_unknown_statuses(current, target):
    assert st.supplier_path(current, target) is None


@pytest.mark.parametrize(("current", "target"), sorted(PATHS))
def test_supplier_path_steps_are_postable_edges(current, target):
    path = st.supplier_path(current, target)
    for before, after in zip([current, *path], path, strict=False):
        assert (before, after) in EDGES
        assert after in st.SUPPLIER_STATUSES


SUPPLIER = "delivered_by_supplier"
CARTONA = "delivered_by_cartona"


@pytest.mark.parametrize(
    ("value", "expected", "warns"),
    [
        (SUPPLIER, SUPPLIER, False),
        (CARTONA, CARTONA, False),
        (None, SUPPLIER, True),
        ("", SUPPLIER, True),
        ("delivered_by_courier", SUPPLIER, True),
        ("DELIVERED_BY_CARTONA", SUPPLIER, True),
    ],
)
def test_normalize_delivered_by(value, expected, warns):
    result, warning = st.normalize_delivered_by(value)
    assert result == expected
    assert (warning is not None) is warns
    if warns:
        assert (repr(value) if value else "missing") in warning


@pytest.mark.parametrize(
    ("installment", "wallet", "credit", "expected"),
    [
        (0, 0, 0, "standard"),
        (None, None, None, "standard"),
        (-5, -1, -2, "standard"),
        (1200, 0, 0, "installment"),
        (1200, 500, 300, "installment"),
        (0, 500, 0, "wallet_top_up"),
        (0, 500, 300, "wallet_top_up"),
        (0, 0, 300, "cartona_credit"),
        (0, 0, 0.01, "cartona_credit"),
        (0.5, 0, 0, "installment"),
    ],
)
def test_payment_method_from_amounts(installment, wallet, credit, expected):
    method = st.payment_method_from_amounts(
        installment_cost=installment, wallet_top_up=wallet, cartona_credit=credit
    )
    assert method == expected


def test_payment_method_defaults_to_standard():
    assert st.payment_method_from_amounts() == "standard"


@pytest.mark.parametrize(
    ("status", "method"),
    itertools.product(
        ALL + ["synced"], ["standard", "installment", "wallet_top_up", "cartona_credit"]
    ),
)
def test_otp_required_table(status, method):
    expected = status == D and method in {"installment", "wallet_top_up"}
    assert st.otp_required(status, method) is expected


ODOO_STATES = ["draft", "sent", "sale", "cancel", "done", "locked", ""]
BASIC = {"draft": P, "sent": P, "sale": A, "cancel": CBS}


@pytest.mark.parametrize(
    ("state", "confirmed"), itertools.product(ODOO_STATES, [False, True])
)
def test_map_odoo_status_table(state, confirmed):
    expected = D if (state == "sale" and confirmed) else BASIC.get(state)
    assert st.map_odoo_status(state, delivery_confirmed=confirmed) == expected


def _combined(state, shipped, confirmed):
    if state == "cancel":
        return CBS
    if state in ("draft", "sent"):
        return P
    if state == "sale":
        return D if confirmed else (S if shipped else A)
    return None


@pytest.mark.parametrize(
    ("state", "shipped", "confirmed"),
    itertools.product(ODOO_STATES, [False, True], [False, True]),
)
def test_map_combined_status_table(state, shipped, confirmed):
    result = st.map_combined_status(
        state, all_shipped=shipped, delivery_confirmed=confirmed
    )
    assert result == _combined(state, shipped, confirmed)


@pytest.mark.parametrize(
    ("state", "shipped", "confirmed", "expected"),
    [
        ("sale", False, False, "approved"),
        ("sale", True, False, "assigned_to_salesman"),
        ("sale", True, True, "delivered"),
        ("cancel", True, True, "cancelled_by_supplier"),
        ("draft", True, True, "pending"),
    ],
)
def test_map_combined_status_spot_checks(state, shipped, confirmed, expected):
    assert st.map_combined_status(state, shipped, confirmed) == expected


def test_cancellation_reasons():
    assert len(st.CANCELLATION_REASONS) == 11
    assert st.SUPPLIER_CANCELLATION_REASONS == (
        "out_of_stock",
        "cannot_deliver_the_order",
        "supplier_asked_me_to_cancel",
        "delayed_order",
        "pending_order_without_action",
        "removed_items",
    )
    assert st.DEFAULT_CANCELLATION_REASON in st.SUPPLIER_CANCELLATION_REASONS


@pytest.mark.parametrize(
    ("current", "target", "expected"),
    [
        ("pending", "pending", True),
        ("pending", "delivered", True),
        ("pending", "returned", True),
        ("editing", "cancelled_by_retailer", True),
        ("approved", "pending", False),
        ("delivered", "returned", False),
        ("cancelled_by_supplier", "approved", False),
        ("assigned_to_salesman", "cancelled_by_retailer", False),
        ("unknown", "pending", False),
    ],
)
def test_reachable(current, target, expected):
    assert st.reachable(current, target) is expected
