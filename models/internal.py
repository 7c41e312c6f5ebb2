# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Internal switches of the integration, out of any client's reach.

A context key is never a permission: whatever a client sends over RPC ends up in the
context. The integration's own switches are therefore objects of this module, a type
JSON cannot produce, under one key: only code running in Odoo can set them.
"""

KEY = "cartona_marketplace_internal"


class Switch:
    """One internal switch; compared by identity."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"<cartona_marketplace internal switch {self.name}>"


#: The import applies Cartona's changes: no push while it does, and an order the
#: retailer is editing may still be confirmed (Cartona says it was approved).
INBOUND = Switch("inbound")
#: Change an order without telling Cartona (tests and data fixes set up a state).
NO_SYNC = Switch("no_sync")


def switched(records, *switches):
    """``records`` with ``switches`` on, in addition to those already on."""
    current = records.env.context.get(KEY) or frozenset()
    if not isinstance(current, frozenset):
        current = frozenset()  # a client's value: ignored
    return records.with_context(**{KEY: current | frozenset(switches)})


def is_on(env, switch):
    """Whether ``switch`` is on in ``env`` (a client cannot turn it on)."""
    current = env.context.get(KEY)
    return isinstance(current, frozenset) and switch in current
