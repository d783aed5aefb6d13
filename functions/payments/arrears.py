"""Arrears and collection KPIs, pure: overdue amounts by age, repeated late payers, collection rate.

- Age buckets count days past the due date: 0-30, 31-90, 90+ (a bill due today is not overdue yet).
- A unit is a risk when it paid late or is still overdue on ``RISK_LATE_BILLS`` (3) or more of its bills of
  the last ``RISK_PERIODS`` (12) periods it was billed for.
- Each unit lists the reminders its overdue bills have had (period and ladder step, oldest first), so a
  finance clerk sees who was already sent the formal notice before calling.
- Collection rate of a period: what was collected on the period's bills (paid bills whole, part-paid ones
  what was paid of them) over what they were issued for, in percent; the target is 95 %.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from payments.domain import Bill, BillStatus

RISK_LATE_BILLS = 3
RISK_PERIODS = 12
COLLECTION_TARGET_PCT = 95.0
BUCKETS = ("0-30", "31-90", "90+")


def bucket(days_overdue: int) -> str:
    if days_overdue <= 30:
        return "0-30"
    return "31-90" if days_overdue <= 90 else "90+"


@dataclass
class UnitArrears:
    unit_id: str
    unit_label: str
    site_id: str
    overdue: int = 0
    bills: int = 0
    oldest_due: date | None = None
    buckets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    late_bills: int = 0
    risk: bool = False
    reminders: list[tuple[str, str]] = field(default_factory=list)  # (period, step) of its overdue bills


def arrears(bills: list[Bill], today: date) -> list[UnitArrears]:
    """Units with an overdue amount, largest first, each with its late history for the risk flag."""
    units: dict[str, UnitArrears] = {}
    history: dict[str, list[Bill]] = defaultdict(list)
    for bill in bills:
        history[bill.unit_id].append(bill)
        if bill.status is not BillStatus.ISSUED or bill.due_date >= today or bill.amount_due <= 0:
            continue
        unit = units.setdefault(bill.unit_id, UnitArrears(bill.unit_id, bill.unit_label, bill.site_id))
        unit.overdue += bill.amount_due
        unit.bills += 1
        unit.buckets[bucket((today - bill.due_date).days)] += bill.amount_due
        unit.oldest_due = min(unit.oldest_due or bill.due_date, bill.due_date)
        unit.reminders += [(bill.period, step) for step in bill.reminders]
    for unit in units.values():
        unit.reminders.sort(key=lambda sent: sent[0])  # stable: a bill's steps keep the ladder's order
        unit.late_bills = late_bills(history[unit.unit_id], today)
        unit.risk = unit.late_bills >= RISK_LATE_BILLS
    return sorted(units.values(), key=lambda u: (-u.overdue, u.unit_label))


def late_bills(bills: list[Bill], today: date) -> int:
    recent = sorted(bills, key=lambda b: b.period)[-RISK_PERIODS:]
    return sum(
        1
        for b in recent
        if b.paid_late or (b.status is BillStatus.ISSUED and b.due_date < today and b.amount_due > 0)
    )


def risky_units(bills: list[Bill], today: date) -> set[str]:
    history: dict[str, list[Bill]] = defaultdict(list)
    for bill in bills:
        history[bill.unit_id].append(bill)
    return {unit for unit, own in history.items() if late_bills(own, today) >= RISK_LATE_BILLS}


@dataclass(frozen=True)
class Collection:
    period: str
    bills: int
    billed: int
    collected: int
    paid_bills: int

    @property
    def rate_pct(self) -> float | None:
        return round(100.0 * self.collected / self.billed, 2) if self.billed else None

    @property
    def on_target(self) -> bool | None:
        rate = self.rate_pct
        return None if rate is None else rate >= COLLECTION_TARGET_PCT


def collection(bills: list[Bill]) -> list[Collection]:
    by_period: dict[str, list[Bill]] = defaultdict(list)
    for bill in bills:
        by_period[bill.period].append(bill)
    return [
        Collection(
            period=period,
            bills=len(own),
            billed=sum(b.total for b in own),
            # A part-paid bill counts what was paid of it (credit and counter part-payments lower amount_due).
            collected=sum(b.total if b.status is BillStatus.PAID else b.credit_applied for b in own),
            paid_bills=sum(1 for b in own if b.status is BillStatus.PAID),
        )
        for period, own in sorted(by_period.items(), reverse=True)
    ]
