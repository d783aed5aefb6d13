"""Fee arithmetic, pure: periods, due dates, bill lines and late fees, to the minor unit.

Rounding: every division rounds half-up on the minor unit (0.5 fen -> 1 fen), done in integers so no float
ever touches money. A period is ``2026-03`` (monthly fees), ``2026-Q1`` (quarterly) or ``2026`` (yearly); a
billing run for a period bills the fee items of that cycle only.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime

from ulid import ULID

from payments.domain import (
    Bill,
    BillLine,
    BillStatus,
    Cycle,
    FeeItem,
    FeeKind,
    LateFeeKind,
    LateFeePolicy,
    Reading,
    UnitFacts,
)

PERIOD = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?$")
# Kinds an area or fixed fee applies to unless the fee item says otherwise; parking fees bill parking spaces.
DEFAULT_UNIT_KINDS = {
    FeeKind.AREA: ("residential", "commercial"),
    FeeKind.FIXED: ("residential", "commercial"),
    FeeKind.PARKING: ("parking",),
    FeeKind.METERED: ("residential", "commercial", "parking"),
}


def half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half-up, for non-negative integers."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("half_up takes a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


def cycle_of(period: str) -> Cycle:
    match = PERIOD.match(period)
    if not match:
        raise ValueError(f"period {period!r} is not YYYY-MM, YYYY-Qn or YYYY")
    if match.group(2):
        return Cycle.MONTHLY
    return Cycle.QUARTERLY if match.group(3) else Cycle.YEARLY


def months_in(cycle: Cycle) -> int:
    return {Cycle.MONTHLY: 1, Cycle.QUARTERLY: 3, Cycle.YEARLY: 12}[cycle]


def first_day(period: str) -> date:
    match = PERIOD.match(period)
    if not match:
        raise ValueError(f"period {period!r} is not YYYY-MM, YYYY-Qn or YYYY")
    year = int(match.group(1))
    if year < 1:
        raise ValueError(f"period {period!r}: there is no year 0000")
    if match.group(2):
        return date(year, int(match.group(2)), 1)
    if match.group(3):
        return date(year, 3 * (int(match.group(3)) - 1) + 1, 1)
    return date(year, 1, 1)


def period_start_iso(period: str) -> str:
    """The period's first instant (UTC midnight) in the API's time format: the date of its charges."""
    return first_day(period).isoformat() + "T00:00:00.000Z"


def due_date(period: str, due_day: int) -> date:
    """The bill is due on ``due_day`` (1-28) of the period's first month."""
    return first_day(period).replace(day=due_day)


def bill_id(tenant_id: str, unit_id: str, period: str) -> str:
    """Deterministic per (unit, period), so a re-run finds the bill it issued before: a ULID whose time part
    is the period's start and whose random part is a digest of the tenant, unit and period."""
    start = datetime.combine(first_day(period), datetime.min.time(), tzinfo=UTC)
    digest = hashlib.sha256(f"{tenant_id}|{unit_id}|{period}".encode()).digest()[:10]
    return str(ULID.from_bytes(int(start.timestamp() * 1000).to_bytes(6, "big") + digest))


def applies_to(item: FeeItem, unit: UnitFacts) -> bool:
    kinds = item.unit_kinds or DEFAULT_UNIT_KINDS[item.kind]
    return item.active and unit.kind in kinds


def line_for(item: FeeItem, unit: UnitFacts, reading: Reading | None) -> BillLine | None:
    """The bill line ``item`` puts on ``unit``'s bill, or None (not billable, or a meter without reading)."""
    if not applies_to(item, unit):
        return None
    months = months_in(item.cycle)
    if item.kind is FeeKind.AREA:
        if unit.area_centi_m2 <= 0:
            return None
        amount = half_up(item.price_minor * unit.area_centi_m2 * months, 100)
        area = f"{unit.area_centi_m2 // 100}.{unit.area_centi_m2 % 100:02d}"
        quantity = f"{area} m² x {months} month{'s' if months > 1 else ''}"
    elif item.kind is FeeKind.METERED:
        if reading is None:
            return None
        amount = item.price_minor * reading.usage
        quantity = f"usage {reading.usage} ({reading.previous} -> {reading.current})"
    else:
        amount = item.price_minor
        quantity = "1"
    return BillLine(item.fee_id, item.name, item.kind, quantity, amount, item.late_fee)


def late_fee(policy: LateFeePolicy, amount: int, due: date, on: date) -> int:
    """The late fee of a line of ``amount`` due on ``due``, assessed on ``on``: nothing up to the grace days;
    then fixed, a percentage, or a daily rate for each day past the grace days; never above the cap."""
    days_over = (on - due).days
    if policy.kind is LateFeeKind.NONE or days_over <= policy.grace_days or amount <= 0:
        return 0
    if policy.kind is LateFeeKind.FIXED:
        fee = policy.value
    elif policy.kind is LateFeeKind.PERCENTAGE:
        fee = half_up(amount * policy.value, 10_000)
    else:
        fee = half_up(amount * policy.value * (days_over - policy.grace_days), 10_000)
    return min(fee, policy.cap_minor) if policy.cap_minor is not None else fee


def bill_late_fee(lines: tuple[BillLine, ...], credit_applied: int, due: date, on: date) -> int:
    """The late fee of a whole bill: each line's policy on its amount (credit applied reduces the lines in
    order, so a bill covered by credit accrues nothing)."""
    remaining_credit = credit_applied
    total = 0
    for line in lines:
        covered = min(remaining_credit, line.amount)
        remaining_credit -= covered
        total += late_fee(line.late_fee, line.amount - covered, due, on)
    return total


def late_fee_due(bill: Bill, today: date) -> int:
    """The late fee a bill asks for on ``today`` (the one rule every reader and payer uses): a paid bill's is
    what was paid; once credit settled the fee but not all of its late fee, the rest fixed then
    (``late_fee_owed``); otherwise each line's policy on what credit left unpaid of it."""
    if bill.status is not BillStatus.ISSUED:
        return bill.late_fee_paid
    if bill.late_fee_owed is not None:
        return bill.late_fee_owed
    return bill_late_fee(bill.lines, bill.credit_applied, bill.due_date, today)
