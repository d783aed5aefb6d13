"""The payments vocabulary: fee items, bills, payments, refunds and ledger entries as frozen records.

Money is always an ``int`` of minor units (fen, cents) next to an ISO currency code; never a float.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class FeeKind(StrEnum):
    AREA = "area"  # price per m² per month, times the unit's area
    FIXED = "fixed"  # a fixed amount per unit and cycle
    PARKING = "parking"  # a fixed amount per parking space (units of kind parking) and cycle
    METERED = "metered"  # reading (usage) times a unit price


class Cycle(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class LateFeeKind(StrEnum):
    NONE = "none"
    FIXED = "fixed"  # value = minor units, once past the grace days
    PERCENTAGE = "percentage"  # value = basis points of the line, once past the grace days
    DAILY = "daily"  # value = basis points of the line per day past the grace days


class BillStatus(StrEnum):
    ISSUED = "issued"  # owed
    PAID = "paid"


class PaymentStatus(StrEnum):
    CREATED = "created"  # checkout opened at the provider, not settled
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REVIEW = "review"  # the provider reported another amount or currency: nothing was paid, staff look
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class EntryKind(StrEnum):
    CHARGE = "charge"  # a bill issued: +amount
    LATE_FEE = "late_fee"  # posted when the bill is paid: +amount
    PAYMENT = "payment"  # -amount
    REFUND = "refund"  # +amount (money went back to the payer)
    CREDIT_APPLIED = "credit_applied"  # an earlier overpayment used for a bill: moves nothing (delta 0)
    OPENING_ARREARS = "opening_arrears"  # owed in the old system at go-live: +amount (its opening bill)
    OPENING_CREDIT = "opening_credit"  # prepaid in the old system at go-live: -amount (the unit's credit)


UNIT_KINDS = ("residential", "commercial", "parking")

# Money taken at the counter (``Payment.provider``): no provider settles it, the desk or finance records it.
COUNTER_CHANNELS = ("cash", "pos", "bank_transfer")


@dataclass(frozen=True, slots=True)
class LateFeePolicy:
    kind: LateFeeKind = LateFeeKind.NONE
    grace_days: int = 0
    value: int = 0
    cap_minor: int | None = None


@dataclass(frozen=True, slots=True)
class PriceVersion:
    """A fee item's price from a month on (``payments.fee_versions``)."""

    from_period: str  # YYYY-MM
    price_minor: int


@dataclass(frozen=True, slots=True)
class FeeItem:
    tenant_id: str
    fee_id: str
    site_id: str
    name: str
    kind: FeeKind
    cycle: Cycle
    price_minor: int
    currency: str
    due_day: int
    late_fee: LateFeePolicy
    unit_kinds: tuple[str, ...]
    created_at: str
    created_by: str
    active: bool = True
    # Later prices, each from a month on (the first price applies until the first of them), and the month
    # from which the item bills no more; ``revision`` guards their changes against a concurrent one.
    prices: tuple[PriceVersion, ...] = ()
    retired_from: str | None = None
    revision: int = 0


@dataclass(frozen=True, slots=True)
class Reading:
    fee_id: str
    period: str
    unit_id: str
    previous: int
    current: int

    @property
    def usage(self) -> int:
        return self.current - self.previous


@dataclass(frozen=True, slots=True)
class BillLine:
    fee_id: str
    name: str
    kind: FeeKind
    quantity: str  # what was multiplied, for the resident: "89.50 m² x 3 months", "usage 42"
    amount: int
    late_fee: LateFeePolicy


@dataclass(frozen=True, slots=True)
class Bill:
    tenant_id: str
    bill_id: str
    site_id: str
    unit_id: str
    unit_label: str
    period: str
    currency: str
    lines: tuple[BillLine, ...]
    total: int
    credit_applied: int
    due_date: date
    status: BillStatus
    issued_at: str
    run_id: str
    version: int = 1
    payment_id: str | None = None
    paid_at: str | None = None
    late_fee_paid: int = 0
    reminders: tuple[str, ...] = ()
    next_reminder_on: date | None = None
    # The late fee still owed once credit covered the fee but not all of it (``payments.credit``): fixed,
    # since nothing is left to accrue on. None: the late fee accrues by the lines' policies.
    late_fee_owed: int | None = None

    @property
    def amount_due(self) -> int:
        """What the bill asks for before any late fee: its lines less the credit applied to it."""
        return self.total - self.credit_applied

    @property
    def paid_late(self) -> bool:
        return self.paid_at is not None and self.paid_at[:10] > self.due_date.isoformat()


