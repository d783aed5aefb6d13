"""Receipt and invoice-request routes: a Router ``payments.handler`` includes.

``GET /payments/{payment_id}/receipt`` answers a short-lived link to the payment's receipt PDF (made and
stored once, on the first download); ``POST /payments/{payment_id}/invoice-requests`` asks for an invoice,
which finance lists (``GET /invoice-requests``) and marks issued or rejected. The rules are in
``payments.services.receipts`` and ``payments.services.invoices``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import Field

from courtyard.api import CourtyardRouter
from courtyard.idempotency import IdempotencyKey, checked_key
from courtyard.models import Model
from payments import wiring
from payments.invoice_models import (
    InvoiceIssue,
    InvoiceReject,
    InvoiceRequestCreate,
    InvoiceRequestOut,
    InvoiceRequestPageOut,
)

router = CourtyardRouter()


class ReceiptOut(Model):
    payment_id: str
    receipt_no: str = Field(description="the firm's receipt number (R<year>-<n>)")
    url: str = Field(description="a presigned link to the PDF; it expires at expires_at")
    filename: str
    expires_at: str


@router.get(
    "/payments/<payment_id>/receipt",
    summary="The payment's receipt (PDF): a link valid for 5 minutes (payer, the unit's residents, staff)",
    description="The receipt (收款收据) names the firm, the unit, the items, the amount in yuan and in "
    "capital numerals, the channel, the receipt number, the clerk for counter payments and the date in the "
    "firm's time zone. Made on the first download and stored once; 404 for anyone who may not see the "
    "payment, 409 while the payment has taken no money.",
)
def get_receipt(payment_id: str) -> ReceiptOut:
    link = wiring.receipts().download(router.tenant(), payment_id)
    return ReceiptOut(
        payment_id=link.payment_id,
        receipt_no=link.receipt_no,
        url=link.url,
        filename=link.filename,
        expires_at=link.expires_at,
    )


@router.post(
    "/payments/<payment_id>/invoice-requests",
    summary="Ask for an invoice (发票) for a payment: a company with its tax number, or a person",
    description="By whoever may see the payment (resident, family proxy, desk, finance, manager), once "
    "it took money. One live request per payment (409 naming it while one is pending or issued; a "
    "rejected one may be asked again). An `Idempotency-Key` replays the same request (200); another body "
    "under it is 422.",
    responses={
        200: {"description": "Replayed", "content": {"application/json": {"model": InvoiceRequestOut}}},
        201: {"description": "Created", "content": {"application/json": {"model": InvoiceRequestOut}}},
    },
)
def request_invoice(
    payment_id: str, body: InvoiceRequestCreate, idempotency_key: IdempotencyKey = None
) -> tuple[InvoiceRequestOut, int]:
    request, created = wiring.invoices().request(
        router.tenant(),
        payment_id,
        body.title_type,
        body.title,
        body.tax_number,
        checked_key(idempotency_key),
    )
    return InvoiceRequestOut.from_domain(request), 201 if created else 200


@router.get(
    "/invoice-requests",
    summary="Invoice requests: finance's queue by status (oldest first), or one payment's live request",
    description="Without `payment_id`: the firm's requests of `status` (default pending), finance and "
    "managers. With `payment_id`: that payment's pending or issued request (none: an empty list), for "
    "whoever may see the payment.",
)
def list_invoice_requests(
    status: Annotated[Literal["pending", "issued", "rejected"], Query()] = "pending",
    payment_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="page size")] = 50,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> InvoiceRequestPageOut:
    invoices = wiring.invoices()
    if payment_id is not None:
        live = invoices.of_payment(router.tenant(), payment_id)
        return InvoiceRequestPageOut(items=[InvoiceRequestOut.from_domain(live)] if live else [])
    page = invoices.requests(router.tenant(), status, limit, cursor)
    return InvoiceRequestPageOut(
        items=[InvoiceRequestOut.from_domain(r) for r in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "/invoice-requests/<request_id>/issue",
    summary="Mark a pending invoice request issued, with the invoice's number (finance, manager)",
)
def issue_invoice(request_id: str, body: InvoiceIssue) -> InvoiceRequestOut:
    return InvoiceRequestOut.from_domain(
        wiring.invoices().issue(router.tenant(), request_id, body.invoice_no)
    )


@router.post(
    "/invoice-requests/<request_id>/reject",
    summary="Reject a pending invoice request with the reason the resident reads (finance, manager)",
)
def reject_invoice_request(request_id: str, body: InvoiceReject) -> InvoiceRequestOut:
    return InvoiceRequestOut.from_domain(wiring.invoices().reject(router.tenant(), request_id, body.reason))
