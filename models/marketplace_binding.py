# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Who may bind a record to Cartona: the fields that say which Cartona order (or
line) a record is are set by the import (as superuser) or a Marketplace Manager.

Whatever the route: ``create``, ``write``, ``default_*`` keys in the context (which
Odoo applies to any record created with that context, the lines an order creates
included), ``copy`` (the fields are ``copy=False``), ``load`` and onchange (both go
through ``default_get`` and ``create``). A field's ``groups=`` would not do:
salespeople must read them. A context key is never a permission: those keys are
dropped for whoever may not bind.
"""

from odoo import api, models
from odoo.exceptions import AccessError

from .marketplace_people import MANAGER_GROUP


class MarketplaceBindingMixin(models.AbstractModel):
    _name = "marketplace.binding.mixin"
    _description = "Cartona Binding Guard"

    #: The fields only the import and Marketplace Managers may set.
    _marketplace_binding_fields = ()
    #: The fields only the import may set, not even a Marketplace Manager.
    _marketplace_import_only_fields = ()
    #: Other fields whose ``default_*`` context keys are dropped with these (those
    #: of the records this model creates: an order's lines).
    _marketplace_binding_defaults = ()

    @api.model
    def default_get(self, fields_list):
        # A context's default_cartona_id & co. bind nothing for a salesperson.
        unbound = self._marketplace_unbound()
        return super(MarketplaceBindingMixin, unbound).default_get(fields_list)

    @api.model_create_multi
    def create(self, vals_list):
        unbound = self._marketplace_unbound()
        for vals in vals_list:
            unbound._marketplace_check_binding(vals)
        return super(MarketplaceBindingMixin, unbound).create(vals_list)

    def write(self, vals):
        self._marketplace_check_binding(vals)
        return super().write(vals)

    @api.model
    def _marketplace_may_bind(self):
        """Whether the user may bind: the import (superuser) or a manager."""
        return self.env.su or self.env.user.has_group(MANAGER_GROUP)

    def _marketplace_unbound(self):
        """These records without the context's ``default_*`` keys of the fields the
        user may not set (a context is whatever a client sends)."""
        env, context = self.env, self.env.context
        if env.su:
            return self
        names = set(self._marketplace_import_only_fields)
        if not self._marketplace_may_bind():
            names |= {
                *self._marketplace_binding_fields,
                *self._marketplace_binding_defaults,
            }
        keys = {f"default_{name}" for name in names} & context.keys()
        if not keys:
            return self
        # Keys are removed, so the context is replaced, every other key kept.
        return self.with_context(  # pylint: disable=context-overridden
            {key: value for key, value in context.items() if key not in keys}
        )

    def _marketplace_check_binding(self, vals):
        """Refuse changes to the fields that bind an order to Cartona, unless made by
        the import (as superuser) or a Marketplace Manager; to the import's own
        fields, unless made by the import.

        Whoever may edit a quotation could otherwise forge a Cartona order (someone
        else's id, an account) and have Odoo push statuses for it, or switch a
        Cartona-delivered order to the supplier. A value equal to the field's
        default (a new ordinary order) or to the order's own is no change.
        """
        if self.env.su:
            return
        names = list(self._marketplace_import_only_fields)
        if not self.env.user.has_group(MANAGER_GROUP):
            names += self._marketplace_binding_fields
        changed = [
            name
            for name in names
            if name in vals and self._marketplace_binding_differs(name, vals[name])
        ]
        if not changed:
            return
        labels = [self._fields[name]._description_string(self.env) for name in changed]
        if set(changed) & set(self._marketplace_import_only_fields):
            raise AccessError(
                self.env._(
                    "Only the import from Cartona may change %(fields)s.",
                    fields=", ".join(labels),
                )
            )
        raise AccessError(
            self.env._(
                "Only a Marketplace Manager may change %(fields)s: these fields "
                "bind an order to Cartona.",
                fields=", ".join(labels),
            )
        )

    def _marketplace_binding_differs(self, name, value):
        field = self._fields[name]
        new = field.convert_to_cache(value, self.browse(), validate=False)
        if not self:
            default = self.default_get([name]).get(name)
            return bool(new) and new != field.convert_to_cache(
                default, self.browse(), validate=False
            )
        return any(
            field.convert_to_cache(order[name], order, validate=False) != new
            for order in self
        )
