# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The order reconciler: brings Cartona's view of one order to Odoo's, a step a run.

Shaped like OCA connector's exporter (``synchronizer.py``): :meth:`_reconcile` locks
the order, skips what needs nothing, plans (``cartona.outbound.plan``, the only place
that decides what to send), sends one step, records the outcome and queues itself
again for the rest. One step per transaction: a retry after a lost answer only ever
re-sends the step whose answer was lost, which Cartona takes as a no-op.
"""

import logging

from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from ..cartona import errors, outbound, statuses
from .marketplace_people import person_sql
from .marketplace_sync_log import keep_write_after_job_rollback

_logger = logging.getLogger(__name__)

ERROR_ACTIVITY = "cartona_marketplace.mail_activity_type_cartona_sync_error"
#: What the reconciler reads of its order, fetched alone after the lock: not the
#: order's hundred other columns (notes, amounts, addresses...).
ORDER_FIELDS = [
    "name",
    "state",
    "company_id",
    "user_id",
    "is_marketplace_order",
    "cartona_id",
    "delivered_by",
    "marketplace_config_id",
    "marketplace_status",
    "marketplace_cartona_lines",
    "marketplace_shipped",
    "marketplace_payment_method",
    "marketplace_cancellation_reason",
    "marketplace_sync_status",
    "marketplace_error_message",
    "marketplace_import_error",
    "cartona_status_raw",
    "marketplace_sync_job_uuid",
    "marketplace_pending_since",
]


class MarketplaceOrderSync(models.AbstractModel):
    _name = "marketplace.order.sync"
    _inherit = "marketplace.job.mixin"
    _description = "Cartona Order Reconciler"

    # ------------------------------------------------------------------
    # The job's steps
    # ------------------------------------------------------------------
    @api.model
    def _reconcile(self, order, mapping):
        """Lock, skip, plan, send one step, record (the body of the order's job)."""
        # sudo: the sync is the integration's work, whoever's change queued it (a
        # warehouse user validating a delivery may not read Cartona accounts). The
        # job's user stays the author of its note and the user of its log.
        order = order.sudo()
        # The row lock, who reads about the order and who writes its notes, in one
        # statement.
        row = self._lock_with_salesperson(order)
        if row is None:
            return "order deleted"
        salesperson, author_id = row[:3], row[3]
        order.invalidate_recordset()
        order.fetch(ORDER_FIELDS)
        # What people read about the order is written in its responsible's language.
        order = self.env["marketplace.people"]._for_reader(order, salesperson)
        plan = order._marketplace_plan(mapping)
        if plan.decision == outbound.BLOCKED:
            return self._blocked(order, plan)
        if not plan.steps:
            return self._nothing_to_send(order, plan)
        step = plan.steps[0]
        try:
            answer = self._send(order, step)
        except UserError as exc:
            self._log_blocked(order, step.status, str(exc))
            self._set_result(order, "error", str(exc))
            return str(exc)
        except (errors.TransientError, errors.ProtocolError) as exc:
            # A malformed answer may hide an applied change: retrying is safe, since
            # the next plan starts from what Cartona is known to have.
            return self._retry_later(order, exc, step)
        except errors.CartonaError as exc:
            message = self._error_text(order, exc, step)
            self._set_result(order, "error", message)
            return message
        more = len(plan.steps) > 1
        self._accepted(
            order, step, answer, "syncing" if more else "synced", author_id=author_id
        )
        if more:
            order._enqueue_status_sync(mapping)
            return f"sent {self._step_name(step)}; {len(plan.steps) - 1} more queued"
        return f"sent {self._step_name(step)}"

    @api.model
    def _blocked(self, order, plan):
        if plan.reason in outbound.UNBOUND_REASONS:
            self._set_result(order, "not_synced", False)
            return plan.reason
        reason = self.env["marketplace.order.wording"]._plan_text(order, plan)
        self._log_blocked(order, plan.params.get("target"), reason)
        self._set_result(order, "error", reason)
        return reason

    @api.model
    def _nothing_to_send(self, order, plan):
        """Cartona has what Odoo wants, or can take no more: no error is left."""
        notes = [
            self.env["marketplace.order.wording"]._plan_text(order, plan, *note)
            for note in plan.notes
        ]
        if plan.decision == outbound.CLOSED and plan.params.get("conflict"):
            notes.insert(
                0, self.env["marketplace.order.wording"]._plan_text(order, plan)
            )
        for note in notes:
            # What Odoo has and Cartona cannot take is on record, not an error
            # that no action could clear.
            self._log_blocked(order, plan.params.get("target"), note)
        sync_status = "not_synced" if plan.decision == outbound.WAIT else "synced"
        self._set_result(order, sync_status, False)
        return self.env["marketplace.order.wording"]._plan_text(order, plan)

    @api.model
    def _send(self, order, step, retailer_otp=None):
        """Send one step of a plan; returns Cartona's answer."""
        api_model = self.env["marketplace.api"]
        config = order.marketplace_config_id
        if step.kind == outbound.STEP_DETAILS:
            return api_model.update_order_details(
                order, [step.details_item(order.cartona_id)], config=config
            )
        return api_model.update_single_order_status(
            order, step.status, config=config, retailer_otp=retailer_otp
        )

    @api.model
    def _accepted(self, order, step, answer, sync_status="synced", author_id=None):
        """Record what Cartona took, in one write, and say so in the chatter.

        ``author_id`` is the partner of the user the job runs as, when the caller
        has read it already."""
        values = {"marketplace_sync_date": fields.Datetime.now()}
        if step.kind == outbound.STEP_DETAILS:
            values["marketplace_cartona_lines"] = self._lines_after(order, step, answer)
            note = order.env._(
                "Cartona accepted the changes to %(count)s lines.",
                count=len(step.changes),
            )
        else:
            values["marketplace_status"] = step.status
            note = order.env._(
                "Cartona accepted the status %(status)s.",
                status=order.env["marketplace.order.wording"]._status_label(
                    step.status
                ),
            )
        self._set_result(order, sync_status, False, **values)
        # A log note, not message_post: nobody is notified of a routine step. Its
        # author is the user the job runs as (not the superuser of a sudo); no email
        # address is looked up for a note that is never sent. In the order's company:
        # the note's reply-to is that company's, found without reading the user's.
        order.with_company(order.company_id)._message_log(
            body=Markup("%s") % note,  # escaped: labels may carry anything
            author_id=author_id or self.env.user.partner_id.id,
            email_from=False,
        )

    @api.model
    def _lines_after(self, order, step, answer):
        """Cartona's lines once ``step`` was accepted; Odoo's new lines are marked
        sent, and linked to Cartona's ids when the answer gives them."""
        view = outbound.apply_details(
            outbound.view_from_json(order.marketplace_cartona_lines), step
        )
        if step.new_keys:
            added = dict(
                zip(
                    step.new_keys,
                    (change for change in step.changes if "id" not in change),
                    strict=True,
                )
            )
            links = outbound.link_new_lines(
                view,
                {
                    key: (change["internal_product_id"], change["amount"])
                    for key, change in added.items()
                },
                outbound.lines_from_answer(answer, order.cartona_id),
            )
            for line in order.order_line.filtered(lambda line: str(line.id) in added):
                ref = links.get(str(line.id))
                line.write(
                    {"cartona_line_sent": True, "cartona_line_ref": ref and str(ref)}
                )
            for key, ref in links.items():
                view[ref] = outbound.LineView(added[key]["amount"], added[key]["price"])
        return outbound.view_to_json(view)

    @api.model
    def _retry_later(self, order, error, step=None):
        """Transient failure: retry through queue_job, or give up on the last attempt.

        The job's transaction is rolled back before a retry, so the order's state and
        the attempt's log are written again after the rollback. The last attempt ends
        the job normally, leaving the order in error with the reason. People read
        what happened and when Odoo tries again; the technical detail is in the log.

        Re-sending a status, an amount or a cancellation Cartona may already have
        applied changes nothing; re-sending a new line would add it twice. Lines
        added in Odoo are therefore sent at most once: when Cartona may have got them
        (no answer, an unreadable one) they count as sent, and the next answer or
        pull that lists them links them.
        """
        if step is not None and step.new_keys and self._maybe_applied(error):
            self._mark_sent(order, [int(key) for key in step.new_keys])
        job = self._job_current()
        if self._job_last_attempt(job):
            message = order.env._(
                "Cartona could not be reached, %(count)s times: press Retry once "
                "Cartona is back.",
                count=job.retry + 1,
            )
            self._set_result(order, "error", message)
            return message
        # Cartona's wait, honoured up to an hour; else queue_job's backoff.
        wait = errors.bounded_retry_after(getattr(error, "retry_after", None))
        retry_at = self._job_next_attempt(job, wait)
        if retry_at:
            message = order.env._(
                "%(what)s; Odoo will try again at %(time)s.",
                what=self._unreachable_text(order, error),
                time=self._local_time(order, retry_at),
            )
        else:
            message = order.env._(
                "%(what)s; Odoo will try again shortly.",
                what=self._unreachable_text(order, error),
            )
        self._set_result(order, "syncing", message, keep_on_rollback=True)
        raise RetryableJobError(f"{error} (retried)", seconds=wait) from error

    @api.model
    def _maybe_applied(self, error):
        """Whether Cartona may have applied the request that failed with ``error``:
        no answer came back, or one that could not be read."""
        if isinstance(error, errors.ProtocolError):
            return True
        return isinstance(error, errors.TransientError) and error.status_code is None

    @api.model
    def _mark_sent(self, order, line_ids):
        """Lines added in Odoo that Cartona may have got: never sent again, even
        once the job's transaction is rolled back for its retry."""
        lines = order.order_line.browse(line_ids).exists()
        vals = {"cartona_line_sent": True}
        lines.write(vals)
        keep_write_after_job_rollback(lines, vals, f"the lines {line_ids} sent")

    @api.model
    def _unreachable_text(self, order, error):
        if isinstance(error, errors.ProtocolError):
            return order.env._("Cartona's answer could not be read")
        return order.env._("Cartona could not be reached")

    @api.model
    def _local_time(self, order, moment):
        """``moment`` (UTC) as the reader reads a time: 14:32, in their time zone."""
        return fields.Datetime.context_timestamp(order, moment).strftime("%H:%M")

    @api.model
    def _error_text(self, order, error, step=None):
        """A Cartona error in words, for people; the technical detail is in the log."""
        _ = order.env._
        if isinstance(error, errors.AuthenticationError):
            return _(
                "Cartona refused the token of the account %(config)s: a manager must "
                "enter a valid token and press Test Connection, then Retry.",
                config=order.marketplace_config_id.display_name,
            )
        if isinstance(error, errors.RejectedError):
            said = errors.extract_message(error.body) or _("no reason given")
            return _(
                "Cartona refused %(what)s: %(reason)s",
                what=self._step_text(order, step),
                reason=said,
            )
        if isinstance(error, errors.TransientError | errors.ProtocolError):
            return _(
                "%(what)s: try again in a moment.",
                what=self._unreachable_text(order, error),
            )
        return _("The request to Cartona failed: %(error)s", error=str(error))

    @api.model
    def _step_text(self, order, step):
        """What a step asked of Cartona, in words."""
        if step is None:
            return order.env._("the request")
        if step.kind == outbound.STEP_DETAILS:
            return order.env._("the changes to the order lines")
        return order.env._(
            "the status %(status)s",
            status=order.env["marketplace.order.wording"]._status_label(step.status),
        )

    # ------------------------------------------------------------------
    # Who reads about the order
    # ------------------------------------------------------------------
    @api.model
    def _lock(self, order, extra=None):
        """Row lock so that two jobs for one order never both push.

        Returns whether the order still exists; with ``extra`` (an ``SQL`` that
        continues the select list, joined from ``sale_order so``), the other values
        it selects, or ``None`` when the order is gone. NO KEY UPDATE: sync logs
        written through another cursor may still reference it. No savepoint: a busy
        order raises, and the caller's transaction is rolled back anyway (a job is
        retried, a button shows the error), so the lock costs one statement.
        """
        if extra is not None:
            order.flush_recordset(["user_id"])  # the statement reads it from the row
        query = SQL(
            "SELECT so.id %s WHERE so.id = %s FOR NO KEY UPDATE OF so NOWAIT",
            extra or SQL("FROM sale_order so"),
            order.id,
        )
        try:
            self.env.cr.execute(query, log_exceptions=False)  # contention: expected
        except (pg_errors.LockNotAvailable, pg_errors.SerializationFailure) as exc:
            # Nothing may be read any more: the failed statement aborted the
            # transaction, hence the id rather than the name.
            raise RetryableJobError(
                f"sale.order {order.id} is being synced by another job",
                seconds=5,
                ignore_retry=True,
            ) from exc
        row = self.env.cr.fetchone()
        if extra is None:
            return bool(row)
        return row[1:] if row else None

    @api.model
    def _lock_with_salesperson(self, order):
        """Lock the order row (see :meth:`_lock`) and read its salesperson as
        ``marketplace.people._responsible`` needs it, and the partner of the job's
        user (the author of its notes), in the same statement.

        Returns ``(user id, lang, tz, author partner id)`` (the first three ``None``
        when the order has no salesperson who may act), or ``None`` when the order
        is gone.
        """
        return self._lock(
            order,
            extra=SQL(
                """
                , u.id, p.lang, p.tz, author.partner_id
                  FROM sale_order so
                  LEFT JOIN res_users u ON u.id = so.user_id AND %s
                  LEFT JOIN res_partner p ON p.id = u.partner_id
                  LEFT JOIN res_users author ON author.id = %s
                """,
                person_sql(),
                self.env.uid,
            ),
        )

    # ------------------------------------------------------------------
    # Confirm Delivery: the delivery plan, sent now
    # ------------------------------------------------------------------
    @api.model
    def _confirm_delivery(self, order, retailer_otp=None):
        """Send the delivery plan on the single endpoint, step by step, now.

        Returns ``(outcome, message)`` for the person at the keyboard, in their
        language: ``delivered``; ``otp_refused`` (Cartona refused the retailer's
        code: nothing is wrong with the order, the person types the code again);
        ``failed`` (the order shows the error, for its responsible).
        """
        try:
            # The savepoint keeps the transaction usable for the message below.
            with self.env.cr.savepoint(flush=False):
                self._lock(order)
        except RetryableJobError as exc:
            raise UserError(
                self.env._(
                    "%(order)s is being synced with Cartona right now: try again in a "
                    "few seconds.",
                    order=order.name,
                )
            ) from exc
        clicker = order.with_context(lang=self.env.lang)
        order = self.env["marketplace.people"]._for_reader(order)
        plan = order._marketplace_plan(target=statuses.DELIVERED)
        for step in plan.steps:
            try:
                answer = self._send(order, step, retailer_otp=retailer_otp)
            except errors.RejectedError as exc:
                if retailer_otp and step.status == statuses.DELIVERED:
                    # The code was wrong: a message for the person at the keyboard,
                    # not an error on the order (Retry could not help).
                    return "otp_refused", self.env._(
                        "Cartona refused this code (%(reason)s). Ask the retailer for "
                        "the code Cartona sent them, then type it again.",
                        reason=errors.extract_message(exc.body)
                        or self.env._("no reason given"),
                    )
                return self._delivery_failed(order, clicker, exc, step)
            except errors.CartonaError as exc:
                return self._delivery_failed(order, clicker, exc, step)
            self._accepted(order, step, answer)
        return "delivered", self.env._(
            "Cartona confirmed the delivery of %(order)s.", order=order.name
        )

    @api.model
    def _delivery_failed(self, order, clicker, error, step):
        self._set_result(order, "error", self._error_text(order, error, step))
        return "failed", self._error_text(clicker, error, step)

    # ------------------------------------------------------------------
    # Outcomes
    # ------------------------------------------------------------------
    @api.model
    def _set_result(
        self, order, sync_status, message, keep_on_rollback=False, **values
    ):
        """Write the sync outcome (and ``values``, other Cartona fields) in one write;
        open or close the error activity.

        An import problem (the last version pulled could not be applied) stays the
        order's error, whatever the outbound side did, until an import clears it:
        the import reports it, no activity is opened for it here.
        """
        vals = dict(values)
        import_problem = order.marketplace_import_error
        if import_problem and sync_status != "error":
            vals.update(
                marketplace_sync_status="error",
                marketplace_error_message=import_problem,
            )
        else:
            vals.update(
                marketplace_sync_status=sync_status, marketplace_error_message=message
            )
        if vals["marketplace_sync_status"] in ("synced", "not_synced"):
            vals["marketplace_pending_since"] = False  # nothing waits any more
        elif not order.marketplace_pending_since:
            vals["marketplace_pending_since"] = fields.Datetime.now()
        # An error activity exists only after an error, whose message stays until a
        # success: an order that had none needs no activity lookup.
        had_error = bool(order.marketplace_error_message)
        # tracking_disable: none of these fields is tracked; the order's tracked
        # fields need not be read and compared again for each outcome.
        order.with_context(tracking_disable=True).write(vals)
        if sync_status == "error":
            self._alert(order, message)
        elif had_error and not import_problem:
            self._close_alert(order)
        if keep_on_rollback:
            keep_write_after_job_rollback(
                order, vals, f"the Cartona sync state of order {order.id}"
            )

    @api.model
    def _alert(self, orders, reason):
        """One open activity per order in error, for its salesperson, kept current."""
        activity_type = self.env.ref(ERROR_ACTIVITY)
        for order in orders:
            user, lang, _tz = self.env["marketplace.people"]._responsible(order)
            # In the language of whoever reads it; Cartona's text is text, escaped
            # into the note, never markup.
            note = Markup(
                order.with_context(lang=lang or order.env.lang).env._(
                    "<p>%(reason)s</p><p>Fix what the message says (the order, its "
                    "delivery, or the Cartona account), then press <b>Retry</b> on "
                    "the order.</p>"
                )
            ) % {"reason": reason}
            activity = order.activity_ids.filtered(
                lambda a: a.activity_type_id == activity_type
            )
            if activity:
                activity.write(
                    {"note": note, "user_id": user.id or activity.user_id.id}
                )
            elif user:
                order.activity_schedule(ERROR_ACTIVITY, note=note, user_id=user.id)
            else:
                _logger.warning(
                    "Cartona sync error on %s and nobody to tell: give the order a "
                    "salesperson or its Cartona account a responsible",
                    order.name,
                )

    @api.model
    def _close_alert(self, orders):
        if orders.activity_ids:
            orders.activity_feedback(
                [ERROR_ACTIVITY], feedback=self.env._("Synced with Cartona.")
            )

    @api.model
    def _log_blocked(self, order, status, reason):
        Log = self.env["marketplace.sync.log"]
        Log._record(
            [
                Log._vals(
                    order.marketplace_config_id,
                    "status_push",
                    "blocked",
                    order=order,
                    status_sent=status or False,
                    error_message=reason,
                )
            ]
        )

    @api.model
    def _step_name(self, step):
        if step.kind == outbound.STEP_DETAILS:
            return self.env._("the order lines")
        return step.status
