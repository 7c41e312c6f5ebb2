# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Security, round 2, the smaller holes: oversized answers, the token alert of a
user without e-mail, the local-sandbox tick, the pickup OTP in job arguments."""

import json

from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import config as odoo_config

from odoo.addons.queue_job.job import Job
from odoo.addons.queue_job.tests.common import trap_jobs

from ..cartona import errors
from . import test_catalog
from .test_inbound import InboundCase
from .test_security import _CaptureAll

MP_MANAGER = "cartona_marketplace.group_marketplace_manager"
TOKEN_ACTIVITY = "cartona_marketplace.mail_activity_type_cartona_token_rejected"
#: Just over the limit: the sandbox announces its length, the client refuses it.
OVERSIZED = "[" + " " * errors.MAX_RESPONSE_BYTES + "]"


@tagged("post_install", "-at_install")
class TestOversizedAnswers(InboundCase):
    def test_an_oversized_pull_page_imports_nothing(self):
        self._feed()
        self.sandbox.state.add_fault(
            "error", status=200, body=OVERSIZED, path="pull-orders"
        )
        with trap_jobs() as trap:
            result = self.config._pull_orders()
            self.assertEqual(trap.enqueued_jobs, [])
        self.assertIn("20 MB", str(result))
        self.assertFalse(
            self.env["sale.order"].search(
                [("marketplace_config_id", "=", self.config.id)]
            )
        )
        log = self._logs("order_pull")[-1:]
        self.assertEqual(log.outcome, "protocol_error")
        self.assertIn("20 MB", log.error_message)
        self.assertLess(len(log.response_body or ""), 5000)


@tagged("post_install", "-at_install")
class TestOversizedCatalogAnswer(test_catalog.CatalogCase):
    def test_an_oversized_answer_marks_nothing_synced(self):
        listing = self._list(self.items[:1])
        self.sandbox.state.add_fault(
            "error", status=200, body=OVERSIZED, path=test_catalog.BULK
        )
        self._sync(lambda: self._adjust(self.items[0], 41))
        self.assertIn("20 MB", str(self.outcomes[0]))
        self.assertNotEqual(listing.cartona_stock, 41)
        self.assertTrue(self.env["marketplace.product.change"].search([]))


@tagged("post_install", "-at_install")
class TestTokenAlertWithoutEmail(InboundCase):
    def test_the_alert_needs_no_email_address(self):
        manager = new_test_user(
            self.env, login="cm_sh_manager", groups=f"base.group_user,{MP_MANAGER}"
        )
        manager.email = False
        self.config.user_id = manager
        self.config.auth_token = "wrong"
        # Its notification is queued, as a server's mail is (sent by the mail cron
        # from the company's alias domain).
        self.config.with_user(manager).with_context(
            mail_notify_force_send=False
        ).action_test_connection()
        alerted = self.config.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(TOKEN_ACTIVITY)
        ).user_id
        self.assertIn(manager, alerted)
        self.assertEqual(self.config.connection_status, "auth_failed")


@tagged("post_install", "-at_install")
class TestLocalSandboxTick(InboundCase):
    def test_only_loopback_on_unprivileged_ports_that_are_not_odoos(self):
        odoo_ports = {
            int(odoo_config.get(key) or 0) for key in ("http_port", "gevent_port")
        } - {0}
        refused = [
            "http://127.0.0.1:80/api/v1/",
            "http://localhost/api/v1/",
            "https://127.0.0.1/api/v1/",
            "http://127.0.0.1:1023/api/v1/",
            "https://supplier-integrations.cartona.com/api/v1/",
            *(f"http://127.0.0.1:{port}/api/v1/" for port in odoo_ports),
            *(f"http://localhost:{port}/web/" for port in odoo_ports),
        ]
        for url in refused:
            with self.subTest(url=url), self.assertRaises(ValidationError) as caught:
                self.config.write({"api_base_url": url})
            self.assertIn("1024", str(caught.exception))
        self.config.write({"api_base_url": "http://127.0.0.1:18999/api/v1/"})
        self.config.write({"api_base_url": "http://[::1]:18999/api/v1/"})


@tagged("post_install", "-at_install")
class TestPickupOtpOutOfJobs(InboundCase):
    OTP = "918273"

    def test_the_pickup_otp_stands_in_no_job_nor_log(self):
        hashed_id = self._feed(
            delivered_by="delivered_by_cartona",
            status="approved",
            pickup_date="2025-03-03",
            pickup_otp=self.OTP,
        )
        with _CaptureAll() as capture:
            self.config._pull_orders()
            jobs = self.env["queue.job"].search([("method_name", "=", "_import_order")])
            self.assertEqual(len(jobs), 1)
            stored = json.dumps(
                [jobs.args, jobs.kwargs, jobs.func_string, jobs.name], default=str
            )
            self.assertIn(hashed_id, stored)
            self.assertNotIn(self.OTP, stored)
            with trap_jobs():
                Job.load(self.env, jobs.uuid).perform()
        self.env.invalidate_all()
        order = self._order(hashed_id)
        # The job put it back where it belongs, read from its protected place.
        self.assertEqual(order.cartona_pickup_otp, self.OTP)
        self.assertFalse(self.env["marketplace.pulled.secret"].sudo().search([]))
        self.assertNotIn(self.OTP, "\n".join(capture.texts))
        for log in self._logs():
            self.assertNotIn(self.OTP, str(log.request_body) + str(log.response_body))
