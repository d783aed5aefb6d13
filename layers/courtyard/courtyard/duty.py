"""The duty roster's rule: who is on duty at an instant, from a community's shifts and the firm's calendar.

Pure (no AWS), in the kernel because the directory writes the roster and other features (the emergency
ladder in notifications) derive "on duty" from it; features never import each other.

- A day is a holiday when the firm lists it, or when it is a Saturday or Sunday the firm has not made a
  make-up workday (China's 调休: the official holidays and the weekends worked instead are entered by the
  firm each year).
- Two shifts a day: ``day`` from ``day_starts`` (08:00) to ``night_starts`` (20:00) local time, ``night`` from
  ``night_starts`` to the next ``day_starts``. A night shift belongs to the date it starts on: 03:00 on
  1 October is the night shift of 30 September, a workday or a holiday as that date is.
- A roster line puts a staff member on a shift for workdays, holidays or every day.
- The manual ``on_duty`` flag of a staff member (set by themself or a manager) still puts them on duty.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

ShiftKind = Literal["day", "night"]
DayKind = Literal["workday", "holiday"]
Days = Literal["workday", "holiday", "every"]

DEFAULT_DAY_STARTS = time(8, 0)
DEFAULT_NIGHT_STARTS = time(20, 0)
DEFAULT_LADDER_STEP_MINUTES = 2


@dataclass(frozen=True, slots=True)
class DutyCalendar:
    """The firm's calendar for rosters: holidays, make-up workdays, when shifts change, the ladder's step."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    day_starts: time = DEFAULT_DAY_STARTS
    night_starts: time = DEFAULT_NIGHT_STARTS
    timezone: str = "Asia/Shanghai"
    ladder_step_minutes: int = DEFAULT_LADDER_STEP_MINUTES

    def day_kind(self, day: date) -> DayKind:
        if day in self.holidays:
            return "holiday"
        if day.weekday() >= 5 and day not in self.workdays:
            return "holiday"
        return "workday"


@dataclass(frozen=True, slots=True)
class RosterLine:
    """One staff member on one shift of a community, on workdays, holidays or every day."""

    staff_id: str
    shift: ShiftKind
    days: Days = "every"


@dataclass(frozen=True, slots=True)
class ShiftNow:
    """The shift running at an instant: its kind, the local date it started on and that date's kind."""

    shift: ShiftKind
    starts_on: date
    day_kind: DayKind
    starts_at: datetime
    ends_at: datetime


def shift_at(calendar: DutyCalendar, at: datetime) -> ShiftNow:
    """The shift running at ``at`` (an aware datetime) in the firm's time zone."""
    zone = ZoneInfo(calendar.timezone)
    local = at.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    today = local.date()
    if calendar.day_starts <= clock < calendar.night_starts:
        kind: ShiftKind = "day"
        starts_on = today
    elif clock >= calendar.night_starts:
        kind, starts_on = "night", today
    else:
        kind, starts_on = "night", today - timedelta(days=1)
    if kind == "day":
        starts = datetime.combine(starts_on, calendar.day_starts, zone)
        ends = datetime.combine(starts_on, calendar.night_starts, zone)
    else:
        starts = datetime.combine(starts_on, calendar.night_starts, zone)
        ends = datetime.combine(starts_on + timedelta(days=1), calendar.day_starts, zone)
    return ShiftNow(kind, starts_on, calendar.day_kind(starts_on), starts, ends)


def rostered(lines: Iterable[RosterLine], calendar: DutyCalendar, at: datetime) -> list[RosterLine]:
    """The roster lines on duty at ``at``: the running shift, on the kind of day it started on."""
    now = shift_at(calendar, at)
    return [line for line in lines if line.shift == now.shift and line.days in (now.day_kind, "every")]


def calendar_of(item: dict[str, Any], timezone: str) -> DutyCalendar:
    """The calendar item (or ``{}``) as the kernel's ``DutyCalendar``; the directory writes this shape."""
    return DutyCalendar(
        holidays=frozenset(date.fromisoformat(str(d)) for d in item.get("holidays", ())),
        workdays=frozenset(date.fromisoformat(str(d)) for d in item.get("workdays", ())),
        day_starts=time.fromisoformat(str(item["day_starts"]))
        if item.get("day_starts")
        else DEFAULT_DAY_STARTS,
        night_starts=time.fromisoformat(str(item["night_starts"]))
        if item.get("night_starts")
        else DEFAULT_NIGHT_STARTS,
        timezone=timezone,
        ladder_step_minutes=int(item.get("ladder_step_minutes", DEFAULT_LADDER_STEP_MINUTES)),
    )


def roster_lines(item: dict[str, Any]) -> tuple[RosterLine, ...]:
    return tuple(
        RosterLine(staff_id=str(line["staff_id"]), shift=line["shift"], days=line.get("days", "every"))
        for line in item.get("lines", ())
    )
