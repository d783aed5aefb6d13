"""Payments API: request and response models, mapped explicitly from the domain records."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from courtyard.models import Model
from payments.domain import (
    Bill,
    BillingRun,
    BillStatus,
    Cycle,
    FeeItem,
    FeeKind,
    LateFeeKind,
    LedgerEntry,
    Payment,
    Refund,
    RunStatus,
)
from payments.fees import cycle_of, first_day

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]


def _on_the_calendar(period: str) -> str:
    # The pattern lets year 0000 through; no calendar holds it (refused before anything is written).
    first_day(period)
    return period


Period = Annotated[
    str,
    Field(pattern=r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$", examples=["2026-03", "2026-Q1", "2026"]),
    AfterValidator(_on_the_calendar),
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Minor = Annotated[int, Field(ge=0, le=10**11, description="integer minor units (fen, cents)")]


class _Request(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# ------------------------------------------------------------------ requests


class LateFeeIn(_Request):
    kind: LateFeeKind = LateFeeKind.NONE
    grace_days: int = Field(default=0, ge=0, le=365)
    value: int = Field(
        default=0,
        ge=0,
        le=10**9,
        description="fixed: minor units; percentage: basis points; daily: bp per day",
    )
    cap_minor: Minor | None = None


class FeeItemCreate(_Request):
    site_id: Id
    name: str = Field(min_length=1, max_length=100, examples=["物业费 Property fee"])
    kind: FeeKind
    cycle: Cycle = Cycle.MONTHLY
    price_minor: Minor = Field(
        description="area: per m² per month; fixed/parking: per unit and cycle; metered: per unit of usage"
    )
    currency: Currency | None = Field(default=None, description="defaults to the firm's currency")
    due_day: int = Field(default=15, ge=1, le=28, description="day of the period's first month")
    late_fee: LateFeeIn = Field(default_factory=LateFeeIn)
    unit_kinds: list[Annotated[str, Field(pattern="^(residential|commercial|parking)$")]] = Field(
        default_factory=list, max_length=3, description="override which unit kinds it bills"
    )


class ReadingIn(_Request):
    unit_id: Id
    previous: int = Field(ge=0, le=10**9)
    current: int = Field(ge=0, le=10**9)

    @model_validator(mode="after")
    def _forward(self) -> ReadingIn:
        if self.current < self.previous:
            raise ValueError("current reading is below the previous one")
        return self


class ReadingsIn(_Request):
    period: Period
    readings: list[ReadingIn] = Field(min_length=1, max_length=1000)


class BillingRunCreate(_Request):
    site_id: Id
    period: Period


class PaymentCreate(_Request):
    bill_ids: list[Id] = Field(min_length=1, max_length=20)
    provider: str = Field(
        default="sandbox",
        pattern="^[a-z][a-z0-9_]{1,20}$",
        examples=["sandbox", "stripe", "wechatpay_native", "wechatpay_jsapi", "alipay_wap", "alipay_page"],
        description="wechatpay_native answers a QR code (`next_action.code_url`, `qr_svg`), wechatpay_jsapi "
        "WeixinJSBridge's parameters (needs `wechat_openid`), the others a pay URL",
    )
    wechat_openid: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{6,128}$")

    @model_validator(mode="after")
    def _jsapi_names_the_payer(self) -> PaymentCreate:
        # Refused before a payment is recorded: a checkout the provider cannot open would hold the bills.
        if self.provider == "wechatpay_jsapi" and not self.wechat_openid:
            raise ValueError("wechatpay_jsapi needs wechat_openid (the payer's openid inside WeChat)")
        return self


class RefundCreate(_Request):
    amount: Minor | None = Field(default=None, description="omit to refund what is left of the payment")
    reason: str = Field(min_length=1, max_length=200)


class StepIn(_Request):
    name: Annotated[str, Field(pattern="^[a-z][a-z0-9_]{1,39}$")]
    offset_days: int = Field(ge=-60, le=365)
    formal: bool = False


class PaymentSettingsIn(_Request):
    ladder: list[StepIn] = Field(min_length=1, max_length=8)
    quiet_start: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "21:00"
    quiet_end: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "08:00"
    late_issue_grace_days: int = Field(
        default=15,
        ge=0,
        le=90,
        description="a bill issued after its period's due day is due this many days after its issue date",
    )


# ------------------------------------------------------------------ responses


class LateFeeOut(Model):
    kind: str
    grace_days: int
    value: int
    cap_minor: int | None


class FeeItemOut(Model):
    fee_id: str
    site_id: str
    name: str
    kind: str
    cycle: str
    price_minor: int
    currency: str
    due_day: int
    late_fee: LateFeeOut
    unit_kinds: list[str]
    created_at: str
    prices: list[dict[str, Any]] = Field(
        default_factory=list, description="later prices: from_period (YYYY-MM) and price_minor"
    )
    retired_from: str | None = None

    @classmethod
    def from_domain(cls, item: FeeItem) -> FeeItemOut:
        return cls(
            fee_id=item.fee_id,
            site_id=item.site_id,
            name=item.name,
            kind=item.kind.value,
            cycle=item.cycle.value,
            price_minor=item.price_minor,
            currency=item.currency,
            due_day=item.due_day,
            late_fee=LateFeeOut(
                **{k: getattr(item.late_fee, k) for k in ("grace_days", "value", "cap_minor")},
                kind=item.late_fee.kind.value,
            ),
            unit_kinds=list(item.unit_kinds),
            created_at=item.created_at,
            prices=[{"from_period": v.from_period, "price_minor": v.price_minor} for v in item.prices],
            retired_from=item.retired_from,
        )


class FeeItemListOut(Model):
    items: list[FeeItemOut]


class ReadingsOut(Model):
    fee_id: str
    period: str
    recorded: int


class BillingRunOut(Model):
    run_id: str
    site_id: str
    period: str
    cycle: str
    status: RunStatus = Field(description="running (queued or billing), completed, or failed (missed_units)")
    units: int = Field(description="units of the community when the run started")
    units_done: int = Field(description="units billed so far: bills created + bills existing + without fees")
    chunks: int
    chunks_done: int
    bills_created: int
    bills_existing: int
    units_without_fees: int
    resumes: int = Field(description="times the sweep queued the run's missing chunks again")
    failed_reason: str | None
    missed_units: list[str] = Field(description="a failed run's units that were not billed")
    created_at: str
    updated_at: str | None
    completed_at: str | None

    @classmethod
    def from_domain(cls, run: BillingRun) -> BillingRunOut:
        return cls(
            run_id=run.run_id,
            site_id=run.site_id,
            period=run.period,
            cycle=cycle_of(run.period).value,
            status=run.status,
            units=run.units,
            units_done=run.units_done,
            chunks=run.chunks,
            chunks_done=run.chunks_done,
            bills_created=run.bills_created,
            bills_existing=run.bills_existing,
            units_without_fees=run.units_without_fees,
            resumes=run.resumes,
            failed_reason=run.failed_reason,
            missed_units=list(run.missed_units),
            created_at=run.created_at,
            updated_at=run.updated_at,
            completed_at=run.completed_at,
        )


class BillingRunPageOut(Model):
    items: list[BillingRunOut]
    next_cursor: str | None


class BillLineOut(Model):
    fee_id: str
    name: str
    kind: str
    quantity: str
    amount: int


class BillOut(Model):
    bill_id: str
    site_id: str
    unit_id: str
    unit_label: str
    period: str
    currency: str
    lines: list[BillLineOut]
    total: int
    credit_applied: int
    amount_due: int
    late_fee: int = Field(description="accrued as of now while unpaid; what was paid once paid")
    amount_payable: int = Field(description="amount_due + late_fee while unpaid; 0 once paid")
    due_date: str
    status: BillStatus
    issued_at: str
    payment_id: str | None
    paid_at: str | None
    paid_late: bool
    reminders: list[str]

    @classmethod
    def from_domain(cls, bill: Bill, late_fee_now: int) -> BillOut:
        paid = bill.status is BillStatus.PAID
        late = bill.late_fee_paid if paid else late_fee_now
        return cls(
            bill_id=bill.bill_id,
            site_id=bill.site_id,
            unit_id=bill.unit_id,
            unit_label=bill.unit_label,
            period=bill.period,
            currency=bill.currency,
            lines=[
                BillLineOut(
                    fee_id=li.fee_id, name=li.name, kind=li.kind.value, quantity=li.quantity, amount=li.amount
                )
                for li in bill.lines
            ],
            total=bill.total,
            credit_applied=bill.credit_applied,
            amount_due=bill.amount_due,
            late_fee=late,
            amount_payable=0 if paid else bill.amount_due + late,
            due_date=bill.due_date.isoformat(),
            status=bill.status,
            issued_at=bill.issued_at,
            payment_id=bill.payment_id,
            paid_at=bill.paid_at,
            paid_late=bill.paid_late,
            reminders=list(bill.reminders),
        )


class BillPageOut(Model):
    items: list[BillOut]
    next_cursor: str | None


class AllocationOut(Model):
    bill_id: str
    unit_id: str
    amount_due: int
    late_fee: int
    outcome: str
    refunded: int


class RefundOut(Model):
    refund_id: str
    payment_id: str
    amount: int
    currency: str
    status: str
    reason: str
    created_at: str
    settled_at: str | None

    @classmethod
    def from_domain(cls, refund: Refund) -> RefundOut:
        return cls(
            refund_id=refund.refund_id,
            payment_id=refund.payment_id,
            amount=refund.amount,
            currency=refund.currency,
            status=refund.status.value,
            reason=refund.reason,
            created_at=refund.created_at,
            settled_at=refund.settled_at,
        )


class PaymentOut(Model):
    payment_id: str
    provider: str
    status: str
    amount: int
    currency: str
    site_id: str
    bill_ids: list[str]
    allocations: list[AllocationOut]
    next_action: dict[str, str]
    created_at: str
    settled_at: str | None
    reason: str | None
    refunded_amount: int
    assisted: bool
    refunds: list[RefundOut] = Field(default_factory=list)
    unit_id: str | None = None
    receipt_no: str | None = None
    taken_by: str | None = Field(default=None, description="counter payments: the staff user who took it")
    credit: int = Field(default=0, description="counter payments: what settled no bill (the unit's credit)")

    @classmethod
    def from_domain(cls, payment: Payment, refunds: list[Refund] | None = None) -> PaymentOut:
        return cls(
            payment_id=payment.payment_id,
            provider=payment.provider,
            status=payment.status.value,
            amount=payment.amount,
            currency=payment.currency,
            site_id=payment.site_id,
            bill_ids=payment.bill_ids,
            allocations=[
                AllocationOut(
                    bill_id=a.bill_id,
                    unit_id=a.unit_id,
                    amount_due=a.amount_due,
                    late_fee=a.late_fee,
                    outcome=a.outcome,
                    refunded=a.refunded,
                )
                for a in payment.allocations
            ],
            next_action=dict(payment.next_action),
            created_at=payment.created_at,
            settled_at=payment.settled_at,
            reason=payment.reason,
            refunded_amount=payment.refunded_amount,
            assisted=payment.on_behalf_of is not None,
            refunds=[RefundOut.from_domain(r) for r in refunds or []],
            unit_id=payment.unit_id,
            receipt_no=payment.receipt_no,
            taken_by=payment.payer_user_id if payment.receipt_no else None,
            credit=payment.amount - sum(a.amount for a in payment.allocations) if payment.receipt_no else 0,
        )


class WebhookOut(Model):
    received: bool
    outcome: str


class LedgerEntryOut(Model):
    entry_id: str
    kind: str
    amount: int
    delta: int
    currency: str
    at: str
    bill_id: str | None
    payment_id: str | None
    refund_id: str | None

    @classmethod
    def from_domain(cls, entry: LedgerEntry) -> LedgerEntryOut:
        return cls(
            entry_id=entry.entry_id,
            kind=entry.kind.value,
            amount=entry.amount,
            delta=entry.delta,
            currency=entry.currency,
            at=entry.at,
            bill_id=entry.bill_id,
            payment_id=entry.payment_id,
            refund_id=entry.refund_id,
        )


class LedgerOut(Model):
    unit_id: str
    currency: str
    balance: int = Field(description="what the unit owes; negative is credit for its next bills")
    credit: int
    entries: list[LedgerEntryOut]
    next_cursor: str | None


class PaymentSettingsOut(Model):
    ladder: list[dict[str, Any]]
    quiet_start: str
    quiet_end: str
    late_issue_grace_days: int
