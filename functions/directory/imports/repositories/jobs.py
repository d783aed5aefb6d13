"""Import job records in the directory table."""

from __future__ import annotations

from typing import Any

from courtyard.directory import Keys
from directory.imports.models import ImportJob, ImportStatus, ImportSummary
from directory.table import DirectoryTable


class ImportJobRepository:
    def __init__(self, table: DirectoryTable) -> None:
        self._table = table

    def create(self, job: ImportJob) -> None:
        self._table.put(_item(job), condition="attribute_not_exists(pk)")

    def get(self, tenant_id: str, import_id: str) -> ImportJob | None:
        item = self._table.get(Keys.import_job(tenant_id, import_id), consistent=True)
        return _job(item) if item else None

    def move(self, job: ImportJob, expected: ImportStatus, conflict: str) -> None:
        """Save ``job`` only if its stored status is still ``expected``: one transition, one worker."""
        values = _mutable_values(job)
        present = [name for name in _MUTABLE if values[name] is not None]
        absent = [name for name in _MUTABLE if values[name] is None]
        expression = "SET " + ", ".join(f"#{name} = :{name}" for name in present)
        if absent:
            expression += " REMOVE " + ", ".join(f"#{name}" for name in absent)
        self._table.update(
            Keys.import_job(job.tenant_id, job.import_id),
            expression,
            {f":{name}": values[name] for name in present} | {":expected": expected.value},
            names={f"#{name}": name for name in _MUTABLE},
            condition="#status = :expected",
            conflict=conflict,
        )

    def progress(self, job: ImportJob) -> None:
        """Record rows done so far; unconditional, the worker owns the job while committing."""
        self._table.update(
            Keys.import_job(job.tenant_id, job.import_id),
            "SET rows_done = :done",
            {":done": job.rows_done},
        )


_MUTABLE = (
    "status",
    "rows_total",
    "rows_valid",
    "rows_done",
    "errors_count",
    "errors",
    "fingerprint",
    "failure",
    "summary",
    "validated_at",
    "committed_at",
)


def _mutable_values(job: ImportJob) -> dict[str, Any]:
    return {
        "status": job.status.value,
        "rows_total": job.rows_total,
        "rows_valid": job.rows_valid,
        "rows_done": job.rows_done,
        "errors_count": job.errors_count,
        "errors": job.errors,
        "fingerprint": job.fingerprint,
        "failure": job.failure,
        "summary": job.summary.as_dict(),
        "validated_at": job.validated_at,
        "committed_at": job.committed_at,
    }


def _item(job: ImportJob) -> dict[str, Any]:
    return {
        **Keys.import_job(job.tenant_id, job.import_id),
        "tenant_id": job.tenant_id,
        "import_id": job.import_id,
        "site_id": job.site_id,
        "filename": job.filename,
        "content_type": job.content_type,
        "created_by": job.created_by,
        "created_at": job.created_at,
        "object_key": job.object_key,
        **{k: v for k, v in _mutable_values(job).items() if v is not None},
    }


def _job(item: dict[str, Any]) -> ImportJob:
    return ImportJob(
        tenant_id=str(item["tenant_id"]),
        import_id=str(item["import_id"]),
        site_id=str(item["site_id"]),
        filename=str(item["filename"]),
        content_type=str(item["content_type"]),
        status=ImportStatus(item["status"]),
        created_by=str(item["created_by"]),
        created_at=str(item["created_at"]),
        object_key=str(item["object_key"]),
        rows_total=int(item.get("rows_total", 0)),
        rows_valid=int(item.get("rows_valid", 0)),
        rows_done=int(item.get("rows_done", 0)),
        errors_count=int(item.get("errors_count", 0)),
        errors=[
            {k: (int(v) if k == "line" else str(v)) for k, v in e.items()} for e in item.get("errors", [])
        ],
        fingerprint=item.get("fingerprint"),
        failure=item.get("failure"),
        summary=ImportSummary(**{k: int(v) for k, v in (item.get("summary") or {}).items()}),
        validated_at=item.get("validated_at"),
        committed_at=item.get("committed_at"),
    )
