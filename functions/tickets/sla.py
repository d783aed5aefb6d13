"""SLA targets per priority, business-hours calendars, due times and breach detection (pure).

Defaults (per tenant, overridable): emergency responds in 5 minutes and resolves in 4 hours, urgent in 30
minutes and 24 hours, both by the wall clock (24x7); normal responds in 2 business hours and resolves within 3
business days. "Within N business days" is the usage of Chinese service promises (3个工作日内): by the close
of the Nth working day after the day the ticket was filed (the filing day does not count). The response
target runs to ``accepted``, the resolution target to ``resolved``, both from filing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple
from zoneinfo import ZoneInfo

from tickets.domain import Priority

# A calendar with no working time at all would loop forever; ten years of closed days is surely a mistake.
_MAX_DAYS_SEARCHED = 3660


class SpanUnit(StrEnum):
    MINUTES = "minutes"  # wall clock, 24x7
    BUSINESS_MINUTES = "business_minutes"  # only while the calendar is open
    BUSINESS_DAYS = "business_days"  # by the close of the Nth working day after filing


@dataclass(frozen=True, slots=True)
class Span:
    amount: int
    unit: SpanUnit

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError("an SLA span must be positive")

    @property
    def wall_clock(self) -> bool:
        return self.unit is SpanUnit.MINUTES


@dataclass(frozen=True, slots=True)
class SlaTarget:
    respond: Span  # filed -> accepted
    resolve: Span  # filed -> resolved


SlaTargets = Mapping[Priority, SlaTarget]

DEFAULT_TARGETS: SlaTargets = MappingProxyType(
    {
        Priority.EMERGENCY: SlaTarget(Span(5, SpanUnit.MINUTES), Span(4 * 60, SpanUnit.MINUTES)),
        Priority.URGENT: SlaTarget(Span(30, SpanUnit.MINUTES), Span(24 * 60, SpanUnit.MINUTES)),
        Priority.NORMAL: SlaTarget(Span(2 * 60, SpanUnit.BUSINESS_MINUTES), Span(3, SpanUnit.BUSINESS_DAYS)),
    }
)


def target_problems(targets: SlaTargets) -> list[str]:
    """Why a tenant's targets cannot be saved (empty when they can)."""
    problems = [f"no SLA target for priority {p}" for p in Priority if p not in targets]
    emergency = targets.get(Priority.EMERGENCY)
    if emergency is not None and not (emergency.respond.wall_clock and emergency.resolve.wall_clock):
        problems.append("emergency targets run on the wall clock (24x7), in minutes")
    for priority, target in targets.items():
        same_unit = target.respond.unit is target.resolve.unit
        if same_unit and target.respond.amount > target.resolve.amount:
            problems.append(f"the {priority} response target is longer than its resolution target")
    return problems


Hours = tuple[tuple[time, time], ...]  # a day's open intervals, local wall time, in order

_DAY = (time(8), time(18))
MON_TO_SAT_8_TO_18: Mapping[int, Hours] = MappingProxyType(dict.fromkeys(range(6), (_DAY,)))


