# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Create and seed the demo database of scripts/demo.sh (idempotent: safe to run again).

    python scripts/demo_seed.py --list-product-ids   # the ids to give the sandbox
    $VENV/bin/python scripts/demo_seed.py --config odoo.conf --addons-path PATHS \\
        --database cartona_demo --create-database
    $VENV/bin/python scripts/demo_seed.py --config odoo.conf --addons-path PATHS \\
        --database cartona_demo --sandbox-url http://127.0.0.1:8071/api/v1/ \\
        --token TOKEN

Uses ``odoo`` as a library. ``--create-database`` does what the database manager does
for "Country: Egypt" (company in Egypt, currency EGP, demo data, admin/admin), so that
installing ``account`` afterwards brings the Egyptian chart of accounts (l10n_eg).

Seeding (one transaction, committed at the end) sets up:

- the company: country Egypt and, when Odoo allows it, currency EGP (a database created
  otherwise may already have journal items in another currency: then the Cartona orders
  get an EGP pricelist instead);
- a ``marketplace.config`` named "Cartona Sandbox" pointing at the sandbox;
- six storable Egyptian grocery products whose internal reference (``default_code``)
  is the ``internal_product_id`` on the sandbox's demo order lines, with stock in the
  main warehouse;
- the Cartona orders, through the addon's own inbound import: the seed pulls the
  sandbox's feed (``marketplace.config._pull_orders``), which queues one import job per
  order; queue_job's runner imports them as soon as Odoo starts, then acknowledges
  them. Orders already in the database are kept, and the sandbox is told the status
  Odoo last saw Cartona accept for them.
