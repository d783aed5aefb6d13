"""The transactional outbox on moto: effects commit with the write, flush, repeat safely, sweep."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from courtyard import aws
from courtyard.audit import AuditWriter
from courtyard.clock import FixedClock
from courtyard.cursor import CursorCodec
from courtyard.events import DomainEvent, EventPublisher
from courtyard.outbox import Outbox, QueueMessage, outbox_key
from courtyard.table import Table
from courtyard.tenancy import Role, TenantContext
from infra.local.ddb_units import item_size

BUS = "courtyard-test"
TABLE = "feature"
AUDIT = "audit"
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
DESK = TenantContext(tenant_id="t1", user_id="u-7", roles=frozenset({Role.SERVICE_DESK}))


class ThingCreated(DomainEvent):
    thing_id: str
    note: str = "备注"


def _tables() -> None:
    dynamodb = aws.client("dynamodb")
    keys = {
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
    dynamodb.create_table(TableName=AUDIT, **keys)
    dynamodb.create_table(
        TableName=TABLE,
        **{
            **keys,
            "AttributeDefinitions": [
                *keys["AttributeDefinitions"],
                {"AttributeName": "due_pk", "AttributeType": "S"},
                {"AttributeName": "due_sk", "AttributeType": "S"},
            ],
        },
        GlobalSecondaryIndexes=[
            {
                "IndexName": "due",
                "KeySchema": [
                    {"AttributeName": "due_pk", "KeyType": "HASH"},
                    {"AttributeName": "due_sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )


def _bus_queue() -> str:
    events, sqs = aws.client("events"), aws.client("sqs")
    events.create_event_bus(Name=BUS)
    url = sqs.create_queue(QueueName="bus-target")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all", EventBusName=BUS, EventPattern=json.dumps({"source": ["courtyard.things"]}))
    events.put_targets(Rule="all", EventBusName=BUS, Targets=[{"Id": "q", "Arn": arn}])
    return str(url)


def _drain(url: str) -> list[Any]:
    sqs = aws.client("sqs")
    received: list[Any] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            received.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return received


class World:
    def __init__(self) -> None:
        _tables()
        self.bus_queue = _bus_queue()
        self.commands = str(aws.client("sqs").create_queue(QueueName="commands")["QueueUrl"])
        self.clock = FixedClock(NOW)
        self.table = Table(TABLE, CursorCodec(b"k" * 32))
        self.publisher = EventPublisher(BUS, "courtyard.things")
        self.outbox = Outbox(self.table, self.clock, self.publisher)
        self.audit = AuditWriter(AUDIT, 180, self.clock)

    def write(self, thing_id: str) -> Any:
        """A feature's write: the thing, its audit record and its pending effects in one transaction."""
        pk = f"T#t1#THING#{thing_id}"
        event = ThingCreated(tenant_id="t1", thing_id=thing_id, occurred_at=self.clock.now())
        pending = self.outbox.pending(
            pk,
            events=[("ThingCreated", event)],
            messages=[QueueMessage(self.commands, json.dumps({"thing_id": thing_id}))],
        )
        self.table.transact(
            [
                self.table.put_action({"pk": pk, "sk": "THING"}, "attribute_not_exists(pk)"),
                self.audit.put_action(DESK, "thing.create", "thing", thing_id),
                self.outbox.put_action(pending),
            ]
        )
        return pending, event

    def items(self, name: str) -> list[dict[str, Any]]:
        return list(aws.client("dynamodb").scan(TableName=name)["Items"])


@pytest.fixture
def world(moto: None) -> World:
    return World()


def test_the_write_its_audit_record_and_its_pending_effects_commit_together(world: World) -> None:
    world.write("a")

    assert {i["sk"]["S"] for i in world.items(TABLE)} == {"THING", "OUTBOX"}
    audit = world.items(AUDIT)
    assert [(a["action"]["S"], a["resource_id"]["S"]) for a in audit] == [("thing.create", "a")]


