"""The inbound core: checking and normalising pull-orders entries."""

import copy
import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from cartona import inbound
from cartona import statuses as st
from sandbox import demo_orders


def _order(**changes):
    """A valid pull-orders entry (cartona-api.md section 3.1), with ``changes``."""
    order = {
        "hashed_id": "Qm7TzR2a",
        "supplier_code": "2",
        "status": "pending",
        "delivered_by": "delivered_by_supplier",
        "edited_by_admin": False,
        "delivery_day": None,
        "estimated_delivery_day": "2025-03-04",
        "retailer_preferred_delivery_date": "2025-03-04",
        "pickup_date": None,
        "pickup_otp": None,
        "cancellation_reason": "",
        "return_reason": None,
        "total_price": 1450,
        "applied_supplier_rebate": 0.0,
        "cartona_credit": 0,
        "installment_cost": 0,
        "wallet_top_up": 0,
        "distribution_route_code": "004#112",
        "note_message": None,
        "retailer": {
            "retailer_name": "Nour Grocery",
            "retailer_code": "B00917",
            "retailer_number": "+20100000001",
            "retailer_number2": "",
            "retailer_address": "12 Example St, Giza",
            "address_notes": "next to the pharmacy",
        },
        "order_details": [
            {
                "id": 5550101,
                "internal_product_id": "4812",
                "product_name": "Sample juice 235 ml -- box",
                "amount": 3,
                "selling_price": 350,
                "comment": None,
            },
            {
                "id": 5550102,
                "internal_product_id": "904#2",
                "product_name": "Sample tea 100 bags",
                "amount": 2,
                "selling_price": 200,
                "comment": "no substitutes",
            },
        ],
    }
    order.update(changes)
    return order


def _with_line(index, **changes):
    order = _order()
    order["order_details"][index].update(changes)
    return order


def _reasons(payload):
    with pytest.raises(inbound.InvalidOrder) as info:
        inbound.normalize_order(payload)
    return info.value.reasons


def test_a_valid_order_is_normalised():
    order = inbound.normalize_order(_order())
    assert order.hashed_id == "Qm7TzR2a"
    assert order.status == "pending" and order.status_known
    assert order.delivered_by == st.DELIVERED_BY_SUPPLIER
    assert order.payment_method == st.PAYMENT_STANDARD
    assert order.supplier_code == "2"
    assert order.estimated_delivery_day == datetime.date(2025, 3, 4)
    assert order.delivery_day is None and order.pickup_date is None
    assert order.cancellation_reason is None, "an empty string is no reason"
    assert order.distribution_route_code == "004#112"
    assert order.retailer == inbound.Retailer(
        name="Nour Grocery",
        code="B00917",
        phone="+20100000001",
        phone2=None,
        address="12 Example St, Giza",
        address_notes="next to the pharmacy",
    )
    first, second = order.lines
    assert (first.position, first.line_id, first.internal_product_id) == (
        1,
        5550101,
        "4812",
    )
    assert (second.amount, second.selling_price, second.comment) == (
        2,
        200,
        "no substitutes",
    )
    assert second.internal_product_id == "904#2"
    assert second.label == "line 2 (id 5550102)"
    assert order.total_price == 1450
    assert order.warnings == ()
    assert order.fingerprint == inbound.payload_fingerprint(_order())
    assert order.product_ids == ("4812", "904#2")


def test_the_demo_feed_is_valid():
    for payload in demo_orders():
        assert inbound.normalize_order(payload).hashed_id == payload["hashed_id"]


@pytest.mark.parametrize(
    "amounts, method",
    [
        ({}, st.PAYMENT_STANDARD),
        ({"installment_cost": 900}, st.PAYMENT_INSTALLMENT),
        ({"wallet_top_up": 50}, st.PAYMENT_WALLET_TOP_UP),
        ({"cartona_credit": 100}, st.PAYMENT_CARTONA_CREDIT),
        ({"cartona_credit": 100, "wallet_top_up": 5.5}, st.PAYMENT_WALLET_TOP_UP),
        ({"cartona_credit": None, "installment_cost": None}, st.PAYMENT_STANDARD),
    ],
)
def test_payment_method_comes_from_the_amounts(amounts, method):
    assert inbound.normalize_order(_order(**amounts)).payment_method == method


