"""The catalog planner: values, what differs, items, batches and isolating bad items."""

import math

import pytest

from cartona import catalog as cat
from cartona import errors


def listing(key=1, **values):
    values.setdefault("internal_product_id", f"P{key}")
    values.setdefault("price", 20.0)
    return cat.Listing(key=key, **values)


# ---------------------------------------------------------------- stock


@pytest.mark.parametrize(
    ("free_qty", "buffer", "expected"),
    [
        (10, 0, 10),
        (10.0, 0, 10),
        (2.5, 0, 2),  # a fraction of a piece is not offered
        (9.9999999, 0, 10),  # float sums of quants
        (0, 0, 0),
        (0.4, 0, 0),
        (-3, 0, 0),  # reservations above what is on hand: never negative
        (-0.0001, 0, 0),
        (10, 3, 7),
        (3, 3, 0),
        (2, 5, 0),  # the buffer never makes it negative
        (10, -2, 10),  # a negative buffer is no buffer
        (10, 2.9, 8),
        (float("nan"), 0, 0),
        (float("inf"), 0, 0),
        (None, 0, 0),
        ("12", 0, 0),
        (True, 0, 0),
        (10**9, 0, 10**9),
    ],
)
def test_stock_quantity(free_qty, buffer, expected):
    quantity = cat.stock_quantity(free_qty, buffer)
    assert quantity == expected
    assert type(quantity) is int


# ---------------------------------------------------------------- price


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        (20, 20.0),
        (19.999, 20.0),
        (12.344, 12.34),
        (12.346, 12.35),
        (0.01, 0.01),
        (0.004, None),  # rounds to 0
        (0, None),
        (-5, None),
        (None, None),
        ("20", None),  # never a string
        (True, None),
        (float("nan"), None),
        (float("inf"), None),
    ],
)
def test_selling_price(price, expected):
    value = cat.selling_price(price)
    assert value == expected
    if value is not None:
        assert type(value) is float


# ---------------------------------------------------------------- wanted values


def test_wanted_values_of_a_listing_in_stock():
    values, problems = cat.wanted_values(listing(free_qty=140, price=355))
    assert values == {
        cat.STOCK: 140,
        cat.IN_STOCK: True,
        cat.PRICE: 355.0,
    }
    assert problems == ()


def test_an_empty_product_is_zero_and_not_in_stock():
    values, _problems = cat.wanted_values(listing(free_qty=-4))
    assert values[cat.STOCK] == 0
    assert values[cat.IN_STOCK] is False


def test_wanted_values_follow_what_the_listing_syncs():
    values, _ = cat.wanted_values(listing(free_qty=5, sync_price=False))
    assert set(values) == {cat.STOCK, cat.IN_STOCK}
    values, _ = cat.wanted_values(listing(free_qty=5, sync_stock=False))
    assert set(values) == {cat.PRICE}
    values, problems = cat.wanted_values(
        listing(sync_stock=False, sync_price=False, price=0)
    )
    assert values == {} and problems == ()


def test_a_price_that_is_not_positive_is_a_problem_and_stock_still_goes():
    values, problems = cat.wanted_values(listing(free_qty=3, price=0.0))
    assert values == {cat.STOCK: 3, cat.IN_STOCK: True}
    assert problems == ((cat.REASON_PRICE_NOT_POSITIVE, {"price": 0.0}),)


@pytest.mark.parametrize(
    ("minimum", "maximum", "expected", "problem"),
    [
        (None, None, {}, False),
        (0, 0, {}, False),
        (2, None, {cat.MIN_ORDER: 2}, False),
        (None, 20, {cat.MAX_ORDER: 20}, False),
        (2, 20, {cat.MIN_ORDER: 2, cat.MAX_ORDER: 20}, False),
        (5, 5, {cat.MIN_ORDER: 5, cat.MAX_ORDER: 5}, False),
        (21, 20, {}, True),
        (-1, 10, {cat.MAX_ORDER: 10}, False),
    ],
)
def test_order_limits(minimum, maximum, expected, problem):
    values, problems = cat.wanted_values(
        listing(
            sync_stock=False, sync_price=False, min_order=minimum, max_order=maximum
        )
    )
    assert values == expected
    assert bool(problems) is problem
    if problem:
        assert problems[0][0] == cat.REASON_ORDER_LIMITS