def test_a_failed_transaction_leaves_neither_audit_nor_pending_effects(world: World) -> None:
    world.write("a")
    with pytest.raises(Exception, match="already exists"):
        world.write("a")  # the thing exists: the whole transaction is refused

    assert len(world.items(AUDIT)) == 1
    assert len(world.items(TABLE)) == 2


def test_flush_publishes_the_stored_events_sends_the_messages_and_deletes_the_pending_item(
    world: World,
) -> None:
    pending, event = world.write("a")

    world.outbox.flush(pending)

    received = _drain(world.bus_queue)
    assert [r["detail"] for r in received] == [event.model_dump(mode="json")]
    assert _drain(world.commands) == [{"thing_id": "a"}]
    assert {i["sk"]["S"] for i in world.items(TABLE)} == {"THING"}


def test_a_failed_flush_keeps_the_pending_item_and_a_retry_flushes_it_with_the_same_event_ids(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pending, event = world.write("a")
    client = aws.client("sqs")
    real = client.send_message_batch

    def refuse(**_: Any) -> Any:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "x"}}, "SendMessageBatch")

    monkeypatch.setattr(client, "send_message_batch", refuse)
    with pytest.raises(ClientError):
        world.outbox.flush(pending)  # the events went out, the command did not
    monkeypatch.setattr(client, "send_message_batch", real)
    assert "OUTBOX" in {i["sk"]["S"] for i in world.items(TABLE)}

    assert world.outbox.flush_entity("T#t1#THING#a") is True

    # This process remembers the accepted event: the retry sends only the command.
    assert [r["detail"]["event_id"] for r in _drain(world.bus_queue)] == [event.event_id]
    assert _drain(world.commands) == [{"thing_id": "a"}]
    assert world.outbox.flush_entity("T#t1#THING#a") is False


def test_another_process_repeats_what_was_sent_with_the_same_event_ids(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pending, event = world.write("a")
    client = aws.client("dynamodb")
    real = client.delete_item

    def refuse(**_: Any) -> Any:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "x"}}, "DeleteItem")

    monkeypatch.setattr(client, "delete_item", refuse)
    with pytest.raises(ClientError):
        world.outbox.flush(pending)  # everything sent, only the delete failed
    monkeypatch.setattr(client, "delete_item", real)

    other_process = Outbox(world.table, world.clock, world.publisher)
    assert other_process.flush_entity("T#t1#THING#a") is True

    ids = [r["detail"]["event_id"] for r in _drain(world.bus_queue)]
    assert ids == [event.event_id, event.event_id]  # at least once, same id: consumers drop the repeat
    assert _drain(world.commands) == [{"thing_id": "a"}, {"thing_id": "a"}]


def test_a_second_flush_of_the_same_pending_effects_is_harmless(world: World) -> None:
    pending, event = world.write("a")

    world.outbox.flush(pending)
    world.outbox.flush(pending)  # a concurrent flush: its delete finds nothing, and that is fine

    assert {r["detail"]["event_id"] for r in _drain(world.bus_queue)} == {event.event_id}
    assert world.outbox.flush_key(outbox_key("T#t1#THING#a")) is False


def test_the_sweeper_flushes_only_pending_items_older_than_two_minutes(world: World) -> None:
    world.write("old")
    world.clock.advance(minutes=2, seconds=1)
    world.write("new")

    report = world.outbox.sweep()

    assert report.flushed == 1
    assert report.failed == []
    assert _drain(world.commands) == [{"thing_id": "old"}]
    world.clock.advance(minutes=3)
    assert world.outbox.sweep().flushed == 1
    assert _drain(world.commands) == [{"thing_id": "new"}]
    assert {i["sk"]["S"] for i in world.items(TABLE)} == {"THING"}
    assert world.outbox.sweep().flushed == 0


