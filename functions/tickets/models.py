"""Tickets: requests, the stored ticket and its records, responses and domain events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated, Any

from pydantic import ConfigDict, Field, field_validator, model_validator

from courtyard.clock import to_iso
from courtyard.events import DomainEvent
from courtyard.models import Model
from tickets.dispatch import DEFAULT_ACCEPTANCE_WINDOWS
from tickets.domain import Action, Category, Priority, Skill, TicketKind, TicketStatus
from tickets.lifecycle import NOTE_MAX_LENGTH, TicketState
from tickets.sla import DEFAULT_TARGETS, SpanUnit

DESCRIPTION_MAX_LENGTH = 2000
COMMENT_MAX_LENGTH = 2000
DEFAULT_AUTO_CLOSE_DAYS = 7
FOLLOW_UP_NOTE_MAX_LENGTH = 1000
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]


class _Request(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# ------------------------------------------------------------------ requests


class TicketCreate(_Request):
    """A new ticket. A resident's unit defaults to their primary one; ``site_id`` + ``location`` instead of
    ``unit_id`` files it for a common area of that community."""

    kind: TicketKind = TicketKind.REPAIR
    category: Category | None = None
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX_LENGTH)
    priority: Priority | None = None
    unit_id: Id | None = None
    site_id: Id | None = None
    location: str | None = Field(default=None, min_length=1, max_length=200, examples=["3栋电梯厅"])

    @model_validator(mode="after")
    def _place(self) -> TicketCreate:
        if self.unit_id is not None and self.site_id is not None:
            raise ValueError("give unit_id, or site_id with location for a common area, not both")
        if self.site_id is not None and not self.location:
            raise ValueError("a common-area ticket (site_id) needs a location")
        if self.location is not None and self.site_id is None:
            raise ValueError("location describes a common area: give its site_id too")
        if self.kind is not TicketKind.SOS and not self.description:
            raise ValueError("a repair or complaint needs a description")
        return self


class TicketActionRequest(_Request):
    action: Action
    assignee_staff_id: Id | None = None
    note: str | None = Field(default=None, max_length=NOTE_MAX_LENGTH)


class CommentCreate(_Request):
    body: str = Field(min_length=1, max_length=COMMENT_MAX_LENGTH)
    internal: bool = False


class RatingCreate(_Request):
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=500)


class ReturnVisitCreate(_Request):
    note: str = Field(min_length=1, max_length=FOLLOW_UP_NOTE_MAX_LENGTH)
    satisfied: bool | None = Field(default=None, description="the reporter's answer, if asked")


class QualityCheckCreate(_Request):
    passed: bool
    note: str | None = Field(default=None, min_length=1, max_length=FOLLOW_UP_NOTE_MAX_LENGTH)

    @model_validator(mode="after")
    def _reason(self) -> QualityCheckCreate:
        if not self.passed and not self.note:
            raise ValueError("a failed quality check needs a note")
        return self


class SpanIn(_Request):
    amount: int = Field(ge=1, le=100_000)
    unit: SpanUnit


class SlaTargetIn(_Request):
    respond: SpanIn
    resolve: SpanIn


class TicketSettingsIn(_Request):
    """A tenant's ticket settings; omitted fields take the defaults."""

    category_skills: dict[Category, Skill] = Field(default_factory=dict)
    acceptance_window_minutes: dict[Priority, Annotated[int, Field(ge=1, le=24 * 60)]] = Field(
        default_factory=lambda: dict(DEFAULT_ACCEPTANCE_WINDOWS)
    )
    max_redispatch: int = Field(default=2, ge=0, le=10)
    grab_mode: bool = False
    sla_targets: dict[Priority, SlaTargetIn] = Field(default_factory=lambda: default_targets_in())
    # weekday (0 = Monday .. 6 = Sunday) -> open intervals [["08:00", "18:00"], ...]; absent = closed
    business_hours: dict[Annotated[int, Field(ge=0, le=6)], list[tuple[time, time]]] = Field(
        default_factory=lambda: {day: [(time(8), time(18))] for day in range(6)}
    )
    holidays: list[date] = Field(default_factory=list, max_length=100)
    makeup_workdays: list[date] = Field(default_factory=list, max_length=50)
    auto_close_days: int = Field(default=DEFAULT_AUTO_CLOSE_DAYS, ge=1, le=60)

    @field_validator("business_hours")
    @classmethod
    def _intervals(cls, value: dict[int, list[tuple[time, time]]]) -> dict[int, list[tuple[time, time]]]:
        for day, intervals in value.items():
            if len(intervals) > 4:
                raise ValueError(f"weekday {day}: at most 4 open intervals")
        return value


def default_targets_in() -> dict[Priority, SlaTargetIn]:
    return {
        priority: SlaTargetIn(
            respond=SpanIn(amount=target.respond.amount, unit=target.respond.unit),
            resolve=SpanIn(amount=target.resolve.amount, unit=target.resolve.unit),
        )
        for priority, target in DEFAULT_TARGETS.items()
    }


# ------------------------------------------------------------------ domain


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


# ------------------------------------------------------------------ responses


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


# ------------------------------------------------------------------ events


class TicketRated(DomainEvent):
    ticket_id: str
    site_id: str
    score: int
    assignee_staff_id: str | None


def settings_document(settings: TicketSettingsIn) -> dict[str, Any]:
    """The JSON-ready form of settings, as stored and returned."""
    return settings.model_dump(mode="json")
