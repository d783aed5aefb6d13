"""The emergency ladders in the notifications table: one item per ladder, in the due index while open.

Item: pk ``T#{t}#LADDER#{subject}#{id}``, sk ``LADDER``; while a next step is due it carries
``due_pk``/``due_sk`` (the table's sharded due index, ``kind = ladder``) so the every-minute job finds it
without a scan. Every change is conditional: a step is written only over the step it follows (two job runs,
or a job run and a duplicate event, climb it once), and the first acknowledgment is kept.

An acknowledgment that arrives before the event that would start the ladder (the bus does not order
events) leaves an acknowledged item, so the late start finds it and climbs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from courtyard.clock import parse_iso, to_iso
from courtyard.dynamo import tenant_key, translate_conditional_failures
from courtyard.errors import Conflict
from courtyard.table import Table, serialize
from notifications import keys
from notifications.emergency_ladder import Ladder

KIND = "ladder"
_DUE_INDEX = "due"


def ladder_key(tenant_id: str, ladder_key: str) -> dict[str, str]:
    subject, _, subject_id = ladder_key.partition(":")
    return {"pk": tenant_key(tenant_id, "LADDER", subject, subject_id), "sk": "LADDER"}


@dataclass(frozen=True)
class DueLadder:
    tenant_id: str
    key: str  # "ticket:{id}" | "alarm:{id}"


class LadderRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def create(self, ladder: Ladder) -> bool:
        """Write a new ladder; False when one (or an early acknowledgment) is already there."""
        try:
            self._table.put(_item(ladder), condition="attribute_not_exists(pk)")
        except Conflict:
            return False
        return True

    def get(self, tenant_id: str, key: str) -> Ladder | None:
        item = self._table.get(ladder_key(tenant_id, key), consistent=True)
        return _ladder(item) if item and item.get("site_id") else None

    def alias_of(self, tenant_id: str, key: str) -> str | None:
        """The ladder a work order stands for (an alarm's work order acknowledges the alarm's ladder)."""
        item = self._table.get(ladder_key(tenant_id, key), consistent=True)
        return str(item["alias_of"]) if item and item.get("alias_of") else None

    def link(self, tenant_id: str, key: str, alias_of: str) -> None:
        """Remember that ``key`` (an alarm's work order) stands for the ladder ``alias_of``."""
        self._table.update(
            ladder_key(tenant_id, key),
            "SET alias_of = :alias, tenant_id = :t",
            {":alias": alias_of, ":t": tenant_id},
        )

    def save_step(self, before: Ladder, after: Ladder) -> bool:
        """Write the climbed step over the one it follows; False when another run climbed it first."""
        try:
            with translate_conditional_failures("the ladder moved"):
                self._table.client.put_item(
                    TableName=self._table.name,
                    Item=serialize(_item(after)),
                    ConditionExpression="#step = :before AND #status = :open",
                    ExpressionAttributeNames={"#step": "step", "#status": "status"},
                    ExpressionAttributeValues=serialize({":before": before.step, ":open": "open"}),
                )
        except Conflict:
            return False
        return True

    def acknowledge(
        self,
        tenant_id: str,
        key: str,
        by: str,
        at: datetime,
        *,
        with_actions: Sequence[Mapping[str, Any]] = (),
    ) -> bool:
        """Stop the ladder with its first acknowledgment (kept: later ones change nothing). True if first.

        ``with_actions`` commit with the first acknowledgment only (its outbox item: what it must publish),
        in one transaction; a later acknowledgment writes none of them.
        """
        expression = (
            "SET #status = :ack, acknowledged_at = :at, acknowledged_by = :by, tenant_id = :t "
            "REMOVE due_pk, due_sk, next_at"
        )
        values = {":ack": "acknowledged", ":at": to_iso(at), ":by": by, ":t": tenant_id}
        condition = "attribute_not_exists(acknowledged_at)"
        try:
            if with_actions:
                update = self._table.update_action(
                    ladder_key(tenant_id, key), expression, values, condition, names={"#status": "status"}
                )
                self._table.transact([update, *with_actions], conflict="already acknowledged")
            else:
                self._table.update(
                    ladder_key(tenant_id, key),
                    expression,
                    values,
                    names={"#status": "status"},
                    condition=condition,
                )
        except Conflict:
            return False
        return True

    def stop(self, tenant_id: str, key: str) -> None:
        """Nothing more to climb (the alarm cleared itself, the work order was cancelled)."""
        try:
            self._table.update(
                ladder_key(tenant_id, key),
                "SET #status = :stopped REMOVE due_pk, due_sk, next_at",
                {":stopped": "stopped", ":open": "open"},
                names={"#status": "status"},
                condition="#status = :open",
            )
        except Conflict:
            return

    def due(self, now: datetime, per_shard: int = 100) -> list[DueLadder]:
        """Open ladders whose next step is due (the due index, ``kind = ladder`` only)."""
        upper = to_iso(now) + "~"
        found: list[DueLadder] = []
        for shard in range(keys.DUE_SHARDS):
            response = self._table.client.query(
                TableName=self._table.name,
                IndexName=_DUE_INDEX,
                KeyConditionExpression="due_pk = :pk AND due_sk < :upper",
                FilterExpression="kind = :kind",
                ExpressionAttributeValues=serialize(
                    {":pk": keys.due_shard(shard), ":upper": upper, ":kind": KIND}
                ),
                Limit=per_shard,
            )
            for raw in response.get("Items", []):
                found.append(DueLadder(str(raw["tenant_id"]["S"]), str(raw["entry_id"]["S"])))
        return found


def _item(ladder: Ladder) -> dict[str, Any]:
    item: dict[str, Any] = {
        **ladder_key(ladder.tenant_id, ladder.key),
        "tenant_id": ladder.tenant_id,
        "subject": ladder.subject,
        "subject_id": ladder.subject_id,
        "site_id": ladder.site_id,
        "reason": ladder.reason,
        "started_at": to_iso(ladder.started_at),
        "step": ladder.step,
        "status": ladder.status,
        "called": sorted(ladder.called),
        "kind": KIND,
        "entry_id": ladder.key,
    }
    for name, value in (("unit_id", ladder.unit_id), ("building_id", ladder.building_id)):
        if value:
            item[name] = value
    if ladder.care:
        item["care"] = True
    if ladder.acknowledged_at is not None:
        item["acknowledged_at"] = to_iso(ladder.acknowledged_at)
        item["acknowledged_by"] = ladder.acknowledged_by or ""
    if ladder.status == "open" and ladder.next_at is not None:
        due_at = to_iso(ladder.next_at)
        item["next_at"] = due_at
        item["due_at"] = due_at
        item["due_pk"] = keys.due_partition(ladder.key)
        item["due_sk"] = keys.due_sort(due_at, ladder.tenant_id, KIND, ladder.key)
    return item


def _ladder(item: dict[str, Any]) -> Ladder:
    return Ladder(
        tenant_id=str(item["tenant_id"]),
        subject="alarm" if item["subject"] == "alarm" else "ticket",
        subject_id=str(item["subject_id"]),
        site_id=str(item["site_id"]),
        reason=str(item["reason"]),
        started_at=parse_iso(str(item["started_at"])),
        unit_id=str(item["unit_id"]) if item.get("unit_id") else None,
        building_id=str(item["building_id"]) if item.get("building_id") else None,
        step=int(item["step"]),
        next_at=parse_iso(str(item["next_at"])) if item.get("next_at") else None,
        status=_status(str(item["status"])),
        called=frozenset(str(s) for s in item.get("called", ())),
        acknowledged_at=parse_iso(str(item["acknowledged_at"])) if item.get("acknowledged_at") else None,
        acknowledged_by=str(item["acknowledged_by"]) if item.get("acknowledged_by") else None,
        care=bool(item.get("care", False)),
    )


def _status(value: str) -> Any:
    return value if value in ("open", "acknowledged", "stopped", "done") else "stopped"
