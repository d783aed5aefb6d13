"""Ticket photo rules: who may attach photos, which files, how many, and when a photo counts as attached.

- Upload: the ticket's reporter, or a manager, service desk agent or technician of the tenant (technicians
  attach "after" photos), while the ticket is neither closed nor cancelled. Other staff who can see the ticket
  (finance, guards) get 403; anyone who cannot see it (a neighbour, another tenant) gets 404.
- Types: JPEG, PNG, WebP, HEIC; at most 10 MB; at most 9 photos per ticket, pending ones included (a
  reserved slot is not given back when its upload never comes: the limit is on attempts too).
- The upload is a presigned POST whose conditions S3 enforces (key, Content-Type, 1 byte to 10 MB); the
  server still checks the stored object (HeadObject) before attaching it: present, within the size limit and
  of the declared type. Confirming an attached photo again changes nothing and answers 200.
- Reads link each attached photo with a presigned GET valid for 5 minutes (signing is local: no AWS call).
- Photo changes are audited; they are not timeline entries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from courtyard.audit import AuditLog
from courtyard.clock import Clock
from courtyard.errors import Conflict, Forbidden, NotFound, Unprocessable
from courtyard.ids import new_id
from courtyard.tenancy import Role, TenantContext
from tickets.adapters.s3_photos import StoredObject, UploadForm
from tickets.domain import TicketStatus
from tickets.models import PhotoOut, Ticket
from tickets.repositories.photos import ATTACHED, PENDING, PhotoRecord
from tickets.services.tickets import STAFF_READERS

MAX_PHOTOS_PER_TICKET = 9
MAX_PHOTO_BYTES = 10 * 1024 * 1024
UPLOAD_EXPIRES_SECONDS = 600
VIEW_EXPIRES_SECONDS = 300
STAFF_UPLOADERS = (Role.MANAGER, Role.SERVICE_DESK, Role.TECHNICIAN)
_CLOSED = (TicketStatus.CLOSED, TicketStatus.CANCELLED)
_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


class PhotoType(StrEnum):
    JPEG = "image/jpeg"
    PNG = "image/png"
    WEBP = "image/webp"
    HEIC = "image/heic"


# ------------------------------------------------------------------ collaborators


class Tickets(Protocol):
    def get(self, tenant_id: str, ticket_id: str, *, consistent: bool = False) -> Ticket | None: ...


class Records(Protocol):
    def get(self, tenant_id: str, ticket_id: str, photo_id: str) -> PhotoRecord | None: ...
    def reserve(self, record: PhotoRecord, max_photos: int) -> None: ...
    def attach(self, record: PhotoRecord, size_bytes: int, version_id: str | None, at: datetime) -> None: ...


class Storage(Protocol):
    def upload_form(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> UploadForm: ...
    def stored(self, key: str) -> StoredObject | None: ...
    def view_url(self, key: str, expires_in: int, version_id: str | None = None) -> str: ...


@dataclass(frozen=True, slots=True)
class PhotoUpload:
    photo_id: str
    form: UploadForm
    max_bytes: int
    expires_in_seconds: int


@dataclass(frozen=True, slots=True)
class ConfirmedPhoto:
    record: PhotoRecord
    url: str
    already_attached: bool


# ------------------------------------------------------------------ service


class PhotoService:
    def __init__(
        self, tickets: Tickets, records: Records, storage: Storage, audit: AuditLog, clock: Clock
    ) -> None:
        self._tickets = tickets
        self._records = records
        self._storage = storage
        self._audit = audit
        self._clock = clock

    def start_upload(
        self, ctx: TenantContext, ticket_id: str, content_type: str, filename: str | None = None
    ) -> PhotoUpload:
        """Reserve a photo slot, record the pending photo and hand out the presigned POST for it."""
        ticket = self._ticket_for_upload(ctx, ticket_id)
        if content_type not in {t.value for t in PhotoType}:
            message = f"content_type must be one of {', '.join(t.value for t in PhotoType)}"
            raise Unprocessable(
                message, [{"loc": ["body", "content_type"], "type": "photo_type", "msg": message}]
            )
        if ticket.status in _CLOSED:
            raise Conflict(f"cannot add photos to a ticket that is {ticket.status}")
        if len(ticket.photos) >= MAX_PHOTOS_PER_TICKET:
            raise Conflict(f"a ticket takes at most {MAX_PHOTOS_PER_TICKET} photos")
        photo_id = new_id()
        record = PhotoRecord(
            tenant_id=ctx.tenant_id,
            ticket_id=ticket.ticket_id,
            photo_id=photo_id,
            status=PENDING,
            object_key=object_key(ctx.tenant_id, ticket.ticket_id, photo_id),
            content_type=content_type,
            uploaded_by=ctx.user_id,
            created_at=self._clock.now(),
            filename=filename,
        )
        self._records.reserve(record, MAX_PHOTOS_PER_TICKET)
        self._audit.record(
            ctx,
            "ticket.photo.upload",
            "ticket",
            ticket.ticket_id,
            {"photo_id": photo_id, "type": content_type},
        )
        form = self._storage.upload_form(
            record.object_key, content_type, MAX_PHOTO_BYTES, UPLOAD_EXPIRES_SECONDS
        )
        return PhotoUpload(photo_id, form, MAX_PHOTO_BYTES, UPLOAD_EXPIRES_SECONDS)

    def confirm(self, ctx: TenantContext, ticket_id: str, photo_id: str) -> ConfirmedPhoto:
        """Check the stored object and attach it to the ticket; a second confirmation is a no-op."""
        ticket = self._ticket_for_upload(ctx, ticket_id)
        record = self._records.get(ctx.tenant_id, ticket.ticket_id, _known(photo_id, "photo"))
        if record is None:
            raise NotFound("photo")
        if record.status == ATTACHED:
            return self._confirmed(record, already_attached=True)
        if ticket.status in _CLOSED:
            raise Conflict(f"cannot add photos to a ticket that is {ticket.status}")
        stored = self._storage.stored(record.object_key)
        problem = _problem(record, stored)
        if problem is not None or stored is None:
            reason = problem or "the photo has not been uploaded"
            raise Unprocessable(reason, [{"loc": ["photo"], "type": "photo_rejected", "msg": reason}])
        now = self._clock.now()
        try:
            self._records.attach(record, stored.size, stored.version_id, now)
        except Conflict:
            # A concurrent confirmation of the same photo won: answer as the repeat it is.
            again = self._records.get(ctx.tenant_id, ticket.ticket_id, photo_id)
            if again is not None and again.status == ATTACHED:
                return self._confirmed(again, already_attached=True)
            raise
        self._audit.record(
            ctx,
            "ticket.photo.attach",
            "ticket",
            ticket.ticket_id,
            {"photo_id": photo_id, "type": record.content_type, "bytes": stored.size},
        )
        attached = replace(
            record, status=ATTACHED, attached_at=now, size_bytes=stored.size, version_id=stored.version_id
        )
        return self._confirmed(attached, already_attached=False)

    def links(self, ticket: Ticket) -> list[PhotoOut]:
        """Short-lived links to a ticket's attached photos, for a caller already allowed to see it."""
        return [
            PhotoOut(
                photo_id=photo.photo_id,
                url=self._storage.view_url(photo.object_key, VIEW_EXPIRES_SECONDS, photo.version_id),
                content_type=photo.content_type,
            )
            for photo in ticket.photos
        ]

    def _confirmed(self, record: PhotoRecord, *, already_attached: bool) -> ConfirmedPhoto:
        url = self._storage.view_url(record.object_key, VIEW_EXPIRES_SECONDS, record.version_id)
        return ConfirmedPhoto(record, url, already_attached)

    def _ticket_for_upload(self, ctx: TenantContext, ticket_id: str) -> Ticket:
        ctx.require(*STAFF_READERS, Role.RESIDENT)
        ticket = self._tickets.get(ctx.tenant_id, _known(ticket_id, "ticket"), consistent=True)
        if ticket is None or not (ctx.is_staff or ticket.state.reporter_user_id == ctx.user_id):
            raise NotFound("ticket")
        if not (ctx.has_role(*STAFF_UPLOADERS) or ticket.state.reporter_user_id == ctx.user_id):
            raise Forbidden("only the reporter, or a manager, service desk agent or technician, adds photos")
        return ticket


def object_key(tenant_id: str, ticket_id: str, photo_id: str) -> str:
    return f"tickets/{tenant_id}/{ticket_id}/{photo_id}"


def _problem(record: PhotoRecord, stored: StoredObject | None) -> str | None:
    """Why the stored object cannot be attached, or None when it can."""
    if stored is None:
        return "the photo has not been uploaded"
    if stored.size < 1:
        return "the uploaded photo is empty"
    if stored.size > MAX_PHOTO_BYTES:
        return f"the photo is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB"
    declared = record.content_type.lower()
    actual = (stored.content_type or "").split(";")[0].strip().lower()
    if actual != declared:
        return f"the photo was stored as {actual or 'an unknown type'}, not the declared {declared}"
    return None


def _known(identifier: str, resource: str) -> str:
    if not _ID.fullmatch(identifier):
        raise NotFound(resource)
    return identifier


__all__ = ["MAX_PHOTOS_PER_TICKET", "MAX_PHOTO_BYTES", "PhotoService", "PhotoType", "PhotoUpload"]
