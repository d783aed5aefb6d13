"""Residency requests, the ended link and its response shape."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import ConfigDict, Field

from courtyard.models import Model
from directory.people.models import EntityId


class EndReason(StrEnum):
    MOVE_OUT = "move_out"
    SALE = "sale"
    LEASE_END = "lease_end"
    OTHER = "other"


class ResidencyEnd(Model):
    """The desk ends a resident's link to a unit."""

    model_config = ConfigDict(extra="forbid")

    reason: EndReason
    # Who becomes the unit's primary contact when the leaving resident was it (the desk's choice).
    promote_resident_id: EntityId | None = None
    note: str | None = Field(default=None, max_length=200)


class UnitLeave(Model):
    """A resident leaves one of their units."""

    model_config = ConfigDict(extra="forbid")

    reason: EndReason = EndReason.MOVE_OUT


@dataclass(frozen=True, slots=True)
class EndedResidence:
    """A resident link that ended: kept in the resident's partition as their history (no personal data)."""

    resident_id: str
    unit_id: str
    site_id: str
    room_key: str
    relation: str
    was_primary: bool
    since: str
    until: str
    reason: EndReason
    ended_by: str
    promoted_resident_id: str | None = None


class EndedResidenceOut(Model):
    resident_id: str
    unit_id: str
    site_id: str
    relation: str
    was_primary: bool
    since: str
    until: str
    reason: EndReason
    promoted_resident_id: str | None = Field(
        default=None, description="The unit's new primary contact, when the leaving resident was it"
    )

    @classmethod
    def from_domain(cls, ended: EndedResidence) -> EndedResidenceOut:
        return cls(
            resident_id=ended.resident_id,
            unit_id=ended.unit_id,
            site_id=ended.site_id,
            relation=ended.relation,
            was_primary=ended.was_primary,
            since=ended.since,
            until=ended.until,
            reason=ended.reason,
            promoted_resident_id=ended.promoted_resident_id,
        )
