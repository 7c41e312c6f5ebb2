"""Demo data for the sandbox: a small catalog and realistic Egyptian retailer orders.

The supplier's own product ids (``internal_product_id``) are inputs, so a demo script
can point them at real Odoo product variants (``str(variant.id)``).
"""

import datetime

from .rules import DELIVERED_BY_SUPPLIER

#: A fresh supplier-delivered order of the pull feed (cartona-api.md section 3.1).
ORDER_DEFAULTS = {
    "supplier_code": "1",
    "status": "pending",
    "delivered_by": DELIVERED_BY_SUPPLIER,
    "edited_by_admin": False,
    "delivery_day": None,
    "estimated_delivery_day": None,
    "retailer_preferred_delivery_date": None,
    "pickup_date": None,
    "pickup_otp": None,
    "cancellation_reason": "",
    "return_reason": None,
    "applied_supplier_rebate": 0.0,
    "cartona_credit": 0,
    "installment_cost": 0,
    "wallet_top_up": 0,
    "distribution_route_code": None,
    "note_message": None,
    "retailer": {},
    "order_details": [],
}

DEFAULT_PRODUCT_IDS = tuple(f"DEMO-{n:03d}" for n in range(1, 7))

#: (Arabic name, unit, unit_count, selling price in EGP) of the demo catalog.
_CATALOG = (
    ("زيت عباد الشمس 1 لتر", "box", 12, 1140.0),
    ("أرز مصري 1 كجم", "bag", 10, 380.0),
    ("سكر أبيض 1 كجم", "box", 10, 330.0),
    ("شاي أسود 40 فتلة", "box", 24, 960.0),
    ("مكرونة اسباجتي 400 جم", "box", 20, 300.0),
    ("جبنة بيضاء 500 جم", "box", 12, 900.0),
)


def demo_products(product_ids=DEFAULT_PRODUCT_IDS):
    """The demo catalog in the ``GET supplier-product`` shape, one per product id."""
    return [_product(index, product_ids) for index in range(len(_CATALOG))]


def _product(index, product_ids):
    name, unit, unit_count, price = _CATALOG[index]
    return {
        "id": 88001 + index,
        "supplier_product_id": str(88001 + index),
        "internal_product_id": _product_id(product_ids, index),
        "base_product_id": str(731 + index),
        "product_name": f"{name} -- {unit}",
        "unit": unit,
        "unit_count": unit_count,
        "selling_price": price,
        "in_stock": True,
        "available_stock_quantity": 500,
        "is_published": True,
    }


def _product_id(product_ids, index):
    if not product_ids:
        raise ValueError("demo orders need at least one product id")
    return str(product_ids[index % len(product_ids)])


def _line(order_no, line_no, product, amount, price=None, discount=0.0, comment=None):
    """One ``order_details`` entry built from a demo catalog product."""
    return {
        "id": 5550000 + order_no * 100 + line_no,
        "supplier_product_id": product["supplier_product_id"],
        "internal_product_id": product["internal_product_id"],
        "base_product_id": product["base_product_id"],
        "unit": product["unit"],
        "unit_count": product["unit_count"],
        "product_name": product["product_name"],
        "amount": amount,
        "selling_price": product["selling_price"] if price is None else price,
        "applied_supplier_discount": discount,
        "applied_cartona_discount": 0.0,
        "comment": comment,
    }


def _order(hashed_id, retailer, lines, **fields):
    """A pull-orders payload with the defaults of a fresh supplier-delivered order."""
    total = sum(line["selling_price"] * line["amount"] for line in lines)
    order = {
        "hashed_id": hashed_id,
        **ORDER_DEFAULTS,
        "total_price": total,
        "retailer": retailer,
        "order_details": lines,
    }
    order.update(fields)
    return order


def _retailer(name, code, phone, address, notes="", phone2=""):
    return {
        "retailer_name": name,
        "retailer_code": code,
        "retailer_number": phone,
        "retailer_number2": phone2,
        "retailer_address": address,
        "address_notes": notes,
    }


