"""Ticket KPIs per community (site) and period, from plain ticket facts (pure).

Which tickets count: those filed in the period (half-open [start, end)) for times, SLA, satisfaction, reopen
rate and per-category counts; those due in the period for timeliness. Cancelled tickets count only in the
per-category counts and ``tickets`` (they were demand, but nobody could meet or miss a target on them).
Percentages are 0-100 rounded to 2 places, times are minutes; None where there is nothing to measure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tickets.domain import Priority, TicketStatus
from tickets.emergency_kpis import EmergencyMonth, emergency_months


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime  # exclusive

    def __post_init__(self) -> None:
        if _utc(self.end) <= _utc(self.start):
            raise ValueError("a period ends after it starts")

    def __contains__(self, at: object) -> bool:
        return isinstance(at, datetime) and _utc(self.start) <= _utc(at) < _utc(self.end)


@dataclass(frozen=True, slots=True)
class TicketFacts:
    site_id: str
    category: str
    priority: Priority
    status: TicketStatus
    created_at: datetime
    respond_by: datetime | None = None
    resolve_by: datetime | None = None
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None  # the latest resolution; cleared by a reopen
    closed_at: datetime | None = None
    rating: int | None = None
    reopen_count: int = 0
    emergency: bool = False  # an SOS, or a critical alarm's emergency work order (the response-time KPI)

    def __post_init__(self) -> None:
        if self.rating is not None and not 1 <= self.rating <= 5:
            raise ValueError("a rating is 1 to 5")
        if self.reopen_count < 0:
            raise ValueError("reopen_count must not be negative")


@dataclass(frozen=True, slots=True)
class Kpis:
    site_id: str
    period: Period
    tickets: int
    by_category: dict[str, int]
    response_p50_minutes: float | None
    response_p90_minutes: float | None
    resolution_p50_minutes: float | None
    resolution_p90_minutes: float | None
    response_met_pct: float | None  # accepted by respond_by, over tickets accepted or past it
    resolution_met_pct: float | None  # resolved by resolve_by, over tickets resolved or past it
    sla_met_pct: float | None  # both targets pooled
    timeliness_pct: float | None  # resolved by resolve_by, over tickets due in the period (target 98%)
    satisfaction_avg: float | None  # ratings 1-5
    ratings: int
    reopen_rate_pct: float | None  # reopened at least once, over tickets resolved at least once
    emergency_response: tuple[EmergencyMonth, ...] = ()  # per month: filing to first acknowledgment


def nearest_rank(values: Sequence[float], percentile: int) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``percentile`` % of values at or below."""
    if not 0 < percentile <= 100:
        raise ValueError("a percentile is in 1..100")
    if not values:
        return None
    ordered = sorted(values)
    # Integer ceiling: float products such as 0.9 * n can land a hair above a whole rank.
    rank = -(-percentile * len(ordered) // 100)
    return ordered[rank - 1]


def site_kpis(
    facts: Iterable[TicketFacts], site_id: str, period: Period, now: datetime, timezone: str = "UTC"
) -> Kpis:
    """The KPIs of one site over a period, as of ``now`` (a target neither due nor reached yet is open);
    ``timezone`` (the firm's) draws the months of the emergency response times."""
    now = _utc(now)
    of_site = [fact for fact in facts if fact.site_id == site_id]
    filed = [fact for fact in of_site if fact.created_at in period]
    live = [fact for fact in filed if fact.status is not TicketStatus.CANCELLED]

    response_times = [_minutes(f.created_at, f.accepted_at) for f in live if f.accepted_at is not None]
    resolution_times = [_minutes(f.created_at, f.resolved_at) for f in live if f.resolved_at is not None]
    response = [met for f in live if (met := _target_met(f.respond_by, f.accepted_at, now)) is not None]
    resolution = [met for f in live if (met := _target_met(f.resolve_by, f.resolved_at, now)) is not None]
    due = [
        met
        for f in of_site
        if f.status is not TicketStatus.CANCELLED
        and f.resolve_by in period
        and (met := _target_met(f.resolve_by, f.resolved_at, now)) is not None
    ]
    ratings = [f.rating for f in live if f.rating is not None]
    ever_resolved = [f for f in live if f.resolved_at is not None or f.reopen_count > 0]

    return Kpis(
        site_id=site_id,
        period=period,
        tickets=len(filed),
        by_category=dict(sorted(Counter(f.category for f in filed).items())),
        response_p50_minutes=nearest_rank(response_times, 50),
        response_p90_minutes=nearest_rank(response_times, 90),
        resolution_p50_minutes=nearest_rank(resolution_times, 50),
        resolution_p90_minutes=nearest_rank(resolution_times, 90),
        response_met_pct=_pct(sum(response), len(response)),
        resolution_met_pct=_pct(sum(resolution), len(resolution)),
        sla_met_pct=_pct(sum(response) + sum(resolution), len(response) + len(resolution)),
        timeliness_pct=_pct(sum(due), len(due)),
        satisfaction_avg=round(sum(ratings) / len(ratings), 2) if ratings else None,
        ratings=len(ratings),
        reopen_rate_pct=_pct(sum(1 for f in ever_resolved if f.reopen_count > 0), len(ever_resolved)),
        emergency_response=emergency_months(live, now, timezone),
    )


def kpis_by_site(
    facts: Iterable[TicketFacts], period: Period, now: datetime, timezone: str = "UTC"
) -> dict[str, Kpis]:
    """The KPIs of every site that has a ticket filed or due in the period, by site id."""
    facts = list(facts)
    sites = sorted({f.site_id for f in facts if f.created_at in period or f.resolve_by in period})
    return {site_id: site_kpis(facts, site_id, period, now, timezone) for site_id in sites}


def _target_met(deadline: datetime | None, reached_at: datetime | None, now: datetime) -> bool | None:
    """Met, missed, or None while undecided (not reached and not yet due) or without a target."""
    if deadline is None:
        return None
    if reached_at is not None:
        return _utc(reached_at) <= _utc(deadline)
    return False if now > _utc(deadline) else None


def _minutes(start: datetime, end: datetime | None) -> float:
    assert end is not None
    return (_utc(end) - _utc(start)).total_seconds() / 60


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware value")
    return at.astimezone(UTC)