def test_many_writes_flush_together_and_leftovers_are_found_by_key(world: World) -> None:
    pendings = [world.write(name)[0] for name in ("a", "b", "c")]

    world.outbox.flush_many(pendings[:1])
    leftovers = world.outbox.pending_at([outbox_key(f"T#t1#THING#{name}") for name in ("a", "b", "c")])

    assert sorted(p.key["pk"] for p in leftovers) == ["T#t1#THING#b", "T#t1#THING#c"]
    assert world.outbox.flush_keys([p.key for p in leftovers]) == 2
    assert sorted(m["thing_id"] for m in _drain(world.commands)) == ["a", "b", "c"]
    assert len(_drain(world.bus_queue)) == 3
    assert {i["sk"]["S"] for i in world.items(TABLE)} == {"THING"}
    assert world.outbox.flush_keys([p.key for p in pendings]) == 0


def test_a_pending_item_the_sweep_cannot_send_is_reported_and_the_others_still_go_out(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.write("a")
    world.write("b")
    world.clock.advance(minutes=3)
    sqs = aws.client("sqs")
    real = sqs.send_message_batch

    def refuse_a(**kwargs: Any) -> Any:
        if '"a"' in kwargs["Entries"][0]["MessageBody"]:
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "x"}}, "SendMessageBatch")
        return real(**kwargs)

    monkeypatch.setattr(sqs, "send_message_batch", refuse_a)
    report = world.outbox.sweep()
    monkeypatch.setattr(sqs, "send_message_batch", real)

    assert report.flushed == 1
    assert report.failed == ["T#t1#THING#a"]
    assert _drain(world.commands) == [{"thing_id": "b"}]
    assert world.outbox.sweep().flushed == 1  # the next run sends it
    assert _drain(world.commands) == [{"thing_id": "a"}]


def test_the_pending_effects_are_stored_compressed_and_flush_as_they_were_built(world: World) -> None:
    """Issue 18: the pending item is written in a transaction, copied to the sweep index and deleted, each
    billed by its size: its events and messages are stored as one compressed document."""
    pk = "T#t1#THING#big"
    events = [
        (
            "ThingCreated",
            ThingCreated(
                tenant_id="t1", thing_id=f"big-{n}", note="楼上漏水，请尽快维修。" * 4, occurred_at=NOW
            ),
        )
        for n in range(6)
    ]
    pending = world.outbox.pending(pk, events=events, messages=[QueueMessage(world.commands, "{}")])
    world.table.transact([world.outbox.put_action(pending)])
    stored = aws.client("dynamodb").get_item(TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": "OUTBOX"}})
    item = stored["Item"]
    assert set(item) >= {"effects", "due_pk", "due_sk"}
    assert "events" not in item
    plain = sum(len(detail) for _, detail in pending.events)
    assert item_size(item) < 1024 < plain  # one write unit where the plain details alone were over a KB
    assert world.outbox.flush_keys([outbox_key(pk)]) == 1
    published = [e["detail"] for e in _drain(world.bus_queue)]
    assert sorted(d["thing_id"] for d in published) == [f"big-{n}" for n in range(6)]
    assert [d["event_id"] for d in published if d["thing_id"] == "big-0"] == [events[0][1].event_id]


def test_a_pending_item_stored_before_the_effects_were_packed_still_flushes(world: World) -> None:
    pk = "T#t1#THING#old"
    event = ThingCreated(tenant_id="t1", thing_id="old", occurred_at=world.clock.now())
    world.table.put(
        {
            **outbox_key(pk),
            "entity": "outbox",
            "created_at": "2026-03-10T01:00:00Z",
            "events": [{"detail_type": "ThingCreated", "detail": event.model_dump_json()}],
            "messages": [{"queue_url": world.commands, "body": '{"thing_id": "old"}'}],
        }
    )
    assert world.outbox.flush_keys([outbox_key(pk)]) == 1
    assert [d["detail"]["event_id"] for d in _drain(world.bus_queue)] == [event.event_id]
    assert [json.loads(b) for b in _bodies(world.commands)] == [{"thing_id": "old"}]


def _bodies(url: str) -> list[str]:
    sqs = aws.client("sqs")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [str(m["Body"]) for m in messages]
