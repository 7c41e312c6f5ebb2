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
