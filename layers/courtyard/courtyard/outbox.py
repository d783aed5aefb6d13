"""Transactional outbox: what a write must send after its commit (events, queue commands) commits with it.

A feature adds one *pending-effects* item to the TransactWriteItems that stores its write: the domain events
already built (with their ``event_id``) and the SQS message bodies with their queue. After the commit it
``flush``es them: publish the events, send the messages, then delete the pending item. If the flush fails
the request (or queue record) still fails, but nothing is lost: the effects are in the table.

The guarantee:
- **At least once.** Every event and message of a committed write is sent at least once: by the flush right
  after the commit; else by whoever next finds the pending item (the client's retry with the same
  Idempotency-Key, an SQS redelivery: both flush it, ``flush_entity`` / ``pending_at``, before answering
  the replay); else by the sweeper. The audit record needs none of this: it is a plain item of the same
  transaction (``AuditWriter.put_action``).
- **Same ids every time.** A second flush publishes the *stored* events, so a repeat carries the same
  ``event_id``; consumers are idempotent on ``event_id`` (DESIGN.md) and drop the repeat. Queue commands
  are idempotent by their content (the consumer's own claim), as they already were for SQS redeliveries.
- **Sweeper.** The pending item sits in a sparse, sharded index (``due_pk = OUTBOX#{shard}``, ``due_sk =
  {created_at}#{pk}``; the table's ``due`` GSI). The feature's scheduled job calls ``sweep`` for items
  older than ``SWEEP_AFTER`` (2 minutes, so it does not race the request's own flush), so an effect nobody
  retried goes out within 2 minutes plus the job's period (tickets and notifications: every minute;
  visitors: every 5 minutes; payments: hourly).
- Deleting the pending item is conditional (``attribute_exists``): a concurrent flush of the same item
  is harmless (both send the same ids; one delete wins, the other's failed condition is ignored).
- If only the delete fails, the request or record still fails (the caller cannot tell what was sent) and
  the next flush finds the item again. The outbox remembers, for the life of the warm process (bounded),
  what it already had accepted, so a retry or redelivery this process serves sends only the rest; one
  served by another process sends the same ids again, and consumers drop them by ``event_id``.

Cost: one more item in the write's transaction (2 WRU: its events and messages are stored compressed, so
it stays under 1 KB) and one DeleteItem after the flush (``flush_many``, for a billing chunk: one PutEvents
per 10 events and one BatchWriteItem per 25 deletes).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from botocore.exceptions import ClientError
from pydantic import ConfigDict

from courtyard import aws
from courtyard.clock import Clock, to_iso
from courtyard.dynamo import is_conditional_failure
from courtyard.events import DomainEvent, EventPublisher, PublishFailed
from courtyard.table import Table, deserialize, serialize

OUTBOX_SORT = "OUTBOX"
EFFECTS = "effects"  # the pending item's events and messages, packed (``pack_effects``)
OUTBOX_SHARDS = 4
SWEEP_AFTER = timedelta(minutes=2)
DUE_INDEX = "due"
SQS_BATCH = 10
REMEMBERED_SENDS = 10_000  # per warm process: ids of effects already accepted (see the docstring)


@dataclass(frozen=True, slots=True)
class QueueMessage:
    """One SQS message to send after the commit: the queue's URL and the body."""

    queue_url: str
    body: str


@dataclass(frozen=True, slots=True)
class PendingEffects:
    """What one committed write still has to send; ``key`` is the pending item's key in the feature table."""

    key: dict[str, str]
    events: tuple[tuple[str, str], ...] = ()  # (detail type, detail JSON): the event ids are fixed
    messages: tuple[QueueMessage, ...] = ()
    created_at: str = ""

    @property
    def empty(self) -> bool:
        return not self.events and not self.messages


class MessagesNotSent(Exception):
    """SQS refused some messages of a batch (after its answer): the flush failed and will be repeated."""

    def __init__(self, count: int, code: str, sender_fault: bool = False) -> None:
        super().__init__(f"{count} message(s) not sent: {code}")
        self.count = count
        self.code = code
        self.sender_fault = sender_fault


@dataclass
class SweepReport:
    flushed: int = 0
    failed: list[str] = field(default_factory=list)  # the pending items' pk that failed, for the log


class _StoredDetail(DomainEvent):
    """A stored event detail published as it was stored (every field kept, in order)."""

    model_config = ConfigDict(frozen=True, extra="allow")


def outbox_key(entity_pk: str, name: str = "") -> dict[str, str]:
    """A write's pending item: in its entity's partition (found from the entity), ``sk = OUTBOX[#name]``."""
    return {"pk": entity_pk, "sk": f"{OUTBOX_SORT}#{name}" if name else OUTBOX_SORT}


def outbox_shard(pk: str, shards: int = OUTBOX_SHARDS) -> str:
    digest = hashlib.sha256(pk.encode()).digest()
    return f"{OUTBOX_SORT}#{digest[0] % shards}"


