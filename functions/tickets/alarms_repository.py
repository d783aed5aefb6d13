"""The alarm intake's writes: a ticket with its alarm claim in one transaction, and re-raises recorded once
per event on the claim together with their timeline entry.

Claim item (``keys.alarm_claim``): entity, alarm_id, ticket_id, event_ids (string set: every event of the
alarm handled), created_at. Ticket, timeline and load items come from ``tickets.repository``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from courtyard.clock import to_iso
from courtyard.table import Table
from tickets import keys
from tickets.alarms import AlarmClaim, NewTicket
from tickets.models import Ticket, TimelineRecord
from tickets.repository import TicketRepository, load_delta, ticket_item, timeline_item

_NEW = "attribute_not_exists(pk)"
# Re-raise entries take sequence numbers above the API's (the version) so they never share a key with one.
_REPEAT_SEQ = 900


class AlarmsRepository:
    def __init__(self, table: Table, tickets: TicketRepository) -> None:
        self._table = table
        self._tickets = tickets

    def alarm(self, tenant_id: str, alarm_id: str) -> AlarmClaim | None:
        item = self._table.get(keys.alarm_claim(tenant_id, alarm_id), consistent=True)
        if item is None:
            return None
        return AlarmClaim(str(item["ticket_id"]), frozenset(str(e) for e in item.get("event_ids") or ()))

    def get(self, tenant_id: str, ticket_id: str, *, consistent: bool = False) -> Ticket | None:
        return self._tickets.get(tenant_id, ticket_id, consistent=consistent)

    def settings(self, tenant_id: str) -> dict[str, Any] | None:
        return self._tickets.settings(tenant_id)

    def open_counts(self, tenant_id: str) -> dict[str, int]:
        return self._tickets.open_counts(tenant_id)

    def open(
        self,
        new: NewTicket,
        *,
        alarm_id: str,
        event_id: str,
        next_check_at: datetime | None,
        also: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Claim the alarm and write its ticket, timeline and load counter at once; Conflict: claimed.

        ``also``: more actions of the same transaction (the audit record, the pending events).
        """
        ticket = new.ticket
        claim = {
            **keys.alarm_claim(ticket.tenant_id, alarm_id),
            "entity": "alarm_claim",
            "tenant_id": ticket.tenant_id,
            "alarm_id": alarm_id,
            "ticket_id": ticket.ticket_id,
            "event_ids": {event_id},
            "created_at": to_iso(ticket.state.created_at),
        }
        actions: list[dict[str, Any]] = [
            self._table.put_action(claim, _NEW),
            self._table.put_action(ticket_item(ticket, next_check_at), _NEW),
            *(
                self._table.put_action(timeline_item(ticket, entry, n))
                for n, entry in enumerate(new.timeline, 1)
            ),
            *self._tickets.load_actions(ticket.tenant_id, load_delta(None, ticket)),
            *also,
        ]
        self._table.transact(actions, conflict="this alarm already has a ticket")

    def raise_again(
        self,
        ticket: Ticket,
        alarm_id: str,
        event_id: str,
        entry: TimelineRecord,
        also: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Record the event on the claim and its timeline entry (and ``also``, the audit record) at once;
        Conflict if the event was recorded."""
        claim = self._table.update_action(
            keys.alarm_claim(ticket.tenant_id, alarm_id),
            "ADD event_ids :event",
            {":event": {event_id}, ":id": event_id},
            condition="attribute_exists(pk) AND NOT contains(event_ids, :id)",
        )
        seq = _REPEAT_SEQ + len(event_id) % 10  # any number of the range: the entry's instant keeps it apart
        actions = [claim, self._table.put_action(timeline_item(ticket, entry, seq), _NEW), *also]
        self._table.transact(actions, conflict="this alarm event was already recorded")
