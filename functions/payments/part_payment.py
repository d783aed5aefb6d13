"""What money taken at the counter settles, pure: the bills the clerk picked first (oldest first), then the
unit's other open bills, and the rest waits as the unit's credit.

- Each bill takes its fee first, then the late fee accrued by today (the rule of ``payments.credit``, so money
  at the counter and credit settle bills alike).
- A part-payment lowers what the bill asks for (``credit_applied``); the bill stays ``issued`` with its own
  due date, so the rest stays in its age bucket and keeps its reminders, and the late fee accrues only on
  what is still owed.
- A bill paid in full by this money names the payment (its receipt).
- The ledger gets one ``payment`` entry for the whole amount (the unit's balance falls by what was handed
  over) and the ``credit_applied``/``late_fee`` entries of what it settled.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from courtyard.clock import to_iso
from courtyard.ids import new_id
from payments import credit
from payments.domain import Allocation, Bill, BillStatus, EntryKind, LedgerEntry, Payment, PaymentStatus
from payments.settle import CreditChange, Plan


def counter_payment(
    payment: Payment, picked: list[Bill], other_open: list[Bill], today: date, now: datetime
) -> Plan:
    """``payment`` (status created, amount > 0, no allocations) settled against ``picked`` then
    ``other_open`` bills of one unit; the plan's bills carry version + 1."""
    unit_id, at = _unit_of(payment), to_iso(now)
    first = credit.settle(payment.amount, picked, today, now)
    left = payment.amount - first.used
    picked_ids = {b.bill_id for b in picked}
    second = credit.settle(left, [b for b in other_open if b.bill_id not in picked_ids], today, now)
    left -= second.used
    before = {b.bill_id: b for b in [*other_open, *picked]}  # the picked ones were read consistently
    bills: list[Bill] = []
    allocations: list[Allocation] = []
    for bill in (*first.bills, *second.bills):
        old = before[bill.bill_id]
        paid = bill.status is BillStatus.PAID
        bills.append(replace(bill, payment_id=payment.payment_id) if paid else bill)
        allocations.append(
            Allocation(
                bill.bill_id,
                bill.unit_id,
                bill.credit_applied - old.credit_applied,
                bill.late_fee_paid - old.late_fee_paid,
                outcome="paid" if paid else "part",
            )
        )
    entries: list[LedgerEntry] = [
        LedgerEntry(
            unit_id,
            new_id(),
            EntryKind.PAYMENT,
            payment.amount,
            payment.currency,
            at,
            payment_id=payment.payment_id,
            site_id=payment.site_id,
        )
    ]
    # Settled by this payment's money: the entries name it, so its receipt lists them.
    entries += [replace(e, payment_id=payment.payment_id) for e in (*first.entries, *second.entries)]
    settled = replace(
        payment,
        status=PaymentStatus.SUCCEEDED,
        allocations=tuple(allocations),
        settled_at=at,
        version=payment.version,
    )
    # Imported when first published: schemas/events.py defines every feature's events, and the payments
    # API's reads, most first requests, publish none (issue 21's cold start).
    from schemas.events import PaymentSucceeded

    event = PaymentSucceeded(
        tenant_id=payment.tenant_id,
        occurred_at=now,
        payment_id=payment.payment_id,
        provider=payment.provider,
        payer_user_id=payment.payer_user_id,
        site_id=payment.site_id,
        unit_ids=[unit_id],
        bill_ids=[a.bill_id for a in allocations],
        amount=payment.amount,
        currency=payment.currency,
        paid_at=at,
    )
    return Plan(
        "applied",
        payment=settled,
        bills=tuple(bills),
        entries=tuple(entries),
        credits=(CreditChange(payment.site_id, unit_id, left),) if left else (),
        events=(("PaymentSucceeded", event),),
    )


def _unit_of(payment: Payment) -> str:
    if payment.unit_id is None:
        raise ValueError("a counter payment names its unit")
    return payment.unit_id
