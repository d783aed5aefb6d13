"""A resident's export of their personal data (PIPL art. 45, issue 17): ask, follow, download.

- ``start``: the person themself (never assisted mode, never staff: their record is GET /me/export). At most
  one export runs per person: a request while one runs (younger than ``FAIL_AFTER``) answers it; the same
  Idempotency-Key answers the export it started. A new export writes the directory's part, then publishes
  ``PersonalDataExportRequested`` so every feature writes its own; a job whose event did not go out (a
  failure between the two) is published again by the next request.
- ``progress``: the parts done and pending; once all are there, they are merged once (export.json and
  export.zip stored beside the parts) and the answer carries presigned GET links of five minutes. Another
  person's or firm's export id is a 404. Each answer with links is audited as a download.
- A part that does not come (its event never reached a feature): the first reader after ``RETRY_AFTER``
  sends the request again, once (each feature rewrites its own part, so one that already wrote loses
  nothing); after ``FAIL_AFTER`` the export is ``failed``, the app says so with a retry button, and the next
  request starts a new one. Decided when the export is read (the only way anyone sees it), so no sweeper is
  needed; an export nobody reads again expires with its records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from courtyard.audit import AuditLog
from courtyard.clock import Clock, epoch, parse_iso, to_iso
from courtyard.errors import Forbidden, NotFound
from courtyard.events import DomainEvent
from courtyard.ids import new_id
from courtyard.personal_export import (
    FEATURES,
    MERGED_JSON,
    MERGED_ZIP,
    PartWriter,
    export_prefix,
    part_key,
)
from courtyard.tenancy import Role, TenantContext
from directory.exports.directory_part import DirectoryPart
from directory.exports.merge import document_bytes, merged_document, valid_part, zipped
from directory.exports.models import Downloads, ExportJob, ExportProgress, ExportStatus
from directory.exports.repository import RaceLost
from schemas.events import PersonalDataExportRequested

RETRY_AFTER = timedelta(minutes=5)  # parts normally come within seconds; SQS retries take a few minutes
FAIL_AFTER = timedelta(minutes=15)  # then the export is failed and no longer blocks a new one
KEEP_DAYS = 7  # the bucket's lifecycle expiry (template.yaml ExportBucket) and the job's TTL
LINK_SECONDS = 300


class Jobs(Protocol):
    def get(self, tenant_id: str, export_id: str) -> ExportJob | None: ...
    def latest(self, tenant_id: str, resident_id: str) -> str | None: ...
    def claimed(self, tenant_id: str, resident_id: str, key_digest: str) -> str | None: ...
    def create(
        self, job: ExportJob, previous: str | None, key_digest: str | None, expires_at: int
    ) -> None: ...
    def mark_published(self, tenant_id: str, export_id: str) -> None: ...
    def mark_ready(self, tenant_id: str, export_id: str, at: str) -> ExportJob: ...
    def mark_retried(self, tenant_id: str, export_id: str) -> bool: ...
    def mark_failed(self, tenant_id: str, export_id: str) -> tuple[ExportJob, bool]: ...


class Files(Protocol):
    def put(self, key: str, body: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes | None: ...
    def names(self, prefix: str) -> set[str]: ...
    def link(self, key: str, filename: str, expires_in: int) -> str: ...


class Publisher(Protocol):
    def publish_many(self, events: Sequence[tuple[str, DomainEvent]]) -> None: ...


class DirectoryParts(Protocol):
    def read(self, ctx: TenantContext) -> DirectoryPart: ...


class ExportService:
    def __init__(
        self,
        jobs: Jobs,
        files: Files,
        directory: DirectoryParts,
        audit: AuditLog,
        events: Publisher,
        clock: Clock,
    ) -> None:
        self._jobs = jobs
        self._files = files
        self._directory = directory
        self._audit = audit
        self._events = events
        self._clock = clock

    def start(self, ctx: TenantContext, idempotency_key: str | None) -> tuple[ExportProgress, bool]:
        """(the export, whether it is new): a new one, or the one running or started with this key."""
        if ctx.on_behalf_of is not None:
            raise Forbidden("assisted mode never exports a person's data; the person does it themself")
        if ctx.is_staff or not ctx.has_role(Role.RESIDENT):
            raise Forbidden("this export is a resident's; staff records are in GET /me/export")
        part = self._directory.read(ctx)
        t, now = ctx.tenant_id, self._clock.now()
        digest = _key_digest(ctx.user_id, idempotency_key)
        if digest is not None:
            claimed = self._jobs.claimed(t, part.resident_id, digest)
            if claimed is not None:
                return self._answer(ctx, claimed, part), False
        previous = self._jobs.latest(t, part.resident_id)
        running = self._jobs.get(t, previous) if previous else None
        if running is not None and self._still_running(running, now):
            return self._answer(ctx, running.export_id, part), False
        job = ExportJob(
            tenant_id=t,
            export_id=new_id(),
            resident_id=part.resident_id,
            user_id=part.user_id,
            requested_at=to_iso(now),
            status=ExportStatus.RUNNING,
        )
        try:
            self._jobs.create(job, previous, digest, epoch(now + timedelta(days=KEEP_DAYS)))
        except RaceLost:
            # Another request of the person won: answer the export it started.
            winner = (digest and self._jobs.claimed(t, part.resident_id, digest)) or self._jobs.latest(
                t, part.resident_id
            )
            if winner is None:
                raise
            return self._answer(ctx, winner, part), False
        self._audit.record(
            ctx, "request_personal_data_export", "export", job.export_id, {"resident_id": part.resident_id}
        )
        self._publish(job, part)
        return self.progress(ctx, job.export_id), True

    def progress(self, ctx: TenantContext, export_id: str) -> ExportProgress:
        """The export's parts; once all are there, merged (once) and with links, each answer audited."""
        job = self._own_job(ctx, export_id)
        prefix = export_prefix(job.tenant_id, job.export_id)
        names = self._files.names(prefix)
        if job.status is not ExportStatus.READY:
            parts = self._valid_parts(job, names)
            done = tuple(f for f in FEATURES if f in parts)
            pending = tuple(f for f in FEATURES if f not in parts)
            if pending:
                return ExportProgress(self._overdue(ctx, job), done, pending)
            if job.status is ExportStatus.FAILED:
                return ExportProgress(job, done, pending)  # failed is final: a new request starts anew
            job = self._merge(job, parts)
        elif MERGED_ZIP not in names:  # expired under a ready job: nothing left to hand out
            raise NotFound("export")
        links = self._links(job)
        # Every answer carrying links is a download handed out (the same key's POST after it is ready too).
        self._audit.record(
            ctx, "download_personal_data_export", "export", job.export_id, {"files": ["json", "zip"]}
        )
        return ExportProgress(job, FEATURES, (), links)

    # ------------------------------------------------------------ helpers

    def _answer(self, ctx: TenantContext, export_id: str, part: DirectoryPart) -> ExportProgress:
        job = self._own_job(ctx, export_id)
        if not job.published:
            self._publish(job, part)
        return self.progress(ctx, export_id)

    def _overdue(self, ctx: TenantContext, job: ExportJob) -> ExportJob:
        """A running export still missing parts: sent again once after RETRY_AFTER, failed after
        FAIL_AFTER."""
        if job.status is not ExportStatus.RUNNING:
            return job
        age = self._clock.now() - parse_iso(job.requested_at)
        if age >= FAIL_AFTER:
            failed, changed = self._jobs.mark_failed(job.tenant_id, job.export_id)
            if changed:
                self._audit.record(ctx, "personal_data_export_failed", "export", job.export_id, {})
            return failed
        retry_due = age >= RETRY_AFTER and job.published and not job.retried
        if retry_due and self._jobs.mark_retried(job.tenant_id, job.export_id):
            self._publish(job, self._directory.read(ctx))
        return job

    def _publish(self, job: ExportJob, part: DirectoryPart) -> None:
        """The directory's part first (the same object again on a retry), then the event for the others."""
        PartWriter(self._files, "directory").write(job.tenant_id, job.export_id, self._clock.now(), part.data)
        self._events.publish_many(
            [
                (
                    "PersonalDataExportRequested",
                    PersonalDataExportRequested(
                        tenant_id=job.tenant_id,
                        export_id=job.export_id,
                        resident_id=job.resident_id,
                        user_id=job.user_id,
                        links=part.links,
                        occurred_at=self._clock.now(),
                    ),
                )
            ]
        )
        self._jobs.mark_published(job.tenant_id, job.export_id)

    def _own_job(self, ctx: TenantContext, export_id: str) -> ExportJob:
        """The caller's own export; anything else (another person's, another firm's, none) is a 404."""
        try:
            export_prefix(ctx.tenant_id, export_id)
        except ValueError:
            raise NotFound("export") from None
        job = self._jobs.get(ctx.tenant_id, export_id)
        if job is None or job.user_id != ctx.user_id or ctx.on_behalf_of is not None:
            raise NotFound("export")
        return job

    def _still_running(self, job: ExportJob, now: datetime) -> bool:
        return job.status is ExportStatus.RUNNING and parse_iso(job.requested_at) > now - FAIL_AFTER

    def _valid_parts(self, job: ExportJob, names: set[str]) -> dict[str, dict[str, Any]]:
        parts: dict[str, dict[str, Any]] = {}
        for feature in FEATURES:
            if f"{feature}.json" not in names:
                continue
            raw = self._files.get(part_key(job.tenant_id, job.export_id, feature))
            document = valid_part(raw, job.tenant_id, job.export_id, feature)
            if document is not None:
                parts[feature] = document
        return parts

    def _merge(self, job: ExportJob, parts: dict[str, dict[str, Any]]) -> ExportJob:
        """Merge once: the ZIP is written last, so its presence means both files are there."""
        document = document_bytes(merged_document(job.tenant_id, job.export_id, job.requested_at, parts))
        prefix = export_prefix(job.tenant_id, job.export_id)
        self._files.put(prefix + MERGED_JSON, document, "application/json")
        self._files.put(prefix + MERGED_ZIP, zipped(document), "application/zip")
        return self._jobs.mark_ready(job.tenant_id, job.export_id, to_iso(self._clock.now()))

    def _links(self, job: ExportJob) -> Downloads:
        prefix = export_prefix(job.tenant_id, job.export_id)
        name = f"courtyard-export-{job.requested_at[:10]}"
        return Downloads(
            json_url=self._files.link(prefix + MERGED_JSON, f"{name}.json", LINK_SECONDS),
            zip_url=self._files.link(prefix + MERGED_ZIP, f"{name}.zip", LINK_SECONDS),
            expires_at=to_iso(self._clock.now() + timedelta(seconds=LINK_SECONDS)),
        )


def _key_digest(user_id: str, key: str | None) -> str | None:
    if key is None:
        return None
    return hashlib.sha256(f"{user_id}\n{key}".encode()).hexdigest()[:40]