@dataclass(frozen=True)
class BusinessCalendar:
    """When a firm's service desk works: intervals per weekday (0 = Monday), public holidays, and 调休
    make-up workdays (weekend days worked in exchange for a longer holiday)."""

    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    hours: Mapping[int, Hours] = field(default_factory=lambda: MON_TO_SAT_8_TO_18)
    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()
    # The hours of a make-up day that falls on a closed weekday; None: Monday's (a 调休 day is a normal day).
    makeup_hours: Hours | None = None

    def __post_init__(self) -> None:
        for weekday, intervals in self.hours.items():
            if weekday not in range(7):
                raise ValueError(f"weekday {weekday} is not 0 (Monday) to 6 (Sunday)")
            _check_intervals(intervals)
        if self.makeup_hours is not None:
            _check_intervals(self.makeup_hours)
        if self.holidays & self.makeup_workdays:
            raise ValueError("a day cannot be both a holiday and a make-up workday")

    def hours_on(self, day: date) -> Hours:
        """The open intervals of a local date (empty when closed)."""
        if day in self.holidays:
            return ()
        weekday_hours = self.hours.get(day.weekday(), ())
        if day in self.makeup_workdays and not weekday_hours:
            return self.makeup_hours if self.makeup_hours is not None else self.hours.get(0, (_DAY,))
        return weekday_hours

    def is_working_day(self, day: date) -> bool:
        return bool(self.hours_on(day))

    def is_open(self, at: datetime) -> bool:
        return any(start <= _utc(at) < end for start, end in self._intervals(self._local_date(at)))

    def add_business_minutes(self, start: datetime, minutes: int) -> datetime:
        """The UTC instant after ``minutes`` of open time from ``start`` (ending at a close stays there)."""
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        cursor = _utc(start)
        remaining = timedelta(minutes=minutes)
        if not remaining:
            return cursor
        for day in self._days_from(self._local_date(cursor)):
            for opens, closes in self._intervals(day):
                begin = max(opens, cursor)
                if begin >= closes:
                    continue
                if remaining <= closes - begin:
                    return begin + remaining
                remaining -= closes - begin
        raise AssertionError("unreachable: _days_from raises first")

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """The close (UTC) of the ``days``-th working day after the local date of ``start``."""
        if days <= 0:
            raise ValueError("days must be positive")
        counted = 0
        for day in self._days_from(self._local_date(start) + timedelta(days=1)):
            intervals = self._intervals(day)
            if intervals:
                counted += 1
                if counted == days:
                    return intervals[-1][1]
        raise AssertionError("unreachable: _days_from raises first")

    def add(self, start: datetime, span: Span) -> datetime:
        match span.unit:
            case SpanUnit.MINUTES:
                return _utc(start) + timedelta(minutes=span.amount)
            case SpanUnit.BUSINESS_MINUTES:
                return self.add_business_minutes(start, span.amount)
            case SpanUnit.BUSINESS_DAYS:
                return self.add_business_days(start, span.amount)

    def _local_date(self, at: datetime) -> date:
        return _utc(at).astimezone(self.timezone).date()

    def _intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        # Converting each local bound to UTC before any arithmetic makes durations real elapsed time across
        # a DST change (aware datetimes in one zone subtract as wall time).
        return [
            (self._instant(day, opens), self._instant(day, closes)) for opens, closes in self.hours_on(day)
        ]

    def _instant(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.timezone).astimezone(UTC)

    def _days_from(self, first: date) -> Iterable[date]:
        for offset in range(_MAX_DAYS_SEARCHED):
            yield first + timedelta(days=offset)
        raise ValueError("the business calendar has no working time in the next ten years")


def _check_intervals(intervals: Hours) -> None:
    previous_close: time | None = None
    for opens, closes in intervals:
        if not opens < closes:
            raise ValueError(f"an open interval must end after it starts ({opens}-{closes})")
        if previous_close is not None and opens < previous_close:
            raise ValueError("a day's open intervals must be in order and must not overlap")
        previous_close = closes


class DueTimes(NamedTuple):
    respond_by: datetime
    resolve_by: datetime


def due_times(
    priority: Priority, created_at: datetime, targets: SlaTargets, calendar: BusinessCalendar
) -> DueTimes:
    """When a ticket filed at ``created_at`` must be accepted and resolved (UTC).

    Emergencies ignore the calendar: a business span of theirs counts as wall-clock time (a day as 24 hours).
    """
    target = targets.get(priority, DEFAULT_TARGETS[priority])
    if priority is Priority.EMERGENCY:
        return DueTimes(_wall_clock(created_at, target.respond), _wall_clock(created_at, target.resolve))
    return DueTimes(calendar.add(created_at, target.respond), calendar.add(created_at, target.resolve))


def _wall_clock(start: datetime, span: Span) -> datetime:
    per_unit = timedelta(days=1) if span.unit is SpanUnit.BUSINESS_DAYS else timedelta(minutes=1)
    return _utc(start) + span.amount * per_unit


class Target(StrEnum):
    RESPONSE = "response"
    RESOLUTION = "resolution"


@dataclass(frozen=True, slots=True)
class SlaClock:
    """A ticket's SLA-relevant instants; ``cancelled_at`` stops the clocks (nothing is breached later)."""

    respond_by: datetime
    resolve_by: datetime
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None
    cancelled_at: datetime | None = None


def sla_status(clock: SlaClock, now: datetime) -> frozenset[Target]:
    """The targets breached as of ``now``: reached after the deadline, or not reached and past it.

    Reaching a target exactly at its deadline meets it.
    """
    until = _utc(now) if clock.cancelled_at is None else min(_utc(now), _utc(clock.cancelled_at))
    breached: set[Target] = set()
    if _missed(clock.respond_by, clock.accepted_at, until):
        breached.add(Target.RESPONSE)
    if _missed(clock.resolve_by, clock.resolved_at, until):
        breached.add(Target.RESOLUTION)
    return frozenset(breached)


def new_breaches(clock: SlaClock, now: datetime, already_marked: Iterable[Target] = ()) -> frozenset[Target]:
    """The breaches a scheduled job should mark (and announce) now: breached and not marked before."""
    return sla_status(clock, now) - frozenset(already_marked)


def _missed(deadline: datetime, reached_at: datetime | None, until: datetime) -> bool:
    if reached_at is not None and _utc(reached_at) <= until:
        return _utc(reached_at) > _utc(deadline)
    return until > _utc(deadline)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware value")
    return at.astimezone(UTC)
