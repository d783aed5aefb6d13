"""Reconciliation, pure: the provider's settled payments of a day against the payments the ledger settled.

Matched by the provider's reference: ``matched`` (both, same amount and currency), ``missing_in_ledger`` (the
provider took money the ledger does not show: e.g. a webhook that never arrived), ``missing_at_provider``
(the ledger shows money the provider did not settle that day), ``amount_mismatch`` (both, amounts differ; a
payment held for review lands here). Refunds are listed by the provider but not compared yet.
"""

from __future__ import annotations

from typing import Any

from payments.domain import COUNTER_CHANNELS, Payment, PaymentStatus
from payments.providers import Settlement

LEDGER_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


def compare(settlements: list[Settlement], payments: list[Payment]) -> dict[str, Any]:
    at_provider = {s.provider_ref: s for s in settlements if s.kind == "payment"}
    # Counter money (cash, POS, bank transfer) has no provider settlement to compare with.
    in_ledger = {p.provider_ref or p.payment_id: p for p in payments if p.provider not in COUNTER_CHANNELS}
    matched: list[dict[str, Any]] = []
    mismatch: list[dict[str, Any]] = []
    missing_in_ledger: list[dict[str, Any]] = []
    missing_at_provider: list[dict[str, Any]] = []
    for ref, settlement in sorted(at_provider.items()):
        payment = in_ledger.get(ref)
        row = {
            "provider_ref": ref,
            "payment_id": settlement.payment_id or (payment.payment_id if payment else ""),
            "provider_amount": settlement.amount,
            "currency": settlement.currency,
        }
        if payment is None:
            missing_in_ledger.append(row)
        elif (
            payment.status not in LEDGER_STATUSES
            or payment.amount != settlement.amount
            or payment.currency != settlement.currency
        ):
            mismatch.append(
                {**row, "ledger_amount": payment.amount if payment.status in LEDGER_STATUSES else 0}
            )
        else:
            matched.append({**row, "ledger_amount": payment.amount})
    for ref, payment in sorted(in_ledger.items()):
        if ref not in at_provider and payment.status in LEDGER_STATUSES:
            missing_at_provider.append(
                {
                    "provider_ref": ref,
                    "payment_id": payment.payment_id,
                    "ledger_amount": payment.amount,
                    "currency": payment.currency,
                }
            )
    return {
        "matched": matched,
        "missing_in_ledger": missing_in_ledger,
        "missing_at_provider": missing_at_provider,
        "amount_mismatch": mismatch,
        "counts": {
            "matched": len(matched),
            "missing_in_ledger": len(missing_in_ledger),
            "missing_at_provider": len(missing_at_provider),
            "amount_mismatch": len(mismatch),
        },
        "balanced": not (missing_in_ledger or missing_at_provider or mismatch),
    }
