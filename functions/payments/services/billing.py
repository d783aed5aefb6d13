"""Fee items, meter readings and billing runs.

A run bills every unit of a site for one period with the site's fee items of that period's cycle. Bill ids are
deterministic per (unit, period) and each bill is written with ``attribute_not_exists``, so re-running a
period creates nothing new and a unit added since is the only one billed. Every run is split into chunks
recorded with the run and sent to the billing queue; the API answers at once (202) and never bills inside
the request (a 5,000-unit community would outlive the gateway's 29 s and leave the month half billed). Each
chunk is counted once on the run record, which completes with its last chunk; the hourly sweep
(``sweep_runs``, ``payments.run_policy``) re-queues the chunks of a run that stopped moving, or marks it
failed naming the units it missed.
An issued bill is never changed by a later run: a fee item added after the period was billed applies from the
next period.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from courtyard.audit import AuditWriter
from courtyard.clock import Clock, epoch, to_iso
from courtyard.directory import DirectoryReader
from courtyard.dynamo import Page
from courtyard.errors import Conflict, NotFound, Unprocessable, idempotency_key_reused
from courtyard.events import DomainEvent
from courtyard.ids import new_id
from courtyard.outbox import Outbox, outbox_key
from courtyard.tenancy import TenantContext
from payments import credit, due_dates, fee_versions, fees, keys, reminders, run_policy
from payments.access import BILL_READERS, MANAGERS
from payments.credit import CreditSettlement
from payments.domain import (
    Bill,
    BillingRun,
    BillLine,
    BillStatus,
    EntryKind,
    FeeItem,
    FeeKind,
    LateFeePolicy,
    LedgerEntry,
    Reading,
    RunStatus,
    UnitFacts,
    today_in,
)
from payments.models import BillingRunCreate, FeeItemCreate, ReadingsIn
from payments.repository import PaymentsRepository
from payments.settings_store import ladder_of, late_issue_grace_of
from payments.settle import CreditChange
from schemas.events import BillIssued


@dataclass(frozen=True)
class Chunk:
    """One slice of a run: what the billing queue carries (the units' facts, so the worker need not re-read
    the site)."""

    tenant_id: str
    run_id: str
    site_id: str
    period: str
    index: int
    units: tuple[UnitFacts, ...]

    def to_message(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "run_id": self.run_id,
            "site_id": self.site_id,
            "period": self.period,
            "index": self.index,
            "units": [[u.unit_id, u.kind, u.area_centi_m2, u.label, u.room_key] for u in self.units],
        }

    @classmethod
    def from_message(cls, body: dict[str, Any]) -> Chunk:
        return cls(
            tenant_id=str(body["tenant_id"]),
            run_id=str(body["run_id"]),
            site_id=str(body["site_id"]),
            period=str(body["period"]),
            index=int(body["index"]),
            units=tuple(
                UnitFacts(str(u[0]), str(u[1]), int(u[2]), str(u[3]), str(u[4])) for u in body["units"]
            ),
        )


class BillingQueue(Protocol):
    def send(self, messages: list[dict[str, Any]]) -> None: ...


@dataclass
class RunSweepReport:
    resumed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ChunkResult:
    created: int
    existing: int
    without_fees: int


class BillingService:
    def __init__(
        self,
        repo: PaymentsRepository,
        directory: DirectoryReader,
        audit: AuditWriter,
        clock: Clock,
        outbox: Outbox,
        queue: Callable[[], BillingQueue],
        chunk_units: int = 250,
        idempotency_hours: int = 24,
        stall_minutes: int = 30,
        max_resumes: int = 2,
    ) -> None:
        self._repo = repo
        self._directory = directory
        self._audit = audit
        self._clock = clock
        self._outbox = outbox
        self._queue = queue
        self._chunk_units = max(1, chunk_units)
        self._idempotency = timedelta(hours=idempotency_hours)
        self._stall = timedelta(minutes=stall_minutes)
        self._max_resumes = max_resumes

    # -------------------------------------------------------------- fee items

    def create_fee_item(
        self, ctx: TenantContext, request: FeeItemCreate, idempotency_key: str | None = None
    ) -> tuple[FeeItem, bool]:
        """Create a fee item; ``(item, False)`` when the caller's Idempotency-Key was seen before.

        The key is the caller's within the tenant; the claim is written in the fee item's transaction, so a
        retry after any failure either finds both (and answers the same item) or neither (and creates it).
        """
        ctx.require(*MANAGERS)
        claim: tuple[str, str, str] | None = None
        if idempotency_key is not None:
            key_digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
            request_digest = hashlib.sha256(request.model_dump_json().encode()).hexdigest()
            replay = self._fee_item_replay(ctx, key_digest, request_digest)
            if replay is not None:
                return replay, False
            claim = (ctx.user_id, key_digest, request_digest)
        if not self._directory.site_exists(ctx.tenant_id, request.site_id):
            raise NotFound("site")
        currency = self._currency(ctx.tenant_id)
        if request.currency is not None and request.currency != currency:
            raise Unprocessable(f"fees are in the firm's currency, {currency}")
        if request.kind is FeeKind.PARKING and request.unit_kinds and request.unit_kinds != ["parking"]:
            raise Unprocessable("a parking fee bills parking spaces only")
        now = self._clock.now()
        item = FeeItem(
            tenant_id=ctx.tenant_id,
            fee_id=new_id(),
            site_id=request.site_id,
            name=request.name,
            kind=request.kind,
            cycle=request.cycle,
            price_minor=request.price_minor,
            currency=currency,
            due_day=request.due_day,
            late_fee=LateFeePolicy(
                request.late_fee.kind,
                request.late_fee.grace_days,
                request.late_fee.value,
                request.late_fee.cap_minor,
            ),
            unit_kinds=tuple(request.unit_kinds),
            created_at=to_iso(now),
            created_by=ctx.user_id,
        )
        audit = self._audit.put_action(
            ctx, "create", "fee_item", item.fee_id, {"site_id": item.site_id, "kind": item.kind}
        )
        try:
            self._repo.put_fee_item(item, claim, epoch(now + self._idempotency), also=[audit])
        except Conflict:
            if claim is None:
                raise
            # A concurrent retry with the same key won the claim: answer as the retry it is.
            replay = self._fee_item_replay(ctx, claim[1], claim[2])
            if replay is None:
                raise
            return replay, False
        return item, True

    def _fee_item_replay(self, ctx: TenantContext, key_digest: str, request_digest: str) -> FeeItem | None:
        claim = self._repo.idempotency_claim(ctx.tenant_id, "FEE", ctx.user_id, key_digest)
        if claim is None:
            return None
        if claim.request_digest != request_digest:
            raise idempotency_key_reused()
        item = self._repo.fee_item(ctx.tenant_id, claim.subject_id, consistent=True)
        if item is None:
            raise NotFound("fee item")
        return item

    def fee_items(self, ctx: TenantContext, site_id: str | None) -> list[FeeItem]:
        ctx.require(*BILL_READERS)
        items = self._repo.fee_items(ctx.tenant_id)
        return sorted(
            (i for i in items if site_id is None or i.site_id == site_id),
            key=lambda i: (i.site_id, i.created_at),
        )

    def record_readings(self, ctx: TenantContext, fee_id: str, request: ReadingsIn) -> int:
        ctx.require(*MANAGERS)
        item = self._repo.fee_item(ctx.tenant_id, fee_id)
        if item is None:
            raise NotFound("fee item")
        if item.kind is not FeeKind.METERED:
            raise Unprocessable("readings belong to metered fee items")
        if fees.cycle_of(request.period) is not item.cycle:
            raise Unprocessable(f"this fee item is billed {item.cycle.value}: give a period of that cycle")
        site_units = {u.unit_id for u in self._directory.site_units(ctx.tenant_id, item.site_id)}
        unknown = sorted({r.unit_id for r in request.readings} - site_units)
        if unknown:
            raise Unprocessable("unknown units for this community", [{"unit_ids": unknown[:20]}])
        readings = [
            Reading(fee_id, request.period, r.unit_id, r.previous, r.current) for r in request.readings
        ]
        self._repo.put_readings(ctx.tenant_id, readings)
        self._audit.record(
            ctx, "record_readings", "fee_item", fee_id, {"period": request.period, "count": len(readings)}
        )
        return len(readings)

    # -------------------------------------------------------------- runs

    def start_run(self, ctx: TenantContext, request: BillingRunCreate) -> BillingRun:
        """Record the run with its chunks and queue them; the run is answered at once (202) and billed by the
        billing queue's workers, however many units the community has."""
        ctx.require(*MANAGERS)
        if not self._directory.site_exists(ctx.tenant_id, request.site_id):
            raise NotFound("site")
        units = [
            UnitFacts(u.unit_id, u.kind, u.area_centi_m2, u.label or u.room_key, u.room_key)
            for u in self._directory.site_units(ctx.tenant_id, request.site_id)
        ]
        slices = [units[i : i + self._chunk_units] for i in range(0, len(units), self._chunk_units)]
        now = self._clock.now()
        at = to_iso(now)
        run = BillingRun(
            tenant_id=ctx.tenant_id,
            run_id=new_id(),
            site_id=request.site_id,
            period=request.period,
            status=RunStatus.RUNNING if slices else RunStatus.COMPLETED,
            units=len(units),
            chunks=len(slices),
            created_at=at,
            created_by=ctx.user_id,
            completed_at=None if slices else at,
            updated_at=at,
        )
        messages = [
            Chunk(ctx.tenant_id, run.run_id, run.site_id, run.period, index, tuple(part)).to_message()
            for index, part in enumerate(slices)
        ]
        # A chunk is kept a month: long after the sweep has resumed or failed its run.
        self._repo.create_run(run, messages, epoch(now + timedelta(days=30)))
        self._audit.record(
            ctx, "start", "billing_run", run.run_id, {"site_id": run.site_id, "period": run.period}
        )
        # Should this send fail, the run is recorded with its chunks: the sweep queues them (sweep_runs).
        if messages:
            self._queue().send(messages)
        return run

    def run(self, ctx: TenantContext, run_id: str) -> BillingRun:
        ctx.require(*MANAGERS)
        run = self._repo.run(ctx.tenant_id, run_id)
        if run is None:
            raise NotFound("billing run")
        return run

    def runs(self, ctx: TenantContext, limit: int, cursor: str | None) -> Page[BillingRun]:
        ctx.require(*MANAGERS)
        return self._repo.runs_page(ctx.tenant_id, limit, cursor)

    def sweep_runs(self) -> RunSweepReport:
        """Resume or fail the runs that stopped moving (``payments.run_policy``); the jobs' hourly step."""
        now = self._clock.now()
        report = RunSweepReport()
        for tenant_id, run_id in self._repo.active_runs():
            run = self._repo.run(tenant_id, run_id)
            if run is None:
                continue
            decision = run_policy.decide(run, now, self._stall, self._max_resumes)
            if decision is run_policy.Sweep.WAIT:
                continue
            bodies = self._repo.run_chunks(tenant_id, run_id, run.missing_chunks)
            if decision is run_policy.Sweep.RESUME:
                if self._repo.resume_run(run, to_iso(now)):
                    self._queue().send(bodies)
                    report.resumed.append(run_id)
                continue
            missed = sorted(str(unit[0]) for body in bodies for unit in body["units"])
            if self._repo.fail_run(run, run_policy.failure_reason(run), missed, to_iso(now)):
                report.failed.append(run_id)
        return report

    def bill_chunk(self, chunk: Chunk) -> ChunkResult:
        """Bill one slice of a run; safe to repeat (existing bills are skipped, the chunk is counted once)."""
        tenant_id, period = chunk.tenant_id, chunk.period
        cycle = fees.cycle_of(period)
        # Each item at the price in force for the period; retired ones bill nothing (payments.fee_versions).
        items = [
            priced
            for i in self._repo.fee_items(tenant_id)
            if i.site_id == chunk.site_id and i.cycle is cycle and i.active
            if (priced := fee_versions.in_force(i, period)) is not None
        ]
        readings = {
            i.fee_id: self._repo.readings(tenant_id, i.fee_id, period)
            for i in items
            if i.kind is FeeKind.METERED
        }
        ids = {u.unit_id: fees.bill_id(tenant_id, u.unit_id, period) for u in chunk.units}
        existing = self._repo.existing_bill_ids(tenant_id, list(ids.values()))
        # A repeated chunk: the bills an earlier attempt issued may still have their BillIssued pending.
        leftovers = (
            self._outbox.pending_at([outbox_key(keys.bill(tenant_id, b)["pk"]) for b in sorted(existing)])
            if existing
            else []
        )
        credits = self._repo.credits(tenant_id, chunk.site_id) if items else {}
        stored = self._repo.settings(tenant_id)
        ladder = ladder_of(stored)
        now = self._clock.now()
        # Late-issued bills are due from their issue date, in the firm's calendar (payments.due_dates).
        issued_on = today_in(now, self._timezone(tenant_id))
        grace = late_issue_grace_of(stored)
        drafts: list[tuple[Bill, list[LedgerEntry], CreditChange | None, tuple[Bill, ...]]] = []
        without = 0
        for unit in chunk.units:
            if ids[unit.unit_id] in existing:
                continue
            lines = [
                line
                for item in items
                if (line := fees.line_for(item, unit, readings.get(item.fee_id, {}).get(unit.unit_id)))
                is not None
            ]
            if not lines:
                without += 1
                continue
            # Credit settles the unit's oldest open bills first; what is left goes to the new bill.
            older = CreditSettlement()
            if credits.get(unit.unit_id, 0) > 0:
                owed = self._repo.open_bills(tenant_id, unit.unit_id)
                older = credit.settle(credits[unit.unit_id], owed, issued_on, now)
            left = {unit.unit_id: credits.get(unit.unit_id, 0) - older.used}
            bill, entries, change = self._draft(
                chunk, unit, ids[unit.unit_id], items, tuple(lines), left, ladder, now, (issued_on, grace)
            )
            if older.used:
                spent = older.used + (-change.delta if change else 0)
                change = CreditChange(chunk.site_id, unit.unit_id, -spent)
            drafts.append((bill, [*entries, *older.entries], change, older.bills))
        created: list[Bill] = []
        pendings = list(leftovers)
        for bill, entries, change, settled in drafts:
            # Each bill commits with its BillIssued (courtyard.outbox); all are sent together below.
            pending = self._outbox.pending(
                keys.bill(tenant_id, bill.bill_id)["pk"], events=[("BillIssued", self._issued(bill, now))]
            )
            if self._repo.issue(
                bill, entries, change, also=[self._outbox.put_action(pending)], settled=settled
            ):
                created.append(bill)
                pendings.append(pending)
            elif settled and not self._repo.existing_bill_ids(tenant_id, [bill.bill_id]):
                # An older bill moved (paid meanwhile) under the credit: fail the chunk, its redelivery
                # bills the unit again with what is then true.
                raise Conflict("a bill changed while credit was settling it; the chunk is billed again")
        self._outbox.flush_many(pendings)
        skipped = len(existing) + (len(drafts) - len(created))
        self._repo.record_chunk(
            tenant_id, chunk.run_id, chunk.index, len(created), skipped, without, to_iso(now)
        )
        return ChunkResult(len(created), skipped, without)

    def _draft(
        self,
        chunk: Chunk,
        unit: UnitFacts,
        bill_id: str,
        items: list[FeeItem],
        lines: tuple[BillLine, ...],
        credits: dict[str, int],
        ladder: tuple[reminders.Step, ...],
        now: datetime,
        issue: tuple[date, int],
    ) -> tuple[Bill, list[LedgerEntry], CreditChange | None]:
        at = to_iso(now)
        total = sum(line.amount for line in lines)
        credit = min(credits.get(unit.unit_id, 0), total)
        due_day = min(i.due_day for i in items if i.fee_id in {line.fee_id for line in lines})
        due = due_dates.due_date(chunk.period, due_day, issue[0], issue[1])
        paid_by_credit = credit == total
        bill = Bill(
            tenant_id=chunk.tenant_id,
            bill_id=bill_id,
            site_id=chunk.site_id,
            unit_id=unit.unit_id,
            unit_label=unit.label,
            period=chunk.period,
            currency=items[0].currency,
            lines=lines,
            total=total,
            credit_applied=credit,
            due_date=due,
            status=BillStatus.PAID if paid_by_credit else BillStatus.ISSUED,
            issued_at=at,
            run_id=chunk.run_id,
            paid_at=at if paid_by_credit else None,
            next_reminder_on=None if paid_by_credit else reminders.first_check(ladder, due),
        )
        # Charges are dated the period's start and named after their bill: the same key on every re-run.
        common = {
            "currency": bill.currency,
            "at": fees.period_start_iso(chunk.period),
            "bill_id": bill_id,
            "site_id": chunk.site_id,
        }
        entries = [LedgerEntry(unit.unit_id, f"CHG{bill_id}", EntryKind.CHARGE, total, **common)]
        if credit:
            entries.append(
                LedgerEntry(unit.unit_id, f"CRA{bill_id}", EntryKind.CREDIT_APPLIED, credit, **common)
            )
        return bill, entries, CreditChange(chunk.site_id, unit.unit_id, -credit) if credit else None

    def _issued(self, bill: Bill, now: datetime) -> DomainEvent:
        return BillIssued(
            tenant_id=bill.tenant_id,
            occurred_at=now,
            bill_id=bill.bill_id,
            site_id=bill.site_id,
            unit_id=bill.unit_id,
            period=bill.period,
            amount_due=bill.amount_due,
            currency=bill.currency,
            due_date=bill.due_date.isoformat(),
        )

    def _timezone(self, tenant_id: str) -> str:
        tenant = self._directory.tenant(tenant_id)
        return tenant.timezone if tenant else "Asia/Shanghai"

    def _currency(self, tenant_id: str) -> str:
        tenant = self._directory.tenant(tenant_id)
        return tenant.currency if tenant else "CNY"
