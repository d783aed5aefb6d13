"""The visit log as people read it: the day a manager asks for, and the CSV file they download."""

from __future__ import annotations

import csv
import io
import re
from calendar import month_name, monthrange
from collections.abc import Sequence
from datetime import date
from typing import Any

from courtyard.clock import to_iso
from courtyard.errors import Invalid
from visitors.models import EntryRecord

# Strictly four, two and two ASCII digits (\d would also take full-width and other scripts' digits).
_DAY_SHAPE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
CSV_COLUMNS = (
    "scanned_at", "gate_id", "direction", "verdict", "reason", "pass_id", "visitor_name", "unit",
    "entry_number", "plate", "offline", "overuse", "flags",
)  # fmt: skip


def calendar_day(day: str) -> str:
    """``day`` as an ISO date; a well-formed day the calendar does not have (2026-02-30) is told apart from
    a malformed one, so the caller fixes the day rather than the format."""
    shape = _DAY_SHAPE.fullmatch(day)
    if shape is None:
        raise Invalid("date must be YYYY-MM-DD")
    year, month, day_of_month = (int(part) for part in shape.groups())
    if not 1 <= month <= 12:
        raise Invalid(f"date {day} does not exist: there is no month {month}")
    if year < 1:
        raise Invalid(f"date {day} does not exist: there is no year 0")
    days_in_month = monthrange(year, month)[1]
    if not 1 <= day_of_month <= days_in_month:
        raise Invalid(f"date {day} does not exist: {month_name[month]} {year} has {days_in_month} days")
    return date(year, month, day_of_month).isoformat()


def visits_csv(entries: Sequence[EntryRecord]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        row: list[Any] = [
            to_iso(e.scanned_at), e.gate_id, e.direction.value, e.verdict.value,
            e.reason.value if e.reason else "", e.pass_id or "", e.visitor_name or "", e.unit_label or "",
            e.entry_number or "", e.plate_masked or "", "yes" if e.offline else "",
            "yes" if e.overuse else "", " ".join(e.flags),
        ]  # fmt: skip
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    text = str(value)
    # A visitor name typed as "=HYPERLINK(...)" must stay text when a manager opens the file in a spreadsheet.
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text
