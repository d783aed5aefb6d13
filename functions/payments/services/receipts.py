"""Every payment has a receipt (收款收据): made on its first download, numbered and stored in S3 once, then
handed out as a short-lived link.

Who may download: finance, managers and the service desk (the firm's money), the resident who paid or was
paid for, and the residents (and active family proxies) of the units it paid for; anyone else, and another
firm, gets 404 as for a missing payment. A payment that took no money (opened, failed, held for review) has
no receipt yet: 409.

Once per payment: the receipt record (number, S3 key) is claimed with a conditional put before the PDF is
made, so two first downloads at once answer the same receipt number; the PDF depends only on the payment
and the record, so a retried or concurrent first upload writes the same bytes to the same key, and once
``stored`` is set on the record no download writes it again. Counter payments keep the receipt number the
desk was told (``R<year>-<n>``); an online payment draws its number from the same counter of the year it
was paid in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from courtyard.clock import Clock, parse_iso, to_iso
from courtyard.directory import StaffView, TenantView, UnitView
from courtyard.errors import Conflict, NotFound
from courtyard.tenancy import TenantContext
from payments.access import People, sees_payment
from payments.domain import Bill, Payment, PaymentStatus
from payments.receipt_pdf import Receipt, ReceiptLine, render
from payments.repositories.receipts import ReceiptRecord, ReceiptRecords

# A receipt exists once money was taken (a refund later does not unmake it).
RECEIPTED = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
LINK_SECONDS = 300


@dataclass(frozen=True, slots=True)
class ReceiptLink:
    payment_id: str
    receipt_no: str
    url: str
    filename: str
    expires_at: str


class Payments(Protocol):
    """What receipts read of the payments table (``payments.repository.PaymentsRepository``)."""

    def payment(self, tenant_id: str, payment_id: str, *, consistent: bool = False) -> Payment | None: ...
    def bills(self, tenant_id: str, bill_ids: list[str], *, consistent: bool = False) -> dict[str, Bill]: ...
    def next_receipt_no(self, tenant_id: str, year: str) -> str: ...


class Storage(Protocol):
    def put(self, key: str, pdf: bytes, title: str) -> None: ...
    def download_url(self, key: str, filename: str, expires_in: int) -> str: ...


class Directory(People, Protocol):
    def tenant(self, tenant_id: str) -> TenantView | None: ...
    def unit(self, tenant_id: str, unit_id: str) -> UnitView | None: ...
    def staff_member(self, tenant_id: str, staff_id: str) -> StaffView | None: ...


class ReceiptService:
    def __init__(
        self,
        payments: Payments,
        records: ReceiptRecords,
        storage: Storage,
        directory: Directory,
        clock: Clock,
    ) -> None:
        self._payments = payments
        self._records = records
        self._storage = storage
        self._directory = directory
        self._clock = clock

    def download(self, ctx: TenantContext, payment_id: str) -> ReceiptLink:
        payment = self._payments.payment(ctx.tenant_id, payment_id)
        if payment is None or not sees_payment(self._directory, ctx, payment):
            raise NotFound("payment")
        if payment.status not in RECEIPTED:
            raise Conflict("this payment has taken no money yet: it has no receipt")
        record = self._records.get(ctx.tenant_id, payment_id) or self._claim(payment)
        if not record.stored:
            self._storage.put(record.key, self.pdf(payment, record.receipt_no), record.receipt_no)
            self._records.mark_stored(ctx.tenant_id, payment_id)
        filename = f"receipt-{record.receipt_no}.pdf"
        expires = self._clock.now() + timedelta(seconds=LINK_SECONDS)
        return ReceiptLink(
            payment_id=payment_id,
            receipt_no=record.receipt_no,
            url=self._storage.download_url(record.key, filename, LINK_SECONDS),
            filename=filename,
            expires_at=to_iso(expires),
        )

    def _claim(self, payment: Payment) -> ReceiptRecord:
        paid_at = self._local(payment, payment.settled_at or payment.created_at)
        number = payment.receipt_no or self._payments.next_receipt_no(payment.tenant_id, str(paid_at.year))
        record = ReceiptRecord(
            tenant_id=payment.tenant_id,
            payment_id=payment.payment_id,
            receipt_no=number,
            key=f"receipts/{payment.tenant_id}/{payment.payment_id}.pdf",
            issued_at=to_iso(self._clock.now()),
        )
        return self._records.claim(record)

    def pdf(self, payment: Payment, receipt_no: str) -> bytes:
        return render(self.receipt(payment, receipt_no))

    def receipt(self, payment: Payment, receipt_no: str) -> Receipt:
        """What the PDF says: the payment, its bills' items and the firm's facts, nothing of the clock."""
        tenant = self._directory.tenant(payment.tenant_id)
        bills = self._payments.bills(payment.tenant_id, payment.bill_ids)
        lines: list[ReceiptLine] = []
        for allocation in payment.allocations:
            bill = bills.get(allocation.bill_id)
            period = bill.period if bill else ""
            name = "、".join(dict.fromkeys(line.name for line in bill.lines)) if bill else "物业费"
            if allocation.outcome == "credit":
                name = f"预存款 Credit ({name})"
            lines.append(ReceiptLine(name, period, allocation.amount_due))
            if allocation.late_fee:
                lines.append(ReceiptLine("滞纳金 Late fee", period, allocation.late_fee))
        rest = payment.amount - sum(a.amount for a in payment.allocations)
        if rest > 0:
            lines.append(ReceiptLine("预存款 Credit", "", rest))
        return Receipt(
            firm=tenant.name if tenant else payment.tenant_id,
            receipt_no=receipt_no,
            unit=self._unit_label(payment, bills),
            channel=payment.provider,
            lines=tuple(lines),
            total=payment.amount,
            currency=payment.currency,
            paid_at=self._local(payment, payment.settled_at or payment.created_at).strftime("%Y-%m-%d %H:%M"),
            payment_id=payment.payment_id,
            taken_by=self._clerk(payment) if payment.receipt_no else None,
            note=payment.note,
        )

    def _unit_label(self, payment: Payment, bills: dict[str, Bill]) -> str:
        labels: list[str] = []
        for unit_id in payment.unit_ids:
            bill = next((b for b in bills.values() if b.unit_id == unit_id and b.unit_label), None)
            unit = None if bill else self._directory.unit(payment.tenant_id, unit_id)
            labels.append(bill.unit_label if bill else (unit.label or unit.room_key) if unit else unit_id)
        return "、".join(labels)

    def _clerk(self, payment: Payment) -> str | None:
        link = self._directory.user(payment.tenant_id, payment.payer_user_id)
        if link is None or link.kind != "staff":
            return None
        staff = self._directory.staff_member(payment.tenant_id, link.person_id)
        return staff.name if staff else None

    def _local(self, payment: Payment, at: str) -> datetime:
        tenant = self._directory.tenant(payment.tenant_id)
        return parse_iso(at).astimezone(ZoneInfo(tenant.timezone if tenant else "Asia/Shanghai"))
