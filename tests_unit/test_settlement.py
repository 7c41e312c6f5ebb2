"""The split of a delivered order's invoice between the retailer and Cartona."""

import pytest

from cartona.settlement import split


@pytest.mark.parametrize(
    ("case", "args", "retailer", "cartona", "moved", "discount", "capped"),
    [
        ("cash", (1000, 0, 0, 0, 0), 1000, 0, 0, 0, False),
        ("credit + top-up", (1000, 300, 0, 50, 0), 750, 250, 250, 0, False),
        ("installment", (1000, 300, 700, 0, 0), 0, 1000, 1000, 0, False),
        ("top-up only", (1000, 0, 0, 80, 0), 1080, -80, -80, 0, False),
        ("funded discount", (950, 0, 0, 0, 50), 950, 50, 0, 50, False),
        ("all paid by credit", (1000, 1000, 0, 0, 0), 0, 1000, 1000, 0, False),
        ("top-up larger than credit", (1000, 30, 0, 100, 0), 1070, -70, -70, 0, False),
        ("short delivery below credit", (200, 300, 0, 0, 0), 0, 200, 200, 0, True),
        ("short installment order", (600, 300, 700, 20, 10), 20, 590, 580, 10, True),
    ],
)
def test_split(case, args, retailer, cartona, moved, discount, capped):
    result = split(*args)
    assert result.retailer == retailer, case
    assert result.cartona == cartona, case
    assert result.moved == moved, case
    assert result.discount == discount, case
    assert result.capped is capped, case
    # What each owes adds up to the invoice plus what Cartona funds on top.
    assert round(result.retailer + result.cartona, 2) == round(
        result.total + result.discount, 2
    )


def test_cash_order_needs_no_entry():
    assert not split(1000).needs_entry
    assert split(1000, wallet_top_up=1).needs_entry
    assert split(1000, discount=1).needs_entry


def test_rounding_to_the_currency():
    result = split(100.005, credit=33.333, installment=0.004, wallet_top_up=0.125)
    assert result.total == 100.01
    assert result.moved == round(33.33 + 0.0 - 0.13, 2)
    assert result.retailer == round(100.01 - result.moved, 2)
    whole = split(1000.4, credit=300.5, rounding=1)
    assert (whole.total, whole.moved, whole.retailer) == (1000, 301, 699)


def test_negative_purses_are_ignored():
    assert split(500, credit=-10, installment=-1, wallet_top_up=-5).moved == 0
    assert split(-5).total == 0
