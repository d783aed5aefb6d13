"""The sandbox provider's client: a fake payment service that behaves like a real one
(infra/local/pay_sandbox.py serves it on the local cloud and in tests).

API: ``POST /v1/checkouts`` (Idempotency-Key) -> a hosted pay URL; ``POST /v1/refunds``; ``GET /settlements?
date=``; every call carries ``Authorization: Bearer <secret>``. Webhooks are JSON ``{id, type, data}``
signed in Stripe's scheme (``payments.signing``) in the ``Sandbox-Signature`` header with the same shared
secret.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from payments import signing
from payments.providers import (
    BadSignature,
    Checkout,
    CheckoutRequest,
    EventKind,
    ProviderEvent,
    ProviderUnavailable,
    RefundRequest,
    RefundResult,
    Settlement,
    header,
)

SIGNATURE_HEADER = "Sandbox-Signature"
_KINDS = {
    "payment.succeeded": EventKind.PAYMENT_SUCCEEDED,
    "payment.failed": EventKind.PAYMENT_FAILED,
    "refund.succeeded": EventKind.REFUND_SUCCEEDED,
    "refund.failed": EventKind.REFUND_FAILED,
}


class SandboxProvider:
    name = "sandbox"

    def __init__(self, base_url: str, secret: str, now: Callable[[], float], timeout_s: float = 5.0) -> None:
        self._base = base_url.rstrip("/")
        self._secret = secret
        self._now = now
        self._timeout = timeout_s

    def offers(self, tenant_id: str) -> bool:
        del tenant_id
        return True  # one account for every firm

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        body = {
            "payment_id": request.payment_id,
            "tenant_id": request.tenant_id,
            "amount": request.amount,
            "currency": request.currency,
            "description": request.description,
        }
        answer = self._call("POST", "/v1/checkouts", body, idempotency_key=f"checkout-{request.payment_id}")
        return Checkout(str(answer["id"]), {"type": "redirect", "url": str(answer["pay_url"])})

    def verify_webhook(self, headers: Mapping[str, str], body: str, account: str = "") -> ProviderEvent:
        del account  # one account per deployment
        if not signing.verify(self._secret, body, header(headers, SIGNATURE_HEADER), self._now()):
            raise BadSignature("webhook signature is missing, invalid or stale")
        try:
            event = json.loads(body)
            data: dict[str, Any] = event["data"]
            return ProviderEvent(
                event_id=str(event["id"]),
                kind=_KINDS.get(str(event["type"]), EventKind.IGNORED),
                tenant_id=str(data.get("tenant_id", "")),
                payment_id=str(data.get("payment_id", "")),
                provider_ref=str(data.get("checkout_id", "")),
                amount=int(data.get("amount", 0)),
                currency=str(data.get("currency", "")).upper(),
                refund_id=str(data.get("refund_id", "")),
                reason=str(data.get("reason", ""))[:200],
            )
        except (ValueError, KeyError, TypeError) as error:
            raise BadSignature("webhook body is not a sandbox event") from error

    def refund(self, request: RefundRequest) -> RefundResult:
        answer = self._call(
            "POST",
            "/v1/refunds",
            {
                "checkout_id": request.provider_ref,
                "amount": request.amount,
                "refund_id": request.refund_id,
                "payment_id": request.payment_id,
                "tenant_id": request.tenant_id,
            },
            idempotency_key=f"refund-{request.refund_id}",
        )
        return RefundResult(str(answer["id"]), str(answer.get("status", "pending")))

    def settlements(self, day: date) -> list[Settlement]:
        answer = self._call("GET", f"/settlements?{urllib.parse.urlencode({'date': day.isoformat()})}")
        return [
            Settlement(
                provider_ref=str(row["checkout_id"]),
                kind=str(row["kind"]),
                amount=int(row["amount"]),
                currency=str(row["currency"]).upper(),
                tenant_id=str(row.get("tenant_id", "")),
                payment_id=str(row.get("payment_id", "")),
                refund_id=str(row.get("refund_id", "")),
            )
            for row in answer.get("data", [])
        ]

    def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._secret}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        request = urllib.request.Request(f"{self._base}{path}", data=data, headers=headers, method=method)  # noqa: S310 - the configured sandbox URL
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                answer: dict[str, Any] = json.loads(response.read().decode() or "{}")
                return answer
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            raise ProviderUnavailable("the sandbox payment service did not answer") from error
