"""Who is on duty at a community now, for every feature: the roster's rule (``courtyard.duty``) over the
directory's staff, roster and calendar (read through ``courtyard.directory``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from courtyard.directory import StaffView
from courtyard.duty import DutyCalendar, RosterLine, rostered


class DutyDirectory(Protocol):
    def staff_members(self, tenant_id: str) -> list[StaffView]: ...
    def duty_calendar(self, tenant_id: str) -> DutyCalendar: ...
    def duty_roster(self, tenant_id: str, site_id: str) -> tuple[RosterLine, ...]: ...


@dataclass(frozen=True, slots=True)
class OnDutyView:
    """A staff member on duty at a community: by the roster (``shift``) or by their manual flag."""

    staff: StaffView
    source: str  # "roster" | "manual"
    shift: str | None = None


def on_duty(directory: DutyDirectory, tenant_id: str, site_id: str, at: datetime) -> list[OnDutyView]:
    """Active staff rostered on the shift running at ``at``, and those who flagged themselves on duty by hand
    while serving the community (the manual override), in name order."""
    calendar = directory.duty_calendar(tenant_id)
    lines = rostered(directory.duty_roster(tenant_id, site_id), calendar, at)
    shift_of = {line.staff_id: line.shift for line in lines}
    found: list[OnDutyView] = []
    for member in directory.staff_members(tenant_id):
        if not member.active:
            continue
        if member.staff_id in shift_of:
            found.append(OnDutyView(member, "roster", shift_of[member.staff_id]))
        elif member.on_duty and any(zone.site_id == site_id for zone in member.zones):
            found.append(OnDutyView(member, "manual"))
    return sorted(found, key=lambda view: (view.staff.name, view.staff.staff_id))


class RosterDirectory(Protocol):
    def duty_calendar(self, tenant_id: str) -> DutyCalendar: ...
    def duty_roster(self, tenant_id: str, site_id: str) -> tuple[RosterLine, ...]: ...


def rostered_ids(directory: RosterDirectory, tenant_id: str, site_id: str, at: datetime) -> frozenset[str]:
    """The staff ids on the community's roster for the shift running at ``at`` (without the manual flag).

    The roster is read first: a community without one costs a single read and never the calendar's."""
    lines = directory.duty_roster(tenant_id, site_id)
    if not lines:
        return frozenset()
    return frozenset(line.staff_id for line in rostered(lines, directory.duty_calendar(tenant_id), at))
