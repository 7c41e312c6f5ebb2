# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Orders the import made before ``marketplace_imported`` existed are its own.

An order the import created has taken a version from Cartona's feed
(``cartona_pulled_at``); one bound by hand never has. Only the former keep taking
the versions Cartona sends.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE sale_order
           SET marketplace_imported = TRUE
         WHERE cartona_id IS NOT NULL
           AND marketplace_config_id IS NOT NULL
           AND cartona_pulled_at IS NOT NULL
        """
    )
