"""Abandoned WeChat Pay and Alipay orders closed at the provider, so a bill paid later at the counter is never
also paid by an old QR code or cashier page.

Every such order is told at checkout to expire when its hold on the bills ends (``time_expire``, the
checkout's 30 minutes), so the provider itself refuses it after that; this job then closes it through the
SDK (WeChat Pay's close order, Alipay's ``alipay.trade.close``) and marks the payment failed ("abandoned"),
which also takes it out of the open-orders index. An order paid meanwhile is left to its notification; a
provider that does not answer is tried again by the next run; a payment settled between the read and the
write keeps its settlement (the write is conditioned on the version read).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Protocol

from courtyard.audit import AuditWriter
from courtyard.clock import Clock, to_iso
from courtyard.errors import Conflict, DomainError
from payments.domain import Payment, PaymentStatus
from payments.providers import ProviderRegistry
from payments.repositories.open_orders import OpenOrders

REASON = "abandoned: closed at the provider after its hold"


class Closable(Protocol):
    def close(self, tenant_id: str, payment_id: str) -> bool: ...


class Payments(Protocol):
    def payment(self, tenant_id: str, payment_id: str, *, consistent: bool = False) -> Payment | None: ...
    def save_payment(self, payment: Payment, expected_version: int) -> None: ...


@dataclass
class CloseReport:
    closed: list[str] = field(default_factory=list)
    paid_meanwhile: int = 0
    unanswered: int = 0


class AbandonedOrders:
    def __init__(
        self,
        payments: Payments,
        open_orders: OpenOrders,
        providers: Callable[[], ProviderRegistry],
        audit: AuditWriter,
        clock: Clock,
        hold_minutes: int = 30,
    ) -> None:
        self._payments = payments
        self._open = open_orders
        self._providers = providers
        self._audit = audit
        self._clock = clock
        # A minute past the hold: the provider's own expiry has passed by then, whatever its clock.
        self._after = timedelta(minutes=hold_minutes + 1)

    def close(self) -> CloseReport:
        report = CloseReport()
        cutoff = to_iso(self._clock.now() - self._after)
        for tenant_id, payment_id in self._open.created_before(cutoff):
            payment = self._payments.payment(tenant_id, payment_id, consistent=True)
            if payment is None or payment.status is not PaymentStatus.CREATED:
                continue
            provider = self._providers().get(payment.provider)
            if not hasattr(provider, "close"):
                continue
            closable: Closable = provider  # type: ignore[assignment]
            try:
                closed = closable.close(tenant_id, payment_id)
            except DomainError:
                report.unanswered += 1
                continue
            if not closed:
                report.paid_meanwhile += 1
                continue
            failed = replace(payment, status=PaymentStatus.FAILED, reason=REASON, version=payment.version + 1)
            try:
                self._payments.save_payment(failed, payment.version)
            except Conflict:
                continue  # settled meanwhile: its settlement stands
            self._audit.record(
                None,
                "close",
                "payment",
                payment_id,
                {"provider": payment.provider, "amount": payment.amount},
                actor="payments-jobs",
                tenant_id=tenant_id,
            )
            report.closed.append(payment_id)
        return report
