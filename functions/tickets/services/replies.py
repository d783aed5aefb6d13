"""A resident's keyword reply to a repair SMS (``SmsReplyReceived`` from notifications) closes or reopens
that ticket, as the resident would in the app.

Notifications matched the reply to the SMS by its short code and to the person by the number on record; the
reply acts as that person's login through the ticket's own rules (only the reporter, only from
``resolved``), so it can touch no other ticket. A duplicate, or a reply to a ticket already closed or
reopened, changes nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from courtyard.errors import Conflict, Forbidden, NotFound
from courtyard.tenancy import Role, TenantContext
from schemas.events import SmsReplyReceived
from tickets.domain import Action
from tickets.models import Ticket, TicketActionRequest

_ACTIONS = {"confirm": Action.CLOSE, "reopen": Action.REOPEN}
NOTE = "居民短信回复"


class Outcome(StrEnum):
    CLOSED = "closed"
    REOPENED = "reopened"
    ALREADY = "already"  # the ticket had moved on (a duplicate, or the app was faster)
    REFUSED = "refused"  # not the reporter's ticket, or no such ticket
    IGNORED = "ignored"  # a reply the tickets feature has nothing to do with


class Acts(Protocol):
    def act(self, ctx: TenantContext, ticket_id: str, request: TicketActionRequest) -> Ticket: ...


class ReplyIntake:
    def __init__(self, tickets: Acts) -> None:
        self._tickets = tickets

    def handle(self, reply: SmsReplyReceived) -> Outcome:
        action = _ACTIONS.get(reply.action)
        if (
            reply.subject != "ticket"
            or action is None
            or not reply.user_id
            or reply.person_kind != "resident"
        ):
            return Outcome.IGNORED
        ctx = TenantContext(
            tenant_id=reply.tenant_id, user_id=reply.user_id, roles=frozenset({Role.RESIDENT})
        )
        try:
            self._tickets.act(ctx, reply.subject_id, TicketActionRequest(action=action, note=NOTE))
        except Conflict:
            return Outcome.ALREADY
        except (NotFound, Forbidden):
            return Outcome.REFUSED
        return Outcome.CLOSED if action is Action.CLOSE else Outcome.REOPENED
