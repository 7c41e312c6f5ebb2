"""Command line: ``python -m sandbox [--port 8071] [--seed-demo] ...``."""

import argparse
import json
import logging
import signal
import sys

from .demo import (
    DEFAULT_PRODUCT_IDS,
    delivered_demo_orders,
    demo_orders,
    demo_products,
)
from .server import DEFAULT_TOKEN, SandboxServer


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="Serve a local Cartona supplier-integrations sandbox.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8071, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument(
        "--orders", help="JSON file: a list of orders or {'orders': [...]}"
    )
    parser.add_argument("--seed-demo", action="store_true", help="load the demo orders")
    parser.add_argument(
        "--seed-delivered",
        action="store_true",
        help="also load four orders Cartona delivered, one per payment mix",
    )
    parser.add_argument(
        "--product-ids",
        default=",".join(DEFAULT_PRODUCT_IDS),
        help="comma-separated internal_product_id values used by the demo data",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log requests")
    return parser


def _load_orders(path):
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    orders = data.get("orders") if isinstance(data, dict) else data
    if not isinstance(orders, list):
        raise SystemExit(f"{path}: expected a list of orders or {{'orders': [...]}}")
    return orders


def main(argv=None):
    """Parse arguments, print the base URL, serve until interrupted."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    product_ids = [pid.strip() for pid in args.product_ids.split(",") if pid.strip()]
    orders = _load_orders(args.orders) if args.orders else []
    if args.seed_demo:
        orders += demo_orders(product_ids)
    if args.seed_delivered:
        orders += delivered_demo_orders(product_ids)
    server = SandboxServer(
        host=args.host,
        port=args.port,
        token=args.token,
        orders=orders,
        products=demo_products(product_ids),
    ).bind()
    sys.stdout.write(f"{server.base_url}\n")
    sys.stdout.write(
        f"control API: {server.control_url} ({len(orders)} orders; Ctrl-C to stop)\n"
    )
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
