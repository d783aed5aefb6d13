"""When a bill is due, pure: the period's due day, unless the bill is issued after it.

A bill issued on or before its period's due day is due that day (``2026-03`` with due day 15: 2026-03-15).
A bill issued later (a run for a past period, a unit added mid-month) would be born overdue and chased at
once; it is due ``grace_days`` after the day it was issued instead (the firm's ``late_issue_grace_days``
setting, default 15), so the resident always gets the same time to pay and the reminder ladder and the late
fee count from that date.
"""

from __future__ import annotations

from datetime import date, timedelta

from payments import fees

DEFAULT_LATE_ISSUE_GRACE_DAYS = 15


def due_date(period: str, due_day: int, issued_on: date, grace_days: int) -> date:
    """The due date of a bill of ``period`` issued on ``issued_on`` (the firm's local date)."""
    period_due = fees.due_date(period, due_day)
    if issued_on <= period_due:
        return period_due
    return issued_on + timedelta(days=grace_days)
