"""Ticket KPIs: percentiles, SLA met, timeliness, satisfaction, reopen rate, categories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tickets.domain import Priority, TicketStatus
from tickets.kpis import Period, TicketFacts, kpis_by_site, nearest_rank, site_kpis

MARCH = Period(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
NOW = datetime(2026, 4, 1, tzinfo=UTC)
M = timedelta(minutes=1)
H = timedelta(hours=1)


def day(n: int, month: int = 3, hour: int = 1) -> datetime:
    return datetime(2026, month, n, hour, tzinfo=UTC)


def facts(
    created_at: datetime,
    *,
    site_id: str = "S1",
    category: str = "plumbing",
    priority: Priority = Priority.NORMAL,
    status: TicketStatus = TicketStatus.CLOSED,
    respond_in: timedelta | None = 30 * M,
    resolve_in: timedelta | None = 24 * H,
    accepted_in: timedelta | None = None,
    resolved_in: timedelta | None = None,
    rating: int | None = None,
    reopen_count: int = 0,
) -> TicketFacts:
    return TicketFacts(
        site_id=site_id,
        category=category,
        priority=priority,
        status=status,
        created_at=created_at,
        respond_by=created_at + respond_in if respond_in is not None else None,
        resolve_by=created_at + resolve_in if resolve_in is not None else None,
        accepted_at=created_at + accepted_in if accepted_in is not None else None,
        resolved_at=created_at + resolved_in if resolved_in is not None else None,
        rating=rating,
        reopen_count=reopen_count,
    )


# S1's March, computed by hand in the tests below.
LEDGER = [
    # 1: on time throughout, rated 5
    facts(day(2), accepted_in=10 * M, resolved_in=120 * M, rating=5),
    # 2: accepted late (40 > 30), resolved in time, rated 3
    facts(day(3), priority=Priority.URGENT, accepted_in=40 * M, resolved_in=300 * M, rating=3),
    # 3: an emergency accepted in 4 minutes, resolved after 6 hours (target 4 h), reopened once, rated 4
    facts(
        day(4),
        category="elevator",
        priority=Priority.EMERGENCY,
        respond_in=5 * M,
        resolve_in=4 * H,
        accepted_in=4 * M,
        resolved_in=360 * M,
        rating=4,
        reopen_count=1,
    ),
    # 4: accepted in time, never resolved, resolve_by 03-08 long past
    facts(
        day(5), category="cleaning", status=TicketStatus.IN_PROGRESS, accepted_in=20 * M, resolve_in=72 * H
    ),
    # 5: cancelled: only a category count
    facts(day(6), category="noise", status=TicketStatus.CANCELLED),
    # 6: filed at the end of the month, nothing due yet
    facts(
        day(31, hour=23),
        category="cleaning",
        status=TicketStatus.SUBMITTED,
        respond_in=2 * H,
        resolve_in=3 * 24 * H,
    ),
    # 7: filed in February, due and resolved in time in March (timeliness only)
    facts(day(27, month=2), resolve_in=3 * 24 * H + 9 * H, resolved_in=2 * 24 * H + 4 * H),
    # Another community's ticket, and an S1 ticket of April: neither counts.
    facts(day(10), site_id="S2", accepted_in=60 * M, rating=1),
    facts(day(2, month=4), accepted_in=1 * M, rating=1),
]


def test_counts_and_categories_include_cancelled_tickets() -> None:
    kpis = site_kpis(LEDGER, "S1", MARCH, NOW)
    assert kpis.tickets == 6
    assert kpis.by_category == {"cleaning": 2, "elevator": 1, "noise": 1, "plumbing": 2}


def test_response_and_resolution_percentiles_by_nearest_rank() -> None:
    kpis = site_kpis(LEDGER, "S1", MARCH, NOW)
    # Response minutes [4, 10, 20, 40]; resolution minutes [120, 300, 360].
    assert (kpis.response_p50_minutes, kpis.response_p90_minutes) == (10, 40)
    assert (kpis.resolution_p50_minutes, kpis.resolution_p90_minutes) == (300, 360)


def test_sla_met_counts_reached_or_past_due_targets_only() -> None:
    kpis = site_kpis(LEDGER, "S1", MARCH, NOW)
    assert kpis.response_met_pct == 75.0  # 1, 3, 4 met; 2 late; 6 undecided
    assert kpis.resolution_met_pct == 50.0  # 1, 2 met; 3 late; 4 past due; 6 undecided
    assert kpis.sla_met_pct == 62.5  # 5 of 8


def test_timeliness_is_over_tickets_due_in_the_period() -> None:
    # Due in March: 1 met, 2 met, 3 missed, 4 missed, 7 (filed in February) met.
    assert site_kpis(LEDGER, "S1", MARCH, NOW).timeliness_pct == 60.0


def test_satisfaction_and_reopen_rate() -> None:
    kpis = site_kpis(LEDGER, "S1", MARCH, NOW)
    assert (kpis.satisfaction_avg, kpis.ratings) == (4.0, 3)
    assert kpis.reopen_rate_pct == 33.33  # 1 of the 3 resolved


def test_a_site_without_tickets_has_no_measures() -> None:
    kpis = site_kpis(LEDGER, "S9", MARCH, NOW)
    assert kpis.tickets == 0
    assert kpis.by_category == {}
    measures = (
        kpis.response_p50_minutes,
        kpis.resolution_p90_minutes,
        kpis.response_met_pct,
        kpis.sla_met_pct,
        kpis.timeliness_pct,
        kpis.satisfaction_avg,
        kpis.reopen_rate_pct,
    )
    assert measures == (None,) * 7


def test_kpis_by_site_covers_every_site_with_tickets_in_the_period() -> None:
    by_site = kpis_by_site(LEDGER, MARCH, NOW)
    assert sorted(by_site) == ["S1", "S2"]
    assert by_site["S2"].satisfaction_avg == 1.0
    assert by_site["S1"] == site_kpis(LEDGER, "S1", MARCH, NOW)


def test_a_target_still_running_is_not_counted_yet() -> None:
    running = [facts(day(31, hour=23), respond_in=2 * H)]
    kpis = site_kpis(running, "S1", MARCH, NOW)
    assert (kpis.response_met_pct, kpis.resolution_met_pct, kpis.timeliness_pct) == (None, None, None)
    later = site_kpis(running, "S1", MARCH, NOW + 2 * H)
    assert later.response_met_pct == 0.0


def test_a_ticket_without_targets_is_not_measured_against_them() -> None:
    kpis = site_kpis([facts(day(2), respond_in=None, resolve_in=None, accepted_in=5 * M)], "S1", MARCH, NOW)
    assert (kpis.response_met_pct, kpis.sla_met_pct, kpis.response_p50_minutes) == (None, None, 5)


@pytest.mark.parametrize(
    ("values", "percentile", "expected"),
    [
        ([15, 20, 35, 40, 50], 50, 35),
        ([15, 20, 35, 40, 50], 90, 50),
        ([15, 20, 35, 40, 50], 30, 20),
        ([15, 20, 35, 40, 50], 100, 50),
        ([50, 15, 40, 20, 35], 50, 35),  # order does not matter
        (list(range(1, 11)), 90, 9),  # rank exactly 9, not 10 (no float drift)
        (list(range(1, 21)), 90, 18),
        ([7.5], 1, 7.5),
        ([], 50, None),
    ],
)
def test_nearest_rank(values: list[float], percentile: int, expected: float | None) -> None:
    assert nearest_rank(values, percentile) == expected


@pytest.mark.parametrize("percentile", [0, 101, -5])
def test_a_percentile_out_of_range_is_refused(percentile: int) -> None:
    with pytest.raises(ValueError, match="percentile"):
        nearest_rank([1, 2], percentile)


@pytest.mark.parametrize("rating", [0, 6])
def test_ratings_are_one_to_five(rating: int) -> None:
    with pytest.raises(ValueError, match="rating"):
        facts(day(2), rating=rating)


def test_a_period_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="ends after"):
        Period(MARCH.end, MARCH.start)


# --- properties -----------------------------------------------------------------------------------------

offsets = st.none() | st.integers(min_value=0, max_value=10 * 24 * 60).map(lambda n: n * M)
random_facts = st.builds(
    facts,
    st.integers(min_value=0, max_value=40 * 24 * 60).map(lambda n: day(20, month=2) + n * M),
    site_id=st.sampled_from(["S1", "S2"]),
    category=st.sampled_from(["plumbing", "cleaning", "noise"]),
    status=st.sampled_from(list(TicketStatus)),
    respond_in=offsets,
    resolve_in=offsets,
    accepted_in=offsets,
    resolved_in=offsets,
    rating=st.none() | st.integers(min_value=1, max_value=5),
    reopen_count=st.integers(min_value=0, max_value=3),
)


@given(st.lists(random_facts, max_size=40))
def test_kpis_stay_within_their_bounds(ledger: list[TicketFacts]) -> None:
    for kpis in kpis_by_site(ledger, MARCH, NOW).values():
        for p50, p90 in (
            (kpis.response_p50_minutes, kpis.response_p90_minutes),
            (kpis.resolution_p50_minutes, kpis.resolution_p90_minutes),
        ):
            assert (p50 is None) == (p90 is None)
            if p50 is not None and p90 is not None:
                assert 0 <= p50 <= p90
        for pct in (
            kpis.response_met_pct,
            kpis.resolution_met_pct,
            kpis.sla_met_pct,
            kpis.timeliness_pct,
            kpis.reopen_rate_pct,
        ):
            assert pct is None or 0 <= pct <= 100
        assert kpis.satisfaction_avg is None or 1 <= kpis.satisfaction_avg <= 5
        assert sum(kpis.by_category.values()) == kpis.tickets


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1), st.integers(1, 100), st.integers(1, 100))
def test_nearest_rank_is_a_sample_and_monotonic(values: list[float], p: int, q: int) -> None:
    low, high = sorted((p, q))
    at_low, at_high = nearest_rank(values, low), nearest_rank(values, high)
    assert at_low is not None
    assert at_high is not None
    assert at_low in values
    assert at_low <= at_high
