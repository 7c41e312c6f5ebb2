# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Hostile or broken input: base URLs, cookies between accounts, unreadable feeds.

Each test acts as the person concerned: a Marketplace Manager sets accounts up and
pulls the feed, a Marketplace User reads the logs.
"""

from unittest import mock

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import SANDBOX_TOKEN, CartonaCase

RESOLVE = "odoo.addons.cartona_marketplace.cartona.urls.resolve_host"
PRODUCTION = "https://supplier-integrations.cartona.com/api/v1/"


def _manager(env, login="hostile_manager"):
    return new_test_user(
        env, login=login, groups="cartona_marketplace.group_marketplace_manager"
    )


def _user(env, login="hostile_user"):
    return new_test_user(
        env, login=login, groups="cartona_marketplace.group_marketplace_user"
    )


@tagged("post_install", "-at_install")
class TestBaseUrl(CartonaCase):
    """Where an account may send its token, and whose answers land in logs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = _manager(cls.env)
        cls.Config = cls.env["marketplace.config"].with_user(cls.manager)

    def _create(self, url, **values):
        return self.Config.create(
            dict({"name": "Hostile", "api_base_url": url, "auth_token": "x"}, **values)
        )

    def test_a_manager_cannot_point_an_account_at_internal_addresses(self):
        account = self._create(PRODUCTION)
        for url in (
            "http://169.254.169.254/",
            "https://169.254.169.254/latest/meta-data/",
            "http://10.0.0.5/",
            "https://10.0.0.5/api/v1/",
            "https://[fd00::1]/api/v1/",
            "https://user:pw@supplier-integrations.cartona.com/api/v1/",
            "https://supplier-integrations.cartona.com/api/v1/#x",
            "http://supplier-integrations.cartona.com/api/v1/",
            "https://metadata.google.internal/",
            "http://127.0.0.1:8071/api/v1/",
            "https://localhost/api/v1/",
        ):
            with self.subTest(url=url):
                with self.assertRaises(ValidationError):
                    self._create(url)
                with self.assertRaises(ValidationError):
                    account.api_base_url = url

    def test_even_the_sandbox_allowance_is_for_loopback_only(self):
        for url in ("http://10.0.0.5/", "http://169.254.169.254/", PRODUCTION[:-1]):
            with self.subTest(url=url), self.assertRaises(ValidationError):
                self._create(
                    url.replace("https://", "http://"), allow_local_sandbox=True
                )

    def test_the_local_sandbox_needs_the_managers_allowance(self):
        self.assertTrue(self.config.allow_local_sandbox)
        account = self._create(self.sandbox.base_url, allow_local_sandbox=True)
        self.assertEqual(account.api_base_url, self.sandbox.base_url)
        with self.assertRaises(ValidationError):
            account.allow_local_sandbox = False
        self.assertEqual(self._create(PRODUCTION).api_base_url, PRODUCTION)
        user = _user(self.env)
        with self.assertRaises(AccessError):
            account.with_user(user).allow_local_sandbox = False
        field = self.env["marketplace.config"]._fields["allow_local_sandbox"]
        self.assertIn("testing", field.string.lower())

    def test_a_name_resolving_to_an_internal_address_is_refused(self):
        url = "https://cartona.rebind.example/api/v1/"
        with mock.patch(RESOLVE, return_value=["169.254.169.254"]) as resolve:
            with self.assertRaisesRegex(ValidationError, "169.254.169.254"):
                self._create(url)
        resolve.assert_called_with("cartona.rebind.example", 443)
        with mock.patch(RESOLVE, return_value=["93.184.216.34"]):
            self.assertEqual(self._create(url).api_base_url, url)

    def test_an_account_saved_before_these_rules_calls_nothing(self):
        """An address stored before the check (an upgrade) is refused at call time."""
        self.env.cr.execute(
            "UPDATE marketplace_config SET api_base_url = %s WHERE id = %s",
            ("http://169.254.169.254/latest/", self.config.id),
        )
        self.config.invalidate_recordset()
        action = self.config.with_user(self.manager).action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertEqual(self.config.connection_status, "error")
        self.assertIn("169.254.169.254", self.config.connection_message)
        order = self._make_order()
        order.with_context(skip_marketplace_sync=True).action_confirm()
        self._run_job(order)
        self.assertEqual(order.marketplace_sync_status, "error")
        self.assertIn("169.254.169.254", order.marketplace_error_message)
        self.assertEqual(self.sandbox.state.requests, [])


@tagged("post_install", "-at_install")
class TestCookies(CartonaCase):
    def test_no_cookie_reaches_another_account(self):
        """Two accounts on one Cartona host: what Cartona sets for one never goes
        with the other's requests (nor back with the first's: no cookie jar)."""
        manager = _manager(self.env)
        other = self.env["marketplace.config"].create(
            {
                "name": "Cartona sandbox, wholesale account",
                "api_base_url": self.sandbox.base_url,
                "auth_token": SANDBOX_TOKEN,
                "allow_local_sandbox": True,
            }
        )
        self.sandbox.state.set_cookie("cartona_session=retail-account; Path=/")
        self.config.with_user(manager).action_test_connection()
        other.with_user(manager).action_test_connection()
        self.config.with_user(manager).action_test_connection()
        requests = self.sandbox.state.requests
        self.assertEqual(len(requests), 3)
        self.assertEqual([r["status"] for r in requests], [200, 200, 200])
        for request in requests:
            self.assertNotIn("Cookie", request["headers"])
