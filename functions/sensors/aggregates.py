"""Hourly telemetry aggregates (min, max, sum, count per metric), accumulated in memory between flushes.

Raw readings are not stored. A warm ingest container adds each reading to its device's buffer and writes
the buffer as one additive update of the hour's item (sums and counts added, extremes kept), so flushes
from several containers, or from a container before and after a cold start, merge instead of overwriting.
Booleans count as 0/1 (the average of ``leak`` is the share of readings that saw water); words are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime


def hour_of(at: float) -> str:
    """``2026-03-10T02``: the UTC hour a reading at epoch ``at`` belongs to."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H")


@dataclass(slots=True)
class MetricTotals:
    count: int = 0
    total: float = 0.0
    low: float = float("inf")
    high: float = float("-inf")

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        if value < self.low:
            self.low = value
        if value > self.high:
            self.high = value

    @property
    def average(self) -> float | None:
        return self.total / self.count if self.count else None


@dataclass(slots=True)
class HourBuffer:
    """The readings of one device not yet written, by hour and metric."""

    hours: dict[str, dict[str, MetricTotals]] = field(default_factory=dict)
    readings: int = 0

    def add(self, at: float, metrics: Mapping[str, object]) -> None:
        hour: dict[str, MetricTotals] | None = None
        for name, value in metrics.items():
            if isinstance(value, bool):
                number = 1.0 if value else 0.0
            elif isinstance(value, int | float):
                number = float(value)
            else:
                continue
            if hour is None:
                hour = self.hours.setdefault(hour_of(at), {})
            totals = hour.get(name)
            if totals is None:
                totals = hour[name] = MetricTotals()
            totals.add(number)
        self.readings += 1

    def take(self) -> dict[str, dict[str, MetricTotals]]:
        """Everything buffered, emptied (the caller writes it)."""
        hours, self.hours, self.readings = self.hours, {}, 0
        return hours

    def take_before(self, hour: str) -> dict[str, dict[str, MetricTotals]]:
        """The hours before ``hour`` (finished), removed; the current hour stays buffered."""
        finished = {h: totals for h, totals in self.hours.items() if h < hour}
        for h in finished:
            del self.hours[h]
        if not self.hours:
            self.readings = 0
        return finished

    def __bool__(self) -> bool:
        return bool(self.hours)
