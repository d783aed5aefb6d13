"""The export's records and answers: an export job (who asked, when, whether it is merged) and progress."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import Field

from courtyard.models import Model


class ExportStatus(StrEnum):
    RUNNING = "running"  # parts are being written by the features
    READY = "ready"  # every part is there and merged: export.json and export.zip
    FAILED = "failed"  # a part never came, even after the request was sent again: the person starts anew


@dataclass(frozen=True, slots=True)
class ExportJob:
    tenant_id: str
    export_id: str
    resident_id: str
    user_id: str
    requested_at: str
    status: ExportStatus
    published: bool = False  # the event went out (a request finding an unpublished job sends it again)
    ready_at: str | None = None
    retried: bool = False  # the request was sent again once for the parts still missing


@dataclass(frozen=True, slots=True)
class Downloads:
    json_url: str
    zip_url: str
    expires_at: str


@dataclass(frozen=True, slots=True)
class ExportProgress:
    job: ExportJob
    done: tuple[str, ...]
    pending: tuple[str, ...]
    downloads: Downloads | None = None


class ExportPartOut(Model):
    feature: str = Field(description="directory | tickets | payments | visitors | notifications")
    done: bool


class ExportDownloadsOut(Model):
    json_url: str = Field(description="Presigned GET of the merged JSON document")
    zip_url: str = Field(description="Presigned GET of a ZIP holding the same document")
    expires_at: str = Field(description="When both links stop working (five minutes after this answer)")


class PersonalExportOut(Model):
    """One export of the caller's data: the parts done and pending; once all are, the download links."""

    export_id: str
    status: ExportStatus
    requested_at: str
    ready_at: str | None = None
    parts: list[ExportPartOut]
    downloads: ExportDownloadsOut | None = None

    @classmethod
    def from_domain(cls, progress: ExportProgress) -> PersonalExportOut:
        job = progress.job
        links = progress.downloads
        return cls(
            export_id=job.export_id,
            status=job.status,
            requested_at=job.requested_at,
            ready_at=job.ready_at,
            parts=[ExportPartOut(feature=f, done=True) for f in progress.done]
            + [ExportPartOut(feature=f, done=False) for f in progress.pending],
            downloads=ExportDownloadsOut(
                json_url=links.json_url, zip_url=links.zip_url, expires_at=links.expires_at
            )
            if links
            else None,
        )
