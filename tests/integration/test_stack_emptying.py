"""The per-test emptying of the worker's stack (tests/integration/conftest.py) seen through the API, as the
next test sees it: no item in any table, no message in any queue (in flight ones too), no user in any pool
and no member left in a group. The emptying reaches into moto's backends for speed; this is what keeps it
honest if moto's insides change."""

from __future__ import annotations

from typing import Any

import boto3

from infra.local.provision import Stack
from tests.integration.conftest import _empty


def _fill(stack: Stack) -> None:
    dynamodb = boto3.client("dynamodb")
    for table in stack.resources_of_type("AWS::DynamoDB::Table").values():
        schema = dynamodb.describe_table(TableName=table.ref)["Table"]["KeySchema"]
        dynamodb.put_item(TableName=table.ref, Item={k["AttributeName"]: {"S": "left-over"} for k in schema})
    sqs: Any = boto3.client("sqs")  # keyword arguments built per queue kind
    for queue in stack.resources_of_type("AWS::SQS::Queue").values():
        fifo = queue.ref.endswith(".fifo")
        extra = {"MessageGroupId": "g", "MessageDeduplicationId": "d"} if fifo else {}
        sqs.send_message(QueueUrl=queue.ref, MessageBody="in flight", **extra)
        # One message received and not deleted: in flight for five minutes.
        sqs.receive_message(QueueUrl=queue.ref, MaxNumberOfMessages=1, VisibilityTimeout=300)
        sqs.send_message(
            QueueUrl=queue.ref,
            MessageBody="waiting",
            **{**extra, **({"MessageDeduplicationId": "e"} if fifo else {})},
        )
    cognito = boto3.client("cognito-idp")
    for pool in stack.resources_of_type("AWS::Cognito::UserPool").values():
        cognito.admin_create_user(UserPoolId=pool.ref, Username="left-over")
        cognito.create_group(UserPoolId=pool.ref, GroupName="left-over-group")
        cognito.admin_add_user_to_group(
            UserPoolId=pool.ref, Username="left-over", GroupName="left-over-group"
        )


def test_emptying_leaves_no_item_message_user_or_membership(stack: Stack) -> None:
    _fill(stack)

    _empty(stack)

    dynamodb = boto3.client("dynamodb")
    tables = stack.resources_of_type("AWS::DynamoDB::Table").values()
    assert tables
    for table in tables:
        assert dynamodb.scan(TableName=table.ref, ConsistentRead=True)["Items"] == [], table.ref
    sqs = boto3.client("sqs")
    for queue in stack.resources_of_type("AWS::SQS::Queue").values():
        counts = sqs.get_queue_attributes(QueueUrl=queue.ref, AttributeNames=["All"])["Attributes"]
        assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"]) == (
            "0",
            "0",
        ), queue.ref
    cognito = boto3.client("cognito-idp")
    for pool in stack.resources_of_type("AWS::Cognito::UserPool").values():
        assert cognito.list_users(UserPoolId=pool.ref)["Users"] == []
        assert cognito.list_users_in_group(UserPoolId=pool.ref, GroupName="left-over-group")["Users"] == []
        # The user can be made again under the same name, as the next test's seeding does.
        cognito.admin_create_user(UserPoolId=pool.ref, Username="left-over")
        cognito.delete_group(UserPoolId=pool.ref, GroupName="left-over-group")
