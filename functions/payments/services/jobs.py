"""The payments' scheduled work: arrears reminders (hourly, so a run deferred by quiet hours is soon followed)
and the daily reconciliation of what the providers settled against the ledger.

Reminders read the reminder index (bills with a next reminder date on or before today, across tenants),
re-read each bill consistently, and send the step it has reached: the step is recorded on the bill with a
write conditioned on its version and on it being unpaid, so a step goes out at most once and never after
payment, even when runs overlap. ``PaymentOverdue`` carries the step; notifications delivers it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from courtyard.audit import AuditWriter
from courtyard.clock import Clock, to_iso
from courtyard.directory import DirectoryReader
from courtyard.errors import Conflict, DomainError
from courtyard.events import EventPublisher
from payments import reconcile, reminders
from payments.domain import Bill, BillStatus, Payment
from payments.providers import ProviderRegistry, Settlement
from payments.repository import PaymentsRepository
from payments.settings_store import ladder_of, quiet_of
from schemas.events import PaymentOverdue


@dataclass
class ReminderReport:
    looked_at: int = 0
    sent: dict[str, int] = field(default_factory=dict)
    deferred_tenants: list[str] = field(default_factory=list)
    skipped: int = 0


class PaymentJobs:
    def __init__(
        self,
        repo: PaymentsRepository,
        directory: DirectoryReader,
        providers: Callable[[], ProviderRegistry],
        audit: AuditWriter,
        events: EventPublisher,
        clock: Clock,
    ) -> None:
        self._repo = repo
        self._directory = directory
        self._providers = providers
        self._audit = audit
        self._events = events
        self._clock = clock

    # -------------------------------------------------------------- reminders

    def remind(self, out_of_time: Callable[[], bool] = lambda: False) -> ReminderReport:
        """Drains every bill whose reminder is due (no cap per run), until none is left or ``out_of_time``:
        the bills it did not reach stay due for the next hour (courtyard.drain)."""
        now = self._clock.now()
        # Tenants' days start up to 14 hours ahead of UTC: look one day further and check each locally.
        until = (now.date() + timedelta(days=1)).isoformat()
        report = ReminderReport()
        tenants: dict[str, tuple[tuple[reminders.Step, ...], date] | str] = {}
        for tenant_id, bill_id in self._repo.due_bills(until):
            if out_of_time():
                break
            if tenant_id not in tenants:
                tenants[tenant_id] = self._tenant_today(tenant_id, now)
            plan = tenants[tenant_id]
            if plan == "inactive":
                report.skipped += 1
            elif plan == "quiet":
                if tenant_id not in report.deferred_tenants:
                    report.deferred_tenants.append(tenant_id)
            elif isinstance(plan, tuple):
                ladder, today = plan
                report.looked_at += 1
                step = self._remind_bill(tenant_id, bill_id, ladder, today, now)
                if step is not None:
                    report.sent[step] = report.sent.get(step, 0) + 1
        return report

    def _tenant_today(self, tenant_id: str, now: datetime) -> tuple[tuple[reminders.Step, ...], date] | str:
        """The tenant's ladder and local date, or why its bills wait: "inactive" or "quiet" (hours)."""
        tenant = self._directory.tenant(tenant_id)
        if tenant is None or not tenant.active:
            return "inactive"
        local = now.astimezone(ZoneInfo(tenant.timezone))
        stored = self._repo.settings(tenant_id)
        if reminders.in_quiet_hours(local.time(), quiet_of(stored)):
            return "quiet"
        return ladder_of(stored), local.date()

    def _remind_bill(
        self, tenant_id: str, bill_id: str, ladder: tuple[reminders.Step, ...], today: date, now: datetime
    ) -> str | None:
        bill = self._repo.bill(tenant_id, bill_id, consistent=True)
        if bill is None or bill.status is not BillStatus.ISSUED or bill.next_reminder_on is None:
            return None
        if bill.next_reminder_on > today:
            return None
        step = reminders.due_step(ladder, bill.due_date, today, bill.reminders)
        sent = (*bill.reminders, step.name) if step else bill.reminders
        after = reminders.next_check(ladder, bill.due_date, sent)
        changed = replace(bill, reminders=sent, next_reminder_on=after, version=bill.version + 1)
        try:
            self._repo.save_bill(changed, bill.version)
        except Conflict:
            return None  # paid or reminded meanwhile: nothing to send
        if step is None:
            return None
        self._events.publish_many([("PaymentOverdue", self._overdue(bill, step, today, now))])
        self._audit.record(
            None, "remind", "bill", bill_id, {"step": step.name}, actor="payments-jobs", tenant_id=tenant_id
        )
        return step.name

    def _overdue(self, bill: Bill, step: reminders.Step, today: date, now: datetime) -> PaymentOverdue:
        return PaymentOverdue(
            tenant_id=bill.tenant_id,
            occurred_at=now,
            bill_id=bill.bill_id,
            site_id=bill.site_id,
            unit_id=bill.unit_id,
            period=bill.period,
            step=step.name,
            days_overdue=(today - bill.due_date).days,
            formal=step.formal,
            amount_due=bill.amount_due,
            currency=bill.currency,
            due_date=bill.due_date.isoformat(),
        )

    # -------------------------------------------------------------- reconciliation

    def reconcile(self, day: date) -> dict[str, dict[str, Any]]:
        """Compare each provider's settlements of ``day`` (UTC) with the payments settled that day, per
        tenant, and store one report per tenant; returns the reports by tenant."""
        registry = self._providers()
        settlements: list[Settlement] = []
        for provider in registry.all():
            settlements += provider.settlements(day)
        by_tenant_paid: dict[str, list[Payment]] = defaultdict(list)
        for payment in self._repo.settled_on(day.isoformat()):
            by_tenant_paid[payment.tenant_id].append(payment)
        settlements += self._per_firm(registry, day, set(by_tenant_paid))
        by_tenant_settled: dict[str, list[Settlement]] = defaultdict(list)
        for settlement in settlements:
            if settlement.tenant_id:
                by_tenant_settled[settlement.tenant_id].append(settlement)
        reports: dict[str, dict[str, Any]] = {}
        generated = to_iso(self._clock.now())
        for tenant_id in sorted(set(by_tenant_settled) | set(by_tenant_paid)):
            if "#" in tenant_id:
                continue
            report = reconcile.compare(by_tenant_settled[tenant_id], by_tenant_paid[tenant_id])
            report = {**report, "generated_at": generated, "providers": registry.names()}
            self._repo.put_reconciliation(tenant_id, day.isoformat(), report)
            reports[tenant_id] = report
        return reports

    def _per_firm(self, registry: ProviderRegistry, day: date, firms: set[str]) -> list[Settlement]:
        """Per-merchant bills (WeChat Pay's trade bill), for the firms with money settled that day or an order
        still open (a payment whose notification never came); one download per adapter class and firm. A
        firm whose provider does not answer is left out of this run (its payments show as missing there)."""
        from payments.repositories.open_orders import OpenOrders

        firms = firms | {t for t, _ in OpenOrders(self._repo.table).created_before("~")}
        found: list[Settlement] = []
        asked: set[type] = set()
        for provider in registry.all():
            per_firm = getattr(provider, "settlements_of", None)
            if per_firm is None or type(provider) in asked:
                continue
            asked.add(type(provider))
            for tenant_id in sorted(firms):
                try:
                    found += per_firm(tenant_id, day)
                except DomainError:
                    continue
        return found
