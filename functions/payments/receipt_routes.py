"""Receipt and invoice-request routes: a Router ``payments.handler`` includes.

``GET /payments/{payment_id}/receipt`` answers a short-lived link to the payment's receipt PDF (made and
stored once, on the first download). The rules are in ``payments.services.receipts``.
"""

from __future__ import annotations

from pydantic import Field

from courtyard.api import CourtyardRouter
from courtyard.models import Model
from payments import wiring

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