@pytest.mark.parametrize(
    "value, warning",
    [
        ("delivered_by_cartona", None),
        ("delivered_by_supplier", None),
        (None, "missing delivered_by"),
        ("by_drone", "unknown delivered_by 'by_drone'"),
        (3, "unknown delivered_by '3'"),
    ],
)
def test_delivered_by_falls_back_with_a_warning(value, warning):
    order = inbound.normalize_order(_order(delivered_by=value))
    if warning is None:
        assert order.delivered_by == value and order.warnings == ()
    else:
        assert order.delivered_by == st.DELIVERED_BY_SUPPLIER
        assert len(order.warnings) == 1 and warning in order.warnings[0]


def test_missing_delivered_by_key_is_a_warning():
    payload = _order()
    del payload["delivered_by"]
    order = inbound.normalize_order(payload)
    assert order.delivered_by == st.DELIVERED_BY_SUPPLIER
    assert order.warnings


def test_unknown_status_is_kept_and_flagged():
    order = inbound.normalize_order(_order(status="on_hold"))
    assert order.status == "on_hold" and not order.status_known
    assert order.warnings == ("unknown Cartona status 'on_hold', kept as is",)
    assert inbound.stored_status("on_hold") is None


def test_plain_cancelled_is_a_known_cancellation():
    order = inbound.normalize_order(_order(status="cancelled"))
    assert order.status_known and order.is_cancellation and not order.warnings


def test_total_mismatch_is_a_warning_and_a_missing_total_is_computed():
    assert "differs" in inbound.normalize_order(_order(total_price=10)).warnings[0]
    payload = _order()
    del payload["total_price"]
    assert inbound.normalize_order(payload).total_price == 1450


def test_codes_and_phones_may_be_integers():
    payload = _order(supplier_code=2, pickup_otp=482913)
    payload["retailer"]["retailer_code"] = 917
    payload["retailer"]["retailer_number"] = 20100000001
    order = inbound.normalize_order(payload)
    assert (order.supplier_code, order.pickup_otp) == ("2", "482913")
    assert (order.retailer.code, order.retailer.phone) == ("917", "20100000001")


def test_line_ids_may_be_digits_or_integral_floats():
    order = inbound.normalize_order(_with_line(0, id="5550101"))
    assert order.lines[0].line_id == 5550101
    order = inbound.normalize_order(_with_line(0, id=5550101.0))
    assert order.lines[0].line_id == 5550101


def test_duplicate_products_are_legitimate():
    payload = _with_line(1, internal_product_id="4812")
    assert inbound.normalize_order(payload).product_ids == ("4812",)


def test_strings_are_stripped():
    payload = _order(hashed_id="  Qm7TzR2a ")
    payload["retailer"]["retailer_name"] = " Nour "
    order = inbound.normalize_order(payload)
    assert (order.hashed_id, order.retailer.name) == ("Qm7TzR2a", "Nour")


