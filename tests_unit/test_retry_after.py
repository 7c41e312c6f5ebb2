"""Retry-After is honoured up to an hour; anything else is the normal backoff."""

import pytest

from cartona import errors

NOW = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, 7.0),
        (0.5, 0.5),
        (3600, 3600.0),
        (3600.5, None),
        (1000000000, None),
        (1e12, None),
        (float("inf"), None),
        (float("nan"), None),
        (0, None),
        (-3, None),
        (None, None),
        ("120", None),  # text is parsed first, never trusted as it is
        (True, None),
    ],
)
def test_bounded_retry_after(value, expected):
    assert errors.bounded_retry_after(value) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        ("3600", 3600.0),
        ("3601", None),
        ("1000000000", None),
        ("1e12", None),
        ("-3", None),
        ("junk", None),
        ("Wed, 21 Oct 2015 07:27:00 GMT", None),  # in the past
        ("Wed, 21 Oct 2015 07:29:00 GMT", 60.0),
        ("Wed, 21 Oct 2099 07:29:00 GMT", None),  # absurdly far
    ],
)
def test_a_header_is_parsed_then_bounded(header, expected):
    parsed = errors.parse_retry_after(header, now=NOW)
    assert errors.bounded_retry_after(parsed) == expected


@pytest.mark.parametrize("retry_after", [1e12, 1000000000, -5, float("nan")])
def test_a_transient_error_never_carries_an_absurd_wait(retry_after):
    assert (
        errors.TransientError("429", 429, retry_after=retry_after).retry_after is None
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [("1e12", None), ("1000000000", None), ("-1", None), ("17", 17.0)],
)
def test_the_client_bounds_cartonas_retry_after(sandbox, client, header, expected):
    sandbox.state.add_fault("rate_limit", retry_after=header)
    with pytest.raises(errors.TransientError) as caught:
        client.pull_orders()
    assert caught.value.retry_after == expected
    assert "retry after" not in str(caught.value) or expected is not None
