"""Pure-Python core of cartona_marketplace: never imports ``odoo``.

- :mod:`.statuses`: Cartona's order statuses, transition graph, delivery-responsibility
  rules, payment methods and the OTP rule, and the Odoo -> Cartona mapping tables.
- :mod:`.errors`: the error hierarchy every caller of the HTTP client relies on.
- :mod:`.client`: the Cartona supplier-integrations HTTP client.
- :mod:`.catalog`: the catalog planner (stock and prices of listed products, batches,
  isolating the bad items of a refused batch).
- :mod:`.returns`: what ``returned`` asks of Odoo's stock, and the supplier's
  "Delivery Failed" (when it may be sent, its body).
"""
