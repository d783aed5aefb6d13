"""Care list requests and responses (关爱名单): a resident's flags, the list, the month's return visits."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from courtyard.models import Model
from directory.care.rules import CareFlag

Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-10"])]
VisitOutcome = Literal["reached_well", "reached_needs_help", "no_answer", "moved_away"]


class CareIn(Model):
    """The resident's care flags, exactly (an empty list takes them off the care list)."""

    flags: list[CareFlag] = Field(max_length=3)
    note: str | None = Field(default=None, max_length=200)


class CareOut(Model):
    resident_id: str
    name: str
    flags: list[CareFlag]
    note: str | None = None


class CareListOut(Model):
    items: list[CareOut]


class VisitIn(Model):
    outcome: VisitOutcome
    note: str | None = Field(default=None, max_length=500)


class VisitOut(Model):
    """One flagged resident's return-visit call for the month: to do, or done with its outcome."""

    resident_id: str
    name: str
    flags: list[CareFlag]
    month: str
    status: Literal["to_call", "done"]
    outcome: VisitOutcome | None = None
    note: str | None = None
    recorded_at: str | None = None
    recorded_by: str | None = None


class VisitListOut(Model):
    month: str
    to_call: int
    done: int
    items: list[VisitOut]
