# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import NO_SYNC, SANDBOX_TOKEN, CartonaCase


@tagged("post_install", "-at_install")
class TestConfig(CartonaCase):
    def test_connection_test_reports_connected(self):
        action = self.config.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(self.config.connection_status, "connected")

    def test_connection_test_reports_the_exact_error(self):
        self.config.auth_token = "wrong-token"
        action = self.config.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertEqual(self.config.connection_status, "auth_failed")
        self.assertIn("401", action["params"]["message"])
        self.assertNotIn("wrong-token", action["params"]["message"])
        self.sandbox.state.add_fault("error", count=1, status=500)
        self.config.auth_token = SANDBOX_TOKEN
        self.config.action_test_connection()
        self.assertEqual(self.config.connection_status, "error")
        self.assertIn("500", self.config.connection_message)

    def test_token_is_for_managers_only(self):
        user = new_test_user(
            self.env,
            login="cartona_user",
            groups="cartona_marketplace.group_marketplace_user",
        )
        config = self.config.with_user(user)
        self.assertTrue(config.has_token)
        with self.assertRaises(AccessError):
            config.read(["auth_token"])
        self.assertNotIn("auth_token", config.fields_get())
        manager = new_test_user(
            self.env,
            login="cartona_manager",
            groups="cartona_marketplace.group_marketplace_manager",
        )
        self.assertEqual(self.config.with_user(manager).auth_token, SANDBOX_TOKEN)
        self.assertTrue(manager.has_group("cartona_marketplace.group_marketplace_user"))

    def test_user_triggered_job_can_use_the_token(self):
        user = new_test_user(
            self.env,
            login="cartona_sales",
            groups="sales_team.group_sale_salesman_all_leads,cartona_marketplace.group_marketplace_user",
        )
        order = self._make_order()
        order.with_context(**NO_SYNC).action_confirm()
        order.with_user(user)._sync_status_to_marketplace()
        self.assertEqual(self._history(order), ["approved"])

    def test_batch_sizes_and_url_are_checked(self):
        with self.assertRaises(ValidationError):
            self.config.api_base_url = "ftp://cartona"
        for name in ("status_batch_size", "pull_page_size", "catalog_batch_size"):
            for value in (0, 1001):
                with (
                    self.subTest(field=name, value=value),
                    self.assertRaises(IntegrityError),
                    mute_logger("odoo.sql_db"),
                    self.env.cr.savepoint(),
                ):
                    self.config[name] = value
                    self.env.flush_all()

    def test_multi_company_isolation(self):
        other = self.env["res.company"].create({"name": "Other Supplier"})
        other_config = self.env["marketplace.config"].create(
            {"name": "Other", "company_id": other.id, "auth_token": "x"}
        )
        user = new_test_user(
            self.env,
            login="cartona_company_a",
            groups="cartona_marketplace.group_marketplace_manager",
            company_id=self.env.company.id,
            company_ids=[self.env.company.id],
        )
        visible = self.env["marketplace.config"].with_user(user).search([])
        self.assertIn(self.config, visible)
        self.assertNotIn(other_config, visible)
