"""The sandbox's catalog over raw HTTP: GET supplier-product and bulk-update."""

import pytest
import requests

from sandbox import SandboxServer, demo_products
from tests_unit.test_sandbox import api, control

BULK = "supplier-product/bulk-update"


def product(sandbox, internal_id):
    return sandbox.state.catalog_product(internal_product_id=internal_id)


def bulk(sandbox, items, **kw):
    return api(sandbox, "POST", BULK, items, **kw)


# Listing


def test_supplier_product_pages_the_catalog(sandbox):
    first = api(sandbox, "GET", "supplier-product", params={"page": 1, "per_page": 4})
    second = api(sandbox, "GET", "supplier-product", params={"page": 2, "per_page": 4})
    third = api(sandbox, "GET", "supplier-product", params={"page": 3, "per_page": 4})
    assert [len(r.json()) for r in (first, second, third)] == [4, 2, 0]
    ids = [p["id"] for r in (first, second) for p in r.json()]
    assert ids == [p["id"] for p in demo_products()]
    entry = first.json()[0]
    assert entry["internal_product_id"] == "DEMO-001"
    assert entry["supplier_product_id"] == str(entry["id"])


def test_control_api_adds_and_replaces_products(sandbox):
    added = control(
        sandbox,
        "POST",
        "products",
        [
            {"id": 1, "internal_product_id": "X1"},
            {"id": 2, "internal_product_id": "X2"},
        ],
    )
    assert added.status_code == 201
    assert added.json()[0]["supplier_product_id"] == "1"
    control(sandbox, "POST", "products", {"id": 1, "internal_product_id": "X1-bis"})
    listed = control(sandbox, "GET", "products").json()
    assert [p["internal_product_id"] for p in listed][-2:] == ["X1-bis", "X2"]
    assert control(sandbox, "POST", "products", {"id": "x"}).status_code == 400
    assert control(sandbox, "POST", "products", "junk").status_code == 400


def test_reset_restores_the_initial_catalog(sandbox):
    bulk(sandbox, [{"internal_product_id": "DEMO-001", "available_stock_quantity": 3}])
    sandbox.state.put_products({"id": 5, "internal_product_id": "NEW"})
    sandbox.state.reset()
    assert product(sandbox, "DEMO-001")["available_stock_quantity"] == 500
    assert product(sandbox, "NEW") is None


# Bulk update: accepted


def test_bulk_update_applies_every_item(sandbox):
    response = bulk(
        sandbox,
        [
            {
                "internal_product_id": "DEMO-001",
                "selling_price": 355.0,
                "available_stock_quantity": 140,
                "in_stock": True,
            },
            {"internal_product_id": "DEMO-002", "is_published": False},
            {"supplier_product_id": "88003", "min_order": 1, "max_order": 20},
            {
                "supplier_product_id": 88004,
                "available_stock_quantity": 0,
                "in_stock": False,
            },
            {"base_product_id": "735", "unit": "box", "unit_count": 20, "notes": "n"},
        ],
    )
    assert response.status_code == 200
    assert len(response.json()) == 5
    first = product(sandbox, "DEMO-001")
    assert (first["selling_price"], first["available_stock_quantity"]) == (355.0, 140)
    assert product(sandbox, "DEMO-002")["is_published"] is False
    third = sandbox.state.catalog_product(supplier_product_id="88003")
    assert (third["min_order"], third["max_order"]) == (1, 20)
    assert product(sandbox, "DEMO-004")["in_stock"] is False
    assert product(sandbox, "DEMO-005")["notes"] == "n"


def test_supplier_product_id_wins_over_internal_product_id(sandbox):
    bulk(
        sandbox,
        [
            {
                "supplier_product_id": "88002",
                "internal_product_id": "DEMO-001",
                "min_order": 2,
            }
        ],
    )
    assert product(sandbox, "DEMO-002")["min_order"] == 2
    assert "min_order" not in product(sandbox, "DEMO-001")


def test_an_empty_batch_is_accepted(sandbox):
    response = bulk(sandbox, [])
    assert (response.status_code, response.json()) == (200, [])


# Bulk update: refused as a whole

