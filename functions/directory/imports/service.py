"""Bulk import rules: a job goes awaiting_upload -> validating -> validated -> committing -> committed.

Validation is a dry run that reports every bad row; commit writes the good rows idempotently, so committing
the same file again (in this job or a new one) changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from courtyard.audit import AuditLog
from courtyard.clock import Clock, to_iso
from courtyard.errors import Conflict, NotFound, Unprocessable
from courtyard.events import DomainEvent
from courtyard.ids import new_id
from courtyard.tenancy import Role, TenantContext
from directory.imports.adapters.import_files import UPLOAD_EXPIRES_SECONDS
from directory.imports.models import (
    CSV_TYPES,
    INLINE_ERRORS,
    MAX_FILE_BYTES,
    XLSX_TYPE,
    ImportCreate,
    ImportJob,
    ImportStatus,
    ImportSummary,
    UploadOut,
)
from directory.imports.parse import ImportFileError, parse_file
from directory.imports.validate import ImportPlan, validate_rows

IMPORT_ROLES = (Role.MANAGER, Role.SERVICE_DESK)
PROGRESS_EVERY = 250
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class ImportCompleted(DomainEvent):
    import_id: str
    site_id: str
    units_created: int
    residents_created: int


class Jobs(Protocol):
    def create(self, job: ImportJob) -> None: ...
    def get(self, tenant_id: str, import_id: str) -> ImportJob | None: ...
    def move(self, job: ImportJob, expected: ImportStatus, conflict: str) -> None: ...
    def progress(self, job: ImportJob) -> None: ...


class Storage(Protocol):
    def upload_form(self, key: str, content_type: str, max_bytes: int) -> dict[str, Any]: ...
    def read(self, key: str, max_bytes: int) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def write_report(self, key: str, report: list[dict[str, Any]]) -> None: ...
    def enqueue(self, action: str, tenant_id: str, import_id: str) -> None: ...


class Sites(Protocol):
    def site_exists(self, tenant_id: str, site_id: str) -> bool: ...
    def building_codes(self, tenant_id: str, site_id: str) -> set[str]: ...


class People(Protocol):
    def names_by_phone(self, tenant_id: str, phones: set[str]) -> dict[str, str]: ...


class Writer(Protocol):
    def commit(
        self, tenant_id: str, site_id: str, plan: ImportPlan, progress: Callable[[int], None]
    ) -> ImportSummary: ...


class Events(Protocol):
    def publish(self, detail_type: str, detail: DomainEvent) -> object: ...


class ImportService:
    def __init__(
        self,
        jobs: Jobs,
        storage: Storage,
        sites: Sites,
        writer: Writer,
        audit: AuditLog,
        events: Events,
        clock: Clock,
        people: People,
    ) -> None:
        self._jobs = jobs
        self._storage = storage
        self._sites = sites
        self._people = people
        self._writer = writer
        self._audit = audit
        self._events = events
        self._clock = clock

    # ------------------------------------------------------------------ API side
    def create(self, ctx: TenantContext, request: ImportCreate) -> tuple[ImportJob, UploadOut]:
        ctx.require(*IMPORT_ROLES)
        content_type = request.content_type.split(";")[0].strip().lower()
        extension = request.filename.rsplit(".", 1)[-1].lower() if "." in request.filename else ""
        if content_type not in CSV_TYPES | {XLSX_TYPE} or extension not in {"csv", "xlsx", "txt"}:
            raise Unprocessable(
                "only CSV and XLSX files can be imported",
                details=[{"field": "content_type"}, {"field": "filename"}],
            )
        if not self._sites.site_exists(ctx.tenant_id, request.site_id):
            raise NotFound("site")
        import_id = new_id()
        safe_name = _SAFE_NAME.sub("_", request.filename)[-80:] or f"upload.{extension}"
        job = ImportJob(
            tenant_id=ctx.tenant_id,
            import_id=import_id,
            site_id=request.site_id,
            filename=request.filename,
            content_type=content_type,
            status=ImportStatus.AWAITING_UPLOAD,
            created_by=ctx.user_id,
            created_at=to_iso(self._clock.now()),
            object_key=f"imports/{ctx.tenant_id}/{import_id}/{safe_name}",
        )
        self._jobs.create(job)
        self._audit.record(ctx, "create", "import", import_id, {"site_id": request.site_id})
        form = self._storage.upload_form(job.object_key, content_type, MAX_FILE_BYTES)
        upload = UploadOut(
            url=str(form["url"]),
            fields={str(k): str(v) for k, v in form["fields"].items()},
            max_bytes=MAX_FILE_BYTES,
            expires_in_seconds=UPLOAD_EXPIRES_SECONDS,
        )
        return job, upload

    def get(self, ctx: TenantContext, import_id: str) -> ImportJob:
        ctx.require(*IMPORT_ROLES)
        job = self._jobs.get(ctx.tenant_id, import_id)
        if job is None:
            raise NotFound("import")
        return job

    def request_validation(self, ctx: TenantContext, import_id: str) -> ImportJob:
        """Start (or restart, after a new upload) the dry run in the background."""
        job = self.get(ctx, import_id)
        if job.status not in {ImportStatus.AWAITING_UPLOAD, ImportStatus.VALIDATED, ImportStatus.FAILED}:
            raise Conflict(f"the import is {job.status.value}")
        if not self._storage.exists(job.object_key):
            raise Unprocessable("upload the file first, with the form POST /imports returned")
        expected = job.status
        job.status = ImportStatus.VALIDATING
        job.failure = None
        self._jobs.move(job, expected, "the import changed meanwhile; read it again")
        self._storage.enqueue("validate", ctx.tenant_id, import_id)
        self._audit.record(ctx, "validate", "import", import_id)
        return job

    def request_commit(self, ctx: TenantContext, import_id: str) -> ImportJob:
        """Commit the validated good rows in the background; a committed import answers as it is."""
        job = self.get(ctx, import_id)
        if job.status in {ImportStatus.COMMITTING, ImportStatus.COMMITTED}:
            return job
        if job.status != ImportStatus.VALIDATED:
            raise Conflict(f"only a validated import can be committed; this one is {job.status.value}")
        if job.rows_valid == 0:
            raise Unprocessable("the file has no valid rows to commit")
        job.status = ImportStatus.COMMITTING
        job.rows_done = 0
        self._jobs.move(job, ImportStatus.VALIDATED, "the import changed meanwhile; read it again")
        self._storage.enqueue("commit", ctx.tenant_id, import_id)
        self._audit.record(ctx, "commit", "import", import_id)
        return job

    # ------------------------------------------------------------------ worker side
    def run(self, action: str, tenant_id: str, import_id: str) -> None:
        """Run one job; if the worker fails on it, the job says so (``failed`` with the reason) instead of
        staying ``validating`` or ``committing`` for ever. Only when even that cannot be recorded does the
        error propagate, so the message is retried."""
        if action not in ("validate", "commit"):
            raise ValueError(f"unknown import action {action!r}")
        try:
            if action == "validate":
                self.run_validation(tenant_id, import_id)
            else:
                self.run_commit(tenant_id, import_id)
        except Exception as error:
            if not self._fail_stuck_job(tenant_id, import_id, error):
                raise

    def _fail_stuck_job(self, tenant_id: str, import_id: str, error: Exception) -> bool:
        job = self._jobs.get(tenant_id, import_id)
        if job is None or job.status not in (ImportStatus.VALIDATING, ImportStatus.COMMITTING):
            return False
        expected = job.status
        job.status, job.failure = ImportStatus.FAILED, worker_failure(error)
        try:
            self._jobs.move(job, expected, "import changed while its worker failed")
        except Conflict:
            return False
        self._audit.record(
            None,
            "failed",
            "import",
            import_id,
            {"error": type(error).__name__},
            "system",
            tenant_id=tenant_id,
        )
        return True

    def run_validation(self, tenant_id: str, import_id: str) -> ImportJob | None:
        job = self._jobs.get(tenant_id, import_id)
        if job is None or job.status != ImportStatus.VALIDATING:
            return job  # a redelivered message for a job that moved on: nothing to do
        try:
            plan = self._plan(job)
        except (ImportFileError, Unprocessable) as error:
            job.status, job.failure = ImportStatus.FAILED, str(error)
            self._jobs.move(job, ImportStatus.VALIDATING, "import changed during validation")
            return job
        errors = [
            {"line": e.line, "field": e.field, "code": e.code.value, "message": e.message}
            for e in plan.errors
        ]
        if len(errors) > INLINE_ERRORS:
            self._storage.write_report(f"{job.object_key}.report.json", errors)
        job.rows_total, job.rows_valid = plan.rows_total, plan.rows_valid
        job.errors_count, job.errors = len(errors), errors[:INLINE_ERRORS]
        job.fingerprint = plan.fingerprint
        job.status = ImportStatus.VALIDATED
        job.validated_at = to_iso(self._clock.now())
        self._jobs.move(job, ImportStatus.VALIDATING, "import changed during validation")
        self._audit.record(
            None,
            "validated",
            "import",
            import_id,
            {"rows": plan.rows_total, "errors": len(errors)},
            "system",
            tenant_id=tenant_id,
        )
        return job

    def run_commit(self, tenant_id: str, import_id: str) -> ImportJob | None:
        job = self._jobs.get(tenant_id, import_id)
        if job is None or job.status != ImportStatus.COMMITTING:
            return job
        plan = self._plan(job)
        if plan.fingerprint != job.fingerprint:
            # The plan is judged again against today's directory: a phone number registered meanwhile
            # under another name changes it as surely as an edited file does.
            job.status, job.failure = (
                ImportStatus.FAILED,
                "the file or the residents on record changed after validation; validate it again",
            )
            self._jobs.move(job, ImportStatus.COMMITTING, "import changed during commit")
            return job

        def progress(done: int) -> None:
            job.rows_done = done
            self._jobs.progress(job)

        try:
            job.summary = self._writer.commit(tenant_id, job.site_id, plan, progress)
        except Unprocessable as refused:
            job.status, job.failure = ImportStatus.FAILED, refused.message
            self._jobs.move(job, ImportStatus.COMMITTING, "import changed during commit")
            return job
        job.rows_done = plan.rows_valid
        job.status = ImportStatus.COMMITTED
        job.committed_at = to_iso(self._clock.now())
        self._jobs.move(job, ImportStatus.COMMITTING, "import changed during commit")
        self._audit.record(
            None, "committed", "import", import_id, job.summary.as_dict(), "system", tenant_id=tenant_id
        )
        self._events.publish(
            "ImportCompleted",
            ImportCompleted(
                tenant_id=tenant_id,
                import_id=import_id,
                site_id=job.site_id,
                units_created=job.summary.units_created,
                residents_created=job.summary.residents_created,
            ),
        )
        return job

    def _plan(self, job: ImportJob) -> ImportPlan:
        data = self._storage.read(job.object_key, MAX_FILE_BYTES)
        parsed = parse_file(data, job.filename, job.content_type)
        known = self._sites.building_codes(job.tenant_id, job.site_id) or None
        return validate_rows(
            parsed.rows, known, lambda phones: self._people.names_by_phone(job.tenant_id, phones)
        )


def worker_failure(error: Exception) -> str:
    """The reason a job failed, for the people who started it: plain words, no internals."""
    if isinstance(error, MemoryError):
        return "the file needs more memory than an import may use; split it into smaller files"
    # Commits are idempotent, so starting again never doubles a unit or a person.
    return f"the import stopped on an internal error ({type(error).__name__}); validate the file again"
