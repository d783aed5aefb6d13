"""The duty items of the directory table: the firm's calendar and one roster item per community.

Keys (``courtyard.directory.Keys``): ``duty_calendar(t)`` and ``duty_roster(t, site)``; the kernel's
``DirectoryReader`` reads the same items for other features, so the item shape is parsed in
``courtyard.duty`` (``calendar_of``, ``roster_lines``) and written here.
"""

from __future__ import annotations

from datetime import datetime

from courtyard.clock import to_iso
from courtyard.directory import Keys
from directory.duty.models import DutyCalendarIn, RosterIn
from directory.table import DirectoryTable


class DutyRepository:
    def __init__(self, table: DirectoryTable) -> None:
        self._table = table

    def save_calendar(self, tenant_id: str, calendar: DutyCalendarIn, by: str, now: datetime) -> None:
        self._table.put(
            {
                **Keys.duty_calendar(tenant_id),
                "tenant_id": tenant_id,
                "holidays": sorted({d.isoformat() for d in calendar.holidays}),
                "workdays": sorted({d.isoformat() for d in calendar.workdays}),
                "day_starts": calendar.day_starts,
                "night_starts": calendar.night_starts,
                "ladder_step_minutes": calendar.ladder_step_minutes,
                "updated_by": by,
                "updated_at": to_iso(now),
            }
        )

    def save_roster(self, tenant_id: str, site_id: str, roster: RosterIn, by: str, now: datetime) -> None:
        self._table.put(
            {
                **Keys.duty_roster(tenant_id, site_id),
                "tenant_id": tenant_id,
                "site_id": site_id,
                "lines": [line.model_dump() for line in roster.lines],
                "updated_by": by,
                "updated_at": to_iso(now),
            }
        )
