"""The local cloud's moto stays small: a failed transaction restores exactly what it touched while sharing
every other item, and moto's per-request records are kept to the latest MODEL_HISTORY."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local import moto_memory
from infra.local.moto_memory import MODEL_HISTORY

REGION = "us-east-1"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    moto_memory.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName="t",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def _stored(pk: str, sk: str) -> Any:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables["t"]
    return table.items.get(DynamoType({"S": pk}), {}).get(DynamoType({"S": sk}))


def _item(client: Any, pk: str, sk: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = client.get_item(TableName="t", Key={"pk": {"S": pk}, "sk": {"S": sk}}).get(
        "Item"
    )
    return found


def test_a_failed_transaction_restores_what_it_touched_and_shares_everything_else(dynamodb: Any):
    for sk, count in (("updated", "1"), ("deleted", "1"), ("untouched", "7"), ("guard", "0")):
        dynamodb.put_item(TableName="t", Item={"pk": {"S": "p"}, "sk": {"S": sk}, "n": {"N": count}})
    untouched = _stored("p", "untouched")

    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": "t",
                        "Key": {"pk": {"S": "p"}, "sk": {"S": "updated"}},
                        "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": {":n": {"N": "2"}},
                    }
                },
                {"Put": {"TableName": "t", "Item": {"pk": {"S": "p"}, "sk": {"S": "new"}}}},
                {"Delete": {"TableName": "t", "Key": {"pk": {"S": "p"}, "sk": {"S": "deleted"}}}},
                {
                    # Fails last, after the three writes above were applied in place.
                    "ConditionCheck": {
                        "TableName": "t",
                        "Key": {"pk": {"S": "p"}, "sk": {"S": "guard"}},
                        "ConditionExpression": "n = :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )

    assert _item(dynamodb, "p", "updated")["n"] == {"N": "1"}  # type: ignore[index]
    assert _item(dynamodb, "p", "new") is None
    assert _item(dynamodb, "p", "deleted") is not None
    # moto's own backup deep-copies the whole table: an item the transaction never named is not copied.
    assert _stored("p", "untouched") is untouched


def test_a_transaction_that_succeeds_applies_every_write(dynamodb: Any):
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "t", "Item": {"pk": {"S": "p"}, "sk": {"S": str(n)}}}} for n in range(3)
        ]
    )
    assert [_item(dynamodb, "p", str(n)) is not None for n in range(3)] == [True, True, True]


def test_moto_keeps_only_the_latest_model_instances(dynamodb: Any):
    from moto.dynamodb.models.dynamo_type import Item

    for n in range(MODEL_HISTORY + 50):
        dynamodb.put_item(TableName="t", Item={"pk": {"S": "p"}, "sk": {"S": "same"}, "n": {"N": str(n)}})

    # Every put creates an Item; moto would keep all of them alive for its dashboard.
    assert len(Item.instances_tracked) <= MODEL_HISTORY  # type: ignore[attr-defined]


def test_the_latest_instances_can_be_read_while_new_ones_are_created(dynamodb: Any):
    from moto.dynamodb.models.dynamo_type import Item

    for n in range(3):
        dynamodb.put_item(TableName="t", Item={"pk": {"S": "p"}, "sk": {"S": f"before-{n}"}})
    tracked = Item.instances_tracked  # type: ignore[attr-defined]
    expected = len(tracked)
    seen = 0
    # What /moto-api/data.json does while the threaded server keeps writing: it reads what was there.
    for _instance in tracked:
        dynamodb.put_item(TableName="t", Item={"pk": {"S": "p"}, "sk": {"S": f"during-{seen}"}})
        seen += 1
        if seen > expected:
            break

    assert seen == expected


def test_sent_sms_are_kept_to_the_latest(dynamodb: Any):
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    sns = boto3.client("sns", region_name=REGION)
    for n in range(MODEL_HISTORY + 20):
        sns.publish(PhoneNumber="+8613800000000", Message=f"message {n}")

    backend = sns_backends[DEFAULT_ACCOUNT_ID][REGION]
    assert len(backend.sms_messages) == MODEL_HISTORY
    assert list(backend.sms_messages.values())[-1] == ("+8613800000000", f"message {MODEL_HISTORY + 19}")
