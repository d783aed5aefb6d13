"""Residency rules: the desk ends a resident's link to a unit, or the resident leaves a unit themself.

From that moment the directory no longer links the person to the unit, so every feature that asks the
directory (passes, bills, tickets, notices, the household list) stops answering them for it; the ended
link stays in their own history; ``ResidentMovedOut`` tells the features that hold grants of their own
(visitors revokes the live passes the resident hosts for the unit).
"""

from __future__ import annotations

from typing import Protocol

from courtyard.audit import AuditLog
from courtyard.clock import Clock, to_iso
from courtyard.errors import Forbidden, NotFound
from courtyard.events import DomainEvent
from courtyard.tenancy import Role, TenantContext
from directory.people.models import PersonKind, Resident, ResidentLink, UserLinkRecord
from directory.residency.models import EndedResidence, EndReason, ResidencyEnd, UnitLeave
from directory.residency.rules import successor
from schemas.events import ResidentMovedOut

DESK_ROLES = (Role.MANAGER, Role.SERVICE_DESK)


class People(Protocol):
    def resident(self, tenant_id: str, resident_id: str, *, consistent: bool = False) -> Resident | None: ...
    def unit_members(self, tenant_id: str, unit_id: str) -> list[ResidentLink]: ...
    def user_link(self, tenant_id: str, user_id: str) -> UserLinkRecord | None: ...


class Residences(Protocol):
    def end(
        self, tenant_id: str, leaving: ResidentLink, ended: EndedResidence, successor: ResidentLink | None
    ) -> None: ...
    def past(self, tenant_id: str, resident_id: str) -> list[EndedResidence]: ...


class Publisher(Protocol):
    def publish(self, detail_type: str, detail: DomainEvent) -> None: ...


class ResidencyService:
    def __init__(
        self, people: People, residences: Residences, audit: AuditLog, events: Publisher, clock: Clock
    ) -> None:
        self._people = people
        self._residences = residences
        self._audit = audit
        self._events = events
        self._clock = clock

    def end(
        self, ctx: TenantContext, unit_id: str, resident_id: str, request: ResidencyEnd
    ) -> EndedResidence:
        """The desk ends the link (move-out, sale, end of a lease), choosing a successor if one is needed."""
        ctx.require(*DESK_ROLES)
        return self._end(ctx, unit_id, resident_id, request.reason, request.promote_resident_id)

    def leave(self, ctx: TenantContext, unit_id: str, request: UnitLeave) -> EndedResidence:
        """The signed-in resident leaves one of their units."""
        if not ctx.is_resident or ctx.on_behalf_of is not None:
            raise Forbidden("only a resident leaves a unit themself; the desk ends a link for them")
        link = self._people.user_link(ctx.tenant_id, ctx.user_id)
        if link is None or link.kind is not PersonKind.RESIDENT:
            raise NotFound("person record")
        return self._end(ctx, unit_id, link.person_id, request.reason, None)

    def history(self, ctx: TenantContext, resident_id: str) -> list[EndedResidence]:
        """A resident's ended links: the desk's, or the resident's own."""
        if not ctx.has_role(*DESK_ROLES):
            link = self._people.user_link(ctx.tenant_id, ctx.user_id)
            if link is None or link.kind is not PersonKind.RESIDENT or link.person_id != resident_id:
                raise NotFound("resident")
        if self._people.resident(ctx.tenant_id, resident_id) is None:
            raise NotFound("resident")
        return self._residences.past(ctx.tenant_id, resident_id)

    def _end(
        self, ctx: TenantContext, unit_id: str, resident_id: str, reason: EndReason, chosen: str | None
    ) -> EndedResidence:
        resident = self._people.resident(ctx.tenant_id, resident_id, consistent=True)
        if resident is None:
            raise NotFound("resident")
        leaving = next((link for link in resident.current_units if link.unit_id == unit_id), None)
        if leaving is None:
            return self._retry(ctx, resident, unit_id)
        decided = successor(self._people.unit_members(ctx.tenant_id, unit_id), leaving, chosen)
        heir = decided.link if decided is not None else None
        ended = EndedResidence(
            resident_id=resident_id,
            unit_id=unit_id,
            site_id=leaving.site_id,
            room_key=leaving.room_key,
            relation=leaving.relation.value,
            was_primary=leaving.primary,
            since=leaving.since,
            until=to_iso(self._clock.now()),
            reason=reason,
            ended_by=ctx.user_id,
            promoted_resident_id=heir.resident_id if heir else None,
        )
        self._residences.end(ctx.tenant_id, leaving, ended, heir)
        self._audit.record(
            ctx,
            "end_residency",
            "unit",
            unit_id,
            {
                "resident_id": resident_id,
                "reason": reason.value,
                "promoted_resident_id": ended.promoted_resident_id,
            },
        )
        self._announce(ctx, resident, ended)
        return ended

    def _retry(self, ctx: TenantContext, resident: Resident, unit_id: str) -> EndedResidence:
        """A link already ended answers as the ending did and announces it again (consumers are idempotent),
        so a request whose event was lost converges when retried; a link that never existed is a 404."""
        past = [e for e in self._residences.past(ctx.tenant_id, resident.resident_id) if e.unit_id == unit_id]
        if not past:
            raise NotFound("resident of this unit")
        self._announce(ctx, resident, past[-1])
        return past[-1]

    def _announce(self, ctx: TenantContext, resident: Resident, ended: EndedResidence) -> None:
        self._events.publish(
            "ResidentMovedOut",
            ResidentMovedOut(
                tenant_id=ctx.tenant_id,
                occurred_at=self._clock.now(),
                resident_id=resident.resident_id,
                unit_id=ended.unit_id,
                site_id=ended.site_id,
                user_id=resident.user_id,
                reason=ended.reason.value,
                by=ended.ended_by,
            ),
        )
