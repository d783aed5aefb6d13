"""The duty roster's rule: shifts on the firm's calendar (holidays, make-up workdays), night shifts that
cross midnight, and the manual override beside the roster."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from courtyard.directory import StaffView, StaffZoneView
from courtyard.duty import DutyCalendar, RosterLine, calendar_of, rostered, shift_at
from courtyard.on_duty import on_duty

# National Day 2026: 1-7 October are holidays; Saturday 10 October is a make-up workday.
NATIONAL_DAY = DutyCalendar(
    holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
    workdays=frozenset({date(2026, 10, 10)}),
)
ROSTER = (
    RosterLine("guard-day", "day", "every"),
    RosterLine("guard-night", "night", "every"),
    RosterLine("tech-workday-night", "night", "workday"),
    RosterLine("tech-holiday-night", "night", "holiday"),
    RosterLine("tech-workday-day", "day", "workday"),
)


def local(text: str) -> datetime:
    """A Beijing wall-clock time as UTC (the firm's zone is Asia/Shanghai, UTC+8)."""
    naive = datetime.fromisoformat(text)
    return naive.replace(tzinfo=UTC) - (datetime(2000, 1, 1, 8) - datetime(2000, 1, 1))


def names(at: datetime, calendar: DutyCalendar = NATIONAL_DAY) -> list[str]:
    return sorted(line.staff_id for line in rostered(ROSTER, calendar, at))


def test_three_in_the_morning_on_a_holiday_is_the_holiday_night_shift():
    assert names(local("2026-10-03T03:00")) == ["guard-night", "tech-holiday-night"]


def test_a_night_shift_belongs_to_the_day_it_started():
    # 03:00 on 8 October (a workday) is still the night that began on 7 October, a holiday.
    shift = shift_at(NATIONAL_DAY, local("2026-10-08T03:00"))
    assert (shift.shift, shift.starts_on, shift.day_kind) == ("night", date(2026, 10, 7), "holiday")
    assert names(local("2026-10-08T03:00")) == ["guard-night", "tech-holiday-night"]
    assert names(local("2026-10-08T21:00")) == ["guard-night", "tech-workday-night"]


def test_a_make_up_saturday_is_a_workday_and_an_ordinary_saturday_a_holiday():
    assert names(local("2026-10-10T10:00")) == ["guard-day", "tech-workday-day"]
    assert names(local("2026-10-17T10:00")) == ["guard-day"]


def test_a_weekday_day_shift_runs_from_day_start_to_night_start():
    assert names(local("2026-10-12T07:59")) == ["guard-night", "tech-holiday-night"]  # Sunday's night
    assert names(local("2026-10-12T08:00")) == ["guard-day", "tech-workday-day"]
    assert names(local("2026-10-12T19:59")) == ["guard-day", "tech-workday-day"]
    assert names(local("2026-10-12T20:00")) == ["guard-night", "tech-workday-night"]


def test_shift_bounds_are_reported_in_utc():
    shift = shift_at(NATIONAL_DAY, local("2026-10-03T03:00"))
    assert shift.starts_at.astimezone(UTC) == datetime(2026, 10, 2, 12, 0, tzinfo=UTC)
    assert shift.ends_at.astimezone(UTC) == datetime(2026, 10, 3, 0, 0, tzinfo=UTC)


def test_the_calendar_item_round_trips_with_defaults():
    calendar = calendar_of({"holidays": ["2026-10-01"], "night_starts": "21:30"}, "Asia/Shanghai")
    assert calendar.day_kind(date(2026, 10, 1)) == "holiday"
    assert calendar.night_starts.hour == 21
    assert calendar.day_starts.hour == 8
    assert calendar.ladder_step_minutes == 2
    assert calendar_of({}, "UTC").holidays == frozenset()


class Directory:
    def __init__(self, staff: list[StaffView], lines: tuple[RosterLine, ...]) -> None:
        self.staff, self.lines = staff, lines

    def staff_members(self, tenant_id: str) -> list[StaffView]:
        return self.staff

    def duty_calendar(self, tenant_id: str) -> DutyCalendar:
        return NATIONAL_DAY

    def duty_roster(self, tenant_id: str, site_id: str) -> tuple[RosterLine, ...]:
        return self.lines if site_id == "S1" else ()


def person(staff_id: str, *, on_duty: bool = False, active: bool = True, site: str = "S1") -> StaffView:
    return StaffView(
        staff_id=staff_id,
        user_id=None,
        name=staff_id,
        roles=frozenset({"guard"}),
        skills=frozenset(),
        zones=(StaffZoneView(site),),
        on_duty=on_duty,
        active=active,
    )


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        (person("guard-night"), [("guard-night", "roster")]),
        (person("guard-day"), []),
        (person("guard-day", on_duty=True), [("guard-day", "manual")]),
        (person("guard-day", on_duty=True, site="S2"), []),
        (person("guard-night", active=False), []),
    ],
)
def test_on_duty_is_the_roster_plus_the_manual_flag_of_active_staff_serving_the_site(member, expected):
    directory = Directory([member], ROSTER)
    found = on_duty(directory, "T1", "S1", local("2026-10-03T03:00"))
    assert [(v.staff.staff_id, v.source) for v in found] == expected
