"""Tickets' responses: what the API answers, mapped explicitly from the domain."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field

from courtyard.clock import to_iso
from courtyard.models import Model
from tickets.domain import Category, Priority, TicketKind, TicketStatus
from tickets.models.domain import Comment, QualityCheck, ReturnVisit, Ticket, TimelineRecord
from tickets.models.requests import TicketSettingsIn


def _iso(at: datetime | None) -> str | None:
    return to_iso(at) if at is not None else None


class PhotoOut(Model):
    photo_id: str
    url: str = Field(description="presigned GET, valid for a few minutes")
    content_type: str


class ReturnVisitOut(Model):
    by: str
    at: str
    note: str
    satisfied: bool | None

    @classmethod
    def from_domain(cls, visit: ReturnVisit) -> ReturnVisitOut:
        return cls(by=visit.by, at=to_iso(visit.at), note=visit.note, satisfied=visit.satisfied)


class QualityCheckOut(Model):
    by: str
    at: str
    passed: bool
    note: str | None

    @classmethod
    def from_domain(cls, check: QualityCheck) -> QualityCheckOut:
        return cls(by=check.by, at=to_iso(check.at), passed=check.passed, note=check.note)


class TicketOut(Model):
    ticket_id: str
    kind: TicketKind
    category: Category
    priority: Priority
    status: TicketStatus
    description: str | None
    site_id: str
    unit_id: str | None
    building_id: str | None
    location: str | None
    reporter_user_id: str
    assignee_staff_id: str | None
    reopen_count: int
    created_at: str
    updated_at: str
    respond_by: str
    resolve_by: str
    assigned_at: str | None
    accepted_at: str | None
    started_at: str | None
    resolved_at: str | None
    closed_at: str | None
    cancelled_at: str | None
    rating: int | None
    rating_comment: str | None
    version: int
    # Filled by GET /tickets/{ticket_id} only (short-lived links); null in lists and action replies.
    photos: list[PhotoOut] | None = None
    return_visit: ReturnVisitOut | None = None
    # Staff only: filled by GET /tickets/{ticket_id} and the follow-up routes for staff; never for residents.
    quality_check: QualityCheckOut | None = None
    # Staff only, GET /tickets/{ticket_id}: the reporter's name from the directory (services/reporter.py).
    reporter_name: str | None = None

    @classmethod
    def from_domain(
        cls, ticket: Ticket, photos: list[PhotoOut] | None = None, *, internal: bool = False
    ) -> TicketOut:
        """``internal``: the caller is staff, so the quality check is included."""
        state = ticket.state
        visit, check = ticket.return_visit, ticket.quality_check
        return cls(
            ticket_id=ticket.ticket_id,
            kind=ticket.kind,
            category=ticket.category,
            priority=state.priority,
            status=state.status,
            description=ticket.description,
            site_id=ticket.place.site_id,
            unit_id=ticket.place.unit_id,
            building_id=ticket.place.building_id,
            location=ticket.place.location,
            reporter_user_id=state.reporter_user_id,
            assignee_staff_id=state.assignee_staff_id,
            reopen_count=state.reopen_count,
            created_at=to_iso(state.created_at),
            updated_at=to_iso(ticket.updated_at),
            respond_by=to_iso(ticket.respond_by),
            resolve_by=to_iso(ticket.resolve_by),
            assigned_at=_iso(state.assigned_at),
            accepted_at=_iso(state.accepted_at),
            started_at=_iso(state.started_at),
            resolved_at=_iso(state.resolved_at),
            closed_at=_iso(state.closed_at),
            cancelled_at=_iso(state.cancelled_at),
            rating=ticket.rating,
            rating_comment=ticket.rating_comment,
            version=ticket.version,
            photos=photos,
            return_visit=ReturnVisitOut.from_domain(visit) if visit else None,
            quality_check=QualityCheckOut.from_domain(check) if check and internal else None,
        )


class TicketPageOut(Model):
    items: list[TicketOut]
    next_cursor: str | None = None


class TimelineEntryOut(Model):
    at: str
    actor: str
    action: str
    from_status: str | None
    to_status: str
    note: str | None
    assignee_staff_id: str | None

    @classmethod
    def from_domain(cls, entry: TimelineRecord) -> TimelineEntryOut:
        return cls(
            at=to_iso(entry.at),
            actor=entry.actor,
            action=entry.action,
            from_status=entry.from_status,
            to_status=entry.to_status,
            note=entry.note,
            assignee_staff_id=entry.assignee_staff_id,
        )


class CommentOut(Model):
    comment_id: str
    at: str
    author_user_id: str
    by_staff: bool
    body: str
    internal: bool

    @classmethod
    def from_domain(cls, comment: Comment) -> CommentOut:
        return cls(
            comment_id=comment.comment_id,
            at=to_iso(comment.at),
            author_user_id=comment.author_user_id,
            by_staff=comment.by_staff,
            body=comment.body,
            internal=comment.internal,
        )


class TimelineOut(Model):
    ticket_id: str
    status: TicketStatus
    timeline: list[TimelineEntryOut]
    comments: list[CommentOut]


class TicketSettingsOut(TicketSettingsIn):
    model_config = ConfigDict(extra="ignore")
    updated_at: str | None = None
