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

- the company: an Egyptian grocery supplier, "Nile Foods Distribution", with a Cairo
  address, currency EGP when Odoo allows it (a database created otherwise may already
  have journal items in another currency: then the Cartona orders get an EGP pricelist
  instead), and its main warehouse named after Cairo. The other companies that Odoo's
  demo data creates (l10n_eg's "EG Company", stock's "My Company (Chicago)") are
  archived and taken out of every user's allowed companies;
- Arabic (``ar_001``), with the translations of the installed modules;
- the demo people (password = login): ``salesperson`` (Sales / User: All Documents
  and Marketplace User, in Arabic, the Cartona account's Responsible, so the imported
  orders are theirs) and ``storekeeper`` (Inventory / User and Marketplace User);
- a ``marketplace.config`` named "Cartona Sandbox" pointing at the sandbox;
- six storable Egyptian grocery products (names in English and Arabic) whose internal
  reference (``default_code``) is the ``internal_product_id`` on the sandbox's demo
  order lines, with stock in the main warehouse;
- the Cartona orders, through the addon's own inbound import: the seed pulls the
  sandbox's feed (``marketplace.config._pull_orders``), which queues one import job per
  order; queue_job's runner imports them as soon as Odoo starts, then acknowledges
  them. Orders already in the database are kept, and the sandbox is told the status
  Odoo last saw Cartona accept for them.

