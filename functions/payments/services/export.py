"""The payments' part of a person's export (``PersonalDataExportRequested``, issue 17).

- bills of the person's units for the periods they were linked to them (a bill's period overlapping the
  link's start and end: a past occupant does not get the new occupant's bills, nor the other way round);
- payments they made (their login) or the desk made for them (assisted), with their receipt number and
  refunds; a co-resident's payment of the same bill is not theirs and stays out;
- their invoice requests.
The rule (``in_period``, ``bill_record``, ``payment_record``) is pure; reads are repositories/export.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from courtyard.personal_export import PartWriter
from schemas.events import ExportedLink, PersonalDataExportRequested

BILL_FIELDS = (
    "bill_id",
    "unit_id",
    "site_id",
    "unit_label",
    "period",
    "lines",
    "total",
    "amount_due",
    "currency",
    "status",
    "issued_at",
    "due_date",
    "paid_at",
    "late_fee",
    "late_fee_paid",
)
PAYMENT_FIELDS = (
    "payment_id",
    "bill_id",
    "unit_id",
    "site_id",
    "amount",
    "currency",
    "provider",
    "status",
    "created_at",
    "settled_at",
    "allocations",
    "credit_applied",
    "refunded_amount",
    "receipt_no",
    "note",
)
INVOICE_FIELDS = (
    "request_id",
    "payment_id",
    "amount",
    "currency",
    "title_type",
    "title",
    "tax_number",
    "status",
    "requested_at",
    "invoice_no",
    "reason",
    "decided_at",
)


class PaymentRecords(Protocol):
    def unit_bills(self, tenant_id: str, unit_id: str) -> list[dict[str, Any]]: ...
    def unit_payment_ids(self, tenant_id: str, unit_id: str) -> set[str]: ...
    def payment(self, tenant_id: str, payment_id: str) -> dict[str, Any] | None: ...
    def receipt_no(self, tenant_id: str, payment_id: str) -> str | None: ...
    def invoice_requests(self, tenant_id: str, user_id: str) -> list[dict[str, Any]]: ...


def in_period(period: str, link: ExportedLink) -> bool:
    """Whether a bill's period (``YYYY-MM`` or a date) falls while the link lasted (by month)."""
    month = period[:7]
    start = link.since[:7] if link.since else ""
    return month >= start and (link.until is None or month <= link.until[:7])


def bill_record(bill: Mapping[str, Any]) -> dict[str, Any]:
    return {f: bill.get(f) for f in BILL_FIELDS if f in bill}


def is_theirs(payment: Mapping[str, Any], user_id: str | None, resident_id: str) -> bool:
    return (bool(user_id) and payment.get("payer_user_id") == user_id) or payment.get(
        "on_behalf_of"
    ) == resident_id


def payment_record(payment: Mapping[str, Any], user_id: str | None, receipt_no: str | None) -> dict[str, Any]:
    record = {f: payment.get(f) for f in PAYMENT_FIELDS if f in payment}
    record["paid_by"] = "self" if user_id and payment.get("payer_user_id") == user_id else "property"
    if receipt_no:
        record["receipt_no"] = receipt_no
    return record


class PaymentsExport:
    def __init__(self, records: PaymentRecords, part: PartWriter) -> None:
        self._records = records
        self._part = part

    def write(self, asked: PersonalDataExportRequested, now: datetime) -> int:
        """Write the payments' part; how many bills, payments and invoice requests it holds."""
        t, user_id = asked.tenant_id, asked.user_id
        bills = self._bills(t, asked.links)
        payment_ids = sorted(
            {p for link in asked.links for p in self._records.unit_payment_ids(t, link.unit_id)}
        )
        payments = []
        for payment_id in payment_ids:
            payment = self._records.payment(t, payment_id)
            if payment is not None and is_theirs(payment, user_id, asked.resident_id):
                payments.append(payment_record(payment, user_id, self._records.receipt_no(t, payment_id)))
        invoices = [
            {f: r.get(f) for f in INVOICE_FIELDS}
            for r in (self._records.invoice_requests(t, user_id) if user_id else [])
        ]
        payments.sort(key=lambda p: str(p.get("created_at") or ""))
        self._part.write(
            t, asked.export_id, now, {"bills": bills, "payments": payments, "invoice_requests": invoices}
        )
        return len(bills) + len(payments) + len(invoices)

    def _bills(self, tenant_id: str, links: Sequence[ExportedLink]) -> list[dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for link in links:
            for bill in self._records.unit_bills(tenant_id, link.unit_id):
                if bill.get("sk", "BILL") == "BILL" and in_period(str(bill.get("period", "")), link):
                    found[str(bill["bill_id"])] = bill_record(bill)
        return sorted(found.values(), key=lambda b: (str(b.get("period")), str(b.get("unit_id"))))
