"""The domain events a ticket's life publishes, built from the ticket (contracts in schemas/events.py)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from courtyard.clock import to_iso
from courtyard.events import DomainEvent
from tickets.domain import Action
from tickets.lifecycle import SYSTEM_USER_ID
from tickets.models import Ticket

if TYPE_CHECKING:
    from schemas.events import TicketAssigned, TicketCreated, TicketSlaBreached, TicketStatusChanged

__all__ = [
    "TicketAssigned",
    "TicketCreated",
    "TicketRated",
    "TicketSlaBreached",
    "TicketStatusChanged",
    "assigned_event",
    "created_event",
    "status_changed_event",
]


_CONTRACTS = ("TicketAssigned", "TicketCreated", "TicketSlaBreached", "TicketStatusChanged")


def __getattr__(name: str) -> object:
    """The shared contracts, imported when first used (issue 21's cold start): schemas/events.py defines
    every feature's events, and a read, most first requests, publishes none."""
    if name in _CONTRACTS:
        from schemas import events

        return getattr(events, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class TicketRated(DomainEvent):
    """A reporter rated the work (published by ``services/tickets.py``; no consumer contract in schemas/)."""

    ticket_id: str
    site_id: str
    score: int
    assignee_staff_id: str | None


def _reporter(ticket: Ticket) -> str | None:
    """The person to tell about the ticket: nobody for the work orders the system opened."""
    reporter = ticket.state.reporter_user_id
    return None if reporter == SYSTEM_USER_ID else reporter


def created_event(ticket: Ticket, now: datetime, *, assisted: bool) -> TicketCreated:
    from schemas.events import TicketCreated

    return TicketCreated(
        tenant_id=ticket.tenant_id,
        occurred_at=now,
        ticket_id=ticket.ticket_id,
        site_id=ticket.place.site_id,
        unit_id=ticket.place.unit_id,
        kind=ticket.kind.value,
        category=ticket.category.value,
        priority=ticket.state.priority.value,
        respond_by=to_iso(ticket.respond_by),
        resolve_by=to_iso(ticket.resolve_by),
        assisted=assisted,
        reporter_user_id=_reporter(ticket),
        device_id=ticket.device_id,
        alarm_id=ticket.alarm_id,
    )


def assigned_event(ticket: Ticket, now: datetime, by: str) -> TicketAssigned:
    from schemas.events import TicketAssigned

    assert ticket.state.assignee_staff_id is not None
    return TicketAssigned(
        tenant_id=ticket.tenant_id,
        occurred_at=now,
        ticket_id=ticket.ticket_id,
        site_id=ticket.place.site_id,
        priority=ticket.state.priority.value,
        assignee_staff_id=ticket.state.assignee_staff_id,
        assignee_user_id=ticket.state.assignee_user_id,
        by=by,
    )


def status_changed_event(
    before: Ticket, after: Ticket, action: Action, now: datetime, by: str = SYSTEM_USER_ID
) -> TicketStatusChanged:
    from schemas.events import TicketStatusChanged

    return TicketStatusChanged(
        tenant_id=before.tenant_id,
        occurred_at=now,
        ticket_id=before.ticket_id,
        site_id=before.place.site_id,
        action=action.value,
        from_status=before.status.value,
        to_status=after.status.value,
        by=by,
        reporter_user_id=_reporter(after),
        device_id=after.device_id,
        unit_id=after.place.unit_id,
    )
