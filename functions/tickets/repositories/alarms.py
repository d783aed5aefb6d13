"""The alarm intake's writes: a ticket with its alarm claim in one transaction, and re-raises recorded once
per event on the claim together with their timeline entry.

Claim item (``keys.alarm_claim``): entity, alarm_id, ticket_id, event_ids (string set: every event of the
alarm handled), created_at. Device work order (``keys.device_work_order``): entity, device_id, rule_id,
ticket_id, episodes (alarms of the device and rule on that ticket); written with the ticket it names and
moved to the next ticket only from the one it named (a condition on ``ticket_id``).
Ticket, timeline and load items come from ``tickets.repositories.tickets``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from courtyard.clock import to_iso
from courtyard.table import Table, serialize
from tickets import keys
from tickets.models import Ticket, TimelineRecord
from tickets.repositories.tickets import TicketRepository, load_delta, ticket_item, timeline_item
from tickets.services.alarms import AlarmClaim, DeviceWorkOrder
from tickets.services.tickets import NewTicket

_NEW = "attribute_not_exists(pk)"
# Re-raise entries take sequence numbers above the API's (the version) so they never share a key with one.
_REPEAT_SEQ = 900
_EPISODE_SEQ = 950  # episodes joining a work order: apart from the re-raises


class AlarmsRepository:
    def __init__(self, table: Table, tickets: TicketRepository) -> None:
        self._table = table
        self._tickets = tickets

    def alarm(self, tenant_id: str, alarm_id: str) -> AlarmClaim | None:
        item = self._table.get(keys.alarm_claim(tenant_id, alarm_id), consistent=True)
        if item is None:
            return None
        return AlarmClaim(str(item["ticket_id"]), frozenset(str(e) for e in item.get("event_ids") or ()))

    def device_work_order(self, tenant_id: str, device_id: str, rule_id: str) -> DeviceWorkOrder | None:
        item = self._table.get(keys.device_work_order(tenant_id, device_id, rule_id), consistent=True)
        if item is None:
            return None
        return DeviceWorkOrder(str(item["ticket_id"]), int(item.get("episodes", 1)))

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
        link: tuple[str, str] | None = None,
        replaces: str | None = None,
        also: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Claim the alarm and write its ticket, timeline and load counter at once; Conflict: claimed.

        ``link`` (device, rule): the ticket becomes that pair's work order, in place of ``replaces`` (the
        over one read before; None: the pair had none), so two episodes racing open one ticket, not two.
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
        if link is not None:
            device_id, rule_id = link
            work_order = {
                **keys.device_work_order(ticket.tenant_id, device_id, rule_id),
                "entity": "device_work_order",
                "device_id": device_id,
                "rule_id": rule_id,
                "ticket_id": ticket.ticket_id,
                "episodes": 1,
            }
            if replaces is None:
                actions.append(self._table.put_action(work_order, _NEW))
            else:
                condition = "ticket_id = :replaced"
                put = self._table.put_action(work_order, condition)
                put["Put"]["ExpressionAttributeValues"] = serialize({":replaced": replaces})
                actions.append(put)
        self._table.transact(actions, conflict="this alarm already has a ticket")

    def join(
        self,
        ticket: Ticket,
        alarm_id: str,
        event_id: str,
        link: tuple[str, str],
        episode: int,
        entry: TimelineRecord,
        also: Sequence[dict[str, Any]] = (),
    ) -> None:
        """A new alarm of the (device, rule) joins its open work order: the alarm's claim on that ticket,
        one more episode and its timeline entry at once; Conflict if the alarm is claimed or the pair's
        work order (or its episode count) changed since it was read."""
        device_id, rule_id = link
        claim = {
            **keys.alarm_claim(ticket.tenant_id, alarm_id),
            "entity": "alarm_claim",
            "tenant_id": ticket.tenant_id,
            "alarm_id": alarm_id,
            "ticket_id": ticket.ticket_id,
            "event_ids": {event_id},
            "created_at": to_iso(entry.at),
        }
        # ``episode`` is one more than the count read: a concurrent join of another alarm makes this one
        # fail and look again, so two episodes never carry the same number.
        episodes = self._table.update_action(
            keys.device_work_order(ticket.tenant_id, device_id, rule_id),
            "ADD episodes :one",
            {":one": 1, ":ticket": ticket.ticket_id, ":before": episode - 1},
            condition="ticket_id = :ticket AND episodes = :before",
        )
        seq = _EPISODE_SEQ + len(alarm_id) % 10
        actions = [
            self._table.put_action(claim, _NEW),
            episodes,
            self._table.put_action(timeline_item(ticket, entry, seq), _NEW),
            *also,
        ]
        self._table.transact(actions, conflict="this alarm or its device's work order changed")

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
