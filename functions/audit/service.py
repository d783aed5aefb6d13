"""Which slice of the audit trail goes to the archive, and where: yesterday (UTC), under its own date prefix.

The archive bucket is under Object Lock in compliance mode: once written, a day's export can be neither
changed nor deleted by anyone, the account's root included, until its retention ends. The audit table itself
accepts only new records (the writers' IAM policy), so the table and the archive together are append-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from courtyard.clock import Clock


class Exports(Protocol):
    def export_window(
        self, table_arn: str, bucket: str, prefix: str, start: datetime, end: datetime, token: str
    ) -> str: ...


@dataclass(frozen=True, slots=True)
class DailyExport:
    day: str
    prefix: str
    start: datetime
    end: datetime
    export_arn: str


class AuditExportService:
    def __init__(self, exports: Exports, table_arn: str, bucket: str, clock: Clock) -> None:
        self._exports = exports
        self._table_arn = table_arn
        self._bucket = bucket
        self._clock = clock

    def export_previous_day(self) -> DailyExport:
        start, end = previous_day(self._clock.now())
        day = start.strftime("%Y-%m-%d")
        prefix = f"audit/{start:%Y/%m/%d}"
        arn = self._exports.export_window(
            self._table_arn, self._bucket, prefix, start, end, token=f"audit-{day}"
        )
        return DailyExport(day=day, prefix=prefix, start=start, end=end, export_arn=arn)


def previous_day(now: datetime) -> tuple[datetime, datetime]:
    """[yesterday 00:00Z, today 00:00Z): whole UTC days, so runs neither overlap nor leave a gap."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=1), today
