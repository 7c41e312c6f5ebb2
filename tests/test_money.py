# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Money: Cartona's final prices, one invoice on delivery, Cartona's share settled.

Under Egypt's chart of accounts (l10n_eg, 14% VAT excluded from the price), acting as
a salesperson (who delivers) and an accountant (Billing, who posts and reconciles).
"""

import unittest

from odoo import Command
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

from .test_inbound import InboundCase

SALESMAN = "sales_team.group_sale_salesman_all_leads"
STOCK_USER = "stock.group_stock_user"
MP_USER = "cartona_marketplace.group_marketplace_user"
BILLING = "account.group_account_invoice"
OTP = "123456"


@tagged("post_install", "-at_install")
class MoneyCase(InboundCase):
    """Egypt's chart, a salesperson, a Billing user and a Cartona account."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.env["ir.module.module"]._get("l10n_eg").state != "installed":
            raise unittest.SkipTest(
                "l10n_eg is not installed: the money tests need Egypt's chart of "
                "accounts (EXTRA_MODULES=l10n_eg, scripts/test.sh installs it)"
            )
        egypt = cls.env.ref("base.eg")
        cls.company = cls.env["res.company"].create(
            {
                "name": "Nile Foods",
                "country_id": egypt.id,
                "currency_id": cls.env.ref("base.EGP").id,
            }
        )
        cls.env.user.company_ids |= cls.company
        cls.env["account.chart.template"].try_loading(
            "eg", cls.company, install_demo=False
        )
        cls.vat = cls.company.account_sale_tax_id
        cls.assertTrue(cls, cls.vat.amount > 0 and not cls.vat.price_include)
        (cls.juice | cls.tea).write({"taxes_id": [Command.link(cls.vat.id)]})
        cls.eg_warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        for product in cls.juice | cls.tea:
            cls.env["stock.quant"]._update_available_quantity(
                product, cls.eg_warehouse.lot_stock_id, 500
            )
        company = {
            "company_id": cls.company.id,
            "company_ids": [Command.set(cls.company.ids)],
        }
        cls.seller = new_test_user(
            cls.env,
            login="cm_money_seller",
            groups=f"{SALESMAN},{STOCK_USER},{MP_USER}",
            **company,
        )
        cls.accountant = new_test_user(
            cls.env, login="cm_money_accountant", groups=BILLING, **company
        )
        cls.config = (
            cls.env["marketplace.config"]
            .with_company(cls.company)
            .create(
                {
                    "name": "Cartona Egypt",
                    "company_id": cls.company.id,
                    "warehouse_id": cls.eg_warehouse.id,
                    "user_id": cls.accountant.id,
                    "api_base_url": cls.sandbox.base_url,
                    "allow_local_sandbox": True,
                    "auth_token": cls.config.sudo().auth_token,
                    "timeout": 2,
                }
            )
        )

    # Helpers

    def _imported(self, status="approved", **fields):
        hashed_id = self._feed(status=status, **fields)
        self._sync()
        order = self._order(hashed_id)
        order.ensure_one()
        return order

    def _deliver(self, order, quantities=None):
        """The salesperson ships (``{product: qty}``), then confirms the delivery."""
        picking = order.picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel")
        ).with_user(self.seller)
        picking.action_assign()
        for move in picking.move_ids:
            move.quantity = (quantities or {}).get(
                move.product_id, move.product_uom_qty
            )
            move.picked = True
        with trap_jobs() as trap:
            picking.with_context(cancel_backorder=True)._action_done()
            # Shipping queues no invoice: it is made once Cartona accepts delivered.
            trap.assert_jobs_count(0, only=order._marketplace_make_invoice)
            self._run_jobs(trap)
        with trap_jobs() as trap:
            order.with_user(self.seller)._marketplace_confirm_delivery(OTP)
            self.assertEqual(order.marketplace_status, "delivered")
            trap.assert_jobs_count(1, only=order._marketplace_make_invoice)
            trap.assert_enqueued_job(
                order._marketplace_make_invoice,
                properties={"identity_key": f"cartona-invoice-{order.id}"},
            )
            trap.perform_enqueued_jobs()
        self.env.invalidate_all()

    def _invoices(self, order):
        return order.invoice_ids.filtered(lambda m: m.move_type == "out_invoice")

    def _cartona_lines(self, invoice):
        entry = invoice.marketplace_settlement_move_id
        return entry.line_ids.filtered(
            lambda line: line.partner_id == self.config.settlement_partner_id
        )