Each step writes only what differs from what it wants, so a second run on the same
database changes no record (apart from the account's connection test and pull).
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
ARABIC = "ar_001"
TIMEZONE = "Africa/Cairo"

#: The supplier the demo plays: a grocery distributor in downtown Cairo.
COMPANY = {
    "name": "Nile Foods Distribution",
    "street": "27 Talaat Harb St",
    "street2": "Downtown",
    "city": "Cairo",
    "zip": "11511",
    "phone": "+20 2 2392 4410",
    "email": "orders@nilefoods.example.com",
    "website": "https://nilefoods.example.com",
}
WAREHOUSE_NAME = "Cairo Warehouse"

#: Companies that Odoo's demo data adds beside the main one; the demo hides them.
OTHER_DEMO_COMPANIES = ("base.demo_company_eg", "stock.res_company_1")

#: (login = password, name, language, groups): the people of the demo.
PEOPLE = (
    (
        "salesperson",
        "Mona Salah",
        ARABIC,
        (
            "sales_team.group_sale_salesman_all_leads",
            "cartona_marketplace.group_marketplace_user",
        ),
    ),
    (
        "storekeeper",
        "Karim Adel",
        "en_US",
        ("stock.group_stock_user", "cartona_marketplace.group_marketplace_user"),
    ),
)

#: (default_code, name, Arabic name, sale price in EGP per pack, quantity on hand).
#: Same order as the sandbox's demo catalog (sandbox/demo.py): the sandbox gives
#: its n-th catalog product the n-th id of ``--product-ids``.
CATALOG = (
    (
        "DEMO-OIL-1L",
        "Sunflower Oil 1 L (box of 12)",
        "زيت عباد الشمس 1 لتر (كرتونة 12)",
        1140.0,
        200,
    ),
    (
        "DEMO-RICE-1KG",
        "Egyptian Rice 1 kg (bag of 10)",
        "أرز مصري 1 كجم (شوال 10)",
        380.0,
        300,
    ),
    (
        "DEMO-SUGAR-1KG",
        "White Sugar 1 kg (box of 10)",
        "سكر أبيض 1 كجم (كرتونة 10)",
        330.0,
        300,
    ),
    (
        "DEMO-TEA-40",
        "Black Tea 40 bags (box of 24)",
        "شاي أسود 40 فتلة (كرتونة 24)",
        960.0,
        150,
    ),
    (
        "DEMO-PASTA-400",
        "Spaghetti 400 g (box of 20)",
        "مكرونة اسباجتي 400 جم (كرتونة 20)",
        300.0,
        400,
    ),
    (
        "DEMO-CHEESE-500",
        "White Cheese 500 g (box of 12)",
        "جبنة بيضاء 500 جم (كرتونة 12)",
        900.0,
        100,
    ),
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


def _differences(record, vals):
    """The part of ``vals`` that ``record`` does not hold yet (many2one by id)."""
    changes = {}
    for name, value in vals.items():
        current = record[name]
        if record._fields[name].type == "many2one":
            current = current.id
        if current != value:
            changes[name] = value
    return changes


def _ensure(record, vals):
    """Write only what differs, so that a second run leaves the record alone."""
    changes = _differences(record, vals)
    if changes:
        record.write(changes)
    return record


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
        warehouse = self._warehouse()
        self._hide_other_companies()
        self._arabic()
        people = self._people()
        config = self._config(people["salesperson"])
        products = self._products(warehouse)
        queued, kept = self._orders(config)
        self._orders_to(people["salesperson"], config)
        return (
            f"seeded {self.env.cr.dbname}: {self.company.name} "
            f"({self.company.city}, {self.company.currency_id.name}); config "
            f"{config.name!r} at {config.api_base_url}, responsible "
            f"{config.user_id.login}; users {', '.join(people)}; {len(products)} "
            f"products in stock at {warehouse.name}; {len(kept)} Cartona order(s) "
            f"already imported, pull: {config.last_pull_result} (imported by the job "
            f"runner once Odoo runs); prices in "
            f"{(self.pricelist.currency_id or self.company.currency_id).name}"
        )

    # ------------------------------------------------------------------ setup
    def _admin(self):
        # The demo database already has admin/admin; set it anyway when it differs so
        # that a database created otherwise logs in the same way.
        admin = self.env.ref("base.user_admin")
        self._password(admin, "admin")
        _ensure(admin, {"tz": TIMEZONE})

    def _password(self, user, password):
        """Set ``password`` unless it already is the user's (no new hash each run)."""
        from odoo.exceptions import AccessDenied

        try:
            user.with_user(user)._check_credentials(
                {"type": "password", "login": user.login, "password": password},
                {"interactive": False},
            )
        except AccessDenied:
            user.password = password

    def _company(self):
        egypt = self.env.ref("base.eg")
        egp = self.env.ref("base.EGP")
        if not egp.active:
            egp.active = True
        # Odoo's demo data gives the company's partner a San Francisco address (and
        # stock's the company name "My Company (San Francisco)"); the company's name
        # and address fields write through to its partner.
        _ensure(
            self.company,
            dict(
                COMPANY,
                country_id=egypt.id,
                state_id=self.env.ref("base.state_eg_c").id,
            ),
        )
        # stock_sms (auto-installed) would ask, on the first validated delivery, whether
        # to text the customer through Odoo's paid IAP service: not in a local demo.
        if self.company._fields.get("stock_move_sms_validation"):
            _ensure(self.company, {"stock_move_sms_validation": False})
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

    def _warehouse(self):
        """The company's main warehouse, named after its city (stock names it after
        the company's partner at install: "YourCompany" in a demo database)."""
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.company.id)], order="sequence, id", limit=1
        )
        return _ensure(warehouse, {"name": WAREHOUSE_NAME})

    def _hide_other_companies(self):
        """Archive the extra companies of Odoo's demo data, out of every user's
        allowed companies, so the demo shows one supplier."""
        from odoo import Command
        from odoo.exceptions import ValidationError

        Users = self.env["res.users"].with_context(active_test=False)
        for xmlid in OTHER_DEMO_COMPANIES:
            company = self.env.ref(xmlid, raise_if_not_found=False)
            if not company or company == self.company:
                continue
            for user in Users.search(
                [("company_ids", "in", company.id), ("company_id", "!=", company.id)]
            ):
                user.company_ids = [Command.unlink(company.id)]
            if not company.active:
                continue
            try:
                with self.env.cr.savepoint():
                    company.active = False
                _logger.info("archived the demo company %s", company.name)
            except ValidationError as exc:  # someone works in it: leave it
                _logger.info("demo company %s stays active: %s", company.name, exc)

    def _arabic(self):
        """Arabic active, with the installed modules' translations (this addon's
        ``i18n/ar.po`` among them); done once, later upgrades keep it up to date."""
        from odoo import Command

        lang = (
            self.env["res.lang"]
            .with_context(active_test=False)
            .search([("code", "=", ARABIC)])
        )
        if lang.active:
            return
        _logger.info("loading Arabic (%s) for the installed modules", ARABIC)
        self.env["base.language.install"].create(
            {"lang_ids": [Command.set(lang.ids)], "overwrite": False}
        ).lang_install()

    def _people(self):
        """The demo's users by login, with their groups added when missing."""
        from odoo import Command

        Users = self.env["res.users"].with_context(active_test=False)
        people = {}
        for login, name, lang, group_xmlids in PEOPLE:
            groups = [self.env.ref(xmlid) for xmlid in group_xmlids]
            vals = {
                "name": name,
                "lang": lang,
                "tz": TIMEZONE,
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
                "active": True,
            }
            user = Users.search([("login", "=", login)], limit=1)
            if not user:
                user = Users.with_context(no_reset_password=True).create(
                    dict(
                        vals,
                        login=login,
                        password=login,
                        email=f"{login}@nilefoods.example.com",
                        groups_id=[
                            Command.set(
                                [self.env.ref("base.group_user").id]
                                + [group.id for group in groups]
                            )
                        ],
                    )
                )
                _logger.info("created user %s (%s)", login, name)
            else:
                company_ids = vals.pop("company_ids")
                if user.company_ids != self.company:
                    vals["company_ids"] = company_ids
                _ensure(user, vals)
                missing = [group for group in groups if group not in user.groups_id]
                if missing:
                    user.groups_id = [Command.link(group.id) for group in missing]
                self._password(user, login)
            # Notifications in Odoo's inbox: a local demo sends no email.
            _ensure(user, {"notification_type": "inbox"})
            people[login] = user
        return people

    def _config(self, responsible):
        Config = self.env["marketplace.config"].with_context(active_test=False)
        config = Config.search(
            [("name", "=", CONFIG_NAME), ("company_id", "=", self.company.id)], limit=1
        )
        vals = {
            "name": CONFIG_NAME,
            "company_id": self.company.id,
            "api_base_url": self.sandbox_url,
            "allow_local_sandbox": True,  # the demo's sandbox runs on this machine
            "auth_token": self.token,
            "timeout": CONFIG_TIMEOUT,
            # The salesperson of the imported orders, told of their sync problems.
            "user_id": responsible.id,
            # A delivered order gets its posted invoice and Cartona's share booked
            # (an account made before the money work kept "off").
            "invoice_on_delivery": "post",
            "active": True,
        }
        if config:
            _ensure(config, vals)
            # An account of an earlier demo: Cartona's partner and settlement journal.
            config._money_ensure_settlement()
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
        for code, name, arabic_name, price, quantity in CATALOG:
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
            _ensure(product, {"active": True})
            _ensure(product.with_context(lang=ARABIC), {"name": arabic_name})
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

    def _orders_to(self, salesperson, config):
        """Cartona orders imported before the account had a responsible (by an
        earlier demo) get the salesperson, as new imports do."""
        root, admin = self.env.ref("base.user_root"), self.env.ref("base.user_admin")
        orders = self.env["sale.order"].search(
            [
                ("marketplace_config_id", "=", config.id),
                ("user_id", "in", [False, root.id, admin.id]),
            ]
        )
        if orders:
            orders.user_id = salesperson
            _logger.info("%s order(s) now belong to %s", len(orders), salesperson.login)

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
