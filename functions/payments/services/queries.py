"""Reads: bills, a unit's ledger, arrears, collection KPIs, reconciliation reports and payment settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from courtyard.audit import AuditLog
from courtyard.clock import Clock, to_iso
from courtyard.directory import TenantView, UnitView
from courtyard.dynamo import Page
from courtyard.errors import Invalid, NotFound
from courtyard.table import Table
from courtyard.tenancy import TenantContext
from payments import arrears, fees
from payments.access import MANAGERS, People, visible_units
from payments.domain import Bill, LedgerEntry, balance, today_in
from payments.models import PaymentSettingsIn
from payments.settings_store import ladder_of, late_issue_grace_of, quiet_of


@dataclass(frozen=True)
class Ledger:
    unit_id: str
    currency: str
    balance: int
    credit: int
    entries: list[LedgerEntry]
    next_cursor: str | None


@dataclass(frozen=True)
class Arrears:
    site_id: str
    as_of: date
    currency: str
    units: list[arrears.UnitArrears]


@dataclass(frozen=True)
class Stats:
    site_id: str
    currency: str
    collection: list[arrears.Collection]
    overdue_units: int
    overdue_amount: int
    risk_units: int


class Repository(Protocol):
    """What the reads take of the payments table (``payments.repository.PaymentsRepository``)."""

    @property
    def table(self) -> Table: ...
    def bill(self, tenant_id: str, bill_id: str, *, consistent: bool = False) -> Bill | None: ...
    def bills_page(
        self,
        tenant_id: str,
        *,
        unit_ids: list[str] | None,
        site_id: str | None,
        period: str | None,
        status: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Bill]: ...
    def site_bills(self, tenant_id: str, site_id: str, from_period: str | None = None) -> list[Bill]: ...
    def credits(self, tenant_id: str, site_id: str) -> dict[str, int]: ...
    def ledger(self, tenant_id: str, unit_id: str) -> list[LedgerEntry]: ...
    def settings(self, tenant_id: str) -> dict[str, Any] | None: ...
    def put_settings(self, tenant_id: str, values: dict[str, Any]) -> None: ...
    def reconciliation(self, tenant_id: str, day: str) -> dict[str, Any] | None: ...


class Directory(People, Protocol):
    def tenant(self, tenant_id: str) -> TenantView | None: ...
    def unit(self, tenant_id: str, unit_id: str) -> UnitView | None: ...
    def site_exists(self, tenant_id: str, site_id: str) -> bool: ...


class PaymentQueries:
    def __init__(self, repo: Repository, directory: Directory, audit: AuditLog, clock: Clock) -> None:
        self._repo = repo
        self._directory = directory
        self._audit = audit
        self._clock = clock

    def today(self, tenant_id: str) -> date:
        tenant = self._directory.tenant(tenant_id)
        return today_in(self._clock.now(), tenant.timezone if tenant else "Asia/Shanghai")

    def late_fee_now(self, bill: Bill, today: date) -> int:
        """The late fee shown on a bill today: the rule is ``payments.fees.late_fee_due``."""
        return fees.late_fee_due(bill, today)

    def bills(
        self,
        ctx: TenantContext,
        *,
        unit_id: str | None,
        site_id: str | None,
        period: str | None,
        status: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Bill]:
        units = visible_units(self._directory, ctx)
        unit_ids: list[str] | None
        if units is None:
            unit_ids = [unit_id] if unit_id else None
        elif unit_id:
            unit_ids = [unit_id] if unit_id in units else []
        else:
            unit_ids = sorted(units)
        if unit_ids == []:
            return Page([], None)
        return self._repo.bills_page(
            ctx.tenant_id,
            unit_ids=unit_ids,
            site_id=site_id if unit_ids is None else None,
            period=period,
            status=status,
            limit=limit,
            cursor=cursor,
        )

    def bill(self, ctx: TenantContext, bill_id: str) -> Bill:
        units = visible_units(self._directory, ctx)
        bill = self._repo.bill(ctx.tenant_id, bill_id)
        if bill is None or (units is not None and bill.unit_id not in units):
            raise NotFound("bill")
        return bill

    def ledger(self, ctx: TenantContext, unit_id: str, limit: int, cursor: str | None) -> Ledger:
        units = visible_units(self._directory, ctx)
        unit = self._directory.unit(ctx.tenant_id, unit_id)
        if unit is None or (units is not None and unit_id not in units):
            raise NotFound("unit")
        entries = self._repo.ledger(ctx.tenant_id, unit_id)
        # The balance is derived from every entry; the page shows the newest first.
        ordered = sorted(entries, key=lambda e: (e.at, e.entry_id), reverse=True)
        start = _offset(cursor, ctx.tenant_id, unit_id, self._repo)
        page = ordered[start : start + limit]
        more = start + limit < len(ordered)
        next_cursor = (
            self._repo.table.cursors.encode(
                ctx.tenant_id, {"offset": start + limit}, scope=f"ledger:{unit_id}"
            )
            if more
            else None
        )
        credit = self._repo.credits(ctx.tenant_id, unit.site_id).get(unit_id, 0)
        tenant = self._directory.tenant(ctx.tenant_id)
        return Ledger(
            unit_id, tenant.currency if tenant else "CNY", balance(entries), credit, page, next_cursor
        )

    def arrears(self, ctx: TenantContext, site_id: str) -> Arrears:
        ctx.require(*MANAGERS)
        self._site(ctx, site_id)
        today = self.today(ctx.tenant_id)
        bills = self._repo.site_bills(ctx.tenant_id, site_id)
        return Arrears(site_id, today, self._currency(ctx.tenant_id), arrears.arrears(bills, today))

    def stats(self, ctx: TenantContext, site_id: str, periods: int) -> Stats:
        ctx.require(*MANAGERS)
        self._site(ctx, site_id)
        today = self.today(ctx.tenant_id)
        bills = self._repo.site_bills(ctx.tenant_id, site_id)
        overdue = arrears.arrears(bills, today)
        return Stats(
            site_id=site_id,
            currency=self._currency(ctx.tenant_id),
            collection=arrears.collection(bills)[:periods],
            overdue_units=len(overdue),
            overdue_amount=sum(u.overdue for u in overdue),
            risk_units=len(arrears.risky_units(bills, today)),
        )

    def reconciliation(self, ctx: TenantContext, day: date) -> dict[str, Any]:
        ctx.require(*MANAGERS)
        report = self._repo.reconciliation(ctx.tenant_id, day.isoformat())
        if report is None:
            raise NotFound("reconciliation")
        return report

    def settings(self, ctx: TenantContext) -> dict[str, Any]:
        ctx.require(*MANAGERS)
        stored = self._repo.settings(ctx.tenant_id)
        quiet = quiet_of(stored)
        return {
            "ladder": [
                {"name": s.name, "offset_days": s.offset_days, "formal": s.formal} for s in ladder_of(stored)
            ],
            "quiet_start": quiet[0].strftime("%H:%M"),
            "quiet_end": quiet[1].strftime("%H:%M"),
            "late_issue_grace_days": late_issue_grace_of(stored),
        }

    def put_settings(self, ctx: TenantContext, request: PaymentSettingsIn) -> dict[str, Any]:
        ctx.require(*MANAGERS)
        names = [s.name for s in request.ladder]
        if len(set(names)) != len(names):
            raise Invalid("ladder step names must be unique")
        self._repo.put_settings(
            ctx.tenant_id,
            {
                "ladder": [s.model_dump() for s in request.ladder],
                "quiet_start": request.quiet_start,
                "quiet_end": request.quiet_end,
                "late_issue_grace_days": request.late_issue_grace_days,
                "updated_at": to_iso(self._clock.now()),
                "updated_by": ctx.user_id,
            },
        )
        self._audit.record(ctx, "update", "payment_settings", None, {"steps": names})
        return self.settings(ctx)

    def _site(self, ctx: TenantContext, site_id: str) -> None:
        if not self._directory.site_exists(ctx.tenant_id, site_id):
            raise NotFound("site")

    def _currency(self, tenant_id: str) -> str:
        tenant = self._directory.tenant(tenant_id)
        return tenant.currency if tenant else "CNY"


def _offset(cursor: str | None, tenant_id: str, unit_id: str, repo: Repository) -> int:
    decoded = repo.table.cursors.decode(tenant_id, cursor, scope=f"ledger:{unit_id}")
    return int(decoded.get("offset", 0)) if decoded else 0