@pytest.mark.parametrize(
    "payload, reason",
    [
        ("not an order", 'the order must be a JSON object, got "not an order"'),
        ([_order()], "the order must be a JSON object, got [{"),
        (_order(hashed_id=None), "hashed_id must be a non-empty string, got null"),
        (_order(hashed_id=""), 'hashed_id must be a non-empty string, got ""'),
        (_order(hashed_id="   "), 'hashed_id must be a non-empty string, got "   "'),
        (_order(hashed_id=42), "hashed_id must be a string, got 42"),
        (_order(status=None), "status must be a non-empty string, got null"),
        (_order(status=["pending"]), 'status must be a string, got ["pending"]'),
        (_order(retailer=None), "retailer is missing"),
        (_order(retailer="Nour"), 'retailer must be an object, got "Nour"'),
        (_order(retailer={}), "retailer.retailer_name is missing"),
        (
            _order(retailer={"retailer_name": 5}),
            "retailer.retailer_name must be a string, got 5",
        ),
        (_order(order_details=None), "order_details is missing"),
        (_order(order_details=[]), "order_details is empty: an order needs lines"),
        (_order(order_details={}), "order_details must be a list, got {}"),
        (_order(order_details=[7]), "line 1: must be an object, got 7"),
        (_order(total_price="1450"), 'total_price must be a number, got "1450"'),
        (_order(total_price=-1), "total_price must be >= 0, got -1"),
        (_order(cartona_credit=True), "cartona_credit must be a number, got true"),
        (_order(wallet_top_up=-5), "wallet_top_up must be >= 0, got -5"),
        (
            _order(installment_cost=float("nan")),
            "installment_cost must be a finite number, got NaN",
        ),
        (_order(total_price=1e13), "total_price must be at most 1e+12, got 1000"),
        (
            _order(pickup_date="04/03/2025"),
            'pickup_date must be a YYYY-MM-DD date or null, got "04/03/2025"',
        ),
        (
            _order(delivery_day="2025-02-30"),
            'delivery_day must be a YYYY-MM-DD date or null, got "2025-02-30"',
        ),
        (_order(note_message=12), "note_message must be a string, got 12"),
        (
            _order(edited_by_admin="no"),
            'edited_by_admin must be true or false, got "no"',
        ),
        (
            _order(note_message="a\x00b"),
            "note_message contains a NUL character",
        ),
        (_with_line(1, amount=0), "line 2 (id 5550102): amount must be > 0, got 0"),
        (_with_line(1, amount=-2), "line 2 (id 5550102): amount must be > 0, got -2"),
        (
            _with_line(1, amount="2"),
            'line 2 (id 5550102): amount must be a number, got "2"',
        ),
        (_with_line(0, amount=None), "line 1 (id 5550101): amount is missing"),
        (
            _with_line(0, selling_price=-1),
            "line 1 (id 5550101): selling_price must be >= 0, got -1",
        ),
        (
            _with_line(0, internal_product_id=""),
            "line 1 (id 5550101): internal_product_id must be a non-empty string, "
            'got ""',
        ),
        (
            _with_line(0, internal_product_id=4812),
            "line 1 (id 5550101): internal_product_id must be a string, got 4812",
        ),
        (
            _with_line(0, comment=["x"]),
            'line 1 (id 5550101): comment must be a string, got ["x"]',
        ),
        (_with_line(0, id=None), "line 1: id must be a positive integer, got null"),
        (_with_line(0, id="A1"), 'line 1: id must be a positive integer, got "A1"'),
        (_with_line(0, id=True), "line 1: id must be a positive integer, got true"),
        (_with_line(0, id=0), "line 1: id must be a positive integer, got 0"),
        (_with_line(1, id=5550101), "line 2 (id 5550101): the same id as line 1"),
    ],
)
def test_invalid_payloads_give_a_precise_reason(payload, reason):
    reasons = _reasons(payload)
    assert any(r.startswith(reason) for r in reasons), reasons


def test_a_missing_line_id_is_reported():
    payload = _order()
    del payload["order_details"][0]["id"]
    assert "line 1: id must be a positive integer, got nothing" in _reasons(payload)


def test_every_problem_is_reported_at_once():
    payload = _with_line(1, amount=0, selling_price="x")
    payload["hashed_id"] = "Qm7TzR2a"
    payload["retailer"] = {}
    payload["pickup_date"] = "soon"
    with pytest.raises(inbound.InvalidOrder) as info:
        inbound.normalize_order(payload)
    assert info.value.hashed_id == "Qm7TzR2a"
    assert info.value.reasons == [
        "retailer.retailer_name is missing",
        "line 2 (id 5550102): amount must be > 0, got 0",
        'line 2 (id 5550102): selling_price must be a number, got "x"',
        'pickup_date must be a YYYY-MM-DD date or null, got "soon"',
    ]
    assert str(info.value) == "\n".join(info.value.reasons)


