"""SLA: business calendars (weekends, holidays, 调休, lunch breaks, DST), due times and breach marking."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tickets.domain import Priority
from tickets.sla import (
    DEFAULT_TARGETS,
    BusinessCalendar,
    SlaClock,
    SlaTarget,
    Span,
    SpanUnit,
    Target,
    due_times,
    new_breaches,
    sla_status,
    target_problems,
)

from courtyard.clock import FixedClock

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
DAY = ((time(8), time(18)),)
MON_TO_SAT = BusinessCalendar()  # the default: Asia/Shanghai, Mon-Sat 08:00-18:00
MON_TO_FRI = BusinessCalendar(hours=dict.fromkeys(range(5), DAY))
# Golden Week as a firm would enter it: Thu 1 - Wed 7 October off, Saturday 10 October worked (调休).
GOLDEN_WEEK = BusinessCalendar(
    hours=dict.fromkeys(range(5), DAY),
    holidays=frozenset(date(2026, 10, day) for day in range(1, 8)),
    makeup_workdays=frozenset({date(2026, 10, 10)}),
)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Shanghai wall-clock instant, as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def test_friday_evening_ticket_is_due_saturday_morning_when_saturday_works() -> None:
    friday_1730 = sh(2026, 3, 6, 17, 30)
    assert MON_TO_SAT.add_business_minutes(friday_1730, 120) == sh(2026, 3, 7, 9, 30)


def test_friday_evening_ticket_is_due_monday_morning_when_weekends_are_off() -> None:
    friday_1730 = sh(2026, 3, 6, 17, 30)
    assert MON_TO_FRI.add_business_minutes(friday_1730, 120) == sh(2026, 3, 9, 9, 30)


def test_holidays_are_skipped() -> None:
    eve_of_national_day = sh(2026, 9, 30, 17, 30)  # a Wednesday
    assert GOLDEN_WEEK.add_business_minutes(eve_of_national_day, 120) == sh(2026, 10, 8, 9, 30)


def test_a_makeup_workday_on_a_saturday_is_counted() -> None:
    friday_1730 = sh(2026, 10, 9, 17, 30)
    assert GOLDEN_WEEK.add_business_minutes(friday_1730, 120) == sh(2026, 10, 10, 9, 30)


def test_a_makeup_workday_may_have_its_own_hours() -> None:
    calendar = BusinessCalendar(
        hours=dict.fromkeys(range(5), DAY),
        makeup_workdays=frozenset({date(2026, 10, 10)}),
        makeup_hours=((time(9), time(12)),),
    )
    assert calendar.add_business_minutes(sh(2026, 10, 9, 17, 30), 120) == sh(2026, 10, 10, 10, 30)


def test_a_lunch_break_is_not_working_time() -> None:
    calendar = BusinessCalendar(hours={0: ((time(8, 30), time(12)), (time(13, 30), time(17, 30)))})
    monday_1130 = sh(2026, 3, 2, 11, 30)
    assert calendar.add_business_minutes(monday_1130, 60) == sh(2026, 3, 2, 14, 0)


def test_a_ticket_filed_while_closed_starts_counting_at_the_next_opening() -> None:
    sunday_night = sh(2026, 3, 8, 20, 0)
    assert MON_TO_SAT.add_business_minutes(sunday_night, 120) == sh(2026, 3, 9, 10, 0)


def test_ending_exactly_at_closing_time_stays_that_day() -> None:
    assert MON_TO_SAT.add_business_minutes(sh(2026, 3, 2, 16, 0), 120) == sh(2026, 3, 2, 18, 0)


def test_zero_minutes_is_the_start_itself() -> None:
    sunday_night = sh(2026, 3, 8, 20, 0)
    assert MON_TO_SAT.add_business_minutes(sunday_night, 0) == sunday_night


def test_several_days_of_business_minutes() -> None:
    # 25 hours of a 10-hour day from Monday 08:00: Monday, Tuesday, then 5 hours on Wednesday.
    assert MON_TO_SAT.add_business_minutes(sh(2026, 3, 2, 8, 0), 25 * 60) == sh(2026, 3, 4, 13, 0)


def test_business_minutes_across_a_dst_change_count_real_elapsed_time() -> None:
    # New York springs forward at 02:00 on Sunday 8 March 2026: that Sunday's 00:00-12:00 is 11 real hours.
    calendar = BusinessCalendar(timezone=NEW_YORK, hours={6: ((time(0), time(12)),), 0: DAY})
    sunday_0030 = datetime(2026, 3, 8, 0, 30, tzinfo=NEW_YORK)
    assert calendar.add_business_minutes(sunday_0030, 180) == datetime(2026, 3, 8, 8, 30, tzinfo=UTC)
    sunday_open = datetime(2026, 3, 8, 0, 0, tzinfo=NEW_YORK)
    assert calendar.add_business_minutes(sunday_open, 11 * 60) == datetime(2026, 3, 8, 16, 0, tzinfo=UTC)
    monday_0801 = datetime(2026, 3, 9, 8, 1, tzinfo=NEW_YORK).astimezone(UTC)
    assert calendar.add_business_minutes(sunday_open, 11 * 60 + 1) == monday_0801


def test_weekend_across_a_dst_change_opens_at_local_time() -> None:
    calendar = BusinessCalendar(timezone=NEW_YORK, hours=dict.fromkeys(range(5), DAY))
    friday_1730_est = datetime(2026, 3, 6, 17, 30, tzinfo=NEW_YORK)
    # Monday 09:30 is EDT (UTC-4) while Friday was EST (UTC-5).
    assert calendar.add_business_minutes(friday_1730_est, 120) == datetime(2026, 3, 9, 13, 30, tzinfo=UTC)


def test_business_days_end_at_the_close_of_the_nth_working_day_after_filing() -> None:
    assert MON_TO_SAT.add_business_days(sh(2026, 3, 2, 10, 0), 3) == sh(2026, 3, 5, 18, 0)  # Mon -> Thu
    assert MON_TO_SAT.add_business_days(sh(2026, 3, 6, 10, 0), 3) == sh(2026, 3, 10, 18, 0)  # Fri -> Tue
    assert GOLDEN_WEEK.add_business_days(sh(2026, 9, 30, 10, 0), 3) == sh(2026, 10, 10, 18, 0)


def test_the_local_date_decides_the_filing_day() -> None:
    # 23:30 UTC on Sunday is already Monday 07:30 in Shanghai: Monday is the filing day and does not count.
    late_sunday_utc = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert MON_TO_SAT.add_business_days(late_sunday_utc, 1) == sh(2026, 3, 3, 18, 0)


def test_normal_ticket_due_times_use_the_calendar() -> None:
    due = due_times(Priority.NORMAL, sh(2026, 3, 6, 17, 30), DEFAULT_TARGETS, MON_TO_FRI)
    assert due == (sh(2026, 3, 9, 9, 30), sh(2026, 3, 11, 18, 0))
    assert due.respond_by == sh(2026, 3, 9, 9, 30)


def test_sos_at_three_in_the_morning_is_due_five_minutes_later() -> None:
    clock = FixedClock(sh(2026, 3, 8, 3, 0))  # a Sunday, in the night
    due = due_times(Priority.EMERGENCY, clock.now(), DEFAULT_TARGETS, MON_TO_FRI)
    assert due == (sh(2026, 3, 8, 3, 5), sh(2026, 3, 8, 7, 0))


def test_urgent_runs_on_the_wall_clock() -> None:
    sunday_night = sh(2026, 3, 8, 22, 0)
    due = due_times(Priority.URGENT, sunday_night, DEFAULT_TARGETS, MON_TO_FRI)
    assert due == (sh(2026, 3, 8, 22, 30), sh(2026, 3, 9, 22, 0))


def test_emergency_ignores_the_calendar_even_with_business_spans() -> None:
    odd = {
        Priority.EMERGENCY: SlaTarget(Span(10, SpanUnit.BUSINESS_MINUTES), Span(1, SpanUnit.BUSINESS_DAYS))
    }
    due = due_times(Priority.EMERGENCY, sh(2026, 3, 8, 3, 0), odd, MON_TO_FRI)
    assert due == (sh(2026, 3, 8, 3, 10), sh(2026, 3, 9, 3, 0))


def test_a_priority_missing_from_the_tenant_targets_falls_back_to_the_default() -> None:
    due = due_times(Priority.URGENT, sh(2026, 3, 8, 22, 0), {}, MON_TO_FRI)
    assert due.respond_by == sh(2026, 3, 8, 22, 30)


def test_default_targets_are_valid() -> None:
    assert target_problems(DEFAULT_TARGETS) == []


def test_bad_targets_are_explained() -> None:
    problems = target_problems(
        {
            Priority.EMERGENCY: SlaTarget(Span(5, SpanUnit.BUSINESS_MINUTES), Span(60, SpanUnit.MINUTES)),
            Priority.URGENT: SlaTarget(Span(90, SpanUnit.MINUTES), Span(60, SpanUnit.MINUTES)),
        }
    )
    assert problems == [
        "no SLA target for priority normal",
        "emergency targets run on the wall clock (24x7), in minutes",
        "the urgent response target is longer than its resolution target",
    ]


@pytest.mark.parametrize("amount", [0, -5])
def test_a_span_must_be_positive(amount: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        Span(amount, SpanUnit.MINUTES)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hours": {7: DAY}}, "weekday"),
        ({"hours": {0: ((time(18), time(8)),)}}, "end after"),
        ({"hours": {0: ((time(8), time(13)), (time(12), time(18)))}}, "overlap"),
        (
            {"holidays": frozenset({date(2026, 1, 1)}), "makeup_workdays": frozenset({date(2026, 1, 1)})},
            "both",
        ),
    ],
)
def test_a_malformed_calendar_is_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(**kwargs)


def test_a_calendar_without_working_time_is_an_error_not_a_hang() -> None:
    with pytest.raises(ValueError, match="no working time"):
        BusinessCalendar(hours={}).add_business_minutes(sh(2026, 3, 2, 9, 0), 1)


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        MON_TO_SAT.add_business_minutes(datetime(2026, 3, 2, 9, 0), 60)


def test_is_open_and_working_days() -> None:
    assert MON_TO_SAT.is_open(sh(2026, 3, 2, 8, 0))
    assert not MON_TO_SAT.is_open(sh(2026, 3, 2, 18, 0))
    assert not MON_TO_SAT.is_working_day(date(2026, 3, 8))  # Sunday
    assert GOLDEN_WEEK.is_working_day(date(2026, 10, 10))
    assert not GOLDEN_WEEK.is_working_day(date(2026, 10, 1))


# --- breaches -------------------------------------------------------------------------------------------

FILED = sh(2026, 3, 2, 9, 0)
CLOCK = SlaClock(respond_by=FILED + timedelta(minutes=30), resolve_by=FILED + timedelta(hours=24))


def test_nothing_is_breached_before_the_deadlines() -> None:
    assert sla_status(CLOCK, FILED + timedelta(minutes=29)) == frozenset()


def test_unaccepted_past_the_response_deadline_is_a_response_breach() -> None:
    assert sla_status(CLOCK, FILED + timedelta(minutes=31)) == {Target.RESPONSE}


def test_accepting_exactly_at_the_deadline_meets_it() -> None:
    accepted = SlaClock(CLOCK.respond_by, CLOCK.resolve_by, accepted_at=CLOCK.respond_by)
    assert sla_status(accepted, FILED + timedelta(hours=1)) == frozenset()


def test_a_late_acceptance_stays_a_breach() -> None:
    late = SlaClock(CLOCK.respond_by, CLOCK.resolve_by, accepted_at=FILED + timedelta(minutes=45))
    assert sla_status(late, FILED + timedelta(days=3)) == {Target.RESPONSE, Target.RESOLUTION}


def test_resolved_in_time_meets_resolution() -> None:
    done = SlaClock(
        CLOCK.respond_by,
        CLOCK.resolve_by,
        accepted_at=FILED + timedelta(minutes=5),
        resolved_at=FILED + timedelta(hours=3),
    )
    assert sla_status(done, FILED + timedelta(days=3)) == frozenset()


def test_cancelling_stops_the_clocks() -> None:
    cancelled = SlaClock(CLOCK.respond_by, CLOCK.resolve_by, cancelled_at=FILED + timedelta(minutes=10))
    assert sla_status(cancelled, FILED + timedelta(days=3)) == frozenset()
    late_cancel = SlaClock(CLOCK.respond_by, CLOCK.resolve_by, cancelled_at=FILED + timedelta(hours=1))
    assert sla_status(late_cancel, FILED + timedelta(days=3)) == {Target.RESPONSE}


def test_a_scheduled_job_marks_each_breach_once() -> None:
    clock = FixedClock(FILED)
    marked: set[Target] = set()
    announced: list[Target] = []
    for _ in range(60 * 24 * 2):  # every minute for two days
        clock.advance(minutes=1)
        fresh = new_breaches(CLOCK, clock.now(), marked)
        announced.extend(sorted(fresh))
        marked |= fresh
    assert announced == [Target.RESPONSE, Target.RESOLUTION]


# --- properties -----------------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2026, 1, 1),
    max_value=datetime(2027, 12, 31),
    timezones=st.just(UTC),
)
minutes = st.integers(min_value=0, max_value=5 * 600)
calendars = st.sampled_from([MON_TO_SAT, MON_TO_FRI, GOLDEN_WEEK])


@given(calendars, instants, minutes, minutes)
def test_business_minutes_add_up(calendar: BusinessCalendar, start: datetime, a: int, b: int) -> None:
    assert calendar.add_business_minutes(calendar.add_business_minutes(start, a), b) == (
        calendar.add_business_minutes(start, a + b)
    )


@given(calendars, instants, st.integers(min_value=1, max_value=5 * 600))
def test_business_minutes_end_inside_working_time(
    calendar: BusinessCalendar, start: datetime, n: int
) -> None:
    due = calendar.add_business_minutes(start, n)
    assert due >= start + timedelta(minutes=n)
    assert calendar.is_open(due - timedelta(microseconds=1))
