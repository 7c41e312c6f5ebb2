# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Who is told: one rule of who counts as a person, one finder of who acts on an
order's or an account's Cartona problems, and the language they read it in."""

from odoo import SUPERUSER_ID, api, models
from odoo.tools import SQL

MANAGER_GROUP = "cartona_marketplace.group_marketplace_manager"
USER_GROUP = "cartona_marketplace.group_marketplace_user"


def person_sql(alias="u"):
    """The SQL twin of :meth:`MarketplacePeople._is_person`, on ``res_users``."""
    return SQL(
        "(%s.active AND NOT %s.share AND %s.id != %s)",
        SQL.identifier(alias),
        SQL.identifier(alias),
        SQL.identifier(alias),
        SUPERUSER_ID,
    )


class MarketplacePeople(models.AbstractModel):
    _name = "marketplace.people"
    _description = "Cartona: Who Is Told"

    @api.model
    def _is_person(self, user):
        """A user who may still act: active, internal, not OdooBot (the superuser)."""
        return bool(user) and user.active and not user.share and user.id != SUPERUSER_ID

    @api.model
    def _people(self, users):
        return users.filtered(self._is_person)

    @api.model
    def _account_responsible(self, config):
        """The account's responsible, if a person; else no user."""
        user = config.user_id
        return user if self._is_person(user) else self.env["res.users"]

    @api.model
    def _responsible(self, order, salesperson=None):
        """Who acts on this order's Cartona problems: its salesperson, else its
        account's responsible, else a Marketplace Manager of its company; always a
        person (see :meth:`_is_person`).

        Returns ``(user, lang, tz)``; ``salesperson`` is what the reconciler's lock
        read of the order's salesperson, when it did.
        """
        Users = self.env["res.users"]
        if salesperson is None:
            user = order.user_id
            if self._is_person(user):
                return user, user.lang, user.tz
        elif salesperson[0]:
            return Users.browse(salesperson[0]), salesperson[1], salesperson[2]
        # The account's responsible, else a Marketplace Manager, either a user of
        # the order's company: one statement, whatever the number of managers.
        responsible = order.marketplace_config_id.user_id.id or 0
        self.env.cr.execute(
            SQL(
                """
                SELECT u.id, p.lang, p.tz
                  FROM res_users u
                  JOIN res_partner p ON p.id = u.partner_id
                 WHERE %(person)s
                   AND u.id IN (SELECT user_id FROM res_company_users_rel
                                 WHERE cid = %(company)s)
                   AND (u.id = %(responsible)s OR u.id IN (
                        SELECT uid FROM res_groups_users_rel WHERE gid = %(group)s))
                 ORDER BY u.id = %(responsible)s DESC, u.id
                 LIMIT 1
                """,
                person=person_sql(),
                responsible=responsible,
                # The id alone, from the registry's cache: no query.
                group=self.env["ir.model.data"]._xmlid_to_res_id(MANAGER_GROUP),
                company=order.company_id.id,
            )
        )
        row = self.env.cr.fetchone()
        if row:
            return Users.browse(row[0]), row[1], row[2]
        return Users, order.company_id.partner_id.lang, None

    @api.model
    def _for_reader(self, order, salesperson=None):
        """``order`` in its responsible's language and time zone."""
        _user, lang, tz = self._responsible(order, salesperson)
        context = {"lang": lang or order.env.lang}
        if tz:
            context["tz"] = tz
        return order.with_context(**context)
