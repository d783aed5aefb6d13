"""The tenant's payment settings (reminder ladder, quiet hours, grace of late-issued bills) as stored, with
the defaults filled in."""

from __future__ import annotations

from datetime import time
from typing import Any

from payments.due_dates import DEFAULT_LATE_ISSUE_GRACE_DAYS
from payments.reminders import DEFAULT_LADDER, DEFAULT_QUIET, Step


def ladder_of(stored: dict[str, Any] | None) -> tuple[Step, ...]:
    raw = (stored or {}).get("ladder")
    if not raw:
        return DEFAULT_LADDER
    return tuple(
        sorted(
            (Step(str(s["name"]), int(s["offset_days"]), bool(s.get("formal", False))) for s in raw),
            key=lambda s: s.offset_days,
        )
    )


def quiet_of(stored: dict[str, Any] | None) -> tuple[time, time]:
    values = stored or {}
    if not values.get("quiet_start") or not values.get("quiet_end"):
        return DEFAULT_QUIET
    return time.fromisoformat(str(values["quiet_start"])), time.fromisoformat(str(values["quiet_end"]))


def late_issue_grace_of(stored: dict[str, Any] | None) -> int:
    """Days a bill issued after its period's due day has to be paid (``payments.due_dates``)."""
    raw = (stored or {}).get("late_issue_grace_days")
    return DEFAULT_LATE_ISSUE_GRACE_DAYS if raw is None else int(raw)
