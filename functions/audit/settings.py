"""The audit export function's environment, read once per cold start."""

from __future__ import annotations

from functools import lru_cache

from courtyard.settings import FunctionSettings


class AuditSettings(FunctionSettings):
    audit_table_arn: str
    # The Object Lock (compliance mode) bucket the day's records are exported to.
    audit_archive_bucket: str


@lru_cache(maxsize=1)
def settings() -> AuditSettings:
    return AuditSettings.from_environment()