# ---------------------------------------------------------------- what differs

ACCEPTED = {cat.STOCK: 10, cat.IN_STOCK: True, cat.PRICE: 20.0}


@pytest.mark.parametrize(
    ("wanted", "accepted", "expected"),
    [
        (ACCEPTED, ACCEPTED, {}),
        (ACCEPTED, None, ACCEPTED),  # never synced: everything
        (ACCEPTED, {}, ACCEPTED),
        (
            {**ACCEPTED, cat.STOCK: 9},
            ACCEPTED,
            {cat.STOCK: 9, cat.IN_STOCK: True},  # stock and in_stock together
        ),
        (
            {**ACCEPTED, cat.STOCK: 0, cat.IN_STOCK: False},
            ACCEPTED,
            {cat.STOCK: 0, cat.IN_STOCK: False},
        ),
        ({**ACCEPTED, cat.PRICE: 20.004}, ACCEPTED, {}),  # half a cent: equal
        ({**ACCEPTED, cat.PRICE: 20.01}, ACCEPTED, {cat.PRICE: 20.01}),
        (
            {**ACCEPTED, cat.MIN_ORDER: 2},
            ACCEPTED,
            {cat.MIN_ORDER: 2},
        ),
        ({cat.PRICE: 20.0}, ACCEPTED, {}),  # stock not synced: not compared
        (ACCEPTED, {**ACCEPTED, cat.IN_STOCK: 1}, {cat.STOCK: 10, cat.IN_STOCK: True}),
        (ACCEPTED, {**ACCEPTED, cat.PRICE: "20.0"}, {cat.PRICE: 20.0}),
        (ACCEPTED, {**ACCEPTED, cat.STOCK: True}, {cat.STOCK: 10, cat.IN_STOCK: True}),
    ],
)
def test_changed_values(wanted, accepted, expected):
    assert cat.changed_values(wanted, accepted) == expected


def test_forced_values_are_all_sent():
    assert cat.changed_values(ACCEPTED, ACCEPTED, force=True) == ACCEPTED


def test_accepted_after_merges():
    assert cat.accepted_after(None, {cat.PRICE: 5.0}) == {cat.PRICE: 5.0}
    assert cat.accepted_after(ACCEPTED, {cat.STOCK: 1, cat.IN_STOCK: True}) == {
        cat.STOCK: 1,
        cat.IN_STOCK: True,
        cat.PRICE: 20.0,
    }


# ---------------------------------------------------------------- items


def test_identifier_prefers_cartonas_own_id():
    assert cat.identifier(listing(supplier_product_id="88001")) == {
        "supplier_product_id": "88001"
    }
    assert cat.identifier(listing(internal_product_id="904#2")) == {
        "internal_product_id": "904#2"
    }
    assert cat.identifier(listing(internal_product_id=" ", supplier_product_id="")) is (
        None
    )


def test_item_carries_numbers_not_strings():
    item = cat.plan_listing(listing(free_qty=140.0, price=355)).item
    assert item == {
        "internal_product_id": "P1",
        "available_stock_quantity": 140,
        "in_stock": True,
        "selling_price": 355.0,
    }
    assert type(item["available_stock_quantity"]) is int
    assert type(item["selling_price"]) is float
    assert list(item) == [
        "internal_product_id",
        "available_stock_quantity",
        "in_stock",
        "selling_price",
    ]


def test_nothing_differs_nothing_sent():
    accepted = {cat.STOCK: 5, cat.IN_STOCK: True, cat.PRICE: 20.0}
    result = cat.plan_listing(listing(free_qty=5, accepted=accepted))
    assert result.item is None and result.values == {} and result.problems == ()


def test_only_what_differs_is_sent():
    accepted = {cat.STOCK: 5, cat.IN_STOCK: True, cat.PRICE: 20.0}
    result = cat.plan_listing(listing(free_qty=5, price=21.5, accepted=accepted))
    assert result.item == {"internal_product_id": "P1", "selling_price": 21.5}


