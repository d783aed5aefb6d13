"""What a provider's event does, decided in pure functions: the new states and ledger entries, to be written
in one transaction by the repository (every changed item conditioned on the version read).

The state machine (``Payment.status``):
- created -> succeeded (bills paid, ledger entries) | failed | review (amount or currency differ: no pay)
- failed -> succeeded (a provider may still capture after reporting a failure) | review
- succeeded -> partially_refunded -> refunded, only through refunds this system started
Events that arrive for a state they cannot move (a success after a refund, a failure after a success) change
nothing: the event is claimed and answered 2xx. A refund event for a payment that has not succeeded yet is
refused with 409 so the provider delivers it again later (out-of-order delivery never corrupts the ledger).

A bill already paid by another payment when this one succeeds (a checkout abandoned and then completed after
a second one) is not paid twice: the money is recorded as a payment entry and becomes the unit's credit,
which at once settles the unit's oldest open bills (``payments.credit``, merged by ``spend_credit`` into the
same transaction); what is left waits for its next bills.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from courtyard.clock import to_iso
from courtyard.events import DomainEvent
from courtyard.ids import new_id
from payments.credit import CreditSettlement
from payments.domain import (
    Allocation,
    Bill,
    BillStatus,
    EntryKind,
    LedgerEntry,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from payments.providers import ProviderEvent

OPEN = (PaymentStatus.CREATED, PaymentStatus.FAILED)
REFUNDABLE = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED)


@dataclass(frozen=True, slots=True)
class CreditChange:
    site_id: str
    unit_id: str
    delta: int


@dataclass(frozen=True)
class Plan:
    outcome: str  # applied | review | ignored
    payment: Payment | None = None  # the new state, written if set (conditioned on the version before)
    bills: tuple[Bill, ...] = ()
    entries: tuple[LedgerEntry, ...] = ()
    credits: tuple[CreditChange, ...] = ()
    refund: Refund | None = None
    events: tuple[tuple[str, DomainEvent], ...] = field(default_factory=tuple)


def credit_arising(plan: Plan) -> dict[str, int]:
    """The credit a plan adds, by unit."""
    arising: dict[str, int] = {}
    for change in plan.credits:
        if change.delta > 0:
            arising[change.unit_id] = arising.get(change.unit_id, 0) + change.delta
    return arising


def spend_credit(plan: Plan, site_id: str, unit_id: str, settlement: CreditSettlement) -> Plan:
    """``plan`` with what the unit's credit settled: its bills and entries, and the credit row moved by
    what arose less what was spent (one change per unit)."""
    if not settlement.bills:
        return plan
    arisen = sum(c.delta for c in plan.credits if c.unit_id == unit_id)
    others = tuple(c for c in plan.credits if c.unit_id != unit_id)
    return replace(
        plan,
        bills=plan.bills + settlement.bills,
        entries=plan.entries + settlement.entries,
        credits=(*others, CreditChange(site_id, unit_id, arisen - settlement.used)),
    )


def _entry(
    kind: EntryKind, unit_id: str, amount: int, currency: str, at: str, site_id: str, **refs: str | None
) -> LedgerEntry:
    return LedgerEntry(
        unit_id=unit_id,
        entry_id=new_id(),
        kind=kind,
        amount=amount,
        currency=currency,
        at=at,
        site_id=site_id,
        bill_id=refs.get("bill_id"),
        payment_id=refs.get("payment_id"),
        refund_id=refs.get("refund_id"),
    )


def payment_succeeded(payment: Payment, bills: dict[str, Bill], event: ProviderEvent, now: datetime) -> Plan:
    if payment.status not in OPEN:
        return Plan("ignored")
    at = to_iso(now)
    if event.amount != payment.amount or event.currency != payment.currency:
        reason = (
            f"provider reported {event.amount} {event.currency}, expected {payment.amount} {payment.currency}"
        )
        return Plan(
            "review",
            payment=replace(
                payment,
                status=PaymentStatus.REVIEW,
                reason=reason[:200],
                settled_at=at,
                provider_ref=payment.provider_ref or event.provider_ref or None,
                version=payment.version + 1,
            ),
        )
    new_bills: list[Bill] = []
    entries: list[LedgerEntry] = []
    credits: list[CreditChange] = []
    allocations: list[Allocation] = []
    refs = {"payment_id": payment.payment_id}
    for allocation in payment.allocations:
        bill = bills.get(allocation.bill_id)
        currency, site = payment.currency, payment.site_id
        if bill is not None and bill.status is BillStatus.ISSUED:
            new_bills.append(
                replace(
                    bill,
                    status=BillStatus.PAID,
                    payment_id=payment.payment_id,
                    paid_at=at,
                    # Part of the late fee may have been paid from credit before (payments.credit).
                    late_fee_paid=bill.late_fee_paid + allocation.late_fee,
                    late_fee_owed=None,
                    next_reminder_on=None,
                    version=bill.version + 1,
                )
            )
            if allocation.late_fee:
                entries.append(
                    _entry(
                        EntryKind.LATE_FEE,
                        allocation.unit_id,
                        allocation.late_fee,
                        currency,
                        at,
                        site,
                        bill_id=allocation.bill_id,
                        **refs,
                    )
                )
            outcome = "paid"
        else:
            credits.append(CreditChange(site, allocation.unit_id, allocation.amount))
            outcome = "credit"
        entries.append(
            _entry(
                EntryKind.PAYMENT,
                allocation.unit_id,
                allocation.amount,
                currency,
                at,
                site,
                bill_id=allocation.bill_id,
                **refs,
            )
        )
        allocations.append(replace(allocation, outcome=outcome))
    settled = replace(
        payment,
        status=PaymentStatus.SUCCEEDED,
        allocations=tuple(allocations),
        settled_at=at,
        reason=None,
        provider_ref=payment.provider_ref or event.provider_ref or None,
        version=payment.version + 1,
    )
    # Imported when first published: schemas/events.py defines every feature's events, and the payments
    # API's reads, most first requests, publish none (issue 21's cold start).
    from schemas.events import PaymentSucceeded

    succeeded = PaymentSucceeded(
        tenant_id=payment.tenant_id,
        occurred_at=now,
        payment_id=payment.payment_id,
        provider=payment.provider,
        payer_user_id=payment.payer_user_id,
        site_id=payment.site_id,
        unit_ids=payment.unit_ids,
        bill_ids=payment.bill_ids,
        amount=payment.amount,
        currency=payment.currency,
        paid_at=at,
    )
    return Plan(
        "applied",
        payment=settled,
        bills=tuple(new_bills),
        entries=tuple(entries),
        credits=tuple(credits),
        events=(("PaymentSucceeded", succeeded),),
    )


def payment_failed(payment: Payment, event: ProviderEvent, now: datetime) -> Plan:
    if payment.status is not PaymentStatus.CREATED:
        return Plan("ignored")
    reason = event.reason or "the provider declined the payment"
    from schemas.events import PaymentFailed

    failed = PaymentFailed(
        tenant_id=payment.tenant_id,
        occurred_at=now,
        payment_id=payment.payment_id,
        provider=payment.provider,
        payer_user_id=payment.payer_user_id,
        bill_ids=payment.bill_ids,
        amount=payment.amount,
        currency=payment.currency,
        reason=reason[:200],
    )
    return Plan(
        "applied",
        payment=replace(
            payment, status=PaymentStatus.FAILED, reason=reason[:200], version=payment.version + 1
        ),
        events=(("PaymentFailed", failed),),
    )


def refund_settled(
    payment: Payment,
    refund: Refund,
    bills: dict[str, Bill],
    credit_of: dict[str, int],
    succeeded: bool,
    now: datetime,
) -> Plan:
    """A refund this system started reached its end at the provider.

    Success: the amount is taken from the payment's allocations last first; each such unit gets a refund
    entry; a bill whose whole allocation went back is owed again (status issued), and an allocation that had
    become credit reduces that credit instead. Failure: the amount is released for another refund.
    """
    if refund.status is not RefundStatus.PENDING:
        return Plan("ignored")
    at = to_iso(now)
    if not succeeded:
        return Plan(
            "applied",
            payment=replace(
                payment,
                refunding_amount=max(0, payment.refunding_amount - refund.amount),
                version=payment.version + 1,
            ),
            refund=replace(refund, status=RefundStatus.FAILED, settled_at=at, version=refund.version + 1),
        )
    remaining = refund.amount
    allocations = list(payment.allocations)
    new_bills: list[Bill] = []
    entries: list[LedgerEntry] = []
    credits: list[CreditChange] = []
    for index in reversed(range(len(allocations))):
        if remaining <= 0:
            break
        allocation = allocations[index]
        take = min(remaining, allocation.amount - allocation.refunded)
        if take <= 0:
            continue
        remaining -= take
        allocations[index] = replace(allocation, refunded=allocation.refunded + take)
        entries.append(
            _entry(
                EntryKind.REFUND,
                allocation.unit_id,
                take,
                payment.currency,
                at,
                payment.site_id,
                bill_id=allocation.bill_id,
                payment_id=payment.payment_id,
                refund_id=refund.refund_id,
            )
        )
        if allocation.outcome == "credit":
            available = credit_of.get(allocation.unit_id, 0)
            if available:
                credits.append(CreditChange(payment.site_id, allocation.unit_id, -min(available, take)))
                credit_of[allocation.unit_id] = available - min(available, take)
            continue
        bill = bills.get(allocation.bill_id)
        fully = allocations[index].refunded >= allocation.amount
        if (
            fully
            and bill is not None
            and bill.status is BillStatus.PAID
            and bill.payment_id == payment.payment_id
        ):
            new_bills.append(
                replace(
                    bill,
                    status=BillStatus.ISSUED,
                    payment_id=None,
                    paid_at=None,
                    late_fee_paid=0,
                    # Owed again: the reminder job looks at it on its next run.
                    next_reminder_on=now.date(),
                    version=bill.version + 1,
                )
            )
    refunded_total = payment.refunded_amount + refund.amount
    status = PaymentStatus.REFUNDED if refunded_total >= payment.amount else PaymentStatus.PARTIALLY_REFUNDED
    from schemas.events import PaymentRefunded

    refunded = PaymentRefunded(
        tenant_id=payment.tenant_id,
        occurred_at=now,
        payment_id=payment.payment_id,
        refund_id=refund.refund_id,
        provider=payment.provider,
        payer_user_id=payment.payer_user_id,
        amount=refund.amount,
        currency=payment.currency,
    )
    return Plan(
        "applied",
        payment=replace(
            payment,
            status=status,
            allocations=tuple(allocations),
            refunded_amount=refunded_total,
            refunding_amount=max(0, payment.refunding_amount - refund.amount),
            version=payment.version + 1,
        ),
        bills=tuple(new_bills),
        entries=tuple(entries),
        credits=tuple(credits),
        refund=replace(refund, status=RefundStatus.SUCCEEDED, settled_at=at, version=refund.version + 1),
        events=(("PaymentRefunded", refunded),),
    )