"""

import argparse
import json
import logging
import sys
from urllib.parse import urljoin

import requests

_logger = logging.getLogger("cartona_demo_seed")

CONFIG_NAME = "Cartona Sandbox"
CONFIG_TIMEOUT = 10

#: (default_code, name, sale price in EGP per pack, quantity on hand).
#: Same order as the sandbox's demo catalog (sandbox/demo.py): the sandbox gives
#: its n-th catalog product the n-th id of ``--product-ids``.
CATALOG = (
    ("DEMO-OIL-1L", "Sunflower Oil 1 L (box of 12)", 1140.0, 200),
    ("DEMO-RICE-1KG", "Egyptian Rice 1 kg (bag of 10)", 380.0, 300),
    ("DEMO-SUGAR-1KG", "White Sugar 1 kg (box of 10)", 330.0, 300),
    ("DEMO-TEA-40", "Black Tea 40 bags (box of 24)", 960.0, 150),
    ("DEMO-PASTA-400", "Spaghetti 400 g (box of 20)", 300.0, 400),
    ("DEMO-CHEESE-500", "White Cheese 500 g (box of 12)", 900.0, 100),
)


def product_ids():
    return [code for code, *_rest in CATALOG]


def _parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--list-product-ids",
        action="store_true",
        help="print the comma-separated product ids for the sandbox and exit",
    )
    parser.add_argument("--config", help="Odoo configuration file")
    parser.add_argument("--addons-path", help="overrides the config's addons_path")
    parser.add_argument("--database", help="database to create or seed")
    parser.add_argument(
        "--create-database",
        action="store_true",
        help="create the database (Egypt, EGP, demo data, admin/admin) and exit",
    )
    parser.add_argument("--sandbox-url", help="sandbox API base URL (.../api/v1/)")
    parser.add_argument("--token", help="sandbox API token")
    return parser


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if args.list_product_ids:
        sys.stdout.write(",".join(product_ids()) + "\n")
        return 0
    needed = ["config", "database"]
    if not args.create_database:
        needed += ["sandbox_url", "token"]
    missing = [
        "--" + name.replace("_", "-") for name in needed if not getattr(args, name)
    ]
    if missing:
        parser.error("missing " + ", ".join(missing))

    # Imported here so that --list-product-ids works without Odoo.
    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config as odoo_config

    odoo_args = ["-c", args.config, "-d", args.database, "--log-level=warn"]
    if args.addons_path:
        odoo_args.append(f"--addons-path={args.addons_path}")
    odoo_config.parse_config(odoo_args, setup_logging=True)
    _logger.setLevel(logging.INFO)

    if args.create_database:
        # The database manager's "create database" (it logs failures without raising:
        # the currency check below tells).
        odoo.service.db.exp_create_database(
            args.database, True, "en_US", "admin", "admin", country_code="eg"
        )
    registry = Registry(args.database)
    # The cursor commits when the block ends without error, rolls back otherwise.
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
        if args.create_database:
            currency = env.ref("base.main_company").currency_id.name
            if currency != "EGP":
                raise SystemExit(f"{args.database}: company currency is {currency}")
            summary = f"created {args.database}: company in Egypt, currency EGP"
        else:
            summary = Seeder(env, args.sandbox_url, args.token).run()
    sys.stdout.write(summary + "\n")
    return 0


class Seeder:
    """Everything the demo needs in one database, found or created by natural keys."""

    def __init__(self, env, sandbox_url, token):
        self.env = env
        self.sandbox_url = (
            sandbox_url if sandbox_url.endswith("/") else sandbox_url + "/"
        )
        self.token = token
        self.company = env.ref("base.main_company")
        self.pricelist = env["product.pricelist"]

    def run(self):
        self._admin()
        self._company()
        config = self._config()
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.company.id)], limit=1
        )
        products = self._products(warehouse)
        queued, kept = self._orders(config)
        return (
            f"seeded {self.env.cr.dbname}: config {config.name!r} at "
            f"{config.api_base_url}, {len(products)} products in stock at "
            f"{warehouse.name}, {len(kept)} Cartona order(s) already imported, "
            f"pull: {config.last_pull_result} (imported by the job runner once Odoo "
            f"runs); prices in "
            f"{(self.pricelist.currency_id or self.company.currency_id).name}"
        )

    # ------------------------------------------------------------------ setup
    def _admin(self):
        # The demo database already has admin/admin; set it anyway so that a database
        # created otherwise logs in the same way.
        self.env.ref("base.user_admin").password = "admin"

    def _company(self):
        egypt = self.env.ref("base.eg")
        egp = self.env.ref("base.EGP")
        if not egp.active:
            egp.active = True
        if self.company.country_id != egypt:
            self.company.country_id = egypt
        # stock_sms (auto-installed) would ask, on the first validated delivery, whether
        # to text the customer through Odoo's paid IAP service: not in a local demo.
        if self.company._fields.get("stock_move_sms_validation"):
            self.company.stock_move_sms_validation = False
        if self.company.currency_id == egp:
            return
        from odoo.exceptions import UserError, ValidationError

        try:
            with self.env.cr.savepoint():
                self.company.currency_id = egp
            _logger.info("company currency set to EGP")
            return
        except (UserError, ValidationError) as exc:  # journal items in the old currency
            self.company.invalidate_recordset(["currency_id"])
            _logger.info(
                "company currency stays %s: %s", self.company.currency_id.name, exc
            )
        # Fallback: Cartona orders in EGP through a pricelist of their own.
        Pricelist = self.env["product.pricelist"]
        self.pricelist = Pricelist.search(
            [
                ("name", "=", "Cartona (EGP)"),
                ("company_id", "in", [self.company.id, False]),
            ],
            limit=1,
        ) or Pricelist.create(
            {
                "name": "Cartona (EGP)",
                "currency_id": egp.id,
                "company_id": self.company.id,
            }
        )

    def _config(self):
        Config = self.env["marketplace.config"].with_context(active_test=False)
        config = Config.search(
            [("name", "=", CONFIG_NAME), ("company_id", "=", self.company.id)], limit=1
        )
        vals = {
            "name": CONFIG_NAME,
            "company_id": self.company.id,
            "api_base_url": self.sandbox_url,
            "auth_token": self.token,
            "timeout": CONFIG_TIMEOUT,
            "active": True,
        }
        if config:
            config.write(vals)
        else:
            config = Config.create(vals)
        # Shows "Connected" on the form; the sandbox is up when the seed runs.
        config.action_test_connection()
        return config

    def _products(self, warehouse):
        """Products by default_code, created when missing, stocked up to the target."""
        Product = self.env["product.product"].with_context(active_test=False)
        Quant = self.env["stock.quant"].with_context(inventory_mode=True)
        location = warehouse.lot_stock_id
        products = {}
        for code, name, price, quantity in CATALOG:
            product = Product.search([("default_code", "=", code)], limit=1)
            if not product:
                product = Product.create(
                    {
                        "name": name,
                        "default_code": code,
                        "type": "consu",
                        "is_storable": True,
                        "list_price": price,
                        "sale_ok": True,
                    }
                )
            product.active = True
            on_hand = product.with_context(location=location.id).qty_available
            if on_hand < quantity:
                Quant.create(
                    {
                        "product_id": product.id,
                        "location_id": location.id,
                        "inventory_quantity": quantity,
                    }
                ).action_apply_inventory()
            products[code] = product
        return products

    # ------------------------------------------------------------------ orders
    def _pull_feed(self):
        """Every order of the sandbox's pull feed (GET order/pull-orders, all pages)."""
        orders, page, per_page = [], 1, 100
        while True:
            response = requests.get(
                urljoin(self.sandbox_url, "order/pull-orders"),
                params={"page": page, "per_page": per_page},
                headers={"AuthorizationToken": self.token},
                timeout=CONFIG_TIMEOUT,
            )
            response.raise_for_status()
            batch = response.json()
            orders += batch
            if len(batch) < per_page:
                return orders
            page += 1

    def _orders(self, config):
        """Queue the feed's import; put known orders' statuses back in the sandbox."""
        SaleOrder = self.env["sale.order"]
        kept = SaleOrder
        for data in self._pull_feed():
            existing = SaleOrder.search(
                [
                    ("marketplace_config_id", "=", config.id),
                    ("cartona_id", "=", data["hashed_id"]),
                ],
                limit=1,
            )
            if existing:
                kept |= existing
                self._restore_sandbox_status(existing, data["status"])
        queued, _invalid, error = config._pull_orders()
        if error is not None:
            raise RuntimeError(f"pulling the sandbox's feed failed: {error}")
        return queued, kept

    def _restore_sandbox_status(self, order, feed_status):
        """Put back in the sandbox the status Odoo last saw Cartona accept.

        The sandbox keeps its orders in memory and starts from the demo data on every
        run, while a reused database remembers what happened before: without this, the
        next push of an order confirmed in an earlier run would break Cartona's cycle.
        """
        status = order.marketplace_status
        if not status or status == feed_status:
            return
        control = urljoin(self.sandbox_url, "/_sandbox/")
        response = requests.post(
            urljoin(control, f"orders/{order.cartona_id}/status"),
            data=json.dumps({"status": status}),
            headers={"Content-Type": "application/json"},
            timeout=CONFIG_TIMEOUT,
        )
        response.raise_for_status()
        _logger.info("sandbox: %s back to %s", order.cartona_id, status)


if __name__ == "__main__":
    sys.exit(main())
