"""The emergency response-time KPI (pure): from an SOS or a critical alarm's work order being filed to its
first acknowledgment (acceptance), per community and month of the firm's calendar: p50, p90 and the share
acknowledged within 5 minutes (the seed community's promise).

An emergency not yet acknowledged counts against the share once its 5 minutes have passed (it was not
answered in time), and is left out while they are still running. Percentiles are over acknowledged ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from tickets.kpis import TicketFacts

PROMISE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class EmergencyMonth:
    month: str  # 2026-10, in the firm's time zone
    emergencies: int
    acknowledged: int
    p50_minutes: float | None
    p90_minutes: float | None
    within_5_min_pct: float | None


def emergency_months(
    facts: Iterable[TicketFacts], now: datetime, timezone: str
) -> tuple[EmergencyMonth, ...]:
    """One entry per month with an emergency among ``facts`` (already one site's, filed in the period)."""
    from tickets.kpis import nearest_rank

    zone = ZoneInfo(timezone)
    by_month: dict[str, list[TicketFacts]] = defaultdict(list)
    for fact in facts:
        if fact.emergency:
            by_month[fact.created_at.astimezone(zone).strftime("%Y-%m")].append(fact)
    months = []
    for month, emergencies in sorted(by_month.items()):
        times = [
            (f.accepted_at - f.created_at).total_seconds() / 60
            for f in emergencies
            if f.accepted_at is not None
        ]
        judged = [
            f.accepted_at is not None and f.accepted_at - f.created_at <= PROMISE
            for f in emergencies
            if f.accepted_at is not None or now.astimezone(UTC) - f.created_at.astimezone(UTC) > PROMISE
        ]
        months.append(
            EmergencyMonth(
                month=month,
                emergencies=len(emergencies),
                acknowledged=len(times),
                p50_minutes=_round(nearest_rank(times, 50)),
                p90_minutes=_round(nearest_rank(times, 90)),
                within_5_min_pct=round(100 * sum(judged) / len(judged), 2) if judged else None,
            )
        )
    return tuple(months)


def _round(minutes: float | None) -> float | None:
    return round(minutes, 2) if minutes is not None else None
