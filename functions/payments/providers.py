"""One interface for every payment provider, and the registry that picks one by name.

A provider opens a checkout for a payment (``create_checkout``: the provider's reference and the next action
the app takes: a hosted pay URL or a client secret), turns a signed webhook into a ``ProviderEvent``
(``verify_webhook``; a bad or stale signature raises ``BadSignature``), refunds, and lists what it settled on
a day (``settlements``, read by reconciliation).

WeChat Pay (``adapters/wechatpay.py``, JSAPI and Native) and Alipay (``adapters/alipay.py``, page and wap) are
one adapter each, registered once per scene (``wechatpay_native``, ``wechatpay_jsapi``, ``alipay_page``,
``alipay_wap``); their keys are per firm, so their notify URLs name the firm
(``/payments/webhooks/{name}/{tenant_id}``) and ``verify_webhook`` checks the notice with that firm's keys.
Their notices map onto the same ``ProviderEvent`` kinds (``TRANSACTION.SUCCESS``/``TRADE_SUCCESS`` ->
``payment_succeeded``, refund notices -> ``refund_succeeded``).
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
    # WeChat Pay JSAPI (inside WeChat's browser) charges the payer's openid; other providers ignore it.
    payer_openid: str = ""
    # How long the checkout holds its bills (seconds; 0: no limit): WeChat Pay and Alipay are told to refuse
    # the order after that (counted on their clock), so a bill paid at the counter once the hold is over is
    # never also paid by an old code.
    expires_in: int = 0


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

    def offers(self, tenant_id: str) -> bool:
        """Whether this firm can pay through the provider (per-firm providers need the firm's keys)."""
        ...

    def create_checkout(self, request: CheckoutRequest) -> Checkout: ...

    def verify_webhook(self, headers: Mapping[str, str], body: str, account: str = "") -> ProviderEvent:
        """``account``: the firm named by the notify URL, for providers whose keys are per firm (WeChat Pay,
        Alipay); the event must then be signed with that firm's keys and name that firm."""
        ...

    def refund(self, request: RefundRequest) -> RefundResult: ...

    def settlements(self, day: date) -> list[Settlement]: ...


class ProviderRegistry:
    """Providers by name; only the configured ones are present (the sandbox only where its URL is set)."""

    def __init__(self, providers: Mapping[str, PaymentProvider]) -> None:
        self._providers = dict(providers)

    def get(self, name: str, tenant_id: str = "") -> PaymentProvider:
        """The provider ``name``; with ``tenant_id``, only if that firm can pay through it."""
        provider = self._providers.get(name)
        if provider is None or (tenant_id and not provider.offers(tenant_id)):
            raise Invalid(f"payment provider {name!r} is not available")
        return provider

    def names(self) -> list[str]:
        return sorted(self._providers)

    def all(self) -> list[PaymentProvider]:
        return [self._providers[n] for n in self.names()]


def header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)
