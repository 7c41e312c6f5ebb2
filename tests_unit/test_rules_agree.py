"""The core and the sandbox state Cartona's rules each on their own: both must match
the rows of ``cartona-api.md`` (``documented.py``), so neither can hide the other's
mistake."""

import ast
from pathlib import Path

import pytest

from cartona import statuses as core
from sandbox import rules as sandbox_rules
from tests_unit import documented as doc

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("status", sorted(doc.STATUSES))
def test_order_cycle_rows(status):
    assert set(core.TRANSITIONS[status]) == doc.ORDER_CYCLE[status]
    assert set(sandbox_rules.allowed_next(status)) == doc.ORDER_CYCLE[status]


def test_same_statuses_and_terminal_ones():
    assert set(core.STATUSES) == doc.STATUSES == sandbox_rules.STATUSES
    assert set(core.TERMINAL_STATUSES) == doc.TERMINAL == sandbox_rules.TERMINAL


def test_supplier_statuses():
    assert set(core.SUPPLIER_STATUSES) == doc.SUPPLIER_MAY_POST
    assert set(sandbox_rules.SUPPLIER_MAY_POST) == doc.SUPPLIER_MAY_POST


def test_details_edit_window():
    assert set(sandbox_rules.DETAILS_EDITABLE) == doc.DETAILS_EDITABLE


@pytest.mark.parametrize(("amounts", "method"), doc.PAYMENT_METHOD_ROWS)
def test_payment_method_rows(amounts, method):
    installment, wallet, credit = amounts
    assert doc.payment_method(installment, wallet, credit) == method
    assert core.payment_method_from_amounts(installment, wallet, credit) == method
    order = {
        "installment_cost": installment,
        "wallet_top_up": wallet,
        "cartona_credit": credit,
    }
    assert sandbox_rules.payment_method(order) == method


@pytest.mark.parametrize(("amounts", "method"), doc.PAYMENT_METHOD_ROWS)
@pytest.mark.parametrize("status", sorted(doc.SUPPLIER_MAY_POST))
def test_otp_rule(amounts, method, status):
    expected = status == "delivered" and method in doc.OTP_PAYMENT_METHODS
    assert core.otp_required(status, method) == expected
    order = dict(
        zip(
            ("installment_cost", "wallet_top_up", "cartona_credit"),
            amounts,
            strict=False,
        )
    )
    assert sandbox_rules.needs_otp(order, status) == expected


def test_cancellation_reasons():
    assert set(core.CANCELLATION_REASONS) == doc.CANCELLATION_REASONS
    assert set(sandbox_rules.CANCELLATION_REASONS) == doc.CANCELLATION_REASONS


def test_delivered_by_values():
    assert set(core.DELIVERED_BY_VALUES) == doc.DELIVERED_BY_VALUES
    assert {
        sandbox_rules.DELIVERED_BY_SUPPLIER,
        sandbox_rules.DELIVERED_BY_CARTONA,
    } == doc.DELIVERED_BY_VALUES


def test_cartona_delivered_orders_send_cancellations_only():
    assert (
        set(core.CARTONA_DELIVERED_PUSHABLE) == doc.CARTONA_DELIVERED_SUPPLIER_MAY_POST
    )


def _imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield ("." * node.level) + (node.module or "")


@pytest.mark.parametrize(
    "path", sorted((ROOT / "sandbox").glob("*.py")), ids=lambda p: p.name
)
def test_sandbox_never_imports_the_core_nor_odoo(path):
    for module in _imported_modules(path):
        top = module.lstrip(".").split(".")[0]
        assert not module.startswith(".."), f"{path.name} imports {module}"
        assert top not in ("cartona", "odoo"), f"{path.name} imports {module}"


@pytest.mark.parametrize(
    "path", sorted((ROOT / "cartona").rglob("*.py")), ids=lambda p: p.name
)
def test_core_never_imports_odoo_nor_the_sandbox(path):
    for module in _imported_modules(path):
        top = module.lstrip(".").split(".")[0]
        assert top not in ("odoo", "sandbox"), f"{path.name} imports {module}"
