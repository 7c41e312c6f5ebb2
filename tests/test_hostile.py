# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Hostile or broken input: base URLs, cookies between accounts, unreadable feeds.

Each test acts as the person concerned: a Marketplace Manager sets accounts up and
pulls the feed, a Marketplace User reads the logs.
"""

import json
from unittest import mock

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.tests.common import trap_jobs

from ..cartona import payloads
from .common import SANDBOX_TOKEN, CartonaCase
from .test_inbound import CLIENT, PROCESSOR, InboundCase

RESOLVE = "odoo.addons.cartona_marketplace.cartona.urls.resolve_host"
PRODUCTION = "https://supplier-integrations.cartona.com/api/v1/"
DEEP_ENTRY = '{"hashed_id": "Deep1", "x": ' + "[" * 5000 + "]" * 5000 + "}"


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


@tagged("post_install", "-at_install")
class TestHostileFeed(InboundCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = _manager(cls.env)
        cls.reader = _user(cls.env)

    def _pull_as_manager(self):
        with trap_jobs() as trap:
            action = self.config.with_user(self.manager).action_pull_orders()
            self._run_jobs(trap)
        self.env.invalidate_all()
        return action

    def test_a_retailers_address_notes_reach_the_partner_as_text(self):
        hostile = (
            '<a href="https://evil.example/login">re-enter your password</a>'
            "<h1>Urgent</h1>"
        )
        retailer = dict(
            self._payload()["retailer"], retailer_code="HX001", address_notes=hostile
        )
        hashed_id = self._feed(retailer=retailer)
        self._pull_as_manager()
        comment = self._order(hashed_id).partner_id.comment
        self.assertNotIn("<a href", comment)
        self.assertNotIn("<h1>", comment)
        self.assertIn("&lt;a href=", comment)
        self.assertIn("&lt;h1&gt;Urgent", comment)

    def _unreadable_logs(self):
        return self._logs("order_pull", outcome="protocol_error")

    @mute_logger(CLIENT)
    def test_an_unreadable_entry_never_stops_the_feed(self):
        self.config.pull_page_size = 4
        first = self._feed()
        self.sandbox.state.add_raw_entry(DEEP_ENTRY)
        second = self._feed()
        self._pull_as_manager()
        for hashed_id in (first, second):
            self.assertTrue(self._order(hashed_id), "the good entries are imported")
            self.assertTrue(self._acknowledged(hashed_id))
        log = self._unreadable_logs()
        self.assertEqual(len(log), 1)
        self.assertIn("1", log.message)
        self.assertLess(len(log.response_body), 2100)
        self.assertTrue(log.payload_fingerprint)
        # The entry stays in the feed: the next pulls skip it, logged once.
        self._pull_as_manager()
        self._pull_as_manager()
        self.assertEqual(self._unreadable_logs(), log)
        self.assertEqual(self.config.connection_status, "not_tested")

    @mute_logger(CLIENT)
    def test_a_foreign_answer_is_kept_bounded_and_redacted(self):
        """A base URL that reaches something else than Cartona: its answer (here an
        HTML page echoing the token and an OTP) is kept as a short excerpt only."""
        page = (
            f'<html>"pickup_otp": "771203" token={SANDBOX_TOKEN} '
            f"{'internal ' * 100_000} AuthorizationToken: {SANDBOX_TOKEN}</html>"
        )
        self.sandbox.state.add_fault("error", status=200, body=page)
        self._pull_as_manager()
        log = self._logs("order_pull").with_user(self.reader)
        self.assertEqual(len(log), 1)
        self.assertEqual(log.outcome, "protocol_error")
        for text in (
            log.response_body,
            log.error_message,
            self.config.last_pull_result,
        ):
            self.assertLess(len(text), 2100)
            self.assertNotIn(SANDBOX_TOKEN, text)
            self.assertNotIn("771203", text)

    @mute_logger(PROCESSOR)
    def test_a_lone_surrogate_is_refused_at_pull_with_its_reason(self):
        """Refused when pulled, with the reason logged; never a job whose
        arguments Job Queue could not show."""
        good = self._feed()
        raw = json.dumps(
            self._payload(hashed_id="SURR0001"), ensure_ascii=True
        ).replace("Nour Grocery", "Nour \\ud800 Grocery")
        self.sandbox.state.add_raw_entry(raw.encode())
        with trap_jobs() as trap:
            self.config.with_user(self.manager).action_pull_orders()
            imports = [
                job for job in trap.enqueued_jobs if job.method_name == "_import_order"
            ]
            self.assertEqual(len(imports), 1, "the good entry only")
            self._run_jobs(trap)
        self.assertTrue(self._order(good))
        self.assertFalse(self._order("SURR0001"))
        log = self._logs("order_import", cartona_id="SURR0001")
        self.assertEqual(log.outcome, "error")
        self.assertIn("surrogate", log.error_message)
        log.request_body.encode("utf-8")  # storable, shown as text

    def test_feed_entries_are_logged_with_otps_masked(self):
        hashed_id = self._feed(pickup_otp="7731", delivered_by="delivered_by_cartona")
        self._pull_as_manager()
        self.assertTrue(self._order(hashed_id))
        for log in self._logs("order_pull"):
            self.assertNotIn("7731", log.response_body or "")
        self.assertIn("pickup_otp", payloads.SECRET_KEYS)
