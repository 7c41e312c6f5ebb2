import pytest

from cartona import payloads, statuses


def test_approved_item_is_minimal():
    assert payloads.build_status_item("Qm7TzR2a", "approved") == {
        "hashed_id": "Qm7TzR2a",
        "status": "approved",
    }


@pytest.mark.parametrize("method", sorted(statuses.OTP_PAYMENT_METHODS))
def test_delivered_needs_otp_for_otp_methods(method):
    with pytest.raises(ValueError, match="OTP"):
        payloads.build_status_item("X1", "delivered", payment_method=method)
    item = payloads.build_status_item(
        "X1", "delivered", payment_method=method, retailer_otp=" 482913 "
    )
    assert item["retailer_otp"] == "482913"


@pytest.mark.parametrize("method", ["standard", "cartona_credit"])
def test_otp_never_sent_when_not_required(method):
    item = payloads.build_status_item(
        "X1", "delivered", payment_method=method, retailer_otp="111111"
    )
    assert "retailer_otp" not in item


def test_cancellation_carries_reason_with_default():
    item = payloads.build_status_item("X1", "cancelled_by_supplier")
    assert item["cancellation_reason"] == "supplier_asked_me_to_cancel"
    item = payloads.build_status_item(
        "X1", "cancelled_by_supplier", cancellation_reason="out_of_stock"
    )
    assert item["cancellation_reason"] == "out_of_stock"
    with pytest.raises(ValueError, match="cancellation reason"):
        payloads.build_status_item(
            "X1", "cancelled_by_supplier", cancellation_reason="because"
        )


def test_reason_not_sent_on_other_statuses():
    item = payloads.build_status_item(
        "X1", "approved", cancellation_reason="out_of_stock"
    )
    assert "cancellation_reason" not in item


@pytest.mark.parametrize(
    "status", ["returned", "editing", "cancelled_by_retailer", "x"]
)
def test_statuses_the_supplier_may_not_send(status):
    with pytest.raises(ValueError, match="may send"):
        payloads.build_status_item("X1", status)


@pytest.mark.parametrize("hashed_id", ["", None, 12])
def test_missing_hashed_id(hashed_id):
    with pytest.raises(ValueError, match="hashed_id"):
        payloads.build_status_item(hashed_id, "approved")


def test_dates_are_checked():
    item = payloads.build_status_item("X1", "approved", delivery_day="2025-03-05")
    assert item["delivery_day"] == "2025-03-05"
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        payloads.build_status_item("X1", "approved", delivery_day="05/03/2025")


def test_redacted_masks_otp_everywhere():
    body = [{"hashed_id": "A", "retailer_otp": "482913"}, {"hashed_id": "B"}]
    assert payloads.redacted(body) == [
        {"hashed_id": "A", "retailer_otp": "***"},
        {"hashed_id": "B"},
    ]
    assert body[0]["retailer_otp"] == "482913"


# Secret keys and bounded log excerpts


def test_secret_keys_cover_both_otps_and_credentials():
    assert {"retailer_otp", "pickup_otp"} <= payloads.SECRET_KEYS
    body = {"pickup_otp": "771203", "AuthorizationToken": "tok", "pickup_date": "x"}
    assert payloads.redacted(body) == {
        "pickup_otp": "***",
        "AuthorizationToken": "***",
        "pickup_date": "x",
    }


def test_log_excerpt_masks_secret_keys_at_any_depth():
    order = {
        "hashed_id": "Qm7TzR2a",
        "pickup_otp": "771203",
        "lines": [{"retailer_otp": 482913, "comment": "ok"}],
    }
    text = payloads.log_excerpt(order)
    assert "771203" not in text and "482913" not in text
    assert text.count('"***"') == 2
    assert '"hashed_id": "Qm7TzR2a"' in text
    assert order["pickup_otp"] == "771203", "the value itself is left alone"


def test_log_excerpt_masks_secret_keys_in_text_json_or_not():
    text = payloads.log_excerpt(
        '[{"hashed_id": "A", "pickup_otp" : "771203"}, {"Retailer_OTP": 1234}]'
    )
    assert "771203" not in text and "1234" not in text
    assert '"hashed_id": "A"' in text
    nested = '{"error": "bad otp", "details": {"retailer_otp": "482913"}}'
    assert payloads.log_excerpt(nested) == nested.replace("482913", "***")
    # Cut JSON, form bodies and query strings too.
    assert "999" not in payloads.log_excerpt('{"pickup_otp": "999", "x": [')
    assert "555" not in payloads.log_excerpt("status=ok&retailer_otp=555&page=1")
    # Empty values stay visible: they tell an OTP was missing.
    assert payloads.log_excerpt({"retailer_otp": None}) == '{"retailer_otp": null}'


def test_log_excerpt_redacts_given_secrets_before_cutting():
    token = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.Zm9v"
    text = payloads.log_excerpt("x" * 10 + token + "y" * 100, limit=20, secrets=[token])
    assert token[:8] not in text
    assert text.startswith("x" * 10 + "***")


def test_log_excerpt_is_bounded_and_says_what_was_cut():
    text = payloads.log_excerpt("a" * 1_000_000, limit=100)
    assert text.startswith("a" * 100)
    assert text.endswith("... [999900 more characters]")
    assert len(text) < 140
    assert payloads.log_excerpt("short", limit=100) == "short"


def test_log_excerpt_bounds_work_on_huge_structures():
    text = payloads.log_excerpt([{"n": n} for n in range(1_000_000)], limit=200)
    assert len(text) < 260
    assert "more characters" in text


def test_log_excerpt_makes_text_storable():
    text = payloads.log_excerpt({"retailer_name": "Nour\ud800 \x00Grocery"})
    text.encode("utf-8")  # no lone surrogate left
    assert "\x00" not in text
    assert "Nour\ufffd " in text
    assert payloads.log_excerpt("a\x00b\udfff") == "a\ufffdb\ufffd"
    assert payloads.log_excerpt(b"caf\xe9 \xff") == "caf\ufffd \ufffd"


def _nested(levels):
    value = 1
    for _level in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    "value",
    [
        10**5000,
        float("nan"),
        {("a", 1): {1, 2}},
        _nested(60),
        object(),
    ],
    ids=["huge-int", "nan", "odd-keys", "nested", "object"],
)
def test_log_excerpt_never_fails(value):
    text = payloads.log_excerpt(value, limit=300)
    assert isinstance(text, str) and len(text) < 340
    text.encode("utf-8")


def test_log_excerpt_of_deep_nesting_is_bounded():
    deep = current = []
    for _level in range(100_000):
        current.append([])
        current = current[0]
    text = payloads.log_excerpt(deep, limit=500)
    assert "nested" in text and len(text) < 540


def test_log_excerpt_of_nothing():
    assert payloads.log_excerpt(None) is None
    assert payloads.log_excerpt("") == ""
