"""CartonaClient's catalog verbs, against the sandbox over real HTTP."""

import json

import pytest
import requests

from cartona import errors
from cartona.client import CartonaClient
from sandbox import DEFAULT_TOKEN, SandboxServer

BULK = "supplier-product/bulk-update"
TIMEOUT = 0.3


def products(count):
    return [
        {"id": 1000 + n, "internal_product_id": f"P{n:03d}", "in_stock": True}
        for n in range(count)
    ]


class CannedSession:
    """Stands in for ``requests.Session``: replays ``(status, text)`` answers."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = []

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        status, text = self.answers.pop(0)
        response = requests.Response()
        response.status_code = status
        response._content = text.encode("utf-8")
        response._content_consumed = True  # read whole, as a stub
        return response

    def close(self):
        pass


def canned(*answers):
    session = CannedSession(answers)
    return CartonaClient(
        "https://cartona.test/api/v1/", "tok", session=session
    ), session


# GET supplier-product


def test_list_supplier_products_reads_one_page(sandbox, client):
    page = client.list_supplier_products(page=2, per_page=4)
    assert [p["internal_product_id"] for p in page] == ["DEMO-005", "DEMO-006"]
    assert sandbox.state.requests[-1]["query"] == {"page": "2", "per_page": "4"}


def test_iter_supplier_products_follows_every_page():
    with SandboxServer(products=products(25)) as sandbox:
        with CartonaClient(
            sandbox.base_url, DEFAULT_TOKEN, timeout=TIMEOUT, allow_local=True
        ) as client:
            pages = list(client.iter_supplier_products(per_page=10))
        assert [len(page) for page in pages] == [10, 10, 5]
        assert len(sandbox.state.requests) == 3


def test_iter_supplier_products_stops_at_an_empty_page():
    with SandboxServer(products=products(20)) as sandbox:
        with CartonaClient(
            sandbox.base_url, DEFAULT_TOKEN, timeout=TIMEOUT, allow_local=True
        ) as client:
            pages = list(client.iter_supplier_products(per_page=10))
        assert [len(page) for page in pages] == [10, 10]
        assert len(sandbox.state.requests) == 3


def test_iter_supplier_products_stops_when_pages_repeat():
    page = json.dumps(products(2))
    client, session = canned(*[(200, page)] * 5)
    assert len(list(client.iter_supplier_products(per_page=2))) == 1
    assert len(session.calls) == 2


def test_iter_supplier_products_respects_max_pages():
    pages = [(200, json.dumps([{"id": n}])) for n in range(10)]
    client, session = canned(*pages)
    assert len(list(client.iter_supplier_products(per_page=1, max_pages=3))) == 3
    assert len(session.calls) == 3


def test_a_catalog_that_is_not_a_list_is_a_protocol_error():
    client, _session = canned((200, '{"data": []}'))
    with pytest.raises(errors.ProtocolError):
        client.list_supplier_products()


# POST supplier-product/bulk-update


def test_update_products_sends_the_items_as_they_are(sandbox, client):
    items = [
        {
            "internal_product_id": "DEMO-001",
            "available_stock_quantity": 140,
            "in_stock": True,
            "selling_price": 355.0,
        },
        {
            "supplier_product_id": "88002",
            "available_stock_quantity": 0,
            "in_stock": False,
        },
    ]
    answer = client.update_products(items)
    assert [p["internal_product_id"] for p in answer] == ["DEMO-001", "DEMO-002"]
    request = sandbox.state.requests[-1]
    assert (request["method"], request["endpoint"]) == ("POST", BULK)
    assert request["body"] == items
    assert client.last_exchange.request_body == items
    assert client.last_exchange.status_code == 200


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (200, "[]"),
        (200, "{}"),
        (201, '{"updated": 2}'),
        (204, ""),
        (200, ""),
        (200, '"ok"'),
    ],
)
def test_any_success_is_a_success_whatever_its_json(status, text):
    client, _session = canned((status, text))
    answer = client.update_products([{"internal_product_id": "A"}])
    assert answer == (json.loads(text) if text else [])
    assert client.last_exchange.status_code == status


def test_a_rejected_batch_carries_cartonas_message(sandbox, client):
    with pytest.raises(errors.RejectedError) as caught:
        client.update_products([{"internal_product_id": "NOPE", "in_stock": False}])
    assert caught.value.status_code == 422
    assert "no such product on Cartona" in str(caught.value)


def test_transient_errors_carry_retry_after(sandbox, client):
    sandbox.state.add_fault("rate_limit", path=BULK, seconds=4)
    with pytest.raises(errors.TransientError) as caught:
        client.update_products([{"internal_product_id": "DEMO-001"}])
    assert caught.value.retry_after == 4


@pytest.mark.parametrize(
    "items",
    [
        [{"available_stock_quantity": 3}],
        [{"internal_product_id": "", "in_stock": True}],
        [{"base_product_id": "731", "unit": "box"}],
        {"internal_product_id": "A"},
        ["A"],
    ],
)
def test_an_item_naming_no_product_is_refused_before_any_request(items):
    client, session = canned()
    with pytest.raises(ValueError):
        client.update_products(items)
    assert session.calls == []
