"""One rule of when two prices are the same, as line edits and the catalog use it.

A cent is a real difference (Odoo stores two decimals); float noise is none. Each
caller is checked at the cent, so that a looser tolerance anywhere is caught (the
catalog's own cases are in test_catalog.test_changed_values)."""

import pytest

from cartona import outbound as ob
from cartona import statuses as st
from cartona.prices import same_price
from tests_unit.test_outbound import make_plan, view, want


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (350.0, 350.0, True),
        (0.1 + 0.2, 0.3, True),  # float noise
        (350.0, 350.004, True),  # under half a cent
        (350.0, 350.01, False),  # a cent
        (350.0, 349.99, False),
    ],
)
def test_same_price(a, b, same):
    assert same_price(a, b) is same


def test_a_one_cent_line_edit_is_sent():
    plan = make_plan(st.PENDING, st.PENDING, view(l1=(3, 350.0)), [want(1, 3, 350.01)])
    assert plan.details_step.changes == ({"id": 1, "price": 350.01},)


def test_a_pulled_price_one_cent_away_is_a_change():
    known = view(l1=(3, 350.0))
    assert ob.pulled_changes(known, view(l1=(3, 350.01)))
    assert not ob.pulled_changes(known, view(l1=(3, 350.004)))
