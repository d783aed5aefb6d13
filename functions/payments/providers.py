"""One interface for every payment provider, and the registry that picks one by name.

A provider opens a checkout for a payment (``create_checkout``: the provider's reference and the next action
the app takes: a hosted pay URL or a client secret), turns a signed webhook into a ``ProviderEvent``
(``verify_webhook``; a bad or stale signature raises ``BadSignature``), refunds, and lists what it settled on
a day (``settlements``, read by reconciliation).

Adding WeChat Pay or Alipay means one more adapter module implementing ``PaymentProvider`` and one more entry
in the registry built by ``payments.wiring.providers``: their notify callbacks map onto the same
``ProviderEvent`` kinds (``TRADE_SUCCESS``/``SUCCESS`` -> ``payment_succeeded``, refund notices ->
``refund_succeeded``), and the routes ``/payments/webhooks/{name}`` follow the same pattern.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Protocol

from courtyard.errors import DomainError, Invalid


class EventKind(StrEnum):
    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    REFUND_SUCCEEDED = "refund_succeeded"
    REFUND_FAILED = "refund_failed"
    IGNORED = "ignored"  # a type this system does not act on (answered 2xx, nothing changes)


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    tenant_id: str
    payment_id: str
    amount: int
    currency: str
    description: str


@dataclass(frozen=True, slots=True)
class Checkout:
    provider_ref: str
    next_action: dict[str, str]  # {"type": "redirect", "url": ...} or {"type": "client_secret", ...}


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    event_id: str
    kind: EventKind
    tenant_id: str = ""
    payment_id: str = ""
    provider_ref: str = ""
    amount: int = 0
    currency: str = ""
    refund_id: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RefundRequest:
    tenant_id: str
    payment_id: str
    refund_id: str
    provider_ref: str
    amount: int
    currency: str


@dataclass(frozen=True, slots=True)
class RefundResult:
    provider_ref: str
    status: str  # succeeded | pending | failed


@dataclass(frozen=True, slots=True)
class Settlement:
    """One money movement the provider reports for a day: a captured payment or a refund."""

    provider_ref: str
    kind: str  # payment | refund
    amount: int
    currency: str
    tenant_id: str = ""
    payment_id: str = ""
    refund_id: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class BadSignature(Invalid):
    """The webhook's signature is missing, wrong or too old: answered 400, nothing changes."""

    code = "bad_signature"


class ProviderUnavailable(DomainError):
    status = 502
    code = "provider_unavailable"


class PaymentProvider(Protocol):
    name: str

    def create_checkout(self, request: CheckoutRequest) -> Checkout: ...

    def verify_webhook(self, headers: Mapping[str, str], body: str) -> ProviderEvent: ...

    def refund(self, request: RefundRequest) -> RefundResult: ...

    def settlements(self, day: date) -> list[Settlement]: ...


class ProviderRegistry:
    """Providers by name; only the configured ones are present (the sandbox only where its URL is set)."""

    def __init__(self, providers: Mapping[str, PaymentProvider]) -> None:
        self._providers = dict(providers)

    def get(self, name: str) -> PaymentProvider:
        provider = self._providers.get(name)
        if provider is None:
            raise Invalid(f"payment provider {name!r} is not available")
        return provider

    def names(self) -> list[str]:
        return sorted(self._providers)

    def all(self) -> list[PaymentProvider]:
        return [self._providers[n] for n in self.names()]


def header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)
