"""In-memory stand-ins for a personal-data export's collaborators: the export bucket and the directory's
export jobs (same Protocols as ``courtyard.personal_export.ExportBucket`` and ``directory.exports``'s
repository)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from directory.exports.models import ExportJob, ExportStatus
from directory.exports.repository import RaceLost


@dataclass
class InMemoryBucket:
    objects: dict[str, bytes] = field(default_factory=dict)
    puts: list[str] = field(default_factory=list)

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.objects[key] = body
        self.puts.append(key)

    def get(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def names(self, prefix: str) -> set[str]:
        return {k.removeprefix(prefix) for k in self.objects if k.startswith(prefix)}

    def link(self, key: str, filename: str, expires_in: int) -> str:
        return f"https://exports.example/{key}?filename={filename}&expires={expires_in}"


@dataclass
class InMemoryExportJobs:
    jobs: dict[tuple[str, str], ExportJob] = field(default_factory=dict)
    pointers: dict[tuple[str, str], str] = field(default_factory=dict)
    claims: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def get(self, tenant_id: str, export_id: str) -> ExportJob | None:
        return self.jobs.get((tenant_id, export_id))

    def latest(self, tenant_id: str, resident_id: str) -> str | None:
        return self.pointers.get((tenant_id, resident_id))

    def claimed(self, tenant_id: str, resident_id: str, key_digest: str) -> str | None:
        return self.claims.get((tenant_id, resident_id, key_digest))

    def create(self, job: ExportJob, previous: str | None, key_digest: str | None, expires_at: int) -> None:
        pointer = (job.tenant_id, job.resident_id)
        if self.pointers.get(pointer) != previous:
            raise RaceLost
        if key_digest is not None and (job.tenant_id, job.resident_id, key_digest) in self.claims:
            raise RaceLost
        self.jobs[(job.tenant_id, job.export_id)] = job
        self.pointers[pointer] = job.export_id
        if key_digest is not None:
            self.claims[(job.tenant_id, job.resident_id, key_digest)] = job.export_id

    def mark_published(self, tenant_id: str, export_id: str) -> None:
        job = self.jobs[(tenant_id, export_id)]
        self.jobs[(tenant_id, export_id)] = replace(job, published=True)

    def mark_retried(self, tenant_id: str, export_id: str) -> bool:
        job = self.jobs[(tenant_id, export_id)]
        if job.retried or job.status is not ExportStatus.RUNNING:
            return False
        self.jobs[(tenant_id, export_id)] = replace(job, retried=True)
        return True

    def mark_failed(self, tenant_id: str, export_id: str) -> tuple[ExportJob, bool]:
        job = self.jobs[(tenant_id, export_id)]
        if job.status is not ExportStatus.RUNNING:
            return job, False
        failed = replace(job, status=ExportStatus.FAILED)
        self.jobs[(tenant_id, export_id)] = failed
        return failed, True

    def mark_ready(self, tenant_id: str, export_id: str, at: str) -> ExportJob:
        job = self.jobs[(tenant_id, export_id)]
        ready = replace(job, status=ExportStatus.READY, ready_at=job.ready_at or at)
        self.jobs[(tenant_id, export_id)] = ready
        return ready
