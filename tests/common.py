# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from itertools import count

from odoo.tests import TransactionCase, new_test_user

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT
from odoo.addons.queue_job.exception import RetryableJobError

from ..cartona import statuses
from ..models import internal
from ..sandbox import SandboxServer

SANDBOX_TOKEN = "sandbox-token-for-odoo-tests"
#: ``with_context(**NO_SYNC)``: set a state up without telling Cartona (an internal
#: switch: no client can send it, see models/internal.py).
NO_SYNC = {internal.KEY: frozenset({internal.NO_SYNC})}
PAYMENT_AMOUNTS = {
    statuses.PAYMENT_STANDARD: {},
    statuses.PAYMENT_INSTALLMENT: {"installment_cost": 900},
    statuses.PAYMENT_WALLET_TOP_UP: {"wallet_top_up": 50},
    statuses.PAYMENT_CARTONA_CREDIT: {"cartona_credit": 100},
}
_hashed_ids = count(1)


class CartonaCase(TransactionCase):
    """Orders, products and a config talking to a Cartona sandbox over real HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        cls.sandbox = SandboxServer(host="127.0.0.1", port=0, token=SANDBOX_TOKEN)
        cls.sandbox.start()
        cls.addClassCleanup(cls.sandbox.stop)
        cls.config = cls.env["marketplace.config"].create(
            {
                "name": "Cartona sandbox",
                "user_id": cls.env.ref("base.user_admin").id,
                "api_base_url": cls.sandbox.base_url,
                "allow_local_sandbox": True,
                "auth_token": SANDBOX_TOKEN,
                "timeout": 2,
            }
        )
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "Juice 235 ml box",
                "type": "consu",
                "is_storable": True,
                "list_price": 350,
            }
        )
        cls.env["stock.quant"]._update_available_quantity(
            cls.product, cls.warehouse.lot_stock_id, 1000
        )
        cls.retailer = cls.env["res.partner"].create(
            {"name": "Nour Grocery", "phone": "+20100000001"}
        )
        # Whose change queues an order's job: a salesperson of the Marketplace. Jobs
        # run as the user who queued them (queue_job), so the tests run them so.
        cls.job_user = new_test_user(
            cls.env,
            login="cm_job_salesperson",
            name="Salma Job",
            groups="sales_team.group_sale_salesman_all_leads,"
            "cartona_marketplace.group_marketplace_user",
        )

    def setUp(self):
        super().setUp()
        self.sandbox.state.reset()

    def _make_order(
        self,
        delivered_by=statuses.DELIVERED_BY_SUPPLIER,
        payment_method=statuses.PAYMENT_STANDARD,
        qty=4,
        cartona_status=statuses.PENDING,
        marketplace=True,
        otp="482913",
        content=False,
    ):
        """A draft marketplace order known to the sandbox with ``cartona_status``.

        With ``content``, its line came from Cartona as an import makes it (Cartona's
        line id 1, what Cartona has recorded): its lines are then synced too.
        Otherwise it is linked to its Cartona id by hand: statuses only.
        """
        hashed_id = f"T{next(_hashed_ids):05d}x"
        line = {"product_id": self.product.id, "product_uom_qty": qty}
        extra = {}
        if content:
            line.update(price_unit=350, cartona_line_ref="1")
            extra["marketplace_cartona_lines"] = {
                "1": {"amount": qty, "price": 350.0, "cancelled": False}
            }
        order = self.env["sale.order"].create(
            {
                "partner_id": self.retailer.id,
                "user_id": self.env.ref("base.user_admin").id,
                "warehouse_id": self.warehouse.id,
                "is_marketplace_order": marketplace,
                # As the import makes it: the import updates it.
                "marketplace_imported": marketplace,
                "cartona_id": hashed_id,
                "marketplace_config_id": self.config.id,
                "delivered_by": delivered_by,
                "marketplace_payment_method": payment_method,
                "marketplace_status": cartona_status,
                "order_line": [(0, 0, line)],
                **extra,
            }
        )
        self.sandbox.state.add_order(
            dict(
                {
                    "hashed_id": hashed_id,
                    "status": cartona_status,
                    "delivered_by": delivered_by,
                    "total_price": 350 * qty,
                    "retailer": {
                        "retailer_name": "Nour Grocery",
                        "retailer_code": "B1",
                    },
                    "order_details": [
                        {
                            "id": 1,
                            "internal_product_id": str(self.product.id),
                            "amount": qty,
                            "selling_price": 350,
                        }
                    ],
                    "_retailer_otp": otp,
                },
                **PAYMENT_AMOUNTS[payment_method],
            )
        )
        return order

    def _ship(self, order, qty=None, backorder=True):
        """Validate the customer delivery of ``order`` (all of it, or ``qty``)."""
        picking = order.picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel")
        )
        picking.ensure_one()
        picking.action_assign()
        for move in picking.move_ids:
            move.quantity = qty if qty is not None else move.product_uom_qty
            move.picked = True
        picking.with_context(cancel_backorder=not backorder)._action_done()
        return picking

    def _run_job(self, order, mapping="combined"):
        """The order's status job, run as the salesperson whose change queued it."""
        return order.with_user(self.job_user)._sync_status_to_marketplace(mapping)

    def _perform_like_queue_job(
        self, order, mapping="combined", job_uuid="test-job-uuid"
    ):
        """Run the status job of ``order`` as queue_job's runner does (see below)."""
        return self._run_in_job_transaction(
            lambda env: env["sale.order"]
            .with_user(self.job_user)
            .browse(order.id)
            ._sync_status_to_marketplace(mapping),
            job_uuid=job_uuid,
        )

    def _run_in_job_transaction(self, func, job_uuid="test-job-uuid"):
        """Run ``func(env)`` in its own (test) transaction, as queue_job's runner does.

        A ``RetryableJobError`` rolls that transaction back before it is returned, so
        what survives is what a real retry would find. Returns ``func``'s result or the
        ``RetryableJobError``.
        """
        self.env.flush_all()
        self.registry.enter_test_mode(self.env.cr)
        try:
            with self.registry.cursor() as cr:
                env = self.env(cr=cr, context=dict(self.env.context, job_uuid=job_uuid))
                try:
                    outcome = func(env)
                except RetryableJobError as exc:
                    cr.rollback()
                    outcome = exc
        finally:
            self.registry.leave_test_mode()
        self.env.invalidate_all()
        return outcome

    def _call_expecting(self, exception_class, func, *args, **kwargs):
        """Call ``func`` and return the exception it must raise, keeping its writes.

        Unlike ``assertRaises``, no savepoint is rolled back: logs written before the
        error stay visible, as they do for the caller.
        """
        try:
            func(*args, **kwargs)
        except exception_class as exc:
            return exc
        self.fail(f"{exception_class.__name__} not raised")

    def _history(self, order):
        return self.sandbox.state.status_history(order.cartona_id)

    def _sandbox_status(self, order):
        return self.sandbox.state.orders[order.cartona_id]["status"]