def test_forced_listing_sends_equal_values():
    accepted = {cat.STOCK: 5, cat.IN_STOCK: True, cat.PRICE: 20.0}
    result = cat.plan_listing(listing(free_qty=5, accepted=accepted, force=True))
    assert result.values == accepted


def test_a_listing_without_identifier_is_a_problem():
    result = cat.plan_listing(listing(internal_product_id=None, free_qty=4))
    assert result.item is None
    assert result.problems == ((cat.REASON_NO_IDENTIFIER, {}),)


def test_a_bad_price_still_sends_the_stock():
    result = cat.plan_listing(listing(free_qty=4, price=-1))
    assert result.item == {
        "internal_product_id": "P1",
        "available_stock_quantity": 4,
        "in_stock": True,
    }
    assert result.problems[0][0] == cat.REASON_PRICE_NOT_POSITIVE


def test_plan_keeps_the_order_given():
    plans = cat.plan([listing(3, free_qty=1), listing(1, free_qty=2)])
    assert [p.key for p in plans] == [3, 1]


# ---------------------------------------------------------------- batches


@pytest.mark.parametrize(
    ("count", "size", "sizes"),
    [(0, 10, []), (1, 10, [1]), (10, 10, [10]), (25, 10, [10, 10, 5]), (3, 1, [1] * 3)],
)
def test_batches(count, size, sizes):
    found = cat.batches(range(count), size)
    assert [len(batch) for batch in found] == sizes
    assert [x for batch in found for x in batch] == list(range(count))


@pytest.mark.parametrize("size", [0, -1, 1.5, True, None])
def test_batches_refuse_a_bad_size(size):
    with pytest.raises(ValueError):
        cat.batches([1], size)


@pytest.mark.parametrize(
    ("batch", "halves"),
    [
        ([1, 2], ([1], [2])),
        ([1, 2, 3], ([1, 2], [3])),
        (list(range(10)), ([0, 1, 2, 3, 4], [5, 6, 7, 8, 9])),
    ],
)
def test_split(batch, halves):
    assert cat.split(batch) == halves


# ---------------------------------------------------------------- send_all


class FakeCartona:
    """``send(items)`` of a Cartona that rejects a batch holding a bad product."""

    def __init__(self, bad=(), fail=None):
        self.bad = set(bad)
        self.fail = fail or {}  # request number -> error raised
        self.requests = []
        self.applied = {}

    def send(self, items):
        self.requests.append([item["internal_product_id"] for item in items])
        error = self.fail.get(len(self.requests))
        if error is not None:
            raise error
        bad = [
            i["internal_product_id"]
            for i in items
            if i["internal_product_id"] in self.bad
        ]
        if bad:
            raise errors.RejectedError(f"unknown product {bad[0]}", 422)
        for item in items:
            self.applied[item["internal_product_id"]] = cat.item_values(item)
        return []


def entries(count):
    return [
        (
            n,
            {
                "internal_product_id": f"P{n}",
                "available_stock_quantity": n,
                "in_stock": n > 0,
            },
        )
        for n in range(count)
    ]


def test_send_all_sends_batch_size_items_a_request():
    cartona = FakeCartona()
    result = cat.send_all(entries(25), 10, cartona.send)
    assert [len(r) for r in cartona.requests] == [10, 10, 5]
    assert result.requests == 3
    assert sorted(result.accepted) == list(range(25))
    assert result.accepted[3] == {"available_stock_quantity": 3, "in_stock": True}
    assert result.rejected == {} and result.pending == [] and result.error is None