def test_the_fingerprint_ignores_key_order_and_sees_every_change():
    payload = _order()
    reordered = dict(reversed(list(copy.deepcopy(payload).items())))
    assert inbound.payload_fingerprint(payload) == inbound.payload_fingerprint(
        reordered
    )
    edited = _with_line(0, amount=4)
    assert inbound.payload_fingerprint(edited) != inbound.payload_fingerprint(payload)
    assert len(inbound.payload_fingerprint(payload)) == 64
    # Stable across processes: no hash randomisation involved.
    assert (
        inbound.payload_fingerprint({"a": 1})
        == "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"
    )


def test_hashed_id_of():
    assert inbound.hashed_id_of(_order()) == "Qm7TzR2a"
    assert inbound.hashed_id_of({"hashed_id": 5}) is None
    assert inbound.hashed_id_of(["x"]) is None


@pytest.mark.parametrize(
    "status, delivered_by, steps",
    [
        ("cancelled_by_retailer", st.DELIVERED_BY_SUPPLIER, ("cancel",)),
        ("cancelled_by_supplier", st.DELIVERED_BY_CARTONA, ("cancel",)),
        ("cancelled", st.DELIVERED_BY_SUPPLIER, ("cancel",)),
        ("approved", st.DELIVERED_BY_SUPPLIER, ("confirm",)),
        ("approved", st.DELIVERED_BY_CARTONA, ("confirm",)),
        ("pending", st.DELIVERED_BY_SUPPLIER, ()),
        ("editing", st.DELIVERED_BY_CARTONA, ()),
        ("assigned_to_salesman", st.DELIVERED_BY_CARTONA, ("confirm",)),
        ("delivered", st.DELIVERED_BY_CARTONA, ("confirm", "validate_delivery")),
        ("returned", st.DELIVERED_BY_CARTONA, ("return",)),
        ("assigned_to_salesman", st.DELIVERED_BY_SUPPLIER, ("not_driven",)),
        ("delivered", st.DELIVERED_BY_SUPPLIER, ("not_driven",)),
        ("returned", st.DELIVERED_BY_SUPPLIER, ("return",)),
        ("on_hold", st.DELIVERED_BY_SUPPLIER, ("unknown",)),
    ],
)
def test_status_steps(status, delivered_by, steps):
    assert inbound.status_steps(status, delivered_by) == steps


def test_stored_status():
    assert inbound.stored_status("approved") == "approved"
    assert inbound.stored_status("cancelled") is None


# Property: nothing but InvalidOrder ever escapes, whatever the feed sends.

