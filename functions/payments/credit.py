"""What a unit's credit (money paid beyond its bills) settles, pure: its oldest open bills first, each bill's
fee first and then the late fee accrued by today.

- Credit that covers a bill's fee and late fee pays it: the bill is ``paid`` (no payment of its own), the
  late fee enters the ledger, and the reminder ladder stops (a paid bill leaves the reminder index).
- Credit short of the fee reduces what the bill asks for (``credit_applied``); the late fee then accrues on
  what is still owed, as it does for credit applied when a bill is issued.
- Credit that covers the fee but only part of the late fee pays that part; the rest of the late fee is fixed
  (``late_fee_owed``: nothing is left to accrue on) and the bill stays open for it, so the ladder keeps
  chasing only what is really owed.

Every change is a ledger entry (``credit_applied`` moves nothing: the payment that made the credit already
lowered the balance; a late fee paid from credit is a ``late_fee`` entry), written by the caller in one
transaction with the bills, conditioned on the versions read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

from courtyard.clock import to_iso
from courtyard.ids import new_id
from payments import fees
from payments.domain import Bill, BillStatus, EntryKind, LedgerEntry


@dataclass(frozen=True)
class CreditSettlement:
    bills: tuple[Bill, ...] = ()  # the changed bills (version + 1)
    entries: tuple[LedgerEntry, ...] = ()
    used: int = 0


def oldest_first(bills: Iterable[Bill]) -> list[Bill]:
    return sorted(bills, key=lambda b: (b.due_date, b.period, b.bill_id))


def settle(credit: int, open_bills: Iterable[Bill], today: date, now: datetime) -> CreditSettlement:
    """Spend up to ``credit`` on ``open_bills`` (issued ones; others are passed over), oldest first."""
    at = to_iso(now)
    changed: list[Bill] = []
    entries: list[LedgerEntry] = []
    left = credit
    for bill in oldest_first(open_bills):
        if left <= 0:
            break
        if bill.status is not BillStatus.ISSUED:
            continue
        fee, late = bill.amount_due, fees.late_fee_due(bill, today)
        if fee + late <= 0:
            continue
        to_fee = min(left, fee)
        to_late = min(left - to_fee, late) if to_fee == fee else 0
        left -= to_fee + to_late

        def entry(kind: EntryKind, amount: int, of: Bill = bill) -> LedgerEntry:
            return LedgerEntry(
                of.unit_id, new_id(), kind, amount, of.currency, at, bill_id=of.bill_id, site_id=of.site_id
            )

        entries.append(entry(EntryKind.CREDIT_APPLIED, to_fee + to_late))
        if to_late:
            entries.append(entry(EntryKind.LATE_FEE, to_late))
        paid = to_fee == fee and to_late == late
        changed.append(
            replace(
                bill,
                credit_applied=bill.credit_applied + to_fee,
                late_fee_paid=bill.late_fee_paid + to_late,
                # Once the fee is covered nothing accrues any more: what is left of the late fee is fixed.
                late_fee_owed=None if paid or to_fee < fee else late - to_late,
                status=BillStatus.PAID if paid else bill.status,
                paid_at=at if paid else bill.paid_at,
                next_reminder_on=None if paid else bill.next_reminder_on,
                version=bill.version + 1,
            )
        )
    return CreditSettlement(tuple(changed), tuple(entries), credit - left)
