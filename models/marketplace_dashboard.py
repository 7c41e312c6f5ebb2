# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Figures of the Cartona overview, one kanban card per configuration.

Every figure is an aggregate on an indexed column (see the ``init`` methods of
``sale.order`` and ``marketplace.sync.log``), computed on demand, never stored, so it is
right even while jobs are syncing. Every figure opens the list it counts.
"""

from datetime import timedelta

from odoo import fields, models

from .marketplace_sync_log import ERROR_OUTCOMES

JOB_METHOD = "_sync_status_to_marketplace"
OPEN_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")


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

    def _dashboard_job_domain(self, states):
        return [
            ("model_name", "=", "sale.order"),
            ("method_name", "=", JOB_METHOD),
            ("company_id", "in", self.company_id.ids),
            ("state", "in", states),
        ]

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
                self._dashboard_order_domain(["not_synced", "syncing", "error"]),
                ["marketplace_config_id"],
                ["write_date:min"],
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
        # sudo: job figures only; queue jobs are readable by queue managers alone.
        Job = self.env["queue.job"].sudo()
        open_jobs = dict(
            Job._read_group(
                self._dashboard_job_domain(OPEN_JOB_STATES), ["company_id"], ["__count"]
            )
        )
        failed_jobs = dict(
            Job._read_group(
                self._dashboard_job_domain(("failed",)), ["company_id"], ["__count"]
            )
        )
        for config in self:
            config.dashboard_not_synced_count = by_status.get((config, "not_synced"), 0)
            config.dashboard_syncing_count = by_status.get((config, "syncing"), 0)
            config.dashboard_synced_count = by_status.get((config, "synced"), 0)
            config.dashboard_error_count = by_status.get((config, "error"), 0)
            config.dashboard_errors_24h = errors.get(config, 0)
            config.dashboard_blocked_24h = blocked.get(config, 0)
            company = config.company_id.sudo()
            config.dashboard_open_jobs = open_jobs.get(company, 0)
            config.dashboard_failed_jobs = failed_jobs.get(company, 0)
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
                self._dashboard_listing_domain(["error", "to_map"]),
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
            config.dashboard_listing_error_count = by_state.get((config, "error"), 0)
            config.dashboard_listing_to_map_count = by_state.get((config, "to_map"), 0)
            config.dashboard_last_catalog_sync = last.get(config, False)

    def action_dashboard_open(self):
        """Open the list a dashboard figure counts (``figure`` in the context)."""
        self.ensure_one()
        figure = self.env.context.get("figure")
        _ = self.env._
        orders = {
            "not_synced": _("Orders Not Synced"),
            "syncing": _("Orders Syncing"),
            "synced": _("Orders Synced"),
            "error": _("Orders in Error"),
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
                "queue.job", _("Cartona Jobs"), self._dashboard_job_domain(states)
            )
        listings = {
            "listing_error": (_("Listings in Error"), ["error"]),
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
                _("Unsynced Orders"),
                self._dashboard_order_domain(["not_synced", "syncing", "error"]),
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