_scalars = (
    hs.none()
    | hs.booleans()
    | hs.integers()
    | hs.floats(allow_nan=True, allow_infinity=True)
    | hs.text(max_size=12)
    | hs.sampled_from(["", " ", "pending", "2025-03-04", "904#2", "\x00", "\ud800"])
)
_json = hs.recursive(
    _scalars,
    lambda children: hs.lists(children, max_size=4)
    | hs.dictionaries(hs.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
_line_strategy = hs.fixed_dictionaries(
    {},
    optional={
        "id": _json,
        "internal_product_id": _json,
        "amount": _json,
        "selling_price": _json,
        "comment": _json,
        "product_name": _json,
    },
)
_order_strategy = hs.fixed_dictionaries(
    {},
    optional={
        "hashed_id": _json,
        "status": _json,
        "delivered_by": _json,
        "retailer": hs.fixed_dictionaries(
            {}, optional={"retailer_name": _json, "retailer_code": _json}
        )
        | _json,
        "order_details": hs.lists(_line_strategy | _json, max_size=3) | _json,
        "total_price": _json,
        "cartona_credit": _json,
        "installment_cost": _json,
        "wallet_top_up": _json,
        "pickup_date": _json,
        "pickup_otp": _json,
        "note_message": _json,
        "supplier_code": _json,
        "edited_by_admin": _json,
    },
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hs.one_of(_json, _order_strategy))
def test_arbitrary_input_only_ever_raises_invalid_order(payload):
    try:
        order = inbound.normalize_order(payload)
    except inbound.InvalidOrder as exc:
        assert exc.reasons and all(isinstance(r, str) for r in exc.reasons)
        for reason in exc.reasons:  # storable, whatever the entry held
            reason.encode("utf-8")
            assert "\x00" not in reason
    else:
        assert isinstance(order, inbound.InboundOrder)
        assert order.lines and all(line.amount > 0 for line in order.lines)
    assert len(inbound.payload_fingerprint(payload)) == 64


@settings(max_examples=200, deadline=None)
@given(
    hs.lists(
        hs.tuples(
            hs.integers(1, 10**9),
            hs.text(
                hs.characters(blacklist_categories=("Cc", "Cs")),
                min_size=1,
                max_size=10,
            ).filter(str.strip),
            hs.integers(1, 1000) | hs.integers(1, 10**6).map(float),
            hs.integers(0, 10**6) | hs.floats(0, 1e6),
        ),
        min_size=1,
        max_size=5,
        unique_by=lambda t: t[0],
    )
)
def test_well_formed_lines_always_pass(lines):
    payload = _order(
        order_details=[
            {"id": i, "internal_product_id": p, "amount": a, "selling_price": s}
            for i, p, a, s in lines
        ],
        total_price=None,
    )
    order = inbound.normalize_order(payload)
    assert [line.line_id for line in order.lines] == [t[0] for t in lines]


@pytest.mark.parametrize(
    ("stored", "pulled", "expected"),
    [
        ("approved", "approved", "approved"),
        ("approved", "editing", "approved"),
        ("approved", "cancelled_by_retailer", "cancelled_by_retailer"),
        ("pending", "cancelled", "cancelled_by_retailer"),
        ("approved", "cancelled_by_cartona", "cancelled_by_retailer"),
        ("approved", "cancelled_by_supplier", "cancelled_by_supplier"),
        ("delivered", "cancelled", "delivered"),
        ("pending", None, "pending"),
    ],
)
def test_planned_status_takes_a_pulled_cancellation_as_final(stored, pulled, expected):
    assert inbound.planned_status(stored, pulled) == expected


def test_a_checked_order_travels_as_json_and_comes_back_equal():
    import json

    data = inbound.normalize_order(demo_orders(product_ids=["11", "12"])[2])
    travelled = json.loads(json.dumps(data.to_job()))
    assert inbound.InboundOrder.from_job(travelled) == data
    assert inbound.from_job_or_payload(travelled) == data


def test_a_raw_payload_job_argument_is_checked_then():
    payload = demo_orders(product_ids=["11"])[0]
    assert inbound.from_job_or_payload(payload) == inbound.normalize_order(payload)
    with pytest.raises(inbound.InvalidOrder):
        inbound.from_job_or_payload({"hashed_id": "X"})


def test_diff_lines_by_cartona_id():
    diff = inbound.diff_lines(
        {1: ("a", 3), 2: ("b", 1), 3: ("c", 1)}, {1: ("a", 3), 2: ("b", 2), 4: ("d", 1)}
    )
    assert (diff.added, diff.changed, diff.removed) == ((4,), (2,), (3,))
    assert not inbound.diff_lines({1: "x"}, {1: "x"})


# Bounds: what Cartona can send, and nothing the database cannot store.

LONG_ID = "Q" * 3000
NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    "payload, reason",
    [
        (_order(hashed_id=LONG_ID), "hashed_id is longer than 64 characters"),
        (_order(hashed_id="Q" * 65), "hashed_id is longer than 64 characters"),
        (
            _order(hashed_id="Qm7T zR2a"),
            "hashed_id must be letters, digits, '.', '_', '~' or '-'",
        ),
        (
            _order(hashed_id="Qm7T/../x"),
            "hashed_id must be letters, digits, '.', '_', '~' or '-'",
        ),
        (_order(supplier_code="2" * 65), "supplier_code is longer than 64 characters"),
        (_order(pickup_otp="9" * 65), "pickup_otp is longer than 64 characters"),
        (
            _order(pickup_otp="48\n2913"),
            "pickup_otp contains a control character or a line break",
        ),
        (
            _order(distribution_route_code="004#" * 20),
            "distribution_route_code is longer than 64 characters",
        ),
        (
            _order(note_message="n" * 1001),
            "note_message is longer than 1000 characters",
        ),
        (
            _order(cancellation_reason="r" * 1001),
            "cancellation_reason is longer than 1000 characters",
        ),
        (
            _order(return_reason="r" * 1001),
            "return_reason is longer than 1000 characters",
        ),
        (
            _with_line(0, internal_product_id="4" * 65),
            "line 1 (id 5550101): internal_product_id is longer than 64 characters",
        ),
        (
            _with_line(0, internal_product_id="48\t12"),
            "line 1 (id 5550101): internal_product_id contains a control character",
        ),
        (
            _with_line(0, supplier_product_id="8" * 65),
            "line 1 (id 5550101): supplier_product_id is longer than 64 characters",
        ),
        (
            _with_line(0, supplier_product_id=[88001]),
            "line 1 (id 5550101): supplier_product_id must be a string",
        ),
        (
            _with_line(0, comment="c" * 1001),
            "line 1 (id 5550101): comment is longer than 1000 characters",
        ),
        (
            _with_line(0, product_name="p" * 1001),
            "line 1 (id 5550101): product_name is longer than 1000 characters",
        ),
        (_with_line(0, id=10**18), "line 1: id must be a positive integer"),
        (_with_line(0, id="1" * 19), "line 1: id must be a positive integer"),
    ],
)
def test_identifiers_and_texts_are_bounded(payload, reason):
    reasons = _reasons(payload)
    assert any(r.startswith(reason) for r in reasons), reasons


@pytest.mark.parametrize(
    "key, value, reason",
    [
        ("retailer_name", "n" * 1001, "retailer.retailer_name is longer than 1000"),
        ("retailer_address", "a" * 1001, "retailer.retailer_address is longer than"),
        ("address_notes", "a" * 1001, "retailer.address_notes is longer than 1000"),
        ("retailer_code", "B" * 65, "retailer.retailer_code is longer than 64"),
        ("retailer_number", "+20" * 11, "retailer.retailer_number is longer than 32"),
        (
            "retailer_number",
            "+20100000001<script>",
            "retailer.retailer_number must be a phone number",
        ),
        ("retailer_number2", "1" * 33, "retailer.retailer_number2 is longer than 32"),
    ],
    ids=lambda value: value if len(str(value)) < 30 else f"{len(value)} characters",
)
def test_retailer_fields_are_bounded(key, value, reason):
    payload = _order()
    payload["retailer"][key] = value
    reasons = _reasons(payload)
    assert any(r.startswith(reason) for r in reasons), reasons


def test_limits_are_inclusive():
    payload = _order(
        hashed_id="Q" * 64, note_message="n" * 1000, distribution_route_code="#" * 64
    )
    payload["retailer"].update(
        retailer_name="N" * 1000, retailer_number="+20 (0) 100-000.0001"
    )
    payload["order_details"][0].update(
        internal_product_id="4" * 64, comment="c" * 1000, supplier_product_id=88001
    )
    order = inbound.normalize_order(payload)
    assert order.hashed_id == "Q" * 64
    assert order.retailer.phone == "+20 (0) 100-000.0001"
    assert order.lines[0].supplier_product_id == "88001"


def test_arabic_indic_digits_make_a_phone_number():
    payload = _order()
    payload["retailer"]["retailer_number"] = "+٢٠١٠٠٠٠٠٠٠١"
    assert inbound.normalize_order(payload).retailer.phone == "+٢٠١٠٠٠٠٠٠٠١"


@pytest.mark.parametrize(
    "value, reason",
    [
        (1e-9, "amount must be a whole number, got 1e-09"),
        (2.5, "amount must be a whole number, got 2.5"),
        (-0.5, "amount must be a whole number, got -0.5"),
        (0, "amount must be > 0, got 0"),
        (0.0, "amount must be > 0, got 0"),
    ],
)
def test_amounts_are_whole_numbers(value, reason):
    reasons = _reasons(_with_line(0, amount=value))
    assert f"line 1 (id 5550101): {reason}" in reasons


def test_whole_floats_are_integers():
    order = inbound.normalize_order(_with_line(0, amount=6.0))
    assert order.lines[0].amount == 6 and isinstance(order.lines[0].amount, int)


def test_lines_per_order_are_capped():
    line = _order()["order_details"][0]
    lines = [dict(line, id=n) for n in range(1, inbound.MAX_LINES + 2)]
    assert inbound.MAX_LINES == 1000
    reasons = _reasons(_order(order_details=lines, total_price=None))
    assert reasons == ["order_details has 1001 lines; at most 1000 are accepted"]
    order = inbound.normalize_order(_order(order_details=lines[:-1], total_price=None))
    assert len(order.lines) == 1000


def test_reasons_are_capped():
    line = _order()["order_details"][0]
    lines = [dict(line, id=n, amount=0) for n in range(1, 1001)]
    reasons = _reasons(_order(order_details=lines, total_price=None))
    assert len(reasons) == inbound.MAX_REASONS + 1
    assert reasons[-1] == "... and 950 more problems"


@pytest.mark.parametrize(
    "where, reason",
    [
        ("retailer_name", "retailer.retailer_name contains a lone UTF-16 surrogate"),
        ("address_notes", "retailer.address_notes contains a lone UTF-16 surrogate"),
        ("nickname", "retailer.nickname contains a lone UTF-16 surrogate"),
    ],
)
def test_lone_surrogates_in_the_retailer_are_refused(where, reason):
    payload = _order()
    payload["retailer"][where] = "Nour \udcff Grocery"
    reasons = _reasons(payload)
    assert any(r.startswith(reason) for r in reasons), reasons


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"receipt_id": "R\ud800"}, "receipt_id contains a lone UTF-16 surrogate"),
        (
            {"extra": {"deep": ["ok", "a\x00b"]}},
            "extra.deep[1] contains a NUL character",
        ),
        ({"k\ud800": 1}, 'the key "k\\ud800" contains a lone UTF-16 surrogate'),
        (
            {"applied_supplier_rebate": float("nan")},
            "applied_supplier_rebate is not a finite number",
        ),
        (
            {"applied_supplier_rebate": float("inf")},
            "applied_supplier_rebate is not a finite number",
        ),
        ({"created_at": 10**40}, "created_at is a number too large to store"),
        ({"blob": "x" * 10_001}, "blob is longer than 10000 characters"),
    ],
)
def test_unread_fields_must_be_storable_too(changes, reason):
    reasons = _reasons(_order(**changes))
    assert any(r.startswith(reason) for r in reasons), reasons


