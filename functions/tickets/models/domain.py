"""Tickets' domain: the stored ticket and its records, as the services and the repositories pass them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tickets.domain import Category, TicketKind, TicketStatus
from tickets.lifecycle import TicketState


@dataclass(frozen=True, slots=True)
class Place:
    """Where the work is: a unit, or a common area (``location``) of a site."""

    site_id: str
    unit_id: str | None = None
    building_id: str | None = None
    location: str | None = None


@dataclass(frozen=True, slots=True)
class PhotoRef:
    """A confirmed photo, as listed on the ticket item (``photos``); the object's bytes live in S3."""

    photo_id: str
    object_key: str
    content_type: str
    # The S3 object version checked at confirmation (the bucket is versioned): links serve exactly it.
    version_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReturnVisit:
    """Staff called or visited the reporter after the work (``return_visit`` on the ticket item, once)."""

    by: str
    at: datetime
    note: str
    satisfied: bool | None = None


@dataclass(frozen=True, slots=True)
class QualityCheck:
    """Staff checked the work (``quality_check`` on the ticket item, once); residents never see it."""

    by: str
    at: datetime
    passed: bool
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Ticket:
    tenant_id: str
    ticket_id: str
    kind: TicketKind
    category: Category
    description: str | None
    place: Place
    state: TicketState
    skill: str
    respond_by: datetime
    resolve_by: datetime
    reporter_resident_id: str | None
    filed_by_user_id: str
    version: int
    updated_at: datetime
    # When the current assignee must have accepted (None unless assigned): re-dispatch after it.
    acceptance_due_at: datetime | None = None
    rating: int | None = None
    rating_comment: str | None = None
    rated_at: datetime | None = None
    photos: tuple[PhotoRef, ...] = ()
    # What the scheduled job keeps on the item (breaches marked, escalation time), carried through API saves.
    sla_breaches: tuple[str, ...] = ()
    escalated_at: str | None = None
    # Follow-up after resolution (tickets.services.followup), each recorded once and carried through every
    # save.
    return_visit: ReturnVisit | None = None
    quality_check: QualityCheck | None = None
    # The device and alarm of a work order an alarm opened (the sensors' device ledger follows them).
    device_id: str | None = None
    alarm_id: str | None = None

    @property
    def status(self) -> TicketStatus:
        return self.state.status


@dataclass(frozen=True, slots=True)
class TimelineRecord:
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str
    note: str | None = None
    assignee_staff_id: str | None = None


@dataclass(frozen=True, slots=True)
class Comment:
    comment_id: str
    at: datetime
    author_user_id: str
    by_staff: bool
    body: str
    internal: bool


@dataclass(frozen=True, slots=True)
class TicketHistory:
    ticket: Ticket
    timeline: list[TimelineRecord] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)


class Visibility(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
