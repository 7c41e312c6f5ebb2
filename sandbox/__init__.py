"""A local Cartona sandbox speaking the supplier-integrations API (stdlib only).

Start it with ``python -m sandbox --seed-demo`` from the repository root, or
from Python::

    with SandboxServer(orders=demo_orders()) as sandbox:
        client = CartonaClient(sandbox.base_url, sandbox.token)

See :mod:`.server` for the routes and :mod:`.faults` for fault injection.
"""

from .demo import (
    DEFAULT_PRODUCT_IDS,
    delivered_demo_orders,
    demo_orders,
    demo_products,
)
from .faults import FAULT_KINDS
from .server import DEFAULT_TOKEN, SandboxServer
from .state import DEFAULT_OTP, SandboxRejection, SandboxState

__all__ = [
    "DEFAULT_OTP",
    "DEFAULT_PRODUCT_IDS",
    "DEFAULT_TOKEN",
    "FAULT_KINDS",
    "SandboxRejection",
    "SandboxServer",
    "SandboxState",
    "delivered_demo_orders",
    "demo_orders",
    "demo_products",
]
