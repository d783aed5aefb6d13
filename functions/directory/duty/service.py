"""Duty roster use cases: the firm's calendar and a community's roster (managers write, staff read), and
who is on duty now (``GET /duty/now``), derived by the kernel's rule (``courtyard.duty``, ``on_duty``)."""

from __future__ import annotations

from typing import Protocol

from courtyard.audit import AuditWriter
from courtyard.clock import Clock
from courtyard.directory import StaffView
from courtyard.duty import DutyCalendar, RosterLine, shift_at
from courtyard.errors import NotFound, Unprocessable
from courtyard.on_duty import on_duty
from courtyard.tenancy import Role, TenantContext
from directory.duty.models import DutyCalendarIn, DutyCalendarOut, DutyNowOut, RosterIn, RosterOut
from directory.duty.repository import DutyRepository

# Who may read the roster and who is on duty: every staff role (the guard's phone shows it too).
READERS = (Role.MANAGER, Role.SERVICE_DESK, Role.TECHNICIAN, Role.GUARD, Role.FINANCE)


class DutyReader(Protocol):
    def site_exists(self, tenant_id: str, site_id: str) -> bool: ...
    def staff_members(self, tenant_id: str) -> list[StaffView]: ...
    def duty_calendar(self, tenant_id: str) -> DutyCalendar: ...
    def duty_roster(self, tenant_id: str, site_id: str) -> tuple[RosterLine, ...]: ...


class DutyService:
    def __init__(self, repo: DutyRepository, reader: DutyReader, audit: AuditWriter, clock: Clock) -> None:
        self._repo = repo
        self._reader = reader
        self._audit = audit
        self._clock = clock

    def calendar(self, ctx: TenantContext) -> DutyCalendarOut:
        ctx.require(*READERS)
        return DutyCalendarOut.from_domain(self._reader.duty_calendar(ctx.tenant_id))

    def set_calendar(self, ctx: TenantContext, body: DutyCalendarIn) -> DutyCalendarOut:
        ctx.require(Role.MANAGER)
        both = set(body.holidays) & set(body.workdays)
        if both:
            day = min(both).isoformat()
            raise Unprocessable(
                "a day cannot be both a holiday and a make-up workday",
                [{"loc": ["body", "workdays"], "type": "holiday_and_workday", "msg": day}],
            )
        self._repo.save_calendar(ctx.tenant_id, body, ctx.user_id, self._clock.now())
        self._audit.record(ctx, "duty.calendar.set", "duty_calendar", ctx.tenant_id)
        return self.calendar(ctx)

    def roster(self, ctx: TenantContext, site_id: str) -> RosterOut:
        ctx.require(*READERS)
        self._site(ctx, site_id)
        names = {s.staff_id: s.name for s in self._reader.staff_members(ctx.tenant_id)}
        return RosterOut.from_domain(site_id, self._reader.duty_roster(ctx.tenant_id, site_id), names)

    def set_roster(self, ctx: TenantContext, site_id: str, body: RosterIn) -> RosterOut:
        ctx.require(Role.MANAGER)
        self._site(ctx, site_id)
        staff = {s.staff_id: s for s in self._reader.staff_members(ctx.tenant_id)}
        unknown = [
            {"loc": ["body", "lines", n, "staff_id"], "type": "unknown_staff", "msg": line.staff_id}
            for n, line in enumerate(body.lines)
            if line.staff_id not in staff or not staff[line.staff_id].active
        ]
        if unknown:
            raise Unprocessable("the roster names staff the firm does not have (or inactive)", unknown)
        # The same line twice is kept once (a pasted roster often repeats itself).
        kept = list({(x.staff_id, x.shift, x.days): x for x in body.lines}.values())
        self._repo.save_roster(ctx.tenant_id, site_id, RosterIn(lines=kept), ctx.user_id, self._clock.now())
        self._audit.record(ctx, "duty.roster.set", "site", site_id, details={"lines": len(kept)})
        return self.roster(ctx, site_id)

    def now(self, ctx: TenantContext, site_id: str) -> DutyNowOut:
        ctx.require(*READERS)
        self._site(ctx, site_id)
        at = self._clock.now()
        calendar = self._reader.duty_calendar(ctx.tenant_id)
        return DutyNowOut.from_domain(
            site_id, at, shift_at(calendar, at), on_duty(self._reader, ctx.tenant_id, site_id, at)
        )

    def _site(self, ctx: TenantContext, site_id: str) -> None:
        if not self._reader.site_exists(ctx.tenant_id, site_id):
            raise NotFound("site")
