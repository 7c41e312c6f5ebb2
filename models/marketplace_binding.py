# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Who may set the fields that bind orders and their lines to Cartona.

The import (a trusted server-side path: it runs as superuser) and Marketplace
Managers set them, nobody else, whatever the route: ``create``, ``write``,
``default_*`` keys in the context (which Odoo applies to any record created with
that context, the lines of an order included), ``copy`` (the fields are
``copy=False``), ``load`` and onchange (both go through ``default_get`` and
``create``). A field's ``groups=`` would not do: salespeople must read them.
"""

from odoo.exceptions import AccessError

MANAGER_GROUP = "cartona_marketplace.group_marketplace_manager"
#: Order fields only the import sets, not even a Marketplace Manager: the order was
#: created by the import, so the import may adopt it.
IMPORT_ONLY_ORDER_FIELDS = ("marketplace_imported",)
#: Line fields that bind a line to Cartona's: set by the import or a manager only.
LINE_FIELDS = ("cartona_line_ref", "cartona_line_sent")


def may_bind(env):
    """Whether ``env`` may bind an order or a line to Cartona: the import (superuser)
    or a Marketplace Manager."""
    return env.su or env.user.has_group(MANAGER_GROUP)


def without_defaults(records, names):
    """``records`` with the context's ``default_<name>`` keys of ``names`` removed,
    unless their user may bind orders (the import's own fields: unless it is the
    import): a context is whatever a client sends."""
    env, context = records.env, records.env.context
    if env.su:
        return records
    if may_bind(env):
        names = set(names) & set(IMPORT_ONLY_ORDER_FIELDS)
    keys = {f"default_{name}" for name in names} & context.keys()
    if not keys:
        return records
    # Keys are removed, so the context is replaced, every other key kept.
    return records.with_context(  # pylint: disable=context-overridden
        {key: value for key, value in context.items() if key not in keys}
    )


def check(records, vals, names, only_import=()):
    """Refuse (``AccessError``) a change of ``names`` in ``vals`` on ``records`` (a
    model, for ``create``), unless made by the import or a Marketplace Manager;
    ``only_import``: names the import alone may change.

    A value equal to the field's default (a new ordinary record) or to the
    record's own is no change.
    """
    env = records.env
    if env.su:
        return
    allowed = () if not env.user.has_group(MANAGER_GROUP) else names
    changed = [
        name
        for name in (*names, *only_import)
        if name in vals and name not in allowed and _differs(records, name, vals[name])
    ]
    if changed:
        labels = [records._fields[name]._description_string(env) for name in changed]
        raise AccessError(
            env._(
                "Only a Marketplace Manager may change %(fields)s: these fields "
                "bind an order to Cartona.",
                fields=", ".join(labels),
            )
            if not set(changed) & set(only_import)
            else env._(
                "Only the import from Cartona may change %(fields)s.",
                fields=", ".join(labels),
            )
        )


def _differs(records, name, value):
    field = records._fields[name]
    new = field.convert_to_cache(value, records.browse(), validate=False)
    if not records:
        default = records.default_get([name]).get(name)
        return bool(new) and new != field.convert_to_cache(
            default, records.browse(), validate=False
        )
    return any(
        field.convert_to_cache(record[name], record, validate=False) != new
        for record in records
    )