def demo_orders(product_ids=DEFAULT_PRODUCT_IDS, today=None):
    """Five demo orders covering the cases the integration must handle.

    Giza (pending, standard), Nasr City (approved, delivered by Cartona, part Cartona
    credit), Alexandria (pending, installment: OTP ``482913``), Shubra (out for
    delivery, wallet top-up: OTP ``615204``) and Heliopolis (pending, an offer split
    into two lines of the same product). ``_retailer_otp`` is sandbox bookkeeping.
    """
    today = today or datetime.date.today()
    day = [(today + datetime.timedelta(days=n)).isoformat() for n in range(3)]
    p = demo_products(product_ids)
    installment_lines = [_line(3, 1, p[3], 1), _line(3, 2, p[5], 2)]
    return [
        _order(
            "Dm1Kq7Za",
            _retailer(
                "سوبر ماركت النور",
                "B00917",
                "+201001234567",
                "12 شارع الهرم، الجيزة",
                "بجوار الصيدلية",
            ),
            [_line(1, 1, p[0], 2), _line(1, 2, p[1], 3, comment="no substitutes")],
            supplier_code="1",
            estimated_delivery_day=day[1],
            retailer_preferred_delivery_date=day[1],
            distribution_route_code="004#112",
        ),
        _order(
            "Dm2Vx9Kp",
            _retailer(
                "Bakkalet El Hagg Mahmoud",
                "B01342",
                "+201112345678",
                "45 Abbas El Akkad St, Nasr City, Cairo",
                phone2="+20222734455",
            ),
            [_line(2, 1, p[2], 5), _line(2, 2, p[4], 2)],
            status="approved",
            delivered_by="delivered_by_cartona",
            supplier_code="2",
            cartona_credit=200,
            pickup_date=day[1],
            pickup_otp="7391",
            estimated_delivery_day=day[2],
            distribution_route_code="001#033",
        ),
        _order(
            "Dm3Hb3Nw",
            _retailer(
                "Mini Market El Salam",
                "B02208",
                "+201223456789",
                "7 Fouad St, Raml Station, Alexandria",
                "second floor entrance from the side street",
            ),
            installment_lines,
            installment_cost=sum(
                line["selling_price"] * line["amount"] for line in installment_lines
            ),
            estimated_delivery_day=day[2],
            _retailer_otp="482913",
        ),
        _order(
            "Dm4Qr8Ls",
            _retailer(
                "بقالة أم هاشم",
                "B00451",
                "+201556677889",
                "3 شارع شبرا، شبرا، القاهرة",
            ),
            [_line(4, 1, p[0], 1), _line(4, 2, p[2], 2)],
            status="assigned_to_salesman",
            wallet_top_up=500,
            estimated_delivery_day=day[0],
            note_message="call before arriving",
            _retailer_otp="615204",
        ),
        _order(
            "Dm5Tz2Ra",
            _retailer(
                "Bakkalet El Amal",
                "B03190",
                "+201098765432",
                "18 El Merghany St, Heliopolis, Cairo",
            ),
            [
                _line(5, 1, p[4], 5, price=280.0, discount=20.0),
                _line(5, 2, p[4], 3),
            ],
            estimated_delivery_day=day[1],
        ),
    ]


def delivered_demo_orders(product_ids=DEFAULT_PRODUCT_IDS, today=None):
    """Four orders Cartona delivered, one per payment mix: cash, Cartona credit with a
    wallet top-up, installment, wallet top-up (the demo's ``--seed-delivered``). An
    account that invoices on delivery invoices them as it imports them, and settles
    Cartona's share."""
    today = today or datetime.date.today()
    p = demo_products(product_ids)
    mixes = [
        ("Dm6Cs1Dl", "B04016", {}),
        ("Dm7Cr2Dl", "B04017", {"cartona_credit": 300, "wallet_top_up": 50}),
        ("Dm8In3Dl", "B04018", {"installment": True}),
        ("Dm9Wt4Dl", "B04019", {"wallet_top_up": 120}),
    ]
    orders = []
    for n, (hashed_id, code, money) in enumerate(mixes, start=6):
        lines = [_line(n, 1, p[n % 6], 2), _line(n, 2, p[(n + 1) % 6], 1)]
        if money.pop("installment", False):
            money["installment_cost"] = sum(
                line["selling_price"] * line["amount"] for line in lines
            )
        orders.append(
            _order(
                hashed_id,
                _retailer(
                    f"Delivered Market {n}",
                    code,
                    f"+2010000040{n:02d}",
                    f"{n} Tahrir St, Dokki, Giza",
                ),
                lines,
                status="delivered",
                delivered_by="delivered_by_cartona",
                delivery_day=today.isoformat(),
                **money,
            )
        )
    return orders
