"""``GET /tickets/stats``: a Router ``tickets.handler`` includes.

A static route: the resolver matches it before ``/tickets/{ticket_id}``. The rules are in
``tickets.services.stats``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import Field

from courtyard.api import CourtyardRouter
from courtyard.clock import to_iso
from courtyard.models import Model
from tickets import wiring
from tickets.kpis import Kpis

router = CourtyardRouter()


class EmergencyResponseOut(Model):
    """An SOS or critical alarm's work order, filing to first acknowledgment, in one month."""

    month: str = Field(description="YYYY-MM in the tenant's timezone")
    emergencies: int
    acknowledged: int
    p50_minutes: float | None
    p90_minutes: float | None
    within_5_min_pct: float | None = Field(description="acknowledged within 5 minutes, 0-100")


class SiteStatsOut(Model):
    site_id: str
    tickets: int = Field(description="filed in the period, cancelled included")
    by_category: dict[str, int]
    response_p50_minutes: float | None = Field(description="filing to acceptance")
    response_p90_minutes: float | None
    resolution_p50_minutes: float | None = Field(description="filing to the latest resolution")
    resolution_p90_minutes: float | None
    response_met_pct: float | None
    resolution_met_pct: float | None
    sla_met_pct: float | None = Field(description="response and resolution targets pooled, 0-100")
    timeliness_pct: float | None = Field(
        description="resolved by their deadline, of tickets due in the period"
    )
    satisfaction_avg: float | None = Field(description="ratings 1-5")
    ratings: int
    reopen_rate_pct: float | None = Field(description="reopened at least once, of tickets ever resolved")
    emergency_response: list[EmergencyResponseOut] = Field(
        default_factory=list, description="SOS and critical alarms: time to first acknowledgment per month"
    )

    @classmethod
    def from_domain(cls, kpis: Kpis) -> SiteStatsOut:
        return cls(
            site_id=kpis.site_id,
            tickets=kpis.tickets,
            by_category=kpis.by_category,
            response_p50_minutes=kpis.response_p50_minutes,
            response_p90_minutes=kpis.response_p90_minutes,
            resolution_p50_minutes=kpis.resolution_p50_minutes,
            resolution_p90_minutes=kpis.resolution_p90_minutes,
            response_met_pct=kpis.response_met_pct,
            resolution_met_pct=kpis.resolution_met_pct,
            sla_met_pct=kpis.sla_met_pct,
            timeliness_pct=kpis.timeliness_pct,
            satisfaction_avg=kpis.satisfaction_avg,
            ratings=kpis.ratings,
            reopen_rate_pct=kpis.reopen_rate_pct,
            emergency_response=[
                EmergencyResponseOut(
                    month=m.month,
                    emergencies=m.emergencies,
                    acknowledged=m.acknowledged,
                    p50_minutes=m.p50_minutes,
                    p90_minutes=m.p90_minutes,
                    within_5_min_pct=m.within_5_min_pct,
                )
                for m in kpis.emergency_response
            ],
        )


class TicketStatsOut(Model):
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    timezone: str
    period_start: str
    period_end: str = Field(description="exclusive: the start of the day after 'to'")
    generated_at: str
    sites: list[SiteStatsOut] = Field(description="sites with a ticket filed or due in the period")


Day = Annotated[date | None, Query(description="ISO date, in the tenant's timezone")]


@router.get(
    "/tickets/stats",
    summary="Ticket KPIs per community over whole days (manager, service desk); default the last 30 days",
)
def ticket_stats(
    site_id: Annotated[str | None, Query(max_length=64, description="one community; omit for all")] = None,
    from_: Annotated[date | None, Query(alias="from", description="first day (ISO date)")] = None,
    to: Day = None,
) -> TicketStatsOut:
    report = wiring.stats().report(router.tenant(), site_id=site_id, first=from_, last=to)
    return TicketStatsOut.model_validate(
        {
            "from": report.first_day,
            "to": report.last_day,
            "timezone": report.timezone,
            "period_start": to_iso(report.period.start),
            "period_end": to_iso(report.period.end),
            "generated_at": to_iso(report.generated_at),
            "sites": [SiteStatsOut.from_domain(k) for k in report.sites],
        }
    )
