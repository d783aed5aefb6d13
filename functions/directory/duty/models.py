"""Duty roster requests and responses: the firm's calendar, a community's roster, who is on duty now."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from courtyard.clock import to_iso
from courtyard.duty import DutyCalendar, RosterLine, ShiftNow
from courtyard.models import Model
from courtyard.on_duty import OnDutyView

Hhmm = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["08:00"])]


class DutyCalendarIn(Model):
    """The firm's holidays and make-up workdays (China's official ones are entered by the firm each year)."""

    holidays: list[date] = Field(default_factory=list, max_length=400)
    workdays: list[date] = Field(default_factory=list, max_length=100, description="make-up workdays (调休)")
    day_starts: Hhmm = "08:00"
    night_starts: Hhmm = "20:00"
    ladder_step_minutes: int = Field(default=2, ge=1, le=30, description="the emergency ladder's step time")

    @field_validator("night_starts")
    @classmethod
    def _night_after_day(cls, night: str, info: ValidationInfo) -> str:
        day = info.data.get("day_starts")
        if day is not None and night <= day:
            raise ValueError("night_starts must be later than day_starts")
        return night


class DutyCalendarOut(DutyCalendarIn):
    @classmethod
    def from_domain(cls, calendar: DutyCalendar) -> DutyCalendarOut:
        return cls(
            holidays=sorted(calendar.holidays),
            workdays=sorted(calendar.workdays),
            day_starts=calendar.day_starts.strftime("%H:%M"),
            night_starts=calendar.night_starts.strftime("%H:%M"),
            ladder_step_minutes=calendar.ladder_step_minutes,
        )


class RosterLineIn(Model):
    staff_id: str = Field(min_length=1, max_length=64)
    shift: Literal["day", "night"]
    days: Literal["workday", "holiday", "every"] = "every"


class RosterIn(Model):
    """The community's whole roster (replaces the one before)."""

    lines: list[RosterLineIn] = Field(max_length=300)


class RosterLineOut(RosterLineIn):
    name: str


class RosterOut(Model):
    site_id: str
    lines: list[RosterLineOut]

    @classmethod
    def from_domain(cls, site_id: str, lines: tuple[RosterLine, ...], names: dict[str, str]) -> RosterOut:
        return cls(
            site_id=site_id,
            lines=[
                RosterLineOut(staff_id=x.staff_id, shift=x.shift, days=x.days, name=names.get(x.staff_id, ""))
                for x in lines
            ],
        )


class OnDutyStaffOut(Model):
    staff_id: str
    name: str
    roles: list[str]
    source: Literal["roster", "manual"]
    shift: Literal["day", "night"] | None = None


class ShiftOut(Model):
    shift: Literal["day", "night"]
    day_kind: Literal["workday", "holiday"]
    starts_at: str
    ends_at: str


class DutyNowOut(Model):
    site_id: str
    at: str
    shift: ShiftOut
    staff: list[OnDutyStaffOut]

    @classmethod
    def from_domain(cls, site_id: str, at: datetime, shift: ShiftNow, staff: list[OnDutyView]) -> DutyNowOut:
        return cls(
            site_id=site_id,
            at=to_iso(at),
            shift=ShiftOut(
                shift=shift.shift,
                day_kind=shift.day_kind,
                starts_at=to_iso(shift.starts_at),
                ends_at=to_iso(shift.ends_at),
            ),
            staff=[
                OnDutyStaffOut(
                    staff_id=v.staff.staff_id,
                    name=v.staff.name,
                    roles=sorted(v.staff.roles),
                    source="roster" if v.source == "roster" else "manual",
                    shift="day" if v.shift == "day" else "night" if v.shift == "night" else None,
                )
                for v in staff
            ],
        )
