"""Cartona's share of a delivered order: who pays what of the invoice.

One delivered order is paid from up to four purses (``cartona-api.md`` section 6.2):
the retailer's cash, Cartona credit (``cartona_credit``), Cartona installments
(``installment_cost``) and Cartona-funded discounts (``applied_cartona_discount`` x
delivered quantity). The retailer also hands the driver a wallet top-up
(``wallet_top_up``) that belongs to Cartona. With T the invoice total, C, I, W and D:

- the retailer owes T - C - I + W: the cash the driver brings back;
- Cartona owes C + I - W + D (negative: the supplier owes Cartona);
- C + I never exceeds T (a short delivery below the credit): it is capped at T, and
  ``capped`` says so.

:func:`split` takes plain numbers and returns plain numbers, rounded to the
currency's rounding. The ORM layer turns the result into one journal entry:
``moved`` off the retailer's receivable onto Cartona's, ``discount`` from income
onto Cartona's.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Split:
    """The parts of an invoice total; every amount is rounded to the currency."""

    total: float
    #: What the retailer owes for the order: T - C - I + W.
    retailer: float
    #: What Cartona owes for the order: C + I - W + D.
    cartona: float
    #: What moves off the retailer's receivable onto Cartona's: C + I - W
    #: (negative: onto the retailer's, off Cartona's).
    moved: float
    #: The Cartona-funded discounts, owed by Cartona on top of the invoice.
    discount: float
    #: C + I was more than T and was capped at T.
    capped: bool = False
    #: C + I as Cartona reported it, before the cap.
    reported_paid: float = 0.0

    @property
    def needs_entry(self):
        """Whether anything moves at all (a cash order needs no entry)."""
        return bool(self.moved or self.discount)


def _round(value, rounding):
    step = Decimal(str(rounding))
    units = (Decimal(str(value or 0)) / step).quantize(Decimal(1), ROUND_HALF_UP)
    return float(units * step)


def split(total, credit=0, installment=0, wallet_top_up=0, discount=0, rounding=0.01):
    """Split the invoice ``total`` between the retailer and Cartona.

    Negative inputs other than ``total`` are taken as zero (Cartona never reports a
    negative purse). ``rounding`` is the currency's rounding (0.01 for EGP).
    """
    total = _round(max(total or 0, 0), rounding)
    credit = _round(max(credit or 0, 0), rounding)
    installment = _round(max(installment or 0, 0), rounding)
    wallet_top_up = _round(max(wallet_top_up or 0, 0), rounding)
    discount = _round(max(discount or 0, 0), rounding)
    reported_paid = _round(credit + installment, rounding)
    paid = min(reported_paid, total)
    moved = _round(paid - wallet_top_up, rounding)
    return Split(
        total=total,
        retailer=_round(total - moved, rounding),
        cartona=_round(moved + discount, rounding),
        moved=moved,
        discount=discount,
        capped=reported_paid > total,
        reported_paid=reported_paid,
    )


def _share(amount, before, after, rounding):
    return _round(
        _round(amount * after, rounding) - _round(amount * before, rounding), rounding
    )


def credited(original, credited_total, already_credited=0, rounding=0.01):
    """The share of ``original`` (a :class:`Split` as booked) a credit note reverses.

    A credit note of ``credited_total`` on the invoice of ``original``, after credit
    notes of ``already_credited`` in all, reverses the same fraction of what moved
    and of the discounts: what the credit notes together reverse is the credited
    fraction of the invoice total (at most all of it), rounded once, so two half
    credit notes reverse exactly what one full one does. A cash order reverses
    nothing.
    """
    total = original.total
    credited_total = _round(max(credited_total or 0, 0), rounding)
    if total <= 0 or not credited_total:
        return Split(total=0.0, retailer=0.0, cartona=0.0, moved=0.0, discount=0.0)
    before = min(max(already_credited or 0, 0) / total, 1.0)
    after = min(before + credited_total / total, 1.0)
    moved = _share(original.moved, before, after, rounding)
    discount = _share(original.discount, before, after, rounding)
    return Split(
        total=credited_total,
        retailer=_round(credited_total - moved, rounding),
        cartona=_round(moved + discount, rounding),
        moved=moved,
        discount=discount,
    )