def test_unread_line_fields_are_checked_with_the_line_label():
    payload = _with_line(1, unit="box\ud800", extra={"x": float("-inf")})
    reasons = _reasons(payload)
    assert "line 2 (id 5550102): unit contains a lone UTF-16 surrogate" in reasons[0]
    assert any(
        r.startswith("line 2 (id 5550102): extra.x is not a finite number")
        for r in reasons
    ), reasons


def test_deep_nesting_is_refused_without_recursion_trouble():
    deep = value = {}
    for _level in range(50_000):
        value["x"] = {}
        value = value["x"]
    reasons = _reasons(_order(extra=deep))
    assert any("nested more than 16 levels deep" in r for r in reasons), reasons


def test_too_many_values_are_refused():
    reasons = _reasons(_order(extra=list(range(200_000))))
    assert any("more than 100000 values" in r for r in reasons), reasons


def test_a_refused_order_with_a_huge_id_has_no_hashed_id():
    with pytest.raises(inbound.InvalidOrder) as info:
        inbound.normalize_order(_order(hashed_id=LONG_ID))
    assert info.value.hashed_id is None
    assert inbound.hashed_id_of(_order(hashed_id=LONG_ID)) is None
    assert inbound.hashed_id_of(_order(hashed_id="a b")) is None
    assert all(len(reason) < 300 for reason in info.value.reasons)
