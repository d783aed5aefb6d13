"""Tickets' repository in memory (``tickets.services.tickets.Repository``): tickets, their timelines and
comments, the Idempotency-Key claims and the firm's ticket settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from tickets.domain import TERMINAL_STATUSES
from tickets.models import Comment, Ticket, TicketHistory, TimelineRecord
from tickets.repositories.tickets import Claim, TicketQuery

from courtyard.dynamo import Page
from courtyard.errors import Conflict


@dataclass
class InMemoryTickets:
    tickets: dict[tuple[str, str], Ticket] = field(default_factory=dict)
    timelines: dict[tuple[str, str], list[TimelineRecord]] = field(default_factory=dict)
    comments: dict[tuple[str, str], list[Comment]] = field(default_factory=dict)
    claims: dict[tuple[str, str, str], Claim] = field(default_factory=dict)
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_checks: dict[tuple[str, str], datetime | None] = field(default_factory=dict)
    written: list[dict[str, Any]] = field(default_factory=list)  # what each create committed beside it

    def get(self, tenant_id: str, ticket_id: str, *, consistent: bool = False) -> Ticket | None:
        return self.tickets.get((tenant_id, ticket_id))

    def history(self, tenant_id: str, ticket_id: str) -> TicketHistory | None:
        ticket = self.get(tenant_id, ticket_id)
        if ticket is None:
            return None
        key = (tenant_id, ticket_id)
        return TicketHistory(ticket, list(self.timelines.get(key, [])), list(self.comments.get(key, [])))

    def page(self, tenant_id: str, query: TicketQuery, limit: int, cursor: str | None) -> Page[Ticket]:
        items = [t for (tid, _), t in self.tickets.items() if tid == tenant_id]
        if query.status is not None:
            items = [t for t in items if t.status.value == query.status]
        return Page(items=items[:limit])

    def open_counts(self, tenant_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for (tid, _), ticket in self.tickets.items():
            staff_id = ticket.state.assignee_staff_id
            if tid == tenant_id and staff_id is not None and ticket.status not in TERMINAL_STATUSES:
                counts[staff_id] = counts.get(staff_id, 0) + 1
        return counts

    def claim(self, tenant_id: str, user_id: str, key_digest: str) -> Claim | None:
        return self.claims.get((tenant_id, user_id, key_digest))

    def settings(self, tenant_id: str) -> dict[str, Any] | None:
        return self.documents.get(tenant_id)

    def create(
        self,
        ticket: Ticket,
        timeline: Sequence[TimelineRecord],
        *,
        next_check_at: datetime | None,
        claim: tuple[str, str, str] | None = None,
        also: Sequence[dict[str, Any]] = (),
    ) -> None:
        # One transaction: the claim is conditioned on being new, as the table's is.
        if claim is not None:
            user_id, key_digest, request_digest = claim
            if (ticket.tenant_id, user_id, key_digest) in self.claims:
                raise Conflict("the Idempotency-Key was claimed by a concurrent request")
            self.claims[(ticket.tenant_id, user_id, key_digest)] = Claim(ticket.ticket_id, request_digest)
        key = (ticket.tenant_id, ticket.ticket_id)
        self.tickets[key] = ticket
        self.timelines[key] = list(timeline)
        self.next_checks[key] = next_check_at
        self.written.extend(also)

    def save(
        self,
        before: Ticket,
        after: Ticket,
        entry: TimelineRecord | None,
        *,
        next_check_at: datetime | None,
        also: Sequence[dict[str, Any]] = (),
    ) -> None:
        key = (after.tenant_id, after.ticket_id)
        if self.tickets.get(key) != before:
            raise Conflict("the ticket changed since it was read")
        self.tickets[key] = after
        if entry is not None:
            self.timelines.setdefault(key, []).append(entry)
        self.next_checks[key] = next_check_at
        self.written.extend(also)

    def add_comment(self, tenant_id: str, ticket_id: str, comment: Comment) -> None:
        self.comments.setdefault((tenant_id, ticket_id), []).append(comment)

    def rate(self, ticket: Ticket, score: int, comment: str | None, at: datetime) -> Ticket:
        rated = replace(ticket, rating=score, rating_comment=comment, rated_at=at)
        self.tickets[(ticket.tenant_id, ticket.ticket_id)] = rated
        return rated

    def put_settings(self, tenant_id: str, document: dict[str, Any], updated_by: str, at: str) -> None:
        self.documents[tenant_id] = document
