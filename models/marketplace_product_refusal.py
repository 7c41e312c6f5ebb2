# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Listings Cartona refuses: what a person reads, and the one activity that says so.

A product Cartona does not carry (or refuses for another reason) is a fact on its
listing: the state ``refused`` and Cartona's reason as plain text
(``cartona_refusal``). The message people read is composed when they read it, in
their own language, from those facts: it names the product and the next step. The
account's responsible has at most one open activity about refused listings, kept
current by every catalog run (the nightly pass included) and closed once none is
refused any more.
"""

from markupsafe import Markup

from odoo import api, fields, models

REFUSAL_ACTIVITY = "cartona_marketplace.mail_activity_type_cartona_listing_refused"
#: Products named in the activity's note; the filter lists them all.
NOTE_PRODUCTS = 10


class MarketplaceProductRefusal(models.Model):
    _inherit = "marketplace.product"

    cartona_refusal = fields.Text(
        string="Cartona's Reason",
        readonly=True,
        copy=False,
        help="Why Cartona refused this product, in Cartona's words.",
    )
    refusal_message = fields.Text(
        string="Refused by Cartona",
        compute="_compute_refusal_message",
        help="What Cartona refused and what to do about it.",
    )

    @api.depends_context("lang")
    @api.depends("sync_state", "cartona_refusal", "product_id", "internal_product_id")
    def _compute_refusal_message(self):
        for listing in self:
            listing.refusal_message = (
                listing._refusal_text() if listing.sync_state == "refused" else False
            )

    def _refusal_product_name(self):
        """How people find the product: its Internal Reference, else its name."""
        self.ensure_one()
        product = self.product_id
        return product.default_code or product.name or self.display_name

    def _refusal_text(self):
        """The refusal in the reader's language (``self.env.lang``)."""
        self.ensure_one()
        _ = self.env._
        return _(
            "Cartona refused %(product)s: %(reason)s.\n"
            "Next step: check its Internal Reference (Cartona was sent %(key)s), "
            "create the product on Cartona's supplier portal, or unlist it "
            "(Archive this listing).",
            product=self._refusal_product_name(),
            reason=self.cartona_refusal or _("Cartona gave no reason"),
            key=self.supplier_product_id or self.internal_product_id or "-",
        )


class MarketplaceConfigRefusal(models.Model):
    _inherit = "marketplace.config"

    def _refusal_responsible(self):
        """Who is told of refused listings: the account's responsible, else a
        Marketplace Manager of its company; never OdooBot, a portal or an inactive
        user."""
        self.ensure_one()
        people = self.env["marketplace.people"]
        user = people._account_responsible(self)
        if user:
            return user
        managers = self.env.ref("cartona_marketplace.group_marketplace_manager").users
        return (
            people._people(managers)
            .filtered(lambda u: self.company_id in u.company_ids)
            .sorted("id")[:1]
        )

    def _refusal_alert(self):
        """Open, update or close the one activity about refused listings."""
        # sudo: the integration's bookkeeping, whoever's change ran the job.
        activity_type = self.env.ref(REFUSAL_ACTIVITY)
        Activity = self.env["mail.activity"].sudo()
        for config in self.sudo():
            refused = (
                self.env["marketplace.product"]
                .sudo()
                .search(
                    [("config_id", "=", config.id), ("sync_state", "=", "refused")],
                    order="id",
                )
            )
            open_activities = Activity.search(
                [
                    ("res_model", "=", config._name),
                    ("res_id", "=", config.id),
                    ("activity_type_id", "=", activity_type.id),
                ],
                order="id",
            )
            if not refused:
                if open_activities:
                    open_activities.action_feedback(
                        feedback=config.with_context(
                            lang=open_activities[0].user_id.lang
                        ).env._("Cartona takes every listed product now.")
                    )
                continue
            user = config._refusal_responsible()
            if not user:
                continue
            reader = config.with_context(lang=user.lang or config.env.lang)
            note = reader._refusal_note(refused.with_context(lang=reader.env.lang))
            summary = reader.env._("Listings refused by Cartona")
            if open_activities:
                open_activities[1:].unlink()
                open_activities[0].write(
                    {"note": note, "summary": summary, "user_id": user.id}
                )
            else:
                reader.activity_schedule(
                    REFUSAL_ACTIVITY, note=note, summary=summary, user_id=user.id
                )

    def _refusal_note(self, refused):
        """The activity's note (escaped: product names are text)."""
        names = [
            self.env._(
                "%(product)s (%(reason)s)",
                product=listing._refusal_product_name(),
                reason=listing.cartona_refusal or self.env._("Cartona gave no reason"),
            )
            for listing in refused
        ]
        shown = ", ".join(names[:NOTE_PRODUCTS])
        if len(names) > NOTE_PRODUCTS:
            shown = self.env._(
                "%(names)s and %(count)s more",
                names=shown,
                count=len(names) - NOTE_PRODUCTS,
            )
        return Markup("<p>%s</p><p>%s</p>") % (
            self.env._(
                "Cartona refused %(count)s listed products of %(config)s: %(names)s.",
                count=len(names),
                config=self.name,
                names=shown,
            ),
            self.env._(
                "Open Cartona Catalog with the filter Refused by Cartona: for each "
                "product, check its Internal Reference, create the product on "
                "Cartona's supplier portal, or unlist it (Archive)."
            ),
        )
