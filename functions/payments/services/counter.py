"""The counter: finance and the service desk record money handed over in cash, by POS card or by bank
transfer, for one unit's bills (or as its credit), with a receipt number and the clerk who took it.

The payment, its ``Idempotency-Key`` claim, the bills it settled, its ledger entries and the unit's credit are
one transaction conditioned on the bills' versions (``repository.record_payment``): a retry with the same key
answers the same payment, and a bill that moved meanwhile (a webhook paid it) makes the service read again.
What the money settles is the pure rule of ``payments.part_payment``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from courtyard.audit import AuditWriter
from courtyard.clock import Clock, epoch, to_iso
from courtyard.directory import DirectoryReader
from courtyard.errors import Conflict, NotFound, Unprocessable
from courtyard.events import EventPublisher
from courtyard.ids import new_id
from courtyard.tenancy import Role, TenantContext
from payments.domain import BillStatus, Payment, PaymentStatus, today_in
from payments.ledger_models import CounterPaymentCreate
from payments.part_payment import counter_payment
from payments.repository import PaymentsRepository

COUNTER_CLERKS = (Role.FINANCE, Role.SERVICE_DESK, Role.MANAGER)
_ATTEMPTS = 8


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class CounterService:
    def __init__(
        self,
        repo: PaymentsRepository,
        directory: DirectoryReader,
        audit: AuditWriter,
        events: EventPublisher,
        clock: Clock,
        idempotency_hours: int = 24,
    ) -> None:
        self._repo = repo
        self._directory = directory
        self._audit = audit
        self._events = events
        self._clock = clock
        self._idempotency = timedelta(hours=idempotency_hours)

    def record(
        self, ctx: TenantContext, request: CounterPaymentCreate, idempotency_key: str | None
    ) -> tuple[Payment, bool]:
        ctx.require(*COUNTER_CLERKS)
        claim = None
        if idempotency_key is not None:
            claim = (ctx.user_id, _digest(idempotency_key), _digest(request.model_dump(mode="json")))
        payment, created = self.take(ctx.tenant_id, ctx.user_id, request, claim)
        if created:
            self._audit.record(
                ctx,
                "counter",
                "payment",
                payment.payment_id,
                {"unit_id": request.unit_id, "amount": request.amount, "channel": request.channel},
            )
        return payment, created

    def take(
        self,
        tenant_id: str,
        clerk: str,
        request: CounterPaymentCreate,
        claim: tuple[str, str, str] | None,
    ) -> tuple[Payment, bool]:
        """Record the money once per ``claim`` (who, key digest, request digest): the counter's clerk and
        Idempotency-Key, or a bank statement line (``payments.services.statements``)."""
        if claim is not None:
            replay = self._replay(tenant_id, claim)
            if replay is not None:
                return replay, False
        unit = self._directory.unit(tenant_id, request.unit_id)
        if unit is None:
            raise NotFound("unit", [{"unit_id": request.unit_id}])
        tenant = self._directory.tenant(tenant_id)
        for _ in range(_ATTEMPTS):
            bills = self._repo.bills(tenant_id, request.bill_ids, consistent=True)
            for bill_id in request.bill_ids:
                bill = bills.get(bill_id)
                if bill is None or bill.unit_id != unit.unit_id:
                    raise NotFound("bill", [{"bill_id": bill_id}])
                if bill.status is not BillStatus.ISSUED:
                    raise Conflict(f"bill {bill_id} is already paid")
            self._not_held(tenant_id, request.bill_ids)
            now = self._clock.now()
            today = today_in(now, tenant.timezone if tenant else "Asia/Shanghai")
            picked = [bills[b] for b in dict.fromkeys(request.bill_ids)]
            others = self._repo.open_bills(tenant_id, unit.unit_id)
            currency = picked[0].currency if picked else (tenant.currency if tenant else "CNY")
            payment = Payment(
                tenant_id=tenant_id,
                payment_id=new_id(),
                provider=request.channel,
                status=PaymentStatus.CREATED,
                amount=request.amount,
                currency=currency,
                site_id=unit.site_id,
                allocations=(),
                payer_user_id=clerk,
                on_behalf_of=None,
                created_at=to_iso(now),
                unit_id=unit.unit_id,
                receipt_no=self._repo.next_receipt_no(tenant_id, str(today.year)),
                note=request.note,
            )
            plan = counter_payment(payment, picked, others, today, now)
            versions = {f"bill:{b.bill_id}": b.version - 1 for b in plan.bills}
            try:
                self._repo.record_payment(plan, claim, epoch(now + self._idempotency), versions)
            except Conflict:
                replay = self._replay(tenant_id, claim) if claim is not None else None
                if replay is not None:
                    return replay, False
                # A bill moved between the read and the write: read again (that receipt number is skipped).
                continue
            assert plan.payment is not None
            self._events.publish_many(list(plan.events))
            return plan.payment, True
        raise Conflict("the unit's bills are busy; record the payment again")

    def _not_held(self, tenant_id: str, bill_ids: list[str]) -> None:
        """A bill an open online checkout holds is refused: the resident is paying it right now, and money
        taken here too would be taken twice."""
        now = epoch(self._clock.now())
        for bill_id, lock in sorted(self._repo.checkout_locks(tenant_id, bill_ids).items()):
            holder = self._repo.payment(tenant_id, lock.payment_id, consistent=True)
            if lock.until > now and holder is not None and holder.status is PaymentStatus.CREATED:
                raise Conflict(
                    f"bill {bill_id} is being paid online (payment {lock.payment_id})",
                    [{"bill_id": bill_id, "payment_id": lock.payment_id, "type": "checkout_in_flight"}],
                )

    def _replay(self, tenant_id: str, claim: tuple[str, str, str]) -> Payment | None:
        stored = self._repo.idempotency_claim(tenant_id, "COUNTER", claim[0], claim[1])
        if stored is None:
            return None
        if stored.request_digest != claim[2]:
            raise Unprocessable("this Idempotency-Key was used for another counter payment")
        payment = self._repo.payment(tenant_id, stored.subject_id, consistent=True)
        if payment is None:
            raise NotFound("payment")
        return payment