def test_a_bad_item_is_isolated_and_the_others_pass():
    cartona = FakeCartona(bad={"P6"})
    result = cat.send_all(entries(10), 10, cartona.send)
    assert list(result.rejected) == [6]
    assert "unknown product P6" in str(result.rejected[6])
    assert sorted(result.accepted) == [n for n in range(10) if n != 6]
    assert set(cartona.applied) == {f"P{n}" for n in range(10) if n != 6}
    # 10 -> 5 + 5 -> 3 + 2 -> 2 + 1 -> 1 + 1: the bad one alone.
    assert cartona.requests == [
        ["P0", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9"],
        ["P0", "P1", "P2", "P3", "P4"],
        ["P5", "P6", "P7", "P8", "P9"],
        ["P5", "P6", "P7"],
        ["P5", "P6"],
        ["P5"],
        ["P6"],
        ["P7"],
        ["P8", "P9"],
    ]
    assert result.requests == len(cartona.requests)
    assert result.requests <= 1 + 2 * math.ceil(math.log2(10))


@pytest.mark.parametrize("size", [1, 2, 7, 10, 64, 100])
@pytest.mark.parametrize(
    "bad", [set(), {0}, {99}, {0, 99}, {5, 6, 7}, set(range(0, 100, 9))]
)
def test_every_bad_item_is_isolated_whatever_the_batch_size(size, bad):
    cartona = FakeCartona(bad={f"P{n}" for n in bad})
    result = cat.send_all(entries(100), size, cartona.send)
    assert set(result.rejected) == bad
    assert set(result.accepted) == set(range(100)) - bad
    assert result.pending == [] and result.error is None
    assert all(len(r) <= size for r in cartona.requests)
    per_bad = 2 * math.ceil(math.log2(size)) if size > 1 else 0
    assert result.requests <= math.ceil(100 / size) + len(bad) * per_bad


def test_a_transient_error_stops_the_run_and_keeps_the_rest_pending():
    cartona = FakeCartona(fail={2: errors.TransientError("503", 503, retry_after=7)})
    result = cat.send_all(entries(25), 10, cartona.send)
    assert sorted(result.accepted) == list(range(10))
    assert [key for key, _item in result.pending] == list(range(10, 25))
    assert isinstance(result.error, errors.TransientError)
    assert result.error.retry_after == 7
    assert result.requests == 2


@pytest.mark.parametrize(
    "error",
    [
        errors.AuthenticationError("401", 401),
        errors.ProtocolError("bad JSON", 200),
        errors.CartonaError("odd"),
    ],
)
def test_other_errors_stop_the_run_too(error):
    cartona = FakeCartona(fail={1: error})
    result = cat.send_all(entries(5), 10, cartona.send)
    assert result.accepted == {} and result.rejected == {}
    assert len(result.pending) == 5
    assert result.error is error


def test_a_transient_error_while_isolating_keeps_the_unsent_halves():
    cartona = FakeCartona(bad={"P1"}, fail={3: errors.TransientError("503", 503)})
    result = cat.send_all(entries(4), 4, cartona.send)
    # 1: [0..3] rejected; 2: [0, 1] rejected; 3: [0] transient -> stop.
    assert result.accepted == {} and result.rejected == {}
    assert [key for key, _ in result.pending] == [0, 1, 2, 3]


def test_max_requests_leaves_the_rest_pending_without_error():
    cartona = FakeCartona()
    result = cat.send_all(entries(50), 10, cartona.send, max_requests=2)
    assert sorted(result.accepted) == list(range(20))
    assert len(result.pending) == 30 and result.error is None


# ---------------------------------------------------------------- from Cartona


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("88001", "88001"),
        (88001, "88001"),
        (" 904#2 ", "904#2"),
        ("", None),
        ("   ", None),
        (None, None),
        (True, None),
        (1.5, None),
        ({"id": 1}, None),
        ("x" * 65, None),
        ("x" * 64, "x" * 64),
    ],
)
def test_clean_identifier(value, expected):
    assert cat.clean_identifier(value) == expected


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            {"id": 88001, "internal_product_id": "4812", "product_name": "Juice"},
            cat.SupplierProduct("88001", "4812", "Juice"),
        ),
        (
            {"supplier_product_id": "88002", "id": 1, "internal_product_id": None},
            cat.SupplierProduct("88002", None, None),
        ),
        (
            {"internal_product_id": "4813", "suppler_prodcut_name": " Tea "},
            cat.SupplierProduct(None, "4813", "Tea"),
        ),
        ({"product_name": "nameless"}, None),
        ({"id": True, "internal_product_id": ""}, None),
        ("88001", None),
        (None, None),
        ({"id": 7, "product_name": 42}, cat.SupplierProduct("7", None, None)),
    ],
)
def test_supplier_product(entry, expected):
    assert cat.supplier_product(entry) == expected
