# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Changes of listed products that Cartona has not been sent yet.

Whatever changes what Cartona should show (a done move, a reservation or its release,
an inventory adjustment, a scrap, a sales price, a variant extra, a pricelist item, a
listing) calls :meth:`MarketplaceProductChange._mark` in the user's transaction. That
costs no query: the products are collected and written once, when the transaction
commits (``cr.precommit``), by one ``INSERT ... SELECT`` of a row per listed product.
Unlisted products never get one. After the commit (``cr.postcommit``), one catalog
job per account is queued, unless one is waiting already (queue_job's identity key),
a few seconds ahead so that a burst of changes coalesces.

Why rows of their own rather than a "dirty" flag on the listing: the job writes the
listing (what Cartona accepted), and Odoo's transactions are REPEATABLE READ. A user
transaction writing a flag on a listing the job updated meanwhile would fail with a
serialization error and be replayed, a 1,000-line receipt included. Inserted rows
never conflict: the job deletes the rows it read, a user only adds new ones.

Why the job is queued after the commit, in a transaction of its own: deciding "a job
is waiting" inside the user's transaction reads queue_job's table as of that
transaction's start. A long transaction (a big receipt) could see a job as waiting
that has since started and read the changes without this transaction's, and the
changes would wait for the nightly reconcile. After the commit, a job seen waiting has
not started yet, so it will read them.
"""

import logging

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

PRECOMMIT_KEY = "cartona_marketplace.catalog_changes"
POSTCOMMIT_KEY = "cartona_marketplace.catalog_wake"
#: Seconds a catalog job waits after the change that queued it: the changes of a
#: burst (a stream of sales, the lines of a picking validated one by one) go out
#: together.
CATALOG_DELAY = 5


class MarketplaceProductChange(models.Model):
    _name = "marketplace.product.change"
    _description = "Cartona Listing Change"
    _log_access = False
    _order = "id"

    listing_id = fields.Many2one(
        comodel_name="marketplace.product",
        string="Listing",
        required=True,
        index=True,
        ondelete="cascade",
    )
    config_id = fields.Many2one(
        comodel_name="marketplace.config",
        string="Cartona Account",
        required=True,
        ondelete="cascade",
    )
    force = fields.Boolean(
        help="Send every value, even those Cartona has (Sync Catalog Now)."
    )

    def init(self):
        # The job reads an account's changes oldest first.
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS marketplace_product_change_config_id_idx
                ON marketplace_product_change (config_id, id)
            """
        )

    @api.model
    def _mark(
        self,
        product_ids=(),
        listing_ids=(),
        config_ids=(),
        force=False,
        delay=CATALOG_DELAY,
    ):
        """Note that these changed: the listings of ``product_ids``, the listings
        ``listing_ids`` and every listing of the accounts ``config_ids``.

        Nothing is written now: the marks are inserted when the transaction commits
        and the accounts' jobs queued after it (see the module doc). ``force`` sends
        every value; ``delay`` is how soon the job should run.
        """
        if not (product_ids or listing_ids or config_ids):
            return
        cr = self.env.cr
        pending = cr.precommit.data.get(PRECOMMIT_KEY)
        if pending is None:
            pending = cr.precommit.data[PRECOMMIT_KEY] = {
                "products": set(),
                "listings": set(),
                "configs": set(),
                "forced_listings": set(),
                "forced_configs": set(),
                "delay": CATALOG_DELAY,
            }
            cr.precommit.add(self.sudo()._insert_marks)
        pending["products"].update(product_ids)
        pending["listings"].update(listing_ids)
        pending["configs"].update(config_ids)
        if force:
            pending["forced_listings"].update(listing_ids)
            pending["forced_configs"].update(config_ids)
        pending["delay"] = min(pending["delay"], delay)

    @api.model
    def _insert_marks(self):
        """Insert the marks collected in this transaction (a ``precommit`` hook)."""
        pending = self.env.cr.precommit.data.pop(PRECOMMIT_KEY, None)
        if not pending:
            return
        # Listings created or changed in this transaction must be in the table.
        self.env["marketplace.product"].flush_model()
        self.env["marketplace.config"].flush_model(["active"])
        self.env.cr.execute(
            SQL(
                """
                WITH marked AS (
                    INSERT INTO marketplace_product_change
                           (listing_id, config_id, force)
                    SELECT l.id, l.config_id,
                           l.id = ANY(%(forced_listings)s)
                           OR l.config_id = ANY(%(forced_configs)s)
                      FROM marketplace_product l
                      JOIN marketplace_config c ON c.id = l.config_id
                     WHERE l.active AND c.active AND l.product_id IS NOT NULL
                       AND (l.product_id = ANY(%(products)s)
                            OR l.id = ANY(%(listings)s)
                            OR l.config_id = ANY(%(configs)s))
                     ORDER BY l.id
                    RETURNING config_id
                )
                SELECT DISTINCT config_id FROM marked
                """,
                products=sorted(pending["products"]),
                listings=sorted(pending["listings"]),
                configs=sorted(pending["configs"]),
                forced_listings=sorted(pending["forced_listings"]),
                forced_configs=sorted(pending["forced_configs"]),
            )
        )
        config_ids = [row[0] for row in self.env.cr.fetchall()]
        if config_ids:
            self._wake_after_commit(config_ids, pending["delay"])

    @api.model
    def _wake_after_commit(self, config_ids, delay):
        """Queue the catalog job of these accounts once this transaction committed."""
        postcommit = self.env.cr.postcommit
        wake = postcommit.data.get(POSTCOMMIT_KEY)
        if wake is None:
            wake = postcommit.data[POSTCOMMIT_KEY] = {}
            registry, uid = self.env.registry, self.env.uid
            postcommit.add(lambda: queue_catalog_jobs(registry, uid, wake))
        for config_id in config_ids:
            wake[config_id] = min(wake.get(config_id, delay), delay)


def queue_catalog_jobs(registry, uid, wake):
    """Queue the catalog jobs of ``wake`` (``{config_id: delay}``) as ``uid``, in a
    transaction of its own (a ``postcommit`` hook of the transaction that marked)."""
    by_delay = {}
    for config_id, delay in sorted(wake.items()):
        by_delay.setdefault(delay, []).append(config_id)
    try:
        with registry.cursor() as cr:
            env = api.Environment(cr, uid, {})
            for delay, config_ids in by_delay.items():
                env["marketplace.config"].browse(config_ids)._catalog_wake(delay)
    except Exception:
        # The marks are committed: the next change or the nightly reconcile
        # queues the job.
        _logger.exception(
            "Cartona: could not queue the catalog job of accounts %s", sorted(wake)
        )
