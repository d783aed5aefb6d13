"""Time, injected: services take a ``Clock`` so tests drive time instead of sleeping; ISO-8601/epoch helpers.

Wire format: ``to_iso`` writes UTC with millisecond precision and a ``Z`` suffix
(``2026-01-02T03:04:05.678Z``). The fixed width makes string order equal time order, which sort keys
built from it (audit records, time-ordered lists) rely on; milliseconds keep events within one second apart.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


DEFAULT_FIXED_TIME = datetime(2026, 1, 1, tzinfo=UTC)


class FixedClock:
    """A clock that only moves when told to (tests, replays)."""

    def __init__(self, at: datetime | None = None) -> None:
        self._now = _require_aware(at) if at is not None else DEFAULT_FIXED_TIME

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        self._now = _require_aware(at)

    def advance(
        self, seconds: float = 0, *, minutes: float = 0, hours: float = 0, days: float = 0
    ) -> datetime:
        """Move forward (or back, with negative values) and return the new instant."""
        self._now += timedelta(seconds=seconds, minutes=minutes, hours=hours, days=days)
        return self._now


def to_iso(dt: datetime) -> str:
    """``2026-01-02T03:04:05.678Z``: UTC, millisecond precision (truncated), ``Z`` suffix."""
    utc = _require_aware(dt)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """Parse an ISO-8601 instant (``Z`` or an explicit offset) into an aware UTC datetime.

    A value without an offset is refused (ValueError): guessing its zone would silently shift it by hours.
    """
    dt = datetime.fromisoformat(text.strip())
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"timestamp without a timezone: {text!r}")
    return dt.astimezone(UTC)


def epoch(dt: datetime) -> int:
    """Whole epoch seconds (floor), the unit of DynamoDB TTL attributes."""
    return int(_require_aware(dt).timestamp() // 1)


def _require_aware(dt: datetime) -> datetime:
    # Naive datetimes are refused everywhere: Lambda runs in UTC but developers' machines do not, so a
    # naive value would mean different instants in different places.
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware value")
    return dt.astimezone(UTC)
