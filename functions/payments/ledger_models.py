"""The ledger's API shapes: the counter's payments and the finance reports (arrears, collection,
reconciliation). Kept beside ``models.py`` so each module stays small."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from courtyard.models import Model
from payments.models import Id, Minor, _on_the_calendar, _Request

Month = Annotated[
    str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-05"]), AfterValidator(_on_the_calendar)
]


class PriceChange(_Request):
    from_period: Month = Field(description="the first month billed at the new price (this month or later)")
    price_minor: Minor


class Retirement(_Request):
    from_period: Month = Field(description="the first month the item no longer bills (this month or later)")


class CounterPaymentCreate(_Request):
    unit_id: Id
    bill_ids: list[Id] = Field(
        default_factory=list,
        max_length=50,
        description="the bills the money is for, settled oldest first; empty: the unit's open bills, oldest "
        "first, and the rest as credit",
    )
    amount: Minor = Field(
        gt=0, description="what was handed over, in fen; less than the bills: a part-payment"
    )
    channel: Literal["cash", "pos", "bank_transfer"]
    note: str | None = Field(
        default=None, max_length=200, description="e.g. the POS slip or transfer reference"
    )


class ReminderSentOut(Model):
    period: str = Field(description="the overdue bill's period")
    step: str = Field(description="the reminder ladder's step sent for it (due_soon, overdue_3, ...)")


class UnitArrearsOut(Model):
    unit_id: str
    unit_label: str
    site_id: str
    overdue: int
    bills: int
    oldest_due: str | None
    buckets: dict[str, int]
    late_bills: int
    risk: bool
    reminders: list[ReminderSentOut] = Field(description="reminders its overdue bills have had, oldest first")


class ArrearsOut(Model):
    site_id: str
    as_of: str
    currency: str
    totals: dict[str, int]
    units: list[UnitArrearsOut]


class CollectionOut(Model):
    period: str
    bills: int
    billed: int
    collected: int
    paid_bills: int
    rate_pct: float | None
    on_target: bool | None


class PaymentStatsOut(Model):
    site_id: str
    currency: str
    target_pct: float
    collection: list[CollectionOut]
    overdue_units: int
    overdue_amount: int
    risk_units: int


class ReconciliationOut(Model):
    date: str
    generated_at: str
    providers: list[str]
    balanced: bool
    counts: dict[str, int]
    matched: list[dict[str, Any]]
    missing_in_ledger: list[dict[str, Any]]
    missing_at_provider: list[dict[str, Any]]
    amount_mismatch: list[dict[str, Any]]


class StatementUpload(_Request):
    site_id: Id
    filename: str = Field(pattern=r"(?i)^[^/\\]{1,200}\.(csv|xlsx)$", examples=["icbc-2026-04.csv"])
    content_base64: str = Field(min_length=4, max_length=8_000_000, description="the file, base64")


class StatementReportOut(Model):
    lines: int = Field(description="distinct inflows in the file")
    duplicates: int = Field(description="lines the file repeats (counted once)")
    already_imported: int = Field(description="inflows an earlier import recorded: nothing is settled again")
    matched: int
    exceptions: int
    settled_amount: int


class StatementLineOut(Model):
    line_id: str
    state: str = Field(description="exception | matched | confirmed | dismissed")
    outcome: str = Field(description="reference | payer | ambiguous | unknown")
    row: int
    on: str
    amount: int
    name: str
    memo: str
    payment_id: str | None = None
    candidates: list[dict[str, str]] = Field(default_factory=list)


class StatementLineListOut(Model):
    items: list[StatementLineOut]


class LineConfirm(_Request):
    site_id: Id
    unit_id: Id
    bill_ids: list[Id] = Field(default_factory=list, max_length=50)


class LineDismiss(_Request):
    site_id: Id


class OpeningUpload(_Request):
    site_id: Id
    filename: str = Field(pattern=r"(?i)^[^/\\]{1,200}\.(csv|xlsx)$", examples=["old-system.xlsx"])
    content_base64: str = Field(min_length=4, max_length=8_000_000, description="the spreadsheet, base64")
    go_live: date = Field(description="the go-live date: opening arrears are due from it")
    commit: bool = Field(default=False, description="false: only the report; true: write the valid rows")


class OpeningProblemOut(Model):
    row: int
    code: str = Field(description="unknown_unit | bad_amount | duplicate_unit")
    value: str


class OpeningReportOut(Model):
    rows: int
    valid: int
    problems: list[OpeningProblemOut]
    committed: bool
    created: int = Field(description="units whose opening balance this import wrote")
    existing: int = Field(description="units whose opening balance an earlier import wrote: left as they are")
