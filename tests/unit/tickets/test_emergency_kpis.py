"""The emergency response-time KPI: months in the firm's time zone, p50/p90 of acknowledged emergencies,
the share within 5 minutes (an unanswered one counts against it once its 5 minutes are gone)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tickets.domain import Priority, TicketStatus
from tickets.emergency_kpis import emergency_months
from tickets.kpis import TicketFacts

# 23:30 UTC on 31 October is 07:30 on 1 November in Shanghai.
NIGHT = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)


def fact(at: datetime, acked_after: float | None, *, emergency: bool = True) -> TicketFacts:
    return TicketFacts(
        site_id="S",
        category="security",
        priority=Priority.EMERGENCY,
        status=TicketStatus.ACCEPTED if acked_after is not None else TicketStatus.ASSIGNED,
        created_at=at,
        accepted_at=at + timedelta(minutes=acked_after) if acked_after is not None else None,
        emergency=emergency,
    )


def test_months_follow_the_firms_time_zone_and_ordinary_tickets_do_not_count():
    facts = [fact(NIGHT, 2), fact(NIGHT - timedelta(hours=8), 4), fact(NIGHT, 1, emergency=False)]
    months = emergency_months(facts, NIGHT + timedelta(hours=1), "Asia/Shanghai")
    assert [(m.month, m.emergencies) for m in months] == [("2026-10", 1), ("2026-11", 1)]


def test_percentiles_and_the_share_within_five_minutes():
    facts = [fact(NIGHT, 1), fact(NIGHT, 3), fact(NIGHT, 6), fact(NIGHT, None)]
    (month,) = emergency_months(facts, NIGHT + timedelta(minutes=30), "UTC")
    assert (month.emergencies, month.acknowledged) == (4, 3)
    assert (month.p50_minutes, month.p90_minutes) == (3.0, 6.0)
    assert month.within_5_min_pct == 50.0  # 1 and 3 of 1, 3, 6 and the unanswered one


def test_an_emergency_still_inside_its_five_minutes_is_not_judged_yet():
    (month,) = emergency_months([fact(NIGHT, None)], NIGHT + timedelta(minutes=2), "UTC")
    assert month.within_5_min_pct is None
    assert month.p50_minutes is None
