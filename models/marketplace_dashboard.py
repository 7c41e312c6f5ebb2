# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Figures of the Cartona overview, one kanban card per configuration.

Every figure is an aggregate on an indexed column (see the ``init`` methods of
``sale.order`` and ``marketplace.sync.log``), computed on demand, never stored, so it is
right even while jobs are syncing. Every figure opens the list it counts.
"""

from datetime import timedelta

from odoo import fields, models

from .marketplace_sync_log import ERROR_OUTCOMES

OPEN_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")
#: The integration's jobs: (model, method) -> how a job names its account: the
#: account id as first argument, or the account of the records it runs on.
ACCOUNT_OF_JOB = {
    ("sale.order", "_sync_status_to_marketplace"): "records",
    ("marketplace.order.processor", "_import_order"): "first_arg",
    ("marketplace.order.acknowledgement", "_acknowledge_orders"): "first_arg",
}


class MarketplaceConfig(models.Model):
    _inherit = "marketplace.config"

    dashboard_not_synced_count = fields.Integer(compute="_compute_dashboard")
    dashboard_syncing_count = fields.Integer(compute="_compute_dashboard")
    dashboard_synced_count = fields.Integer(compute="_compute_dashboard")
    dashboard_error_count = fields.Integer(compute="_compute_dashboard")
    dashboard_errors_24h = fields.Integer(
        string="Errors (24 h)", compute="_compute_dashboard"
    )
    dashboard_blocked_24h = fields.Integer(
        string="Blocked by Rules (24 h)", compute="_compute_dashboard"
    )
    dashboard_open_jobs = fields.Integer(
        string="Pending Jobs", compute="_compute_dashboard"
    )
    dashboard_failed_jobs = fields.Integer(
        string="Failed Jobs", compute="_compute_dashboard"
    )
    dashboard_oldest_unsynced = fields.Datetime(
        string="Oldest Unsynced Change", compute="_compute_dashboard"
    )
    # Catalog on Cartona
    dashboard_listing_error_count = fields.Integer(
        string="Listings in Error", compute="_compute_dashboard_catalog"
    )
    dashboard_listing_to_map_count = fields.Integer(
        string="Listings to Map", compute="_compute_dashboard_catalog"
    )
    dashboard_last_catalog_sync = fields.Datetime(
        string="Last Catalog Sync",
        compute="_compute_dashboard_catalog",
        help="When Cartona last accepted a stock or price of this account.",
    )

    def _dashboard_since(self):
        return fields.Datetime.now() - timedelta(hours=24)

    def _dashboard_order_domain(self, sync_statuses=None):
        domain = [("marketplace_config_id", "in", self.ids)]
        if sync_statuses:
            domain.append(("marketplace_sync_status", "in", sync_statuses))
        return domain

    def _dashboard_log_domain(self, outcomes):
        return [
            ("config_id", "in", self.ids),
            ("outcome", "in", outcomes),
            ("create_date", ">=", self._dashboard_since()),
        ]

    def _dashboard_job_domain(self, states, job_ids=None):
        domain = [
            ("model_name", "in", list({model for model, _method in ACCOUNT_OF_JOB})),
            ("method_name", "in", list({method for _model, method in ACCOUNT_OF_JOB})),
            ("state", "in", states),
        ]
        if job_ids is not None:
            domain.append(("id", "in", job_ids))
        return domain

    def _dashboard_jobs(self, states):
        """``{config: [job ids]}``: the integration's jobs in ``states``, by account.

        Status jobs belong to their order's account, import and acknowledgement
        jobs to the account they were queued for.
        """
        # sudo: job figures only; queue jobs are readable by queue managers alone.
        jobs = self.env["queue.job"].sudo().search(self._dashboard_job_domain(states))
        on_records = {
            job: job.records.ids
            for job in jobs
            if ACCOUNT_OF_JOB.get((job.model_name, job.method_name)) == "records"
        }
        # sudo: the orders' account, whatever the reader may read; one read for all.
        orders = (
            self.env["sale.order"]
            .sudo()
            .browse({oid for ids in on_records.values() for oid in ids})
            .exists()
        )
        account_of = {order.id: order.marketplace_config_id.id for order in orders}
        by_config = {config: [] for config in self}
        for job in jobs:
            if job in on_records:
                accounts = {account_of.get(oid) for oid in on_records[job]}
            else:
                accounts = {job.args[0] if job.args else None}
            for config in self:
                if config.id in accounts:
                    by_config[config].append(job.id)
        return by_config

    def _compute_dashboard(self):
        Order = self.env["sale.order"]
        by_status = {
            (config, status): count
            for config, status, count in Order._read_group(
                self._dashboard_order_domain(),
                ["marketplace_config_id", "marketplace_sync_status"],
                ["__count"],
            )
        }
        oldest = dict(
            Order._read_group(
                self._dashboard_order_domain()
                + [("marketplace_pending_since", "!=", False)],
                ["marketplace_config_id"],
                ["marketplace_pending_since:min"],
            )
        )
        Log = self.env["marketplace.sync.log"]
        errors = dict(
            Log._read_group(
                self._dashboard_log_domain(ERROR_OUTCOMES), ["config_id"], ["__count"]
            )
        )
        blocked = dict(
            Log._read_group(
                self._dashboard_log_domain(("blocked",)),
                ["config_id"],
                ["order_id:count_distinct"],
            )
        )
        open_jobs = self._dashboard_jobs(OPEN_JOB_STATES)
        failed_jobs = self._dashboard_jobs(("failed",))
        for config in self:
            config.dashboard_not_synced_count = by_status.get((config, "not_synced"), 0)
            config.dashboard_syncing_count = by_status.get((config, "syncing"), 0)
            config.dashboard_synced_count = by_status.get((config, "synced"), 0)
            config.dashboard_error_count = by_status.get((config, "error"), 0)
            config.dashboard_errors_24h = errors.get(config, 0)
            config.dashboard_blocked_24h = blocked.get(config, 0)
            config.dashboard_open_jobs = len(open_jobs[config])
            config.dashboard_failed_jobs = len(failed_jobs[config])
            config.dashboard_oldest_unsynced = oldest.get(config, False)

    def _dashboard_listing_domain(self, states=None):
        domain = [("config_id", "in", self.ids)]
        if states:
            domain.append(("sync_state", "in", states))
        return domain

    def _compute_dashboard_catalog(self):
        Listing = self.env["marketplace.product"]
        by_state = {
            (config, state): count
            for config, state, count in Listing._read_group(
                self._dashboard_listing_domain(["error", "refused", "to_map"]),
                ["config_id", "sync_state"],
                ["__count"],
            )
        }
        last = dict(
            Listing._read_group(
                self._dashboard_listing_domain(), ["config_id"], ["last_sync_date:max"]
            )
        )
        for config in self:
            # A listing Cartona refused needs a person as much as one in error.
            config.dashboard_listing_error_count = by_state.get(
                (config, "error"), 0
            ) + by_state.get((config, "refused"), 0)
            config.dashboard_listing_to_map_count = by_state.get((config, "to_map"), 0)
            config.dashboard_last_catalog_sync = last.get(config, False)

    def action_dashboard_open(self):
        """Open the list a dashboard figure counts (``figure`` in the context)."""
        self.ensure_one()
        self._check_caller("read")
        figure = self.env.context.get("figure")
        _ = self.env._
        orders = {
            "not_synced": _("Orders Not Sent"),
            "syncing": _("Orders Being Sent"),
            "synced": _("Orders Up to Date"),
            "error": _("Orders Needing Attention"),
        }
        if figure in orders:
            return self._dashboard_action(
                "sale.order", orders[figure], self._dashboard_order_domain([figure])
            )
        if figure == "errors_24h":
            return self._dashboard_action(
                "marketplace.sync.log",
                _("Sync Errors (24 h)"),
                self._dashboard_log_domain(ERROR_OUTCOMES),
            )
        if figure == "blocked_24h":
            return self._dashboard_action(
                "marketplace.sync.log",
                _("Blocked by Rules (24 h)"),
                self._dashboard_log_domain(("blocked",)),
            )
        if figure in ("open_jobs", "failed_jobs"):
            states = OPEN_JOB_STATES if figure == "open_jobs" else ("failed",)
            return self._dashboard_action(
                "queue.job",
                _("Cartona Jobs"),
                self._dashboard_job_domain(states, self._dashboard_jobs(states)[self]),
            )
        listings = {
            "listing_error": (_("Listings in Error"), ["error", "refused"]),
            "listing_to_map": (_("Listings to Map"), ["to_map"]),
            "listings": (_("Cartona Catalog"), None),
        }
        if figure in listings:
            name, states = listings[figure]
            return self._dashboard_action(
                "marketplace.product", name, self._dashboard_listing_domain(states)
            )
        if figure == "oldest_unsynced":
            return self._dashboard_action(
                "sale.order",
                _("Orders Waiting for Cartona"),
                self._dashboard_order_domain()
                + [("marketplace_pending_since", "!=", False)],
            )
        return False

    def _dashboard_action(self, model, name, domain):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": domain,
            "context": {},
        }
