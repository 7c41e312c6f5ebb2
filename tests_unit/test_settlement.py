"""The split of a delivered order's invoice between the retailer and Cartona."""

import pytest

from cartona.settlement import credited, split


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


# A credit note on the invoice reverses the matching share.


def test_a_full_credit_note_reverses_everything():
    original = split(1450, credit=300, wallet_top_up=50, discount=30)
    share = credited(original, 1450)
    assert (share.moved, share.discount, share.cartona) == (250, 30, 280)
    assert share.retailer == 1200
    assert share.needs_entry


def test_a_half_credit_note_reverses_half():
    original = split(1000, credit=300, discount=50)
    share = credited(original, 500)
    assert (share.moved, share.discount, share.cartona, share.retailer) == (
        150,
        25,
        175,
        350,
    )


def test_rounding_to_the_currency_adds_up_over_several_credit_notes():
    original = split(100, credit=33.33)
    thirds = [
        credited(original, 33.33),
        credited(original, 33.33, already_credited=33.33),
        credited(original, 33.34, already_credited=66.66),
    ]
    assert [share.moved for share in thirds] == [11.11, 11.11, 11.11]
    assert round(sum(share.moved for share in thirds), 2) == original.moved
    odd = credited(split(3, credit=1), 1)
    assert odd.moved == 0.33
    assert credited(split(1000, credit=301), 500, rounding=1).moved == 151


def test_more_than_the_invoice_reverses_no_more_than_was_moved():
    original = split(1000, credit=400)
    assert credited(original, 1500).moved == 400
    assert credited(original, 300, already_credited=900).moved == 40
    assert credited(original, 100, already_credited=1000).moved == 0


def test_a_top_up_is_reversed_with_its_sign():
    share = credited(split(1000, wallet_top_up=80), 1000)
    assert (share.moved, share.cartona, share.retailer) == (-80, -80, 1080)


def test_a_cash_order_reverses_nothing():
    assert not credited(split(1000), 1000).needs_entry
    assert not credited(split(1000, credit=100), 0).needs_entry
    assert not credited(split(0), 10).needs_entry
