# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import secrets
from datetime import timedelta
from unittest.mock import patch

from lxml import etree

from odoo import fields
from odoo.modules.db import FunctionStatus
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, file_open

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT

from ..models import marketplace_sync_log as sync_log

CRON = "cartona_marketplace.ir_cron_marketplace_sync_log_cleanup"
LOGGER = "odoo.addons.cartona_marketplace.models.marketplace_sync_log"


@tagged("post_install", "-at_install")
class TestSyncLogCleanup(TransactionCase):
    """The cleanup cron of ``marketplace.sync.log`` and the table's indexes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        cls.Log = cls.env["marketplace.sync.log"]
        cls.cron = cls.env.ref(CRON)
        cls.shipped_param = cls.env.ref(
            "cartona_marketplace.config_parameter_log_retention_days"
        )
        cls.env["ir.config_parameter"].set_param(sync_log.RETENTION_PARAM, "30")
        # The tests count the old logs of the whole table: start from none
        # (rolled back with the test class).
        cls.env.cr.execute("DELETE FROM marketplace_sync_log")

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _set_retention(self, value):
        self.env["ir.config_parameter"].set_param(sync_log.RETENTION_PARAM, value)

    def _logs(self, count, age):
        """``count`` logs created ``age`` (a timedelta) ago."""
        logs = self.Log.create(
            [
                {
                    "operation": "status_push",
                    "outcome": "success",
                    "cartona_id": f"C{n:05d}",
                }
                for n in range(count)
            ]
        )
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE marketplace_sync_log SET create_date = %s WHERE id IN %s",
                fields.Datetime.now() - age,
                tuple(logs.ids),
            )
        )
        logs.invalidate_recordset()
        return logs

    def _old_count(self):
        cutoff = fields.Datetime.now() - timedelta(days=30)
        return self.Log.search_count([("create_date", "<", cutoff)])

    def _cleanup_in_cron_context(self, batch_size=None):
        """One call as the cron runner makes it: with a progress record."""
        cron, progress = self.cron._add_progress()
        self.Log.with_context(
            ir_cron_progress_id=progress.id, cron_id=cron.id
        )._cron_cleanup(batch_size=batch_size)
        return progress

    def _process_cron(self):
        """Run the cron's server action through the real cron runner, whose
        commits are savepoints in test mode."""
        self.env.flush_all()
        self.registry.enter_test_mode(self.cr)
        job = {
            **self.cron.read(load=None)[0],
            "done": 0,
            "remaining": 0,
            "timed_out_counter": 0,
        }
        try:
            with self.registry.cursor() as cron_cr:
                self.registry["ir.cron"]._process_job(
                    self.registry.db_name, cron_cr, job
                )
        finally:
            self.registry.leave_test_mode()
        self.env.invalidate_all()

    def _progress(self):
        return self.env["ir.cron.progress"].search(
            [("cron_id", "=", self.cron.id)], order="id"
        )

    def _indexes(self):
        self.env.cr.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'marketplace_sync_log'"
        )
        return dict(self.env.cr.fetchall())

    def _plan(self, domain):
        """The plan of the ORM's own condition for ``domain`` with every plan but
        bitmap index scans disabled (the test table is too small for the planner
        to prefer an index): an index shows up only if it can serve the SQL Odoo
        generates."""
        query = self.Log._search(domain)
        cr = self.env.cr
        cr.execute("SET LOCAL enable_seqscan = off")
        cr.execute("SET LOCAL enable_indexscan = off")
        try:
            cr.execute(
                SQL(
                    "EXPLAIN SELECT id FROM marketplace_sync_log WHERE %s",
                    query.where_clause,
                )
            )
            return "\n".join(row[0] for row in cr.fetchall())
        finally:
            cr.execute("SET LOCAL enable_seqscan = on")
            cr.execute("SET LOCAL enable_indexscan = on")

    # ------------------------------------------------------------------
    # Retention
    # ------------------------------------------------------------------
    def test_old_logs_deleted_recent_logs_kept(self):
        old = self._logs(4, timedelta(days=30, hours=1))
        older = self._logs(2, timedelta(days=400))
        recent = self._logs(3, timedelta(days=29, hours=23))
        new = self._logs(2, timedelta(0))
        deleted = self.Log._cron_cleanup()
        self.assertEqual(deleted, 6)
        self.assertFalse((old | older).exists())
        self.assertEqual((recent | new).exists(), recent | new)
        self.assertEqual(self._old_count(), 0)

    def test_default_retention_is_90_days(self):
        self.env["ir.config_parameter"].search(
            [("key", "=", sync_log.RETENTION_PARAM)]
        ).unlink()
        self.assertEqual(self.Log._log_retention_days(), 90)
        kept = self._logs(2, timedelta(days=89))
        gone = self._logs(2, timedelta(days=91))
        self.Log._cron_cleanup()
        self.assertEqual(kept.exists(), kept)
        self.assertFalse(gone.exists())

    def test_shipped_parameter(self):
        # the System Parameter integrators edit, installed with the module
        self.assertEqual(self.shipped_param.key, sync_log.RETENTION_PARAM)
        self.assertTrue(
            self.env["ir.model.data"]
            .search(
                [
                    ("module", "=", "cartona_marketplace"),
                    ("name", "=", "config_parameter_log_retention_days"),
                ]
            )
            .noupdate,
            "an integrator's value survives upgrades",
        )
        with file_open("cartona_marketplace/data/ir_config_parameter_data.xml") as f:
            arch = etree.parse(f)
        self.assertEqual(
            arch.findtext(".//field[@name='value']"),
            str(sync_log.DEFAULT_RETENTION_DAYS),
            "the shipped value is the default the code falls back to",
        )

    def test_retention_zero_keeps_everything(self):
        self._set_retention("0")
        logs = self._logs(3, timedelta(days=4000))
        progress = self._cleanup_in_cron_context()
        self.assertEqual(logs.exists(), logs)
        self.assertEqual((progress.done, progress.remaining), (0, 0))

    def test_invalid_retention_falls_back_to_default(self):
        self._set_retention("ninety")
        with self.assertLogs(LOGGER, logging.WARNING) as logged:
            self.assertEqual(self.Log._log_retention_days(), 90)
        self.assertIn("ninety", logged.output[0])
        self._set_retention("-5")
        with self.assertLogs(LOGGER, logging.WARNING):
            self.assertEqual(self.Log._log_retention_days(), 90)
        self._set_retention(" 7 ")
        self.assertEqual(self.Log._log_retention_days(), 7)

    def test_cleanup_logs_one_info_line(self):
        self._logs(2, timedelta(days=31))
        with self.assertLogs(LOGGER, logging.INFO) as logged:
            self.Log._cron_cleanup()
        self.assertEqual(len(logged.output), 1)
        self.assertIn(
            "2 log(s) older than 30 days deleted, 0 remaining", logged.output[0]
        )

    # ------------------------------------------------------------------
    # Batches
    # ------------------------------------------------------------------
    def test_batches_report_progress(self):
        old = self._logs(7, timedelta(days=60))
        recent = self._logs(2, timedelta(days=1))
        total_old = self._old_count()
        self.assertEqual(total_old, 7)
        progress = self._cleanup_in_cron_context(batch_size=3)
        self.assertEqual((progress.done, progress.remaining), (3, 4))
        # the oldest ids go first
        self.assertFalse(old[:3].exists())
        self.assertEqual(old[3:].exists(), old[3:])
        progress = self._cleanup_in_cron_context(batch_size=3)
        self.assertEqual((progress.done, progress.remaining), (3, 1))
        progress = self._cleanup_in_cron_context(batch_size=3)
        self.assertEqual((progress.done, progress.remaining), (1, 0))
        progress = self._cleanup_in_cron_context(batch_size=3)
        self.assertEqual((progress.done, progress.remaining), (0, 0))
        self.assertFalse(old.exists())
        self.assertEqual(recent.exists(), recent)

    def test_cron_runner_repeats_batches_until_done(self):
        old = self._logs(7, timedelta(days=60))
        recent = self._logs(2, timedelta(days=1))
        self._progress().unlink()
        with patch.object(sync_log, "CLEANUP_BATCH_SIZE", 3):
            self._process_cron()
        self.assertEqual(
            [(p.done, p.remaining) for p in self._progress()],
            [(3, 4), (3, 1), (1, 0)],
            "one batch per call, each call committed by the runner",
        )
        self.assertFalse(old.exists())
        self.assertEqual(recent.exists(), recent)
        self.assertGreater(self.cron.nextcall, fields.Datetime.now())

    def test_cron_runner_reschedules_when_work_remains(self):
        old = self._logs(25, timedelta(days=60))
        self._progress().unlink()
        self.cron.nextcall = fields.Datetime.now() - timedelta(minutes=1)
        with patch.object(sync_log, "CLEANUP_BATCH_SIZE", 2):
            self._process_cron()
            progress = self._progress()
            # the runner stops after 10 calls and leaves the job ready
            self.assertEqual(len(progress), 10)
            self.assertEqual(sum(progress.mapped("done")), 20)
            self.assertEqual(progress[-1].remaining, 5)
            self.assertEqual(len(old.exists()), 5)
            ready = self.registry["ir.cron"]._get_all_ready_jobs(self.env.cr)
            self.assertIn(self.cron.id, [job["id"] for job in ready])
            self._process_cron()
        self.assertFalse(old.exists())
        self.assertEqual(self._progress()[-1].remaining, 0)
        self.assertGreater(self.cron.nextcall, fields.Datetime.now())

    def test_manual_run_triggers_the_cron_when_work_remains(self):
        self._logs(5, timedelta(days=60))
        Trigger = self.env["ir.cron.trigger"]
        Trigger.search([("cron_id", "=", self.cron.id)]).unlink()
        self.Log._cron_cleanup(batch_size=3)
        self.assertEqual(Trigger.search_count([("cron_id", "=", self.cron.id)]), 1)
        self.Log._cron_cleanup(batch_size=3)
        self.assertEqual(
            Trigger.search_count([("cron_id", "=", self.cron.id)]),
            1,
            "nothing left: no new trigger",
        )

    # ------------------------------------------------------------------
    # The cron record and the indexes
    # ------------------------------------------------------------------
    def test_cron_record(self):
        self.assertTrue(self.cron.active)
        self.assertEqual(self.cron.model_id.model, "marketplace.sync.log")
        self.assertEqual(self.cron.code.strip(), "model._cron_cleanup()")
        self.assertEqual(
            (self.cron.interval_number, self.cron.interval_type), (1, "days")
        )
        self.assertEqual(self.cron.user_id, self.env.ref("base.user_root"))
        self.assertTrue(hasattr(type(self.Log), "_cron_cleanup"))

    def test_indexes_exist(self):
        indexes = self._indexes()
        self.assertIn("(create_date)", indexes["marketplace_sync_log_create_date_idx"])
        self.assertIn(
            "(order_id, id DESC)", indexes["marketplace_sync_log_order_id_desc_idx"]
        )
        self.assertIn(
            "(outcome, create_date DESC)",
            indexes["marketplace_sync_log_outcome_create_idx"],
        )
        self.assertIn(
            "(outcome, company_id)",
            indexes["marketplace_sync_log_outcome_company_idx"],
        )
        # the btree for "=" searches on the External Order ID stays
        self.assertIn(
            "btree (cartona_id)", indexes["marketplace_sync_log__cartona_id_index"]
        )
        self.env.cr.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if not self.env.cr.fetchone():
            self.assertNotIn("marketplace_sync_log_cartona_id_trgm_idx", indexes)
            self.skipTest("pg_trgm is not installed: no trigram index expected")
        for column in sync_log.TRIGRAM_COLUMNS:
            definition = indexes[f"marketplace_sync_log_{column}_trgm_idx"]
            self.assertIn("USING gin", definition)
            self.assertIn("gin_trgm_ops", definition)
            self.assertIn(column, definition)

    def test_queries_use_the_indexes(self):
        since = fields.Datetime.now() - timedelta(days=1)
        self.assertIn(
            "marketplace_sync_log_create_date_idx",
            self._plan([("create_date", ">=", since)]),
        )
        self.env.cr.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if not self.env.cr.fetchone():
            self.skipTest("pg_trgm is not installed: no trigram index expected")
        # the index expression matches the SQL Odoo generates for ilike
        for column in sync_log.TRIGRAM_COLUMNS:
            self.assertIn(
                f"marketplace_sync_log_{column}_trgm_idx",
                self._plan([(column, "ilike", "B01234")]),
            )

    def _assert_trigram_skipped(self, reason):
        with self.assertLogs(LOGGER, logging.DEBUG) as logged:
            self.Log._init_trigram_indexes()
        self.assertEqual(len(logged.records), 1)
        self.assertEqual(logged.records[0].levelno, logging.INFO)
        self.assertIn("trigram indexes for ilike searches skipped", logged.output[0])
        self.assertIn(reason, logged.output[0])
        for column in sync_log.TRIGRAM_COLUMNS:
            self.assertNotIn(f"marketplace_sync_log_{column}_trgm_idx", self._indexes())

    def test_trigram_skipped_without_privilege(self):
        cr = self.env.cr
        cr.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if not cr.fetchone():
            self.skipTest("pg_trgm is not available on this server")
        # rolled back with the test: no extension, and a role that may not create it
        role = f"cartona_test_{secrets.token_hex(4)}"
        cr.execute("DROP EXTENSION IF EXISTS pg_trgm CASCADE")
        cr.execute(SQL("CREATE ROLE %s NOLOGIN", SQL.identifier(role)))
        cr.execute(SQL("SET LOCAL ROLE %s", SQL.identifier(role)))
        try:
            self._assert_trigram_skipped("permission denied")
        finally:
            cr.execute("RESET ROLE")
        cr.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        self.assertFalse(cr.fetchone())
        # the database owner may: the indexes come back
        self.Log._init_trigram_indexes()
        for column in sync_log.TRIGRAM_COLUMNS:
            self.assertIn(f"marketplace_sync_log_{column}_trgm_idx", self._indexes())

    def test_trigram_skipped_when_unaccent_is_not_immutable(self):
        cr = self.env.cr
        cr.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if not cr.fetchone():
            self.skipTest("pg_trgm is not installed")
        for column in sync_log.TRIGRAM_COLUMNS:
            cr.execute(
                SQL(
                    "DROP INDEX %s",
                    SQL.identifier(f"marketplace_sync_log_{column}_trgm_idx"),
                )
            )
        # Odoo then compares unaccent(column): an index on the column cannot serve
        with patch.object(self.registry, "has_unaccent", FunctionStatus.PRESENT):
            self._assert_trigram_skipped("not immutable")
        with patch.object(self.registry, "has_unaccent", FunctionStatus.MISSING):
            self.Log._init_trigram_indexes()
        for column in sync_log.TRIGRAM_COLUMNS:
            self.assertIn(
                f"gin ({column} gin_trgm_ops)",
                self._indexes()[f"marketplace_sync_log_{column}_trgm_idx"],
            )