GOOD = {
    "internal_product_id": "DEMO-001",
    "available_stock_quantity": 7,
    "in_stock": True,
}


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ({"available_stock_quantity": 3}, "needs supplier_product_id"),
        ({"internal_product_id": "", "in_stock": True}, "non-empty string"),
        ({"internal_product_id": 4812}, "non-empty string"),
        ({"supplier_product_id": True}, "must be an id"),
        ({"internal_product_id": "NOPE", "in_stock": True}, "no such product"),
        ({"base_product_id": "731", "unit": "crate", "unit_count": 12}, "unknown unit"),
        ({"base_product_id": "731", "unit": "box", "unit_count": 0}, "unit_count"),
        ({"internal_product_id": "DEMO-002", "available_stock_quantity": -40}, ">= 0"),
        ({"internal_product_id": "DEMO-002", "available_stock_quantity": 2.0}, ">= 0"),
        ({"internal_product_id": "DEMO-002", "available_stock_quantity": "5"}, ">= 0"),
        ({"internal_product_id": "DEMO-002", "available_stock_quantity": True}, ">= 0"),
        ({"internal_product_id": "DEMO-002", "in_stock": "true"}, "true or false"),
        ({"internal_product_id": "DEMO-002", "in_stock": 1}, "true or false"),
        (
            {"internal_product_id": "DEMO-002", "selling_price": "355.0"},
            "positive number",
        ),
        ({"internal_product_id": "DEMO-002", "selling_price": 0}, "positive number"),
        ({"internal_product_id": "DEMO-002", "selling_price": -1.5}, "positive number"),
        ({"internal_product_id": "DEMO-002", "min_order": 0}, ">= 1"),
        ({"internal_product_id": "DEMO-002", "min_order": 5, "max_order": 4}, "above"),
        ({"internal_product_id": "DEMO-002", "notes": 3}, "string"),
        ({"internal_product_id": "DEMO-002", "is_unlimited_stock": True}, "unknown"),
        ("DEMO-002", "an object"),
    ],
)
def test_a_bad_item_refuses_the_whole_batch(sandbox, item, reason):
    response = bulk(sandbox, [GOOD, item])
    assert response.status_code == 422
    body = response.json()
    assert reason in body["error"]
    assert body["details"]["index"] == 1
    assert product(sandbox, "DEMO-001")["available_stock_quantity"] == 500


def test_an_order_limit_is_checked_against_what_cartona_has(sandbox):
    assert bulk(sandbox, [{"internal_product_id": "DEMO-003", "max_order": 4}]).ok
    response = bulk(sandbox, [{"internal_product_id": "DEMO-003", "min_order": 5}])
    assert response.status_code == 422


@pytest.mark.parametrize("body", [{"internal_product_id": "DEMO-001"}, "x", None])
def test_the_body_must_be_an_array(sandbox, body):
    assert bulk(sandbox, body).status_code == 400


def test_bulk_update_checks_the_token_and_method(sandbox):
    assert bulk(sandbox, [GOOD], token="wrong").status_code == 401
    assert api(sandbox, "GET", BULK).status_code == 405
    assert product(sandbox, "DEMO-001")["available_stock_quantity"] == 500


def test_bulk_update_honours_faults(sandbox):
    sandbox.state.add_fault("error", status=503, path=BULK)
    assert bulk(sandbox, [GOOD]).status_code == 503
    assert product(sandbox, "DEMO-001")["available_stock_quantity"] == 500
    sandbox.state.add_fault("rate_limit", path=BULK, seconds=3)
    response = bulk(sandbox, [GOOD])
    assert (response.status_code, response.headers["Retry-After"]) == (429, "3")
    sandbox.state.add_fault("error", status=503, path=BULK, apply=True)
    assert bulk(sandbox, [GOOD]).status_code == 503
    assert product(sandbox, "DEMO-001")["available_stock_quantity"] == 7
    recorded = [r for r in sandbox.state.requests if r["endpoint"] == BULK]
    assert [r["fault"] for r in recorded] == ["error", "rate_limit", "error"]
    assert recorded[0]["body"] == [GOOD]


def test_a_sandbox_of_its_own_catalog():
    products = [{"id": 10, "internal_product_id": "A", "available_stock_quantity": 1}]
    with SandboxServer(products=products) as sandbox:
        assert bulk(sandbox, [{"internal_product_id": "A", "in_stock": False}]).ok
        assert sandbox.state.catalog == [
            {
                "id": 10,
                "supplier_product_id": "10",
                "internal_product_id": "A",
                "available_stock_quantity": 1,
                "in_stock": False,
            }
        ]
        response = requests.get(sandbox.control_url + "products", timeout=2)
        assert response.json() == sandbox.state.catalog
