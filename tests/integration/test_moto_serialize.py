"""moto answers the same with the serialiser's keys kept (``moto_serialize``) as with its own method: the
same calls on the worker's stack (DynamoDB items of every attribute type, a table's description, queue
messages with attributes, a Cognito user with its attributes and groups) compared field for field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from moto.core import serialize

from infra.local.provision import Stack
from tests.integration import moto_serialize


def _answers(stack: Stack) -> list[dict[str, Any]]:
    dynamodb: Any = boto3.client("dynamodb")
    sqs: Any = boto3.client("sqs")
    cognito: Any = boto3.client("cognito-idp")
    table, pool = stack.ref("DirectoryTable"), stack.ref("UserPool")
    queue = next(iter(stack.resources_of_type("AWS::SQS::Queue").values())).ref
    answers: list[dict[str, Any]] = [
        dynamodb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "SERIALISE"}},
        ),
        dynamodb.get_item(TableName=table, Key={"pk": {"S": "SERIALISE"}, "sk": {"S": "1"}}),
        dynamodb.describe_table(TableName=table),
        sqs.receive_message(
            QueueUrl=queue,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
            VisibilityTimeout=0,  # received again by the second round
        ),
        cognito.admin_get_user(UserPoolId=pool, Username="serialise"),
        cognito.list_users(UserPoolId=pool),
        cognito.admin_list_groups_for_user(UserPoolId=pool, Username="serialise"),
    ]
    for answer in answers:
        answer.pop("ResponseMetadata", None)
        for message in answer.get("Messages", ()):
            message.pop("ReceiptHandle")  # new for every receive
            message["Attributes"].pop("ApproximateReceiveCount")
            message["Attributes"].pop("ApproximateFirstReceiveTimestamp")
    return answers


def test_the_kept_keys_give_the_answers_moto_gives(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    dynamodb, sqs, cognito = boto3.client("dynamodb"), boto3.client("sqs"), boto3.client("cognito-idp")
    table, pool = stack.ref("DirectoryTable"), stack.ref("UserPool")
    queue = next(iter(stack.resources_of_type("AWS::SQS::Queue").values())).ref
    for sk in ("1", "2"):
        dynamodb.put_item(
            TableName=table,
            Item={
                "pk": {"S": "SERIALISE"},
                "sk": {"S": sk},
                "n": {"N": "12.5"},
                "b": {"B": b"\x00\x01"},
                "yes": {"BOOL": True},
                "none": {"NULL": True},
                "ss": {"SS": ["a", "b"]},
                "ns": {"NS": ["1", "2"]},
                "list": {"L": [{"S": "x"}, {"M": {"deep": {"N": "3"}}}]},
                "map": {"M": {"name": {"S": "王"}, "tags": {"SS": ["t"]}}},
            },
        )
    sqs.send_message(
        QueueUrl=queue,
        MessageBody="{}",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}},
    )
    cognito.admin_create_user(
        UserPoolId=pool, Username="serialise", UserAttributes=[{"Name": "email", "Value": "a@example.com"}]
    )
    cognito.create_group(UserPoolId=pool, GroupName="serialise")
    cognito.admin_add_user_to_group(UserPoolId=pool, Username="serialise", GroupName="serialise")

    assert serialize.XFormedAttributePicker.get_possible_keys is not moto_serialize.ORIGINAL  # installed
    kept = _answers(stack)
    picker: Callable[..., Any] = moto_serialize.ORIGINAL
    monkeypatch.setattr(serialize.XFormedAttributePicker, "get_possible_keys", picker)
    own = _answers(stack)

    assert serialize.XFormedAttributePicker.get_possible_keys is moto_serialize.ORIGINAL
    assert own == kept
    assert own[0]["Items"][0]["list"]["L"][1]["M"]["deep"] == {"N": "3"}  # the nested types came back