@tagged("post_install", "-at_install")
class TestMoney(MoneyCase):
    # 1. Cartona's prices are final

    def test_prices_are_final_with_the_vat_inside(self):
        order = self._imported()
        self.assertEqual(order.state, "sale")
        self.assertAlmostEqual(order.amount_total, 1450, delta=0.01)
        self.assertAlmostEqual(order.amount_total, order.cartona_total, delta=0.01)
        self.assertGreater(order.amount_tax, 0)
        self.assertAlmostEqual(order.amount_untaxed, 1450 / 1.14, delta=0.02)
        self.assertEqual(order.fiscal_position_id.name, "Cartona prices include taxes")
        self.assertTrue(all(order.order_line.tax_id.mapped("price_include")))
        # The catalog sends what the retailer pays: the sales price with its VAT.
        prices = self.env["marketplace.catalog.sync"]._prices(
            self.config.with_company(self.company),
            self.juice.with_company(self.company),
        )
        self.assertAlmostEqual(prices[self.juice.id], 360 * 1.14, delta=0.01)
        self.config.cartona_prices_include_taxes = False
        prices = self.env["marketplace.catalog.sync"]._prices(self.config, self.juice)
        self.assertAlmostEqual(prices[self.juice.id], 360, delta=0.01)

    # 2. One invoice on delivery; 3. Cartona's share

    def test_cash_order_gets_one_posted_invoice_and_no_entry(self):
        order = self._imported()
        self._deliver(order)
        invoice = self._invoices(order)
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertAlmostEqual(invoice.amount_total, 1450, delta=0.01)
        self.assertGreater(invoice.amount_tax, 0)
        self.assertIn(order.cartona_id, invoice.ref)
        self.assertEqual(invoice.invoice_origin, order.name)
        self.assertFalse(invoice.marketplace_settlement_move_id)
        self.assertAlmostEqual(order.marketplace_cash_to_collect, 1450, delta=0.01)
        # Run again, Retry, another pull still showing delivered: never a second.
        order._marketplace_make_invoice()
        with trap_jobs() as trap:
            order.with_user(self.seller).action_marketplace_retry()
            trap.perform_enqueued_jobs()
        self._sync()
        self.assertEqual(self._invoices(order), invoice)

    def test_credit_and_top_up_order_is_settled_with_cartona(self):
        order = self._imported(cartona_credit=300, wallet_top_up=50)
        self.assertEqual((order.cartona_credit, order.cartona_wallet_top_up), (300, 50))
        self._deliver(order)
        invoice = self._invoices(order)
        self.assertEqual(len(invoice), 1)
        cartona = self._cartona_lines(invoice)
        self.assertEqual(cartona.mapped("balance"), [250])
        self.assertEqual(invoice.marketplace_settlement_move_id.state, "posted")
        # The invoice shows what the driver brings back: T - C - I + W.
        self.assertAlmostEqual(invoice.amount_residual, 1200, delta=0.01)
        self.assertAlmostEqual(order.marketplace_cash_to_collect, 1200, delta=0.01)
        self.assertAlmostEqual(order.marketplace_cartona_share, 250, delta=0.01)
        self.assertAlmostEqual(self.config.money_cartona_share, 250, delta=0.01)
        # The accountant finds it in the Cartona Balance, and no second invoice
        # comes from running the job again.
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "cartona_marketplace.marketplace_settlement_line_action"
        )
        items = (
            self.env["account.move.line"]
            .with_user(self.accountant)
            .search(safe_eval(action["domain"]))
        )
        self.assertEqual(items, cartona)
        order._marketplace_make_invoice()
        self.assertEqual(len(self._invoices(order)), 1)

    def test_short_delivery_below_the_credit_is_capped(self):
        order = self._imported(cartona_credit=1400)
        self._deliver(order, {self.juice: 1})
        invoice = self._invoices(order)
        # 1 juice (350) + 2 tea (400): what left, at Cartona's prices.
        self.assertAlmostEqual(invoice.amount_total, 750, delta=0.01)
        self.assertEqual(
            sorted(invoice.invoice_line_ids.mapped("quantity")), [1.0, 2.0]
        )
        self.assertEqual(self._cartona_lines(invoice).mapped("balance"), [750])
        self.assertAlmostEqual(invoice.amount_residual, 0, delta=0.01)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertTrue(
            any("capped" in body for body in order.message_ids.mapped("body"))
        )

    def test_cartona_delivered_installment_order_with_funded_discount(self):
        lines = [
            dict(self._line(5550101, "4812", 3, 350), applied_cartona_discount=10),
            self._line(5550102, "904#2", 2, 200),
        ]
        order = self._imported(
            status="delivered",
            delivered_by="delivered_by_cartona",
            installment_cost=1450,
            lines=lines,
        )
        # Odoo's pickup is not validated (the setting is off): Cartona's amounts.
        self.assertFalse(self.config.validate_cartona_deliveries)
        self.assertTrue(all(p.state != "done" for p in order.picking_ids))
        invoice = self._invoices(order)
        self.assertEqual(len(invoice), 1)
        self.assertAlmostEqual(invoice.amount_total, 1450, delta=0.01)
        entry = invoice.marketplace_settlement_move_id
        self.assertEqual(self._cartona_lines(invoice).mapped("balance"), [1480])
        income = entry.line_ids.filtered(
            lambda line: line.account_id.account_type == "income"
        )
        self.assertEqual(income.mapped("balance"), [-30])
        self.assertAlmostEqual(invoice.amount_residual, 0, delta=0.01)
        self.assertAlmostEqual(order.marketplace_cartona_share, 1480, delta=0.01)

    def test_draft_invoice_is_settled_when_the_accountant_posts_it(self):
        self.config.invoice_on_delivery = "draft"
        order = self._imported(cartona_credit=100)
        self._deliver(order)
        invoice = self._invoices(order)
        self.assertEqual(invoice.state, "draft")
        self.assertFalse(invoice.marketplace_settlement_move_id)
        invoice.with_user(self.accountant).action_post()
        self.assertEqual(self._cartona_lines(invoice).mapped("balance"), [100])
        self.assertAlmostEqual(invoice.amount_residual, 1350, delta=0.01)

    def test_off_makes_no_invoice(self):
        self.config.invoice_on_delivery = "off"
        order = self._imported()
        self._deliver_without_invoice(order)
        self.assertFalse(self._invoices(order))

    def _deliver_without_invoice(self, order):
        picking = order.picking_ids.with_user(self.seller)
        picking.action_assign()
        picking.move_ids.write({"picked": True})
        with trap_jobs() as trap:
            picking._action_done()
            self._run_jobs(trap)
        with trap_jobs() as trap:
            order.with_user(self.seller)._marketplace_confirm_delivery(OTP)
            trap.assert_jobs_count(0, only=order._marketplace_make_invoice)

    def test_a_failure_is_told_and_retry_builds_the_invoice_once(self):
        income = self.env["account.account"].create(
            {
                "name": "Juice sales",
                "code": "410099",
                "account_type": "income",
                "company_ids": [Command.link(self.company.id)],
            }
        )
        self.juice.with_company(self.company).property_account_income_id = income
        income.deprecated = True
        order = self._imported()
        self._deliver(order)
        self.assertFalse(self._invoices(order))
        self.assertTrue(order.marketplace_invoice_error)
        activity = order.activity_ids.filtered(
            lambda a: a.activity_type_id
            == self.env.ref(
                "cartona_marketplace.mail_activity_type_cartona_invoice_failed"
            )
        )
        self.assertEqual(activity.user_id, self.accountant)
        self.assertIn("Retry", activity.note)
        # Fixed: Retry builds it, once.
        income.deprecated = False
        with trap_jobs() as trap:
            order.with_user(self.seller).action_marketplace_retry()
            trap.assert_jobs_count(1, only=order._marketplace_make_invoice)
            trap.perform_enqueued_jobs()
        self.env.invalidate_all()
        self.assertEqual(len(self._invoices(order)), 1)
        self.assertEqual(self._invoices(order).state, "posted")
        self.assertFalse(order.marketplace_invoice_error)
        self.assertFalse(activity.exists() and activity.active)

    def test_a_job_killed_while_invoicing_leaves_one_invoice(self):
        """The invoice and its job commit together: a worker killed mid-job leaves
        nothing, and the job queue_job runs again makes the one invoice."""
        self.config.invoice_on_delivery = "post"
        order = self._imported(
            status="delivered",
            delivered_by="delivered_by_cartona",
            cartona_credit=100,
        )
        invoice = self._invoices(order)
        self.assertEqual(len(invoice), 1)
        invoice.button_draft()
        invoice.button_cancel()
        self.assertFalse(order._marketplace_invoice())

        def invoice_then_die(env):
            env["sale.order"].browse(order.id)._marketplace_make_invoice()
            self.assertTrue(env["sale.order"].browse(order.id)._marketplace_invoice())
            raise RetryableJobError("worker killed")

        outcome = self._run_in_job_transaction(invoice_then_die)
        self.assertIsInstance(outcome, RetryableJobError)
        self.assertFalse(order._marketplace_invoice(), "rolled back with the job")
        for _run in range(2):  # requeued, then run once more by mistake
            self._run_in_job_transaction(
                lambda env: env["sale.order"]
                .browse(order.id)
                ._marketplace_make_invoice()
            )
        self.env.invalidate_all()
        active = order.invoice_ids.filtered(lambda m: m.state != "cancel")
        self.assertEqual(len(active), 1)
        self.assertEqual(active.state, "posted")
        self.assertEqual(self._cartona_lines(active).mapped("balance"), [100])

    def test_a_line_added_in_odoo_keeps_the_price_final(self):
        rice_vat = self.vat.copy({"name": "VAT 5% (test)", "amount": 5})
        rice = self.env["product.product"].create(
            {
                "name": "Rice 1 kg",
                "type": "consu",
                "list_price": 40,
                "taxes_id": [Command.set(rice_vat.ids)],
            }
        )
        order = self._imported(status="pending")
        order.with_user(self.seller).write(
            {
                "order_line": [
                    Command.create(
                        {"product_id": rice.id, "product_uom_qty": 2, "price_unit": 40}
                    )
                ]
            }
        )
        line = order.order_line.filtered(lambda line: line.product_id == rice)
        self.assertTrue(line.tax_id.price_include)
        self.assertAlmostEqual(line.price_total, 80, delta=0.01)
        self.assertAlmostEqual(order.amount_total, 1530, delta=0.01)

    def test_an_invoice_reset_to_draft_takes_its_settlement_with_it(self):
        order = self._imported(
            status="delivered", delivered_by="delivered_by_cartona", cartona_credit=300
        )
        invoice = self._invoices(order)
        entry = invoice.marketplace_settlement_move_id
        invoice.with_user(self.accountant).button_draft()
        self.assertEqual(entry.state, "cancel")
        self.assertFalse(invoice.marketplace_settlement_move_id)
        self.assertAlmostEqual(self.config.money_cartona_share, 0, delta=0.01)
        invoice.with_user(self.accountant).action_post()
        self.assertEqual(self._cartona_lines(invoice).mapped("balance"), [300])
        self.assertAlmostEqual(invoice.amount_residual, 1150, delta=0.01)
