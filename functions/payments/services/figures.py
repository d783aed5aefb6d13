"""The month's finance figures for the console and the monthly report: collected by channel, arrears by age
and the collection rate against 95 %, per community and for the firm (the rules: ``payments.figures``).

Manager and finance. The month is the firm's calendar month: its payments are read from the settlement-day
index over the UTC days that cover it (a day either side), then kept by their local settlement date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from courtyard.clock import Clock
from courtyard.directory import TenantView
from courtyard.errors import NotFound, Unprocessable
from courtyard.tenancy import TenantContext
from payments import figures
from payments.access import MANAGERS
from payments.domain import Bill, Payment, today_in
from payments.repositories.figures import SettledPayments


@dataclass(frozen=True)
class MonthFigures:
    month: str
    as_of: date
    currency: str
    firm: figures.Figures
    communities: list[tuple[str, figures.Figures]]  # (community name, its figures)


class Bills(Protocol):
    def site_bills(self, tenant_id: str, site_id: str, from_period: str | None = None) -> list[Bill]: ...


class Directory(Protocol):
    def tenant(self, tenant_id: str) -> TenantView | None: ...
    def site_names(self, tenant_id: str) -> dict[str, str]: ...


class FiguresService:
    def __init__(self, bills: Bills, settled: SettledPayments, directory: Directory, clock: Clock) -> None:
        self._bills = bills
        self._settled = settled
        self._directory = directory
        self._clock = clock

    def month(self, ctx: TenantContext, month: str, site_id: str | None) -> MonthFigures:
        ctx.require(*MANAGERS)
        tenant = self._directory.tenant(ctx.tenant_id)
        zone = tenant.timezone if tenant else "Asia/Shanghai"
        today = today_in(self._clock.now(), zone)
        # Whose community first: another firm's site is 404 whatever the month (nothing said about it).
        names = self._directory.site_names(ctx.tenant_id)
        if site_id is not None:
            if site_id not in names:
                raise NotFound("site")
            names = {site_id: names[site_id]}
        if month < "2000-01":  # no firm's ledger is older; year 0000 is on no calendar at all
            raise Unprocessable("no figures before 2000", [{"loc": ["query", "month"], "type": "too_old"}])
        first = date(int(month[:4]), int(month[5:7]), 1)
        if first > today:
            raise Unprocessable("that month has not begun", [{"loc": ["query", "month"], "type": "future"}])
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        as_of = min(last, today)
        settled = self._settled.between(ctx.tenant_id, first - timedelta(days=1), last + timedelta(days=1))
        local = [(p, _local_day(p, zone)) for p in settled]
        parts = [
            (
                name,
                figures.community_figures(
                    site, month, as_of, self._bills.site_bills(ctx.tenant_id, site), local
                ),
            )
            for site, name in sorted(names.items(), key=lambda kv: (kv[1], kv[0]))
        ]
        return MonthFigures(
            month=month,
            as_of=as_of,
            currency=tenant.currency if tenant else "CNY",
            firm=figures.firm(p for _, p in parts),
            communities=parts,
        )


def _local_day(payment: Payment, zone: str) -> date:
    from courtyard.clock import parse_iso

    return parse_iso(payment.settled_at or payment.created_at).astimezone(ZoneInfo(zone)).date()
