"""The arrears reminder ladder, pure: which step a bill is due for today, and when to look at it next.

Default ladder: 3 days before the due date (``due_soon``), then 3, 15 and 30 days overdue, the last the formal
notice (催缴函). Each step at most once per bill. A bill found late (the job did not run for days) gets only
the latest step it has reached; earlier ones are passed over, never sent late. Quiet hours (default
21:00-08:00 in the tenant's timezone) defer a whole run: the next hourly run that is outside them sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    offset_days: int  # negative: before the due date
    formal: bool = False


DEFAULT_LADDER = (
    Step("due_soon", -3),
    Step("overdue_3", 3),
    Step("overdue_15", 15),
    Step("formal_notice", 30, formal=True),
)
DEFAULT_QUIET = (time(21, 0), time(8, 0))


def first_check(ladder: tuple[Step, ...], due: date) -> date | None:
    return due + timedelta(days=min(s.offset_days for s in ladder)) if ladder else None


def _reached(ladder: tuple[Step, ...], sent: tuple[str, ...]) -> int | None:
    offsets = [s.offset_days for s in ladder if s.name in sent]
    return max(offsets) if offsets else None


def due_step(ladder: tuple[Step, ...], due: date, today: date, sent: tuple[str, ...]) -> Step | None:
    """The latest step reached by ``today`` and beyond every step already sent; None if there is none."""
    reached = _reached(ladder, sent)
    candidates = [
        s
        for s in ladder
        if due + timedelta(days=s.offset_days) <= today and (reached is None or s.offset_days > reached)
    ]
    return max(candidates, key=lambda s: s.offset_days) if candidates else None


def next_check(ladder: tuple[Step, ...], due: date, sent: tuple[str, ...]) -> date | None:
    """The date of the next step after those sent; None once the ladder is done (it leaves the index)."""
    reached = _reached(ladder, sent)
    later = [s.offset_days for s in ladder if reached is None or s.offset_days > reached]
    return due + timedelta(days=min(later)) if later else None


def in_quiet_hours(local: time, quiet: tuple[time, time]) -> bool:
    start, end = quiet
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end
