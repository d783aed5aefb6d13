"""Checkout, provider webhooks and refunds: the money paths.

Checkout: a resident (or an agent acting for one) pays one or several owed bills of their units, of one
community, in one payment; the late fee accrued by today is part of the amount. An ``Idempotency-Key`` replays
the same payment. The payment record is written (with the key's claim) before the provider is asked, so a
provider outage leaves a payment a retry completes, never a charge without a record.

Webhooks: verified by the provider adapter, then applied once per provider event id: the event's claim and
every change it makes are one transaction, conditioned on the versions read; losers of a race re-read and find
the claim (answered 2xx, nothing written). Webhooks are unauthenticated: the tenant and payment come from the
provider-signed metadata and must name an existing payment of that provider.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from courtyard.audit import AuditWriter
from courtyard.clock import Clock, epoch, to_iso
from courtyard.directory import DirectoryReader
from courtyard.errors import Conflict, Forbidden, NotFound, Unprocessable
from courtyard.events import DomainEvent, EventPublisher
from courtyard.ids import new_id
from courtyard.tenancy import Role, TenantContext
from payments import credit, fees
from payments.access import BILL_READERS, resident_of, units_of
from payments.domain import Allocation, BillStatus, Payment, PaymentStatus, Refund, RefundStatus, today_in
from payments.models import PaymentCreate, RefundCreate
from payments.providers import (
    CheckoutRequest,
    EventKind,
    ProviderEvent,
    ProviderRegistry,
    ProviderUnavailable,
    RefundRequest,
)
from payments.repository import PaymentsRepository
from payments.settle import (
    REFUNDABLE,
    Plan,
    credit_arising,
    payment_failed,
    payment_succeeded,
    refund_settled,
    spend_credit,
)
from schemas.events import EVENTS

_ATTEMPTS = 8
# Who may open a payment at the counter, and through which providers (a code the payer scans).
COUNTER_STAFF = (Role.FINANCE, Role.SERVICE_DESK, Role.MANAGER)
COUNTER_PROVIDERS = ("wechatpay_native",)


class CheckoutInFlight(Conflict):
    """A bill of the checkout already has another checkout in flight (409 ``checkout_in_flight``; the
    details name that payment, which the app opens instead)."""

    code = "checkout_in_flight"


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class PaymentService:
    def __init__(
        self,
        repo: PaymentsRepository,
        directory: DirectoryReader,
        providers: Callable[[], ProviderRegistry],
        audit: AuditWriter,
        events: EventPublisher,
        clock: Clock,
        idempotency_hours: int = 24,
        hold_minutes: int = 30,
    ) -> None:
        self._repo = repo
        self._directory = directory
        self._providers = providers
        self._audit = audit
        self._events = events
        self._clock = clock
        self._idempotency = timedelta(hours=idempotency_hours)
        self._hold = timedelta(minutes=hold_minutes)

    # -------------------------------------------------------------- checkout

    def checkout(
        self, ctx: TenantContext, request: PaymentCreate, idempotency_key: str | None
    ) -> tuple[Payment, bool]:
        resident_id = resident_of(self._directory, ctx)
        # The counter: the desk or finance shows a WeChat Pay QR code for any of the firm's bills, and the
        # resident in front of them scans it (no resident record is needed to pay a bill of their unit).
        counter = (
            resident_id is None and request.provider in COUNTER_PROVIDERS and ctx.has_role(*COUNTER_STAFF)
        )
        if resident_id is None and not counter:
            raise Forbidden("residents pay their bills; staff pay on a resident's behalf (X-On-Behalf-Of)")
        claim = None
        if idempotency_key is not None:
            key_digest = _digest(idempotency_key)
            request_digest = _digest(sorted(request.bill_ids), request.provider, resident_id)
            replay = self._replay(ctx, key_digest, request_digest)
            if replay is not None:
                return replay, False
            claim = (ctx.user_id, key_digest, request_digest)
        provider = self._providers().get(request.provider, ctx.tenant_id)
        units = (
            # A resident's own units and those they are the family proxy of (子女代办).
            units_of(self._directory, ctx.tenant_id, resident_id)
            if resident_id is not None
            else None  # the counter sees every unit of the firm
        )
        bills = self._repo.bills(ctx.tenant_id, request.bill_ids, consistent=True)
        for bill_id in request.bill_ids:
            bill = bills.get(bill_id)
            # A neighbour's bill is as invisible as a missing one.
            if bill is None or (units is not None and bill.unit_id not in units):
                raise NotFound("bill", [{"bill_id": bill_id}])
            if bill.status is not BillStatus.ISSUED:
                raise Conflict(f"bill {bill_id} is already paid")
        ordered = [bills[b] for b in dict.fromkeys(request.bill_ids)]
        if len({b.site_id for b in ordered}) > 1 or len({b.currency for b in ordered}) > 1:
            raise Unprocessable("one payment covers bills of one community and currency")
        now = self._clock.now()
        stale = self._not_in_flight(ctx.tenant_id, [b.bill_id for b in ordered], now)
        today = today_in(now, self._timezone(ctx.tenant_id))
        allocations = tuple(
            Allocation(
                b.bill_id,
                b.unit_id,
                b.amount_due,
                fees.late_fee_due(b, today),
            )
            for b in ordered
        )
        amount = sum(a.amount for a in allocations)
        if amount <= 0:
            raise Unprocessable("nothing to pay on these bills")
        payment = Payment(
            tenant_id=ctx.tenant_id,
            payment_id=new_id(),
            provider=provider.name,
            status=PaymentStatus.CREATED,
            amount=amount,
            currency=ordered[0].currency,
            site_id=ordered[0].site_id,
            allocations=allocations,
            payer_user_id=ctx.user_id,
            on_behalf_of=ctx.on_behalf_of,
            created_at=to_iso(now),
        )
        try:
            self._repo.create_payment(
                payment, claim, epoch(now + self._idempotency), epoch(now + self._hold), stale
            )
        except Conflict:
            # The same key raced in from a retry: answer what the winner created.
            replay = self._replay(ctx, claim[1], claim[2]) if claim is not None else None
            if replay is not None:
                return replay, False
            # Another checkout took one of the bills between our read and our write.
            self._not_in_flight(ctx.tenant_id, payment.bill_ids, now)
            raise
        self._audit.record(
            ctx,
            "create",
            "payment",
            payment.payment_id,
            {"bills": payment.bill_ids, "provider": payment.provider},
        )
        return self._open_at_provider(payment, request.wechat_openid or ""), True

    def _not_in_flight(self, tenant_id: str, bill_ids: list[str], now: datetime) -> dict[str, str]:
        """Refuse a checkout for a bill another checkout holds: a payment still open at the provider (created,
        not failed or settled) within its hold. Answers the stale holds (bill -> payment) to replace.

        Refused rather than joined: the other checkout may be another family member's, for other bills too,
        and answering it would hand one person's payment to another; the app opens the named payment."""
        stale: dict[str, str] = {}
        for bill_id, lock in sorted(self._repo.checkout_locks(tenant_id, bill_ids).items()):
            holder = self._repo.payment(tenant_id, lock.payment_id, consistent=True)
            if lock.until > epoch(now) and holder is not None and holder.status is PaymentStatus.CREATED:
                raise CheckoutInFlight(
                    f"bill {bill_id} already has a checkout in flight; finish or wait for payment "
                    f"{lock.payment_id}",
                    [{"bill_id": bill_id, "payment_id": lock.payment_id, "type": "checkout_in_flight"}],
                )
            stale[bill_id] = lock.payment_id
        return stale

    def _replay(self, ctx: TenantContext, key_digest: str, request_digest: str) -> Payment | None:
        claim = self._repo.idempotency_claim(ctx.tenant_id, "PAY", ctx.user_id, key_digest)
        if claim is None:
            return None
        if claim.request_digest != request_digest:
            raise Unprocessable("this Idempotency-Key was used for another payment")
        payment = self._repo.payment(ctx.tenant_id, claim.subject_id, consistent=True)
        if payment is None:
            raise NotFound("payment")
        if payment.provider_ref is None and payment.status is PaymentStatus.CREATED:
            return self._open_at_provider(payment)
        return payment

    def _open_at_provider(self, payment: Payment, payer_openid: str = "") -> Payment:
        provider = self._providers().get(payment.provider)
        checkout = provider.create_checkout(
            CheckoutRequest(
                payment.tenant_id,
                payment.payment_id,
                payment.amount,
                payment.currency,
                f"Courtyard {len(payment.allocations)} bill(s) {payment.payment_id}",
                payer_openid,
                expires_in=int(self._hold.total_seconds()),
            )
        )
        opened = replace(
            payment,
            provider_ref=checkout.provider_ref,
            next_action=checkout.next_action,
            version=payment.version + 1,
        )
        try:
            self._repo.save_payment(opened, payment.version)
        except Conflict:
            # A webhook settled it meanwhile (fast providers do): keep what is stored.
            current = self._repo.payment(payment.tenant_id, payment.payment_id, consistent=True)
            return current or opened
        return opened

    def payment(self, ctx: TenantContext, payment_id: str) -> tuple[Payment, list[Refund]]:
        payment = self._repo.payment(ctx.tenant_id, payment_id)
        if payment is None:
            raise NotFound("payment")
        if not ctx.has_role(*BILL_READERS) and payment.payer_user_id != ctx.user_id:
            resident_id = resident_of(self._directory, ctx) if ctx.is_resident else None
            if resident_id is None or payment.on_behalf_of != resident_id:
                raise NotFound("payment")
        return payment, self._repo.refunds(ctx.tenant_id, payment_id)

    # -------------------------------------------------------------- webhooks

    def webhook(self, provider_name: str, headers: Mapping[str, str], body: str, account: str = "") -> str:
        """Apply one provider event; returns the outcome (applied, duplicate, review, ignored). ``account``:
        the firm a per-firm provider's notify URL names (its keys verified the event)."""
        provider = self._providers().get(provider_name)
        event = provider.verify_webhook(headers, body, account)
        if event.kind is EventKind.IGNORED or not event.tenant_id or not event.payment_id:
            return "ignored"
        if account and event.tenant_id != account:
            return "ignored"
        if "#" in event.tenant_id or "#" in event.payment_id:
            return "ignored"
        tenant_id = event.tenant_id
        digest = _digest(event.event_id)[:40]
        for _ in range(_ATTEMPTS):
            claim = self._repo.event_claim(tenant_id, provider_name, digest)
            if claim is not None:
                if claim.pending:
                    self._publish_pending(tenant_id, provider_name, digest, claim.pending)
                return "duplicate"
            plan, versions = self._plan(provider_name, event)
            try:
                self._repo.commit(
                    tenant_id,
                    plan,
                    event_claim=(provider_name, digest, event.event_id, plan.outcome),
                    versions=versions,
                )
            except Conflict:
                continue  # another delivery or a refund moved something: read again
            self._after(tenant_id, plan, f"webhook:{provider_name}")
            if plan.events:
                self._repo.events_published(tenant_id, provider_name, digest, to_iso(self._clock.now()))
            return plan.outcome
        raise Conflict("the payment is busy; deliver the event again")

    def _publish_pending(
        self, tenant_id: str, provider_name: str, digest: str, pending: list[tuple[str, str]]
    ) -> None:
        """Events committed with an earlier delivery whose publishing failed: send them now (same event ids,
        so consumers that saw them already ignore them), then forget them."""
        events: list[tuple[str, DomainEvent]] = [
            (detail_type, EVENTS[detail_type][1].model_validate_json(detail))
            for detail_type, detail in pending
        ]
        self._events.publish_many(events)
        self._repo.events_published(tenant_id, provider_name, digest, to_iso(self._clock.now()))

    def _plan(self, provider_name: str, event: ProviderEvent) -> tuple[Plan, dict[str, int]]:
        tenant_id = event.tenant_id
        payment = self._repo.payment(tenant_id, event.payment_id, consistent=True)
        if payment is None or payment.provider != provider_name:
            return Plan("ignored"), {}
        if payment.provider_ref and event.provider_ref and payment.provider_ref != event.provider_ref:
            return Plan("ignored"), {}
        versions = {f"payment:{payment.payment_id}": payment.version}
        now = self._clock.now()
        if event.kind is EventKind.PAYMENT_SUCCEEDED:
            bills = self._repo.bills(tenant_id, payment.bill_ids, consistent=True)
            versions.update({f"bill:{b.bill_id}": b.version for b in bills.values()})
            plan = payment_succeeded(payment, bills, event, now)
            return self._settle_with_credit(plan, payment, versions), versions
        if event.kind is EventKind.PAYMENT_FAILED:
            return payment_failed(payment, event, now), versions
        refund = (
            self._repo.refund(tenant_id, payment.payment_id, event.refund_id) if event.refund_id else None
        )
        if refund is None:
            return Plan("ignored"), {}
        if payment.status in (PaymentStatus.CREATED, PaymentStatus.FAILED, PaymentStatus.REVIEW):
            # Delivered before the payment's own success: refuse, so the provider delivers it again later.
            raise Conflict("the payment has not succeeded yet; deliver the refund event again later")
        return self._refund_plan(payment, refund, event.kind is EventKind.REFUND_SUCCEEDED, versions)

    def _settle_with_credit(self, plan: Plan, payment: Payment, versions: dict[str, int]) -> Plan:
        """Money that became credit settles the unit's oldest open bills at once, in the same transaction,
        so a bill already paid for never keeps accruing late fees or drawing reminders."""
        arising = credit_arising(plan)
        if not arising:
            return plan
        now = self._clock.now()
        today = today_in(now, self._timezone(payment.tenant_id))
        stored = self._repo.credits(payment.tenant_id, payment.site_id)
        settled_here = {b.bill_id for b in plan.bills}
        for unit_id, amount in sorted(arising.items()):
            owed = [
                b for b in self._repo.open_bills(payment.tenant_id, unit_id) if b.bill_id not in settled_here
            ]
            settlement = credit.settle(stored.get(unit_id, 0) + amount, owed, today, now)
            versions.update({f"bill:{b.bill_id}": b.version - 1 for b in settlement.bills})
            plan = spend_credit(plan, payment.site_id, unit_id, settlement)
        return plan

    def _refund_plan(
        self, payment: Payment, refund: Refund, succeeded: bool, versions: dict[str, int]
    ) -> tuple[Plan, dict[str, int]]:
        bills = self._repo.bills(payment.tenant_id, payment.bill_ids, consistent=True)
        versions.update({f"bill:{b.bill_id}": b.version for b in bills.values()})
        versions[f"refund:{refund.refund_id}"] = refund.version
        credit_of = self._repo.credits(payment.tenant_id, payment.site_id)
        return refund_settled(payment, refund, bills, credit_of, succeeded, self._clock.now()), versions

    def _after(self, tenant_id: str, plan: Plan, actor: str) -> None:
        if plan.events:
            self._events.publish_many(list(plan.events))
        if plan.payment is not None:
            self._audit.record(
                None,
                f"settle:{plan.outcome}",
                "payment",
                plan.payment.payment_id,
                {"status": plan.payment.status.value},
                actor=actor,
                tenant_id=tenant_id,
            )

    # -------------------------------------------------------------- refunds

    def refund(
        self, ctx: TenantContext, payment_id: str, request: RefundCreate, idempotency_key: str | None
    ) -> tuple[Refund, bool]:
        ctx.require(Role.FINANCE)
        claim = None
        if idempotency_key is not None:
            key_digest = _digest(idempotency_key)
            request_digest = _digest(payment_id, request.amount, request.reason)
            stored = self._repo.idempotency_claim(ctx.tenant_id, "REFUND", ctx.user_id, key_digest)
            if stored is not None:
                if stored.request_digest != request_digest:
                    raise Unprocessable("this Idempotency-Key was used for another refund")
                replay = self._repo.refund(ctx.tenant_id, payment_id, stored.subject_id)
                if replay is None:
                    raise NotFound("refund")
                return replay, False
            claim = (ctx.user_id, key_digest, request_digest)
        payment = self._repo.payment(ctx.tenant_id, payment_id, consistent=True)
        if payment is None:
            raise NotFound("payment")
        if payment.status not in REFUNDABLE or payment.provider_ref is None:
            raise Conflict(f"a {payment.status.value} payment cannot be refunded")
        amount = request.amount if request.amount is not None else payment.refundable
        if amount <= 0 or amount > payment.refundable:
            raise Unprocessable(f"at most {payment.refundable} can be refunded")
        now = self._clock.now()
        refund = Refund(
            tenant_id=ctx.tenant_id,
            payment_id=payment_id,
            refund_id=new_id(),
            amount=amount,
            currency=payment.currency,
            status=RefundStatus.PENDING,
            reason=request.reason,
            created_by=ctx.user_id,
            created_at=to_iso(now),
        )
        reserved = replace(
            payment, refunding_amount=payment.refunding_amount + amount, version=payment.version + 1
        )
        self._repo.start_refund(reserved, payment.version, refund, claim, epoch(now + self._idempotency))
        self._audit.record(
            ctx, "refund", "payment", payment_id, {"refund_id": refund.refund_id, "amount": amount}
        )
        provider = self._providers().get(payment.provider)
        try:
            result = provider.refund(
                RefundRequest(
                    ctx.tenant_id,
                    payment_id,
                    refund.refund_id,
                    payment.provider_ref,
                    amount,
                    payment.currency,
                )
            )
        except ProviderUnavailable:
            self._settle_refund(ctx.tenant_id, payment_id, refund.refund_id, succeeded=False)
            raise
        if result.status == "pending":
            stored_refund = self._repo.refund(ctx.tenant_id, payment_id, refund.refund_id) or refund
            with_ref = replace(
                stored_refund, provider_ref=result.provider_ref, version=stored_refund.version + 1
            )
            self._repo.save_refund(with_ref, stored_refund.version)
            return with_ref, True
        return self._settle_refund(
            ctx.tenant_id, payment_id, refund.refund_id, result.status == "succeeded"
        ), True

    def _settle_refund(self, tenant_id: str, payment_id: str, refund_id: str, succeeded: bool) -> Refund:
        for _ in range(_ATTEMPTS):
            payment = self._repo.payment(tenant_id, payment_id, consistent=True)
            refund = self._repo.refund(tenant_id, payment_id, refund_id)
            if payment is None or refund is None:
                raise NotFound("refund")
            plan, versions = self._refund_plan(
                payment, refund, succeeded, {f"payment:{payment_id}": payment.version}
            )
            if plan.outcome == "ignored":
                return refund
            try:
                self._repo.commit(tenant_id, plan, event_claim=None, versions=versions)
            except Conflict:
                continue
            self._after(tenant_id, plan, "refund")
            return plan.refund or refund
        raise Conflict("the payment is busy; try the refund again")

    def _timezone(self, tenant_id: str) -> str:
        tenant = self._directory.tenant(tenant_id)
        return tenant.timezone if tenant else "Asia/Shanghai"
