"""Bulk import jobs: request and response shapes, and the job's lifecycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import Field

from courtyard.models import Model

CSV_TYPES = frozenset({"text/csv", "application/csv", "application/vnd.ms-excel", "text/plain"})
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_FILE_BYTES = 10 * 1024 * 1024
# Errors kept inline on the job; the full report (any size) is stored beside the uploaded file.
INLINE_ERRORS = 200


class ImportStatus(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"
    VALIDATING = "validating"
    VALIDATED = "validated"
    COMMITTING = "committing"
    COMMITTED = "committed"
    FAILED = "failed"


@dataclass
class ImportSummary:
    units_created: int = 0
    units_updated: int = 0
    units_unchanged: int = 0
    buildings_created: int = 0
    residents_created: int = 0
    residents_matched: int = 0
    links_created: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


@dataclass
class ImportJob:
    tenant_id: str
    import_id: str
    site_id: str
    filename: str
    content_type: str
    status: ImportStatus
    created_by: str
    created_at: str
    object_key: str
    rows_total: int = 0
    rows_valid: int = 0
    rows_done: int = 0
    errors_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    fingerprint: str | None = None
    failure: str | None = None
    summary: ImportSummary = field(default_factory=ImportSummary)
    validated_at: str | None = None
    committed_at: str | None = None


class ImportCreate(Model):
    site_id: str = Field(min_length=1, max_length=64)
    filename: str = Field(min_length=1, max_length=200)
    content_type: str = Field(min_length=1, max_length=200)


class UploadOut(Model):
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_in_seconds: int


class RowErrorOut(Model):
    line: int
    field: str
    code: str
    message: str


class ImportOut(Model):
    import_id: str
    site_id: str
    filename: str
    status: ImportStatus
    rows_total: int
    rows_valid: int
    rows_done: int
    errors_count: int
    errors: list[RowErrorOut]
    summary: dict[str, int]
    fingerprint: str | None
    failure: str | None
    created_at: str
    validated_at: str | None
    committed_at: str | None
    upload: UploadOut | None = None

    @classmethod
    def from_domain(cls, job: ImportJob, upload: UploadOut | None = None) -> ImportOut:
        return cls(
            import_id=job.import_id,
            site_id=job.site_id,
            filename=job.filename,
            status=job.status,
            rows_total=job.rows_total,
            rows_valid=job.rows_valid,
            rows_done=job.rows_done,
            errors_count=job.errors_count,
            errors=[RowErrorOut(**e) for e in job.errors],
            summary=job.summary.as_dict(),
            fingerprint=job.fingerprint,
            failure=job.failure,
            created_at=job.created_at,
            validated_at=job.validated_at,
            committed_at=job.committed_at,
            upload=upload,
        )
