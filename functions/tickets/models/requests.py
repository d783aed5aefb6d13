"""Tickets' requests: what a caller may send (validated at the door, extra fields refused)."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any

from pydantic import ConfigDict, Field, field_validator, model_validator

from courtyard.models import Model
from tickets.dispatch import DEFAULT_ACCEPTANCE_WINDOWS
from tickets.domain import Action, Category, Priority, Skill, TicketKind
from tickets.lifecycle import NOTE_MAX_LENGTH
from tickets.sla import DEFAULT_TARGETS, SpanUnit

DESCRIPTION_MAX_LENGTH = 2000
COMMENT_MAX_LENGTH = 2000
DEFAULT_AUTO_CLOSE_DAYS = 7
FOLLOW_UP_NOTE_MAX_LENGTH = 1000
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]


class _Request(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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


def settings_document(settings: TicketSettingsIn) -> dict[str, Any]:
    """The JSON-ready form of settings, as stored and returned."""
    return settings.model_dump(mode="json")
