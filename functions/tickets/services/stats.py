"""Ticket KPIs per community over a period of days (``GET /tickets/stats``), for managers and the desk.

The period is whole days in the tenant's timezone, ``from`` to ``to`` inclusive (default: the last 30 days up
to today), at most 366 days. The tickets are read with one key-condition query (following pages) on the
site's index or, for every site, the tenant's index, over the creation-time range; never a scan. Timeliness
counts tickets *due* in the period, some filed before it, so the read starts ``DUE_LOOKBACK`` earlier: a
ticket due in the period but filed more than that before its start is left out of timeliness.

A site id of another tenant (or no site at all) reads an empty partition: the report has no entry for it,
exactly like one of the tenant's sites without tickets in the period (no oracle for other tenants' ids).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from courtyard.clock import Clock
from courtyard.directory import TenantView
from courtyard.errors import Unprocessable
from courtyard.tenancy import Role, TenantContext
from tickets.kpis import Kpis, Period, TicketFacts, kpis_by_site

STATS_ROLES = (Role.MANAGER, Role.SERVICE_DESK)
DEFAULT_DAYS = 30
MAX_DAYS = 366
# Longer than the default targets' longest resolution (3 business days) across the longest holidays.
DUE_LOOKBACK = timedelta(days=31)
DEFAULT_TIMEZONE = "Asia/Shanghai"
_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


class Repository(Protocol):
    def facts_filed_between(
        self, tenant_id: str, start: datetime, end: datetime, site_id: str | None = None
    ) -> list[TicketFacts]: ...


class Directory(Protocol):
    def tenant(self, tenant_id: str) -> TenantView | None: ...


@dataclass(frozen=True, slots=True)
class StatsReport:
    first_day: date
    last_day: date  # inclusive
    timezone: str
    period: Period
    generated_at: datetime
    sites: list[Kpis]


def day_range(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    """The inclusive day range asked for, with defaults; Unprocessable when it is backwards or too long."""
    last_day = last or today
    first_day = first or last_day - timedelta(days=DEFAULT_DAYS - 1)
    if first_day > last_day:
        raise _bad_range("from", "'from' must not be after 'to'")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise _bad_range("to", f"a period is at most {MAX_DAYS} days")
    return first_day, last_day


class StatsService:
    def __init__(self, repo: Repository, directory: Directory, clock: Clock) -> None:
        self._repo = repo
        self._directory = directory
        self._clock = clock

    def report(
        self, ctx: TenantContext, *, site_id: str | None, first: date | None, last: date | None
    ) -> StatsReport:
        ctx.require(*STATS_ROLES)
        tenant = self._directory.tenant(ctx.tenant_id)
        timezone = tenant.timezone if tenant and tenant.timezone else DEFAULT_TIMEZONE
        zone = ZoneInfo(timezone)
        now = self._clock.now()
        first_day, last_day = day_range(first, last, now.astimezone(zone).date())
        period = Period(
            datetime.combine(first_day, time(0), zone),
            datetime.combine(last_day + timedelta(days=1), time(0), zone),
        )
        facts: list[TicketFacts] = []
        if site_id is None or _ID.fullmatch(site_id):
            facts = self._repo.facts_filed_between(
                ctx.tenant_id, period.start - DUE_LOOKBACK, period.end, site_id
            )
        sites = list(kpis_by_site(facts, period, now, timezone).values())
        return StatsReport(first_day, last_day, timezone, period, now, sites)


def _bad_range(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, [{"loc": ["query", field], "type": "invalid_range", "msg": message}])


__all__ = ["MAX_DAYS", "STATS_ROLES", "StatsReport", "StatsService", "day_range"]