@dataclass(frozen=True, slots=True)
class Allocation:
    """One bill of a payment: what it asked for when the checkout opened, and what became of it."""

    bill_id: str
    unit_id: str
    amount_due: int
    late_fee: int
    # settled: "paid" (the bill was marked paid) or "credit" (the bill was already paid: the money became
    # the unit's credit); empty until the payment succeeds
    outcome: str = ""
    refunded: int = 0

    @property
    def amount(self) -> int:
        return self.amount_due + self.late_fee


@dataclass(frozen=True, slots=True)
class Payment:
    tenant_id: str
    payment_id: str
    provider: str
    status: PaymentStatus
    amount: int
    currency: str
    site_id: str
    allocations: tuple[Allocation, ...]
    payer_user_id: str
    on_behalf_of: str | None
    created_at: str
    version: int = 1
    provider_ref: str | None = None
    next_action: dict[str, str] = field(default_factory=dict)
    settled_at: str | None = None
    reason: str | None = None
    refunded_amount: int = 0
    refunding_amount: int = 0
    # Counter payments: the unit the money is for, the firm's receipt number (``R<year>-<n>``) and the
    # clerk's note.
    unit_id: str | None = None
    receipt_no: str | None = None
    note: str | None = None

    @property
    def bill_ids(self) -> list[str]:
        return [a.bill_id for a in self.allocations]

    @property
    def unit_ids(self) -> list[str]:
        return sorted({a.unit_id for a in self.allocations} | ({self.unit_id} if self.unit_id else set()))

    @property
    def refundable(self) -> int:
        return self.amount - self.refunded_amount - self.refunding_amount


@dataclass(frozen=True, slots=True)
class Refund:
    tenant_id: str
    payment_id: str
    refund_id: str
    amount: int
    currency: str
    status: RefundStatus
    reason: str
    created_by: str
    created_at: str
    version: int = 1
    provider_ref: str | None = None
    settled_at: str | None = None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    unit_id: str
    entry_id: str
    kind: EntryKind
    amount: int  # always >= 0; ``delta`` is the signed effect on what the unit owes
    currency: str
    at: str
    bill_id: str | None = None
    payment_id: str | None = None
    refund_id: str | None = None
    site_id: str | None = None

    @property
    def delta(self) -> int:
        if self.kind in (EntryKind.CHARGE, EntryKind.LATE_FEE, EntryKind.REFUND, EntryKind.OPENING_ARREARS):
            return self.amount
        if self.kind in (EntryKind.PAYMENT, EntryKind.OPENING_CREDIT):
            return -self.amount
        return 0


def balance(entries: list[LedgerEntry]) -> int:
    """What the unit owes (negative: credit), derived from its entries and nothing else."""
    return sum(entry.delta for entry in entries)


class RunStatus(StrEnum):
    RUNNING = "running"  # queued or being billed, chunk by chunk
    COMPLETED = "completed"  # every chunk billed
    FAILED = "failed"  # the sweep gave up on some chunks: ``missed_units`` names their units


@dataclass(frozen=True, slots=True)
class BillingRun:
    tenant_id: str
    run_id: str
    site_id: str
    period: str
    status: RunStatus
    units: int
    chunks: int
    created_at: str
    created_by: str
    bills_created: int = 0
    bills_existing: int = 0
    units_without_fees: int = 0
    chunks_done: int = 0
    completed_at: str | None = None
    # Progress bookkeeping: when a chunk last finished (or the run was last resumed), which chunks are done,
    # how often the sweep re-queued the missing ones, and why it gave up.
    updated_at: str | None = None
    done_chunks: frozenset[int] = frozenset()
    resumes: int = 0
    failed_reason: str | None = None
    missed_units: tuple[str, ...] = ()

    @property
    def units_done(self) -> int:
        return self.bills_created + self.bills_existing + self.units_without_fees

    @property
    def missing_chunks(self) -> list[int]:
        return [n for n in range(self.chunks) if n not in self.done_chunks]


@dataclass(frozen=True, slots=True)
class UnitFacts:
    """What billing needs to know of a unit (carried in the billing queue's messages)."""

    unit_id: str
    kind: str
    area_centi_m2: int
    label: str
    room_key: str


def today_in(now: datetime, tz: str) -> date:
    from zoneinfo import ZoneInfo

    return now.astimezone(ZoneInfo(tz)).date()
