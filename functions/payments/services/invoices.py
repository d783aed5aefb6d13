"""Invoice requests (开票申请): a resident, or the desk for them, asks for an invoice (发票) for a payment;
finance works the pending queue and marks each issued (with the invoice number) or rejected (with the reason).

- Who asks: anyone who may see the payment (``payments.access.sees_payment``) but technicians and guards;
  the payment must have taken money (409 before). The title is a company's, with its taxpayer number
  (``payments.invoice_titles``), or a person's, with none (422 either way round).
- One live request per payment: a second while one is pending or issued is 409 naming it; a rejected one
  frees the payment for a corrected request. With an ``Idempotency-Key`` a retry answers the same request
  (200); the same key with another body is 422.
- Finance (and managers) decide, once: issuing again with the same invoice number answers the same request
  (a retried click), anything else on a decided request is 409. Every request and decision is audited,
  without the title (it may be a person's name).
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal, Protocol

from courtyard.audit import AuditWriter
from courtyard.clock import Clock, to_iso
from courtyard.dynamo import Page
from courtyard.errors import Conflict, Forbidden, NotFound, Unprocessable
from courtyard.ids import new_id
from courtyard.tenancy import Role, TenantContext
from payments.access import MANAGERS, People, sees_payment
from payments.domain import Payment
from payments.repositories.invoices import ISSUED, PENDING, REJECTED, InvoiceRequest, InvoiceRequests
from payments.services.receipts import RECEIPTED

REQUESTERS = (Role.RESIDENT, Role.SERVICE_DESK, Role.FINANCE, Role.MANAGER)
Status = Literal["pending", "issued", "rejected"]


class Payments(Protocol):
    def payment(self, tenant_id: str, payment_id: str, *, consistent: bool = False) -> Payment | None: ...


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


class InvoiceService:
    def __init__(
        self,
        payments: Payments,
        requests: InvoiceRequests,
        directory: People,
        audit: AuditWriter,
        clock: Clock,
    ) -> None:
        self._payments = payments
        self._requests = requests
        self._directory = directory
        self._audit = audit
        self._clock = clock

    def request(
        self,
        ctx: TenantContext,
        payment_id: str,
        title_type: str,
        title: str,
        tax_number: str | None,
        idempotency_key: str | None,
    ) -> tuple[InvoiceRequest, bool]:
        if not ctx.has_role(*REQUESTERS):
            raise Forbidden("invoice requests are for residents, the service desk, finance and managers")
        payment = self._payments.payment(ctx.tenant_id, payment_id)
        if payment is None or not sees_payment(self._directory, ctx, payment):
            raise NotFound("payment")
        body_digest = _digest([payment_id, title_type, title, tax_number])
        key_digest = _digest([ctx.user_id, idempotency_key]) if idempotency_key else ""
        live = self._requests.live_of(ctx.tenant_id, payment_id)
        if live is not None:
            return self._replay(live, ctx, key_digest, body_digest), False
        if payment.status not in RECEIPTED:
            raise Conflict("this payment has taken no money yet: no invoice can be asked for")
        request = InvoiceRequest(
            tenant_id=ctx.tenant_id,
            request_id=new_id(),
            payment_id=payment_id,
            site_id=payment.site_id,
            unit_ids=tuple(payment.unit_ids),
            amount=payment.amount - payment.refunded_amount,
            currency=payment.currency,
            title_type=title_type,
            title=title,
            tax_number=tax_number,
            status=PENDING,
            requested_by=ctx.user_id,
            requested_at=to_iso(self._clock.now()),
            key_digest=key_digest,
            request_digest=body_digest,
        )
        try:
            self._requests.add(request)
        except Conflict:
            raced = self._requests.live_of(ctx.tenant_id, payment_id)
            if raced is None:
                raise
            return self._replay(raced, ctx, key_digest, body_digest), False
        self._audit.record(
            ctx,
            "request",
            "invoice_request",
            request.request_id,
            {"payment_id": payment_id, "title_type": title_type, "amount": request.amount},
        )
        return request, True

    def _replay(
        self, live: InvoiceRequest, ctx: TenantContext, key_digest: str, body_digest: str
    ) -> InvoiceRequest:
        if key_digest and live.key_digest == key_digest and live.requested_by == ctx.user_id:
            if live.request_digest != body_digest:
                raise Unprocessable("this Idempotency-Key was used for another invoice request")
            return live
        raise Conflict(
            f"this payment already has an invoice request ({live.status})",
            [{"request_id": live.request_id, "status": live.status, "type": "invoice_requested"}],
        )

    def requests(
        self, ctx: TenantContext, status: Status, limit: int, cursor: str | None
    ) -> Page[InvoiceRequest]:
        ctx.require(*MANAGERS)
        return self._requests.page(ctx.tenant_id, status, limit, cursor)

    def of_payment(self, ctx: TenantContext, payment_id: str) -> InvoiceRequest | None:
        """The payment's live request, for whoever may see the payment (a resident's receipt page)."""
        payment = self._payments.payment(ctx.tenant_id, payment_id)
        if payment is None or not sees_payment(self._directory, ctx, payment):
            raise NotFound("payment")
        return self._requests.live_of(ctx.tenant_id, payment_id)

    def issue(self, ctx: TenantContext, request_id: str, invoice_no: str) -> InvoiceRequest:
        ctx.require(*MANAGERS)
        request = self._pending(ctx, request_id, retry_of=invoice_no)
        if request.status == ISSUED:
            return request
        return self._decide(ctx, request, ISSUED, invoice_no=invoice_no)

    def reject(self, ctx: TenantContext, request_id: str, reason: str) -> InvoiceRequest:
        ctx.require(*MANAGERS)
        request = self._pending(ctx, request_id)
        return self._decide(ctx, request, REJECTED, reason=reason)

    def _pending(self, ctx: TenantContext, request_id: str, retry_of: str | None = None) -> InvoiceRequest:
        request = self._requests.get(ctx.tenant_id, request_id)
        if request is None:
            raise NotFound("invoice request")
        if request.status == ISSUED and retry_of is not None and request.invoice_no == retry_of:
            return request  # the same issue clicked again
        if request.status != PENDING:
            raise Conflict(f"this invoice request is already {request.status}")
        return request

    def _decide(
        self,
        ctx: TenantContext,
        request: InvoiceRequest,
        status: str,
        invoice_no: str | None = None,
        reason: str | None = None,
    ) -> InvoiceRequest:
        from dataclasses import replace

        decided = replace(
            request,
            status=status,
            invoice_no=invoice_no,
            reason=reason,
            decided_by=ctx.user_id,
            decided_at=to_iso(self._clock.now()),
        )
        try:
            self._requests.decide(decided)
        except Conflict:
            again = self._requests.get(ctx.tenant_id, request.request_id)
            if again is not None and again.status == ISSUED and invoice_no and again.invoice_no == invoice_no:
                return again
            raise
        action = "issue" if status == ISSUED else "reject"
        details = {"payment_id": request.payment_id, **({"invoice_no": invoice_no} if invoice_no else {})}
        self._audit.record(ctx, action, "invoice_request", request.request_id, details)
        return decided
