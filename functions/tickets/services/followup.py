"""Follow-up after the work: a return-visit note and a separate quality check, by the service desk or a
manager.

Each is recorded once (a second is a Conflict), only on a resolved or closed ticket, on the ticket item with a
timeline entry in one transaction conditioned on the version read. Residents never see the quality check:
not on the ticket (``TicketOut.from_domain(internal=False)``) nor in its timeline (``resident_timeline``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

from courtyard.audit import AuditLog
from courtyard.clock import Clock
from courtyard.errors import Conflict, NotFound
from courtyard.tenancy import Role, TenantContext
from tickets.domain import TicketStatus
from tickets.models import (
    QualityCheck,
    QualityCheckCreate,
    ReturnVisit,
    ReturnVisitCreate,
    Ticket,
    TimelineRecord,
)

FOLLOW_UP_ROLES = (Role.SERVICE_DESK, Role.MANAGER)
RETURN_VISIT = "return_visit"
QUALITY_CHECK = "quality_check"
_DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


class Repository(Protocol):
    def get(self, tenant_id: str, ticket_id: str, *, consistent: bool = False) -> Ticket | None: ...
    def record_follow_up(
        self, ticket: Ticket, after: Ticket, entry: TimelineRecord, attribute: str
    ) -> None: ...


class FollowUpService:
    def __init__(self, repo: Repository, audit: AuditLog, clock: Clock) -> None:
        self._repo = repo
        self._audit = audit
        self._clock = clock

    def return_visit(self, ctx: TenantContext, ticket_id: str, request: ReturnVisitCreate) -> Ticket:
        ticket = self._done_ticket(ctx, ticket_id, RETURN_VISIT)
        now = self._clock.now()
        visit = ReturnVisit(by=ctx.user_id, at=now, note=request.note, satisfied=request.satisfied)
        after = replace(ticket, return_visit=visit, version=ticket.version + 1, updated_at=now)
        self._record(ctx, ticket, after, RETURN_VISIT, request.note, {"satisfied": request.satisfied})
        return after

    def quality_check(self, ctx: TenantContext, ticket_id: str, request: QualityCheckCreate) -> Ticket:
        ticket = self._done_ticket(ctx, ticket_id, QUALITY_CHECK)
        now = self._clock.now()
        check = QualityCheck(by=ctx.user_id, at=now, passed=request.passed, note=request.note)
        after = replace(ticket, quality_check=check, version=ticket.version + 1, updated_at=now)
        self._record(ctx, ticket, after, QUALITY_CHECK, request.note, {"passed": request.passed})
        return after

    def _done_ticket(self, ctx: TenantContext, ticket_id: str, kind: str) -> Ticket:
        ctx.require(*FOLLOW_UP_ROLES)
        ticket = (
            self._repo.get(ctx.tenant_id, ticket_id, consistent=True) if _well_formed(ticket_id) else None
        )
        if ticket is None:
            raise NotFound("ticket")
        if ticket.status not in _DONE:
            raise Conflict(
                f"a {kind.replace('_', ' ')} needs a resolved or closed ticket, not {ticket.status}"
            )
        if (ticket.return_visit if kind == RETURN_VISIT else ticket.quality_check) is not None:
            raise Conflict(f"the ticket's {kind.replace('_', ' ')} is already recorded")
        return ticket

    def _record(
        self,
        ctx: TenantContext,
        before: Ticket,
        after: Ticket,
        kind: str,
        note: str | None,
        details: dict[str, Any],
    ) -> None:
        status = before.status.value
        entry = TimelineRecord(after.updated_at, ctx.user_id, kind, status, status, note=note)
        self._repo.record_follow_up(before, after, entry, kind)
        self._audit.record(ctx, f"ticket.{kind}", "ticket", before.ticket_id, details)


def resident_timeline(ctx: TenantContext, entries: Sequence[TimelineRecord]) -> list[TimelineRecord]:
    """The timeline as the caller may see it: without quality-check entries unless the caller is staff."""
    return [e for e in entries if ctx.is_staff or e.action != QUALITY_CHECK]


def _well_formed(identifier: str) -> bool:
    return 0 < len(identifier) <= 64 and all(c.isascii() and (c.isalnum() or c in "_-") for c in identifier)


__all__ = ["FOLLOW_UP_ROLES", "FollowUpService", "resident_timeline"]
