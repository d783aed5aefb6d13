"""The due indexes drained on moto (issue 18: no throughput walls): each scheduled job's repository yields
every due item of every shard, page after page, where it used to stop at one page per shard (tickets 8 x 25
a minute, notifications 4 x 100, heartbeat 8 x 200, reminders 8 x 500 an hour)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from courtyard.cursor import CursorCodec
from courtyard.table import Table

NOW = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)
EARLIER = "2026-03-10T22:00:00Z"
PAGE = 3


def _table(name: str) -> Table:
    client = boto3.client("dynamodb")
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "due_pk", "due_sk")
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "due",
                "KeySchema": [
                    {"AttributeName": "due_pk", "KeyType": "HASH"},
                    {"AttributeName": "due_sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    return Table(name, CursorCodec(b"k" * 32), client=client)


def _put(table: Table, items: Iterable[dict[str, str]]) -> None:
    for n, item in enumerate(items):
        table.client.put_item(
            TableName=table.name,
            Item={k: {"S": v} for k, v in {"pk": f"P#{n}", "sk": "S", **item}.items()},
        )


def tickets(table: Table, n: int) -> tuple[int, Callable[[], Iterable[Any]]]:
    from tickets import keys
    from tickets.repositories.jobs import JobsRepository

    _put(
        table,
        (
            {
                "due_pk": keys.due_partition(f"tk{i}"),
                "due_sk": f"{EARLIER}#tk{i}",
                "tenant_id": "t1",
                "ticket_id": f"tk{i}",
            }
            for i in range(n)
        ),
    )
    return keys.DUE_SHARDS, lambda: JobsRepository(table, None).due(NOW, PAGE)  # type: ignore[arg-type]


def notifications(table: Table, n: int) -> tuple[int, Callable[[], Iterable[Any]]]:
    from notifications import keys
    from notifications.repository import NotificationsRepository

    _put(
        table,
        (
            {
                "due_pk": keys.due_partition(f"n{i}"),
                "due_sk": f"{EARLIER}#n{i}",
                "tenant_id": "t1",
                "kind": "notice",
                "entry_id": f"n{i}",
                "due_at": EARLIER,
            }
            for i in range(n)
        ),
    )
    return keys.DUE_SHARDS, lambda: NotificationsRepository(table).due(NOW, PAGE)


def reminders(table: Table, n: int) -> tuple[int, Callable[[], Iterable[Any]]]:
    from payments import keys
    from payments.repository import PaymentsRepository

    _put(
        table,
        (
            {"due_pk": keys.due_partition(f"b{i}"), "due_sk": keys.due_sort("2026-03-10", "t1", f"b{i}")}
            for i in range(n)
        ),
    )
    return keys.DUE_SHARDS, lambda: PaymentsRepository(table).due_bills("2026-03-11", PAGE)


def heartbeat(table: Table, n: int) -> tuple[int, Callable[[], Iterable[Any]]]:
    from sensors import keys
    from sensors.repository import SensorsRepository

    _put(
        table,
        (
            {
                "due_pk": keys.due_partition(f"d{i}"),
                "due_sk": f"{EARLIER}#d{i}",
                "tenant_id": "t1",
                "device_id": f"d{i}",
            }
            for i in range(n)
        ),
    )
    return keys.DUE_SHARDS, lambda: SensorsRepository(table).due_devices(NOW, PAGE)


@pytest.mark.parametrize("job", [tickets, notifications, reminders, heartbeat], ids=lambda f: f.__name__)
def test_every_due_item_of_every_shard_comes_out_beyond_one_page_per_shard(moto: None, job: Any) -> None:
    shards = {"tickets": 8, "notifications": 64, "reminders": 8, "heartbeat": 8}[job.__name__]
    n = shards * PAGE + 20  # more than one page per shard (the old cap per run) would have taken
    found, due = job(_table(job.__name__), n)
    assert found == shards
    assert len(list(due())) == n


def test_a_run_that_stops_reads_no_further(moto: None) -> None:
    table = _table("lazy")
    _, due = heartbeat(table, 80)
    calls: list[str] = []
    table.client.meta.events.register("before-call.dynamodb.Query", lambda **_: calls.append("q"))
    taken = iter(due())
    for _ in range(4):
        next(taken)
    assert len(calls) <= 2  # the first pages only, not every shard's every page
