"""The scheduled job's reads and writes of the tickets table: the due index, consistent re-reads of a due
ticket with its timeline, and each plan written in one transaction conditioned on the ticket's version.

Item shapes come from ``tickets.repositories.tickets`` (``ticket_item``, the timeline and load-counter items);
this module adds only what the job keeps on a ticket: ``sla_breaches`` (the targets marked, once each) and
``escalated_at``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from courtyard.clock import parse_iso, to_iso
from courtyard.drain import Page, shard_pages
from courtyard.table import Table, deserialize, serialize
from tickets import keys
from tickets.repositories.tickets import (
    TicketRepository,
    load_delta,
    ticket_from_item,
    ticket_item,
    timeline_from_item,
    timeline_item,
)
from tickets.services.jobs import DueRef, DueTicket, Plan
from tickets.sla import Target

_DUE_INDEX = "due"
_DUE_ATTRIBUTES = ("next_check_at", "due_pk", "due_sk")
_TARGETS = frozenset(t.value for t in Target)


def due_shard(shard: int) -> str:
    """The due index's partition of one shard: the values ``keys.due_partition`` spreads tickets over."""
    if shard not in range(keys.DUE_SHARDS):
        raise ValueError(f"shard {shard} is not 0..{keys.DUE_SHARDS - 1}")
    return f"DUE#{shard}"


class JobsRepository:
    def __init__(self, table: Table, tickets: TicketRepository) -> None:
        self._table = table
        self._tickets = tickets

    # -------------------------------------------------------------- reads

    def due(self, now: datetime, per_shard: int) -> Iterator[DueRef]:
        """Every ticket whose next look is at or before ``now``, oldest first within a shard: pages of
        ``per_shard`` taken round-robin over the shards as the caller goes on (``courtyard.drain``), so a run
        drains them all unless it stops. The index is eventually consistent: callers re-read the ticket."""
        # '$' sorts right after '#', so every sort key "{check}#..." with check <= now is below the bound.
        upper = f"{to_iso(now)}$"

        def page(shard: int, start: Mapping[str, Any] | None) -> Page[DueRef]:
            params: dict[str, Any] = {
                "TableName": self._table.name,
                "IndexName": _DUE_INDEX,
                "KeyConditionExpression": "due_pk = :pk AND due_sk < :upper",
                "ExpressionAttributeValues": serialize({":pk": due_shard(shard), ":upper": upper}),
                "ProjectionExpression": "tenant_id, ticket_id",
                "Limit": max(1, per_shard),
            }
            if start:
                params["ExclusiveStartKey"] = dict(start)
            response = self._table.client.query(**params)
            refs = [
                DueRef(str(i["tenant_id"]), str(i["ticket_id"]))
                for i in map(deserialize, response.get("Items", []))
            ]
            return refs, response.get("LastEvaluatedKey")

        return shard_pages(page, keys.DUE_SHARDS)

    def load(self, tenant_id: str, ticket_id: str) -> DueTicket | None:
        """The ticket and its timeline, read consistently: one query of the ticket's partition from its
        ``TICKET`` item on ("TICKET" < "TL#": comments and photos sort before and are not read)."""
        params: dict[str, Any] = {
            "TableName": self._table.name,
            "KeyConditionExpression": "pk = :pk AND sk >= :ticket",
            "ExpressionAttributeValues": serialize(
                {":pk": keys.ticket_partition(tenant_id, ticket_id), ":ticket": "TICKET"}
            ),
            "ConsistentRead": True,
        }
        items: list[dict[str, Any]] = []
        while True:
            response = self._table.client.query(**params)
            items.extend(deserialize(i) for i in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                break
            params["ExclusiveStartKey"] = last
        item = next((i for i in items if i["sk"] == "TICKET"), None)
        if item is None or str(item.get("tenant_id")) != tenant_id:
            return None
        timeline = tuple(timeline_from_item(i) for i in items if str(i["sk"]).startswith("TL#"))
        marks = item.get("sla_breaches") or []
        check = item.get("next_check_at")
        return DueTicket(
            ticket=ticket_from_item(tenant_id, item),
            timeline=timeline,
            marked=frozenset(Target(str(m)) for m in marks if str(m) in _TARGETS),
            next_check_at=parse_iso(str(check)) if check else None,
            item=item,
        )

    def settings(self, tenant_id: str) -> dict[str, Any] | None:
        return self._tickets.settings(tenant_id)

    def open_counts(self, tenant_id: str) -> dict[str, int]:
        return self._tickets.open_counts(tenant_id)

    # -------------------------------------------------------------- writes

    def apply(self, plan: Plan) -> None:
        """The ticket as planned (every attribute read and not re-modelled kept), its new timeline entries
        and the load counters it moves, in one transaction; Conflict if the ticket changed since read."""
        before, after = plan.before, plan.after
        item: dict[str, Any] = {**plan.item, **ticket_item(after, plan.next_check_at)}
        if plan.next_check_at is None:
            for name in _DUE_ATTRIBUTES:
                item.pop(name, None)
        item["sla_breaches"] = sorted(t.value for t in plan.breaches) or None
        if plan.escalated_at is not None:
            item["escalated_at"] = to_iso(plan.escalated_at)
        put = self._table.put_action(item)
        put["Put"]["ConditionExpression"] = "attribute_exists(pk) AND #version = :version"
        put["Put"]["ExpressionAttributeNames"] = {"#version": "version"}
        put["Put"]["ExpressionAttributeValues"] = serialize({":version": before.version})
        actions = [
            put,
            *self._tickets.load_actions(after.tenant_id, load_delta(before, after)),
            *(
                self._table.put_action(
                    timeline_item(after, entry, after.version * 10 + n), "attribute_not_exists(pk)"
                )
                for n, entry in enumerate(plan.entries)
            ),
        ]
        self._table.transact(actions, conflict="the ticket changed since the job read it")
