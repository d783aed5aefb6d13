"""A staff member's acknowledgment of an emergency outside the app (``EmergencyAcknowledged`` from
notifications: they pressed 1 on the ladder's voice call) accepts the ticket as if they had tapped 接单.

The acceptance goes through the ticket's own rules (``tickets.lifecycle``) as that staff member: their
login and roles come from the directory's staff record, not from the event, so a deactivated member, a
member without a login, or another firm's ids change nothing. A guard may accept an emergency, the assigned
technician their own ticket; anyone else is refused (403 in the app), and a ticket someone else accepted
first stays theirs (409 in the app): both are ignored here and audited, so the desk can see who answered the
phone but was not the one to go. A redelivery finds the ticket accepted by this same person and does nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from courtyard.audit import AuditLog
from courtyard.directory import StaffView
from courtyard.errors import Conflict, Forbidden, NotFound
from courtyard.tenancy import STAFF_ROLES, Role, TenantContext
from schemas.events import EmergencyAcknowledged
from tickets.domain import Action
from tickets.models import Ticket, TicketActionRequest, TicketHistory

NOTE = "电话按1接单"  # the timeline's note: how the acceptance came


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    ALREADY = "already"  # this person accepted it before (a redelivery, or they also tapped in the app)
    NOT_THEIRS = "not_theirs"  # the rules refused them, or someone else accepted first: audited
    UNKNOWN_STAFF = "unknown_staff"  # no such active staff member with a login in this firm
    NO_TICKET = "no_ticket"
    IGNORED = "ignored"  # not a ticket's acknowledgment


class Tickets(Protocol):
    def act(self, ctx: TenantContext, ticket_id: str, request: TicketActionRequest) -> Ticket: ...
    def history(self, ctx: TenantContext, ticket_id: str) -> TicketHistory: ...


class Staff(Protocol):
    def staff_member(self, tenant_id: str, staff_id: str) -> StaffView | None: ...


class EmergencyAcceptance:
    def __init__(self, tickets: Tickets, staff: Staff, audit: AuditLog) -> None:
        self._tickets = tickets
        self._staff = staff
        self._audit = audit

    def handle(self, ack: EmergencyAcknowledged) -> Outcome:
        if ack.subject != "ticket":
            return Outcome.IGNORED
        ctx = self._as_staff(ack.tenant_id, ack.person_id)
        if ctx is None:
            return Outcome.UNKNOWN_STAFF
        request = TicketActionRequest(action=Action.ACCEPT, note=NOTE)
        try:
            self._tickets.act(ctx, ack.subject_id, request)
        except NotFound:
            return Outcome.NO_TICKET
        except Conflict:
            if self._accepted_by(ctx, ack.subject_id):
                return Outcome.ALREADY
            return self._not_theirs(ctx, ack, "accepted by someone else")
        except Forbidden:
            return self._not_theirs(ctx, ack, "not theirs to accept")
        return Outcome.ACCEPTED

    def _as_staff(self, tenant_id: str, staff_id: str) -> TenantContext | None:
        """The staff member as the app would see them signed in; None if they could not sign in."""
        member = self._staff.staff_member(tenant_id, staff_id)
        if member is None or not member.active or not member.user_id:
            return None
        roles = frozenset(Role(r) for r in member.roles if r in STAFF_ROLES)
        if not roles:
            return None
        return TenantContext(tenant_id=tenant_id, user_id=member.user_id, roles=roles, person_id=staff_id)

    def _accepted_by(self, ctx: TenantContext, ticket_id: str) -> bool:
        timeline = self._tickets.history(ctx, ticket_id).timeline
        return any(entry.action == Action.ACCEPT.value and entry.actor == ctx.user_id for entry in timeline)

    def _not_theirs(self, ctx: TenantContext, ack: EmergencyAcknowledged, reason: str) -> Outcome:
        self._audit.record(
            ctx,
            "ticket.voice_accept_ignored",
            "ticket",
            ack.subject_id,
            {"reason": reason, "channel": ack.channel, "staff_id": ack.person_id},
        )
        return Outcome.NOT_THEIRS
