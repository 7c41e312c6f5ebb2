# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Who may bind a record to Cartona: the fields that say which Cartona order (or
line) a record is are set by the import (as superuser) or a Marketplace Manager."""

from odoo import api, models
from odoo.exceptions import AccessError

from .marketplace_people import MANAGER_GROUP


class MarketplaceBindingMixin(models.AbstractModel):
    _name = "marketplace.binding.mixin"
    _description = "Cartona Binding Guard"

    #: The fields only the import and Marketplace Managers may set.
    _marketplace_binding_fields = ()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._marketplace_check_binding(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._marketplace_check_binding(vals)
        return super().write(vals)

    def _marketplace_check_binding(self, vals):
        """Refuse changes to the fields that bind an order to Cartona, unless made by
        the import (as superuser) or a Marketplace Manager.

        Whoever may edit a quotation could otherwise forge a Cartona order (someone
        else's id, an account) and have Odoo push statuses for it, or switch a
        Cartona-delivered order to the supplier. A value equal to the field's
        default (a new ordinary order) or to the order's own is no change.
        """
        if self.env.su or self.env.user.has_group(MANAGER_GROUP):
            return
        changed = [
            name
            for name in self._marketplace_binding_fields
            if name in vals and self._marketplace_binding_differs(name, vals[name])
        ]
        if changed:
            labels = [
                self._fields[name]._description_string(self.env) for name in changed
            ]
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
