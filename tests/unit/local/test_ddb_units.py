"""DynamoDB units from item sizes and index projections (infra/local/ddb_units.py), against moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local.ddb_units import Index, UnitMeter, item_size, read_units, write_units


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "g", "d")
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "all",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                },
                {
                    "IndexName": "due",
                    "KeySchema": [{"AttributeName": "d", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                },
            ],
        )
        yield client


def priced(units: dict[str, float]) -> dict[str, float]:
    """The priced counters only (the attribution's ``wop:``/``wix:``/``rtb:`` repeat the same units)."""
    return {k: v for k, v in units.items() if k.split(":", 1)[0] not in ("wop", "wix", "rtb")}


def metered(dynamodb: Any) -> tuple[UnitMeter, Any]:
    meter = UnitMeter(client=dynamodb)
    session = boto3.session.Session(region_name="us-east-1")
    meter.install(session.events)
    return meter, session.client("dynamodb")


def test_sizes_follow_dynamodbs_rules():
    assert item_size({"pk": {"S": "ab"}}) == 4
    assert item_size({"n": {"N": "12345"}}) == 1 + 4  # 5 significant digits: 3 bytes + 1
    assert item_size({"m": {"M": {"a": {"BOOL": True}}}}) == 1 + 3 + 1 + 1 + 1
    assert write_units(1024) == 1
    assert write_units(1025) == 2
    assert read_units(5000, consistent=False) == 1.0
    assert read_units(10, consistent=True) == 1.0


def test_a_large_item_writes_its_kilobytes_to_the_table_and_to_every_full_copy(dynamodb):
    meter, client = metered(dynamodb)
    body = "x" * 2500  # about 2.5 KB: 3 WRU on the table, 3 in the ALL index, 1 in the KEYS_ONLY one
    client.put_item(
        TableName="t",
        Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "g": {"S": "G"}, "d": {"S": "D"}, "b": {"S": body}},
    )
    assert priced(meter.take()) == {"wru:t": 3.0, "wru:t/all": 3.0, "wru:t/due": 1.0}


def test_an_index_is_written_only_when_its_copy_changes(dynamodb):
    meter, client = metered(dynamodb)
    client.put_item(
        TableName="t", Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "g": {"S": "G"}, "d": {"S": "D"}}
    )
    meter.take()
    # A non-key attribute: the ALL copy changes, the KEYS_ONLY copy does not.
    client.update_item(
        TableName="t",
        Key={"pk": {"S": "a"}, "sk": {"S": "1"}},
        UpdateExpression="SET note = :n",
        ExpressionAttributeValues={":n": {"S": "hi"}},
    )
    assert priced(meter.take()) == {"wru:t": 1.0, "wru:t/all": 1.0}
    # The due key moves: the old entry is deleted and the new one put (2 writes).
    client.update_item(
        TableName="t",
        Key={"pk": {"S": "a"}, "sk": {"S": "1"}},
        UpdateExpression="SET d = :d",
        ExpressionAttributeValues={":d": {"S": "E"}},
    )
    assert priced(meter.take()) == {"wru:t": 1.0, "wru:t/all": 1.0, "wru:t/due": 2.0}
    # Leaving the sparse index: one delete.
    client.update_item(TableName="t", Key={"pk": {"S": "a"}, "sk": {"S": "1"}}, UpdateExpression="REMOVE d")
    assert priced(meter.take()) == {"wru:t": 1.0, "wru:t/all": 1.0, "wru:t/due": 1.0}


def test_transactions_cost_double_and_a_failed_condition_still_costs_the_table(dynamodb):
    meter, client = metered(dynamodb)
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "t", "Item": {"pk": {"S": "a"}, "sk": {"S": "1"}}}},
            {"Put": {"TableName": "t", "Item": {"pk": {"S": "a"}, "sk": {"S": "2"}, "g": {"S": "G"}}}},
        ]
    )
    assert priced(meter.take()) == {"wru:t": 4.0, "wru:t/all": 1.0}
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.put_item(
            TableName="t",
            Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "g": {"S": "G"}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    assert priced(meter.take()) == {"wru:t": 1.0}


def test_reads_are_sized_by_what_they_return(dynamodb):
    meter, client = metered(dynamodb)
    for n in range(3):
        client.put_item(TableName="t", Item={"pk": {"S": "q"}, "sk": {"S": str(n)}, "b": {"S": "y" * 3000}})
    meter.take()
    client.query(
        TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "q"}}
    )
    client.get_item(TableName="t", Key={"pk": {"S": "q"}, "sk": {"S": "0"}}, ConsistentRead=True)
    # 9 KB eventually: 3/2; one 4 KB strong
    assert priced(meter.take()) == {"rru:Query": 1.5, "rru:GetItem": 1.0}


def test_the_index_copy_of_a_keys_only_projection_keeps_only_keys():
    index = Index("due", ("d",), "KEYS_ONLY")
    entry = index.entry({"pk": {"S": "a"}, "d": {"S": "D"}, "big": {"S": "z" * 5000}}, ("pk",))
    assert entry == {"pk": {"S": "a"}, "d": {"S": "D"}}


def test_an_sns_publish_to_a_phone_number_is_counted_as_an_sms_and_a_push_is_not(dynamodb):
    meter = UnitMeter(client=dynamodb)
    session = boto3.session.Session(region_name="us-east-1")
    meter.install(session.events)
    sns = session.client("sns")
    sns.publish(PhoneNumber="+8613912345678", Message="访客通行证")
    topic = sns.create_topic(Name="t")["TopicArn"]
    sns.publish(TopicArn=topic, Message="not an sms")
    assert meter.take() == {"sms:Publish": 1.0}


def test_writes_are_attributed_by_operation_kind_and_index_and_reads_by_table(dynamodb):
    meter, client = metered(dynamodb)
    client.put_item(
        TableName="t", Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "g": {"S": "G"}, "d": {"S": "D"}}
    )
    client.put_item(TableName="t", Item={"pk": {"S": "b"}, "sk": {"S": "1"}})
    client.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": "t",
                    "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                    "UpdateExpression": "REMOVE d",
                }
            },
            {
                "ConditionCheck": {
                    "TableName": "t",
                    "Key": {"pk": {"S": "b"}, "sk": {"S": "1"}},
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
        ]
    )
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.update_item(
            TableName="t",
            Key={"pk": {"S": "a"}, "sk": {"S": "1"}},
            UpdateExpression="SET n = :n",
            ConditionExpression="attribute_not_exists(pk)",
            ExpressionAttributeValues={":n": {"S": "x"}},
        )
    client.query(
        TableName="t",
        IndexName="all",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "G"}},
    )
    units = meter.take()
    attributed = {k: v for k, v in units.items() if k not in priced(units)}
    assert attributed == {
        "wop:t:PutItem": 2.0,  # two items
        "wix:t/all:PutItem": 1.0,
        "wix:t/due:PutItem": 1.0,
        "wop:t:Transact.Update": 2.0,  # x2 inside a transaction
        "wop:t:Transact.ConditionCheck": 2.0,
        "wix:t/all:Transact.Update": 1.0,
        "wix:t/due:Transact.Update": 1.0,  # leaving the sparse index
        "wop:t:UpdateItem failed": 1.0,  # a failed condition is billed all the same
        "rtb:t/all:Query": 0.5,
    }
    # The attribution repeats the priced units, no more, no less.
    assert sum(v for k, v in attributed.items() if k[:3] in ("wop", "wix")) == units["wru:t"] + sum(
        v for k, v in units.items() if k.startswith("wru:t/")
    )