class Effects(Protocol):
    """The outbox as a service uses it (``Outbox`` below; an in-memory fake in tests): build a write's
    pending effects, put them in its transaction, send them after the commit or on the retry."""

    def pending(
        self,
        entity_pk: str,
        *,
        events: Sequence[tuple[str, DomainEvent]] = (),
        messages: Sequence[QueueMessage] = (),
        name: str = "",
    ) -> PendingEffects: ...
    def put_action(self, pending: PendingEffects) -> dict[str, Any]: ...
    def flush(self, pending: PendingEffects) -> None: ...
    def flush_entity(self, entity_pk: str, name: str = "") -> bool: ...


class Outbox:
    """Pending effects of one feature table: build them into a transaction, flush them, sweep leftovers."""

    def __init__(
        self,
        table: Table,
        clock: Clock,
        events: EventPublisher | None = None,
        *,
        sqs_client: Any | None = None,
        index: str = DUE_INDEX,
        shards: int = OUTBOX_SHARDS,
    ) -> None:
        self._table = table
        self._clock = clock
        self._events = events
        self._sqs = sqs_client
        self._index = index
        self._shards = shards
        self._sent: OrderedDict[str, None] = OrderedDict()

    @property
    def sqs(self) -> Any:
        return self._sqs if self._sqs is not None else aws.client("sqs")

    # -------------------------------------------------------------- write side

    def pending(
        self,
        entity_pk: str,
        *,
        events: Sequence[tuple[str, DomainEvent]] = (),
        messages: Sequence[QueueMessage] = (),
        name: str = "",
    ) -> PendingEffects:
        """The effects of a write about to commit, keyed under its entity's partition."""
        if events and self._events is None:
            raise ValueError("this outbox has no event publisher")
        return PendingEffects(
            key=outbox_key(entity_pk, name),
            events=tuple((detail_type, detail.model_dump_json()) for detail_type, detail in events),
            messages=tuple(messages),
            created_at=to_iso(self._clock.now()),
        )

    def put_action(self, pending: PendingEffects) -> dict[str, Any]:
        """The pending item as a TransactWriteItems ``Put`` (a new item: ``attribute_not_exists(pk)``)."""
        item: dict[str, Any] = {
            **pending.key,
            "entity": "outbox",
            "created_at": pending.created_at,
            EFFECTS: pack_effects(pending),
            # The sparse sweep index: only pending items carry these in this partition scheme.
            "due_pk": outbox_shard(pending.key["pk"], self._shards),
            "due_sk": f"{pending.created_at}#{pending.key['pk']}",
        }
        return self._table.put_action(item, "attribute_not_exists(pk)")

    # -------------------------------------------------------------- flush

    def flush(self, pending: PendingEffects) -> None:
        """Publish the events, send the messages, then delete the pending item; raise if a send fails."""
        self._send_effects([pending])
        try:
            self._table.client.delete_item(
                TableName=self._table.name,
                Key=serialize(pending.key),
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as err:
            if not is_conditional_failure(err):
                raise
            # Another flush deleted it first: both sent the same ids, nothing to do.

    def flush_many(self, pendings: Sequence[PendingEffects]) -> None:
        """``flush`` for many writes at once (a billing chunk): events batched by 10, deletes by 25.

        The deletes are unconditional (BatchWriteItem): a pending key is written once, with its entity, so
        deleting one a concurrent flush already deleted changes nothing.
        """
        if not pendings:
            return
        self._send_effects(pendings)
        pending_keys = [serialize(p.key) for p in pendings]
        for start in range(0, len(pending_keys), 25):
            requests: list[dict[str, Any]] = [
                {"DeleteRequest": {"Key": key}} for key in pending_keys[start : start + 25]
            ]
            while requests:
                response = self._table.client.batch_write_item(RequestItems={self._table.name: requests})
                requests = response.get("UnprocessedItems", {}).get(self._table.name, [])

    def pending_at(self, keys: Sequence[Mapping[str, str]]) -> list[PendingEffects]:
        """Whichever of these pending items are still there (a redelivery's leftovers), to flush.

        One BatchGetItem per 100 keys, eventually consistent: a redelivery comes a visibility timeout after
        the write, and an item read just after another flush deleted it is only sent again (same ids).
        """
        return [_from_item(item) for item in self._table.get_many(keys) if item.get("entity") == "outbox"]

    def flush_keys(self, keys: Sequence[Mapping[str, str]]) -> int:
        """Flush whichever of these pending items are still there; how many there were."""
        found = self.pending_at(keys)
        self.flush_many(found)
        return len(found)

    def _send_effects(self, pendings: Sequence[PendingEffects]) -> None:
        events = [
            (detail_type, _StoredDetail.model_validate_json(detail))
            for pending in pendings
            for detail_type, detail in pending.events
        ]
        events = [(t, d) for t, d in events if f"event:{d.event_id}" not in self._sent]
        if events:
            publisher = self._events
            if publisher is None:
                raise ValueError("this outbox has no event publisher")
            try:
                publisher.publish_many(events)
            except PublishFailed as failed:
                refused = set(failed.event_ids)
                self._remember(f"event:{d.event_id}" for _, d in events if d.event_id not in refused)
                raise
            self._remember(f"event:{d.event_id}" for _, d in events)
        messages: list[tuple[str, QueueMessage]] = []
        for pending in pendings:
            base = f"message:{pending.key['pk']}#{pending.key['sk']}#{pending.created_at}#"
            messages.extend(
                (f"{base}{n}", m) for n, m in enumerate(pending.messages) if f"{base}{n}" not in self._sent
            )
        if messages:
            self._send([m for _, m in messages])
            self._remember(sent for sent, _ in messages)

    def flush_key(self, key: Mapping[str, str]) -> bool:
        """Flush the pending item at ``key`` if it is still there (a retry, a redelivery, the sweeper)."""
        item = self._table.get(key, consistent=True)
        if item is None or item.get("entity") != "outbox":
            return False
        self.flush(_from_item(item))
        return True

    def flush_entity(self, entity_pk: str, name: str = "") -> bool:
        return self.flush_key(outbox_key(entity_pk, name))

    # -------------------------------------------------------------- sweep

    def sweep(self, *, older_than: timedelta = SWEEP_AFTER, limit: int = 500) -> SweepReport:
        """Flush pending items older than ``older_than`` (nobody retried them); a failure skips only it."""
        cutoff = to_iso(self._clock.now() - older_than)
        report = SweepReport()
        for shard in range(self._shards):
            params: dict[str, Any] = {
                "TableName": self._table.name,
                "IndexName": self._index,
                "KeyConditionExpression": "due_pk = :pk AND due_sk < :cutoff",
                "ExpressionAttributeValues": serialize({":pk": f"{OUTBOX_SORT}#{shard}", ":cutoff": cutoff}),
            }
            while report.flushed + len(report.failed) < limit:
                response = self._table.client.query(**params)
                for raw in response.get("Items", []):
                    found = deserialize(raw)
                    key = {"pk": str(found["pk"]), "sk": str(found["sk"])}
                    try:
                        if self.flush_key(key):
                            report.flushed += 1
                    except Exception:  # one stuck item must not stop the others
                        report.failed.append(key["pk"])
                last = response.get("LastEvaluatedKey")
                if not last:
                    break
                params["ExclusiveStartKey"] = last
        return report

    # -------------------------------------------------------------- helpers

    def _remember(self, sent: Iterable[str]) -> None:
        for key in sent:
            self._sent[key] = None
            self._sent.move_to_end(key)
        while len(self._sent) > REMEMBERED_SENDS:
            self._sent.popitem(last=False)

    def _send(self, messages: Sequence[QueueMessage]) -> None:
        by_queue: dict[str, list[str]] = {}
        for message in messages:
            by_queue.setdefault(message.queue_url, []).append(message.body)
        for queue_url, bodies in by_queue.items():
            for start in range(0, len(bodies), SQS_BATCH):
                entries = [
                    {"Id": str(n), "MessageBody": body}
                    for n, body in enumerate(bodies[start : start + SQS_BATCH])
                ]
                response = self.sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
                failed = response.get("Failed", [])
                if failed:
                    raise MessagesNotSent(
                        len(failed),
                        str(failed[0].get("Code", "")),
                        sender_fault=any(f.get("SenderFault") for f in failed),
                    )


def pack_effects(pending: PendingEffects) -> bytes:
    """The events and messages as one zlib-compressed JSON document (the ``effects`` attribute).

    Why: the pending item is written in a transaction (2 WRU per started KB), copied to the sweep index and
    deleted after the flush (billed by its size again), and event details are repetitive JSON: compressed,
    a write's pending item is usually under 1 KB where its plain events were 2-3 KB (issue 18).
    """
    document = {
        "events": [[t, d] for t, d in pending.events],
        "messages": [[m.queue_url, m.body] for m in pending.messages],
    }
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode(), 9)


def _from_item(item: Mapping[str, Any]) -> PendingEffects:
    packed = item.get(EFFECTS)
    if packed is not None:
        document = json.loads(zlib.decompress(bytes(packed)))  # boto3's Binary, or bytes
        events = tuple((str(t), str(d)) for t, d in document.get("events", []))
        messages = tuple(QueueMessage(str(u), str(b)) for u, b in document.get("messages", []))
    else:  # an item written before the effects were packed (still flushed as it was stored)
        events = tuple((str(e["detail_type"]), str(e["detail"])) for e in item.get("events", []))
        messages = tuple(QueueMessage(str(m["queue_url"]), str(m["body"])) for m in item.get("messages", []))
    return PendingEffects(
        key={"pk": str(item["pk"]), "sk": str(item["sk"])},
        events=events,
        messages=messages,
        created_at=str(item.get("created_at", "")),
    )
