"""Stripe through the official ``stripe`` library: PaymentIntents carrying ``{tenant_id, payment_id}``
metadata, idempotency keys on every write, webhooks verified with ``stripe.Webhook.construct_event``
(300 s tolerance).

``stripe`` is imported on first use, so a cold start that serves other routes does not pay for it. Tests hand
the client a fake ``http_client`` that answers like Stripe's API.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

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

SIGNATURE_HEADER = "Stripe-Signature"
TOLERANCE_SECONDS = 300


class StripeProvider:
    name = "stripe"

    def __init__(self, api_key: str, webhook_secret: str, http_client: Any | None = None) -> None:
        self._api_key = api_key
        self._webhook_secret = webhook_secret
        self._http_client = http_client
        self._client: Any | None = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import stripe

            self._client = stripe.StripeClient(
                self._api_key, http_client=self._http_client, max_network_retries=2
            )
        return self._client

    def offers(self, tenant_id: str) -> bool:
        del tenant_id
        return True  # one account for every firm

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        import stripe

        try:
            intent = self.client.v1.payment_intents.create(
                params={
                    "amount": request.amount,
                    "currency": request.currency.lower(),
                    "description": request.description[:200],
                    "metadata": {"tenant_id": request.tenant_id, "payment_id": request.payment_id},
                    "automatic_payment_methods": {"enabled": True},
                },
                options={"idempotency_key": f"checkout-{request.payment_id}"},
            )
        except stripe.StripeError as error:
            raise ProviderUnavailable("Stripe refused or did not answer the checkout") from error
        return Checkout(str(intent.id), {"type": "client_secret", "client_secret": str(intent.client_secret)})

    def verify_webhook(self, headers: Mapping[str, str], body: str, account: str = "") -> ProviderEvent:
        del account  # one account per deployment
        import stripe

        try:
            event = stripe.Webhook.construct_event(
                body, header(headers, SIGNATURE_HEADER), self._webhook_secret, tolerance=TOLERANCE_SECONDS
            )
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise BadSignature("webhook signature is missing, invalid or stale") from error
        # Stripe objects are not dicts: read the event's object as plain data.
        obj: dict[str, Any] = event.data.object.to_dict()
        metadata = dict(obj.get("metadata") or {})
        kind = str(event.type)
        if kind in ("payment_intent.succeeded", "payment_intent.payment_failed"):
            declined = obj.get("last_payment_error") or {}
            return ProviderEvent(
                event_id=str(event.id),
                kind=EventKind.PAYMENT_SUCCEEDED if kind.endswith("succeeded") else EventKind.PAYMENT_FAILED,
                tenant_id=str(metadata.get("tenant_id", "")),
                payment_id=str(metadata.get("payment_id", "")),
                provider_ref=str(obj.get("id", "")),
                amount=int(obj.get("amount_received") or obj.get("amount") or 0),
                currency=str(obj.get("currency", "")).upper(),
                reason=str(declined.get("message", "") if isinstance(declined, Mapping) else "")[:200],
            )
        if kind in ("refund.created", "refund.updated", "refund.failed"):
            status = str(obj.get("status", ""))
            refund_kind = {
                "succeeded": EventKind.REFUND_SUCCEEDED,
                "failed": EventKind.REFUND_FAILED,
                "canceled": EventKind.REFUND_FAILED,
            }.get(status, EventKind.IGNORED)
            return ProviderEvent(
                event_id=str(event.id),
                kind=refund_kind,
                tenant_id=str(metadata.get("tenant_id", "")),
                payment_id=str(metadata.get("payment_id", "")),
                provider_ref=str(obj.get("payment_intent", "")),
                amount=int(obj.get("amount") or 0),
                currency=str(obj.get("currency", "")).upper(),
                refund_id=str(metadata.get("refund_id", "")),
            )
        return ProviderEvent(event_id=str(event.id), kind=EventKind.IGNORED)

    def refund(self, request: RefundRequest) -> RefundResult:
        import stripe

        try:
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": request.provider_ref,
                    "amount": request.amount,
                    "metadata": {
                        "tenant_id": request.tenant_id,
                        "payment_id": request.payment_id,
                        "refund_id": request.refund_id,
                    },
                },
                options={"idempotency_key": f"refund-{request.refund_id}"},
            )
        except stripe.StripeError as error:
            raise ProviderUnavailable("Stripe refused or did not answer the refund") from error
        status = str(refund.status)
        return RefundResult(str(refund.id), status if status in ("succeeded", "failed") else "pending")

    def settlements(self, day: date) -> list[Settlement]:
        """Succeeded PaymentIntents and refunds created on ``day`` (UTC), with our metadata."""
        start = int(datetime.combine(day, time(), tzinfo=UTC).timestamp())
        end = int((datetime.combine(day, time(), tzinfo=UTC) + timedelta(days=1)).timestamp())
        created = {"gte": start, "lt": end}
        found: list[Settlement] = []
        intents = self.client.v1.payment_intents.list(params={"created": created, "limit": 100})
        for listed in intents.auto_paging_iter():
            intent = listed.to_dict()
            if intent.get("status") != "succeeded":
                continue
            metadata = dict(intent.get("metadata") or {})
            found.append(
                Settlement(
                    provider_ref=str(intent["id"]),
                    kind="payment",
                    amount=int(intent.get("amount_received") or intent.get("amount") or 0),
                    currency=str(intent.get("currency", "")).upper(),
                    tenant_id=str(metadata.get("tenant_id", "")),
                    payment_id=str(metadata.get("payment_id", "")),
                )
            )
        refunds = self.client.v1.refunds.list(params={"created": created, "limit": 100})
        for listed_refund in refunds.auto_paging_iter():
            refund = listed_refund.to_dict()
            if refund.get("status") != "succeeded":
                continue
            metadata = dict(refund.get("metadata") or {})
            found.append(
                Settlement(
                    provider_ref=str(refund.get("payment_intent", "")),
                    kind="refund",
                    amount=int(refund.get("amount") or 0),
                    currency=str(refund.get("currency", "")).upper(),
                    tenant_id=str(metadata.get("tenant_id", "")),
                    payment_id=str(metadata.get("payment_id", "")),
                    refund_id=str(metadata.get("refund_id", "")),
                )
            )
        return found
