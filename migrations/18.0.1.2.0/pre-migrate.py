# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""18.0.1.2.0: ``batch_size`` stood for three limits; each gets a field of its own,
every account keeping the value it had for all three."""


def migrate(cr, version):
    cr.execute(
        """
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'marketplace_config' AND column_name = 'batch_size'
        """
    )
    if not cr.fetchone():
        return
    cr.execute(
        """
        ALTER TABLE marketplace_config
            ADD COLUMN IF NOT EXISTS pull_page_size integer,
            ADD COLUMN IF NOT EXISTS catalog_batch_size integer
        """
    )
    cr.execute(
        """
        UPDATE marketplace_config
           SET pull_page_size = batch_size, catalog_batch_size = batch_size
        """
    )
    cr.execute(
        "ALTER TABLE marketplace_config RENAME COLUMN batch_size TO status_batch_size"
    )
    cr.execute(
        """
        ALTER TABLE marketplace_config
            DROP CONSTRAINT IF EXISTS marketplace_config_batch_size_range
        """
    )
