"""``arranged`` (tests/integration/conftest.py) seen through the API, as the next test sees it: a restored
world is exactly the saved one (every item, every message with its visibility, every user with their groups
and attributes), a test's writes on it are gone before the next test, and the build runs once per worker.
The save and restore reach into moto's backends for speed (``moto_state``); this keeps them honest if moto's
insides change."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import boto3
import pytest

from infra.local.provision import Stack
from tests.integration.conftest import _empty, _World, arranger


def _build(stack: Stack, runs: list[int]) -> dict[str, Any]:
    """Something in every table, queue and pool: items, one message in flight and one waiting per queue, a
    user in a group per pool."""
    runs.append(1)
    dynamodb = boto3.client("dynamodb")
    for table in stack.resources_of_type("AWS::DynamoDB::Table").values():
        schema = dynamodb.describe_table(TableName=table.ref)["Table"]["KeySchema"]
        for n in range(2):
            item = {k["AttributeName"]: {"S": f"world-{n}"} for k in schema}
            dynamodb.put_item(TableName=table.ref, Item={**item, "n": {"N": str(n)}})
    sqs: Any = boto3.client("sqs")  # keyword arguments built per queue kind
    for queue in stack.resources_of_type("AWS::SQS::Queue").values():
        fifo = queue.ref.endswith(".fifo")
        for body in ("in flight", "waiting"):
            extra = {"MessageGroupId": body, "MessageDeduplicationId": body} if fifo else {}
            sqs.send_message(QueueUrl=queue.ref, MessageBody=body, **extra)
            if body == "in flight":
                sqs.receive_message(QueueUrl=queue.ref, MaxNumberOfMessages=1, VisibilityTimeout=300)
    cognito = boto3.client("cognito-idp")
    for pool in stack.resources_of_type("AWS::Cognito::UserPool").values():
        cognito.admin_create_user(
            UserPoolId=pool.ref, Username="world-user", UserAttributes=[{"Name": "name", "Value": "李"}]
        )
        cognito.create_group(UserPoolId=pool.ref, GroupName="world-group")
        cognito.admin_add_user_to_group(UserPoolId=pool.ref, Username="world-user", GroupName="world-group")
    return {"people": ["world-user"]}


def _write_over(stack: Stack) -> None:
    """What a test might do on the world: add, change and delete items, send and receive messages, add
    and delete users and memberships."""
    dynamodb = boto3.client("dynamodb")
    for table in stack.resources_of_type("AWS::DynamoDB::Table").values():
        schema = dynamodb.describe_table(TableName=table.ref)["Table"]["KeySchema"]
        key = {k["AttributeName"]: {"S": "world-0"} for k in schema}
        dynamodb.put_item(TableName=table.ref, Item={**key, "n": {"N": "99"}})
        dynamodb.delete_item(TableName=table.ref, Key={k["AttributeName"]: {"S": "world-1"} for k in schema})
        dynamodb.put_item(TableName=table.ref, Item={k["AttributeName"]: {"S": "test"} for k in schema})
    sqs: Any = boto3.client("sqs")
    for queue in stack.resources_of_type("AWS::SQS::Queue").values():
        fifo = queue.ref.endswith(".fifo")
        extra = {"MessageGroupId": "t", "MessageDeduplicationId": "t"} if fifo else {}
        sqs.send_message(QueueUrl=queue.ref, MessageBody="the test's", **extra)
        for message in sqs.receive_message(QueueUrl=queue.ref, MaxNumberOfMessages=10).get("Messages", []):
            sqs.delete_message(QueueUrl=queue.ref, ReceiptHandle=message["ReceiptHandle"])
    cognito = boto3.client("cognito-idp")
    for pool in stack.resources_of_type("AWS::Cognito::UserPool").values():
        cognito.admin_create_user(UserPoolId=pool.ref, Username="test-user")
        cognito.admin_add_user_to_group(UserPoolId=pool.ref, Username="test-user", GroupName="world-group")
        cognito.admin_remove_user_from_group(
            UserPoolId=pool.ref, Username="world-user", GroupName="world-group"
        )
        cognito.admin_update_user_attributes(
            UserPoolId=pool.ref, Username="world-user", UserAttributes=[{"Name": "name", "Value": "王"}]
        )


def _seen(stack: Stack) -> dict[str, Any]:
    """The stack as the API shows it, without changing it."""
    dynamodb = boto3.client("dynamodb")
    sqs = boto3.client("sqs")
    cognito = boto3.client("cognito-idp")
    seen: dict[str, Any] = {}
    for table in stack.resources_of_type("AWS::DynamoDB::Table").values():
        items = dynamodb.scan(TableName=table.ref, ConsistentRead=True)["Items"]
        seen[table.ref] = sorted(items, key=repr)
    for queue in stack.resources_of_type("AWS::SQS::Queue").values():
        counts = sqs.get_queue_attributes(QueueUrl=queue.ref, AttributeNames=["All"])["Attributes"]
        seen[queue.ref] = (
            counts["ApproximateNumberOfMessages"],
            counts["ApproximateNumberOfMessagesNotVisible"],
        )
    for pool in stack.resources_of_type("AWS::Cognito::UserPool").values():
        users = cognito.list_users(UserPoolId=pool.ref)["Users"]
        groups = [g["GroupName"] for g in cognito.list_groups(UserPoolId=pool.ref)["Groups"]]
        seen[pool.ref] = (
            sorted((u["Username"], repr(sorted(u["Attributes"], key=repr))) for u in users),
            {
                g: sorted(
                    u["Username"]
                    for u in cognito.list_users_in_group(UserPoolId=pool.ref, GroupName=g)["Users"]
                )
                for g in groups
            },
        )
    return seen


def _waiting_bodies(stack: Stack) -> dict[str, list[str]]:
    sqs = boto3.client("sqs")
    return {
        queue.ref: [
            m["Body"]
            for m in sqs.receive_message(QueueUrl=queue.ref, MaxNumberOfMessages=10).get("Messages", [])
        ]
        for queue in stack.resources_of_type("AWS::SQS::Queue").values()
    }


def test_a_restored_world_is_the_saved_one_without_the_last_tests_writes(stack: Stack) -> None:
    worlds: dict[tuple[Hashable, ...], _World] = {}
    runs: list[int] = []

    def build() -> dict[str, Any]:
        return _build(stack, runs)

    first = arranger(stack, worlds)(build)
    saved_view = _seen(stack)
    _write_over(stack)
    assert _seen(stack) != saved_view  # the writes are visible before the next test
    first["people"].append("mutated by the first test")

    _empty(stack)  # the next test, as the stack fixture starts it
    second = arranger(stack, worlds)(build)

    assert runs == [1]  # built once
    assert second == {"people": ["world-user"]}  # a fresh copy of the value, not the first test's
    assert _seen(stack) == saved_view
    # The in-flight messages stay in flight, the waiting ones are the world's, not the test's.
    assert set(map(tuple, _waiting_bodies(stack).values())) == {("waiting",)}
    # A third test gets the world again, untouched by the second's reads.
    _empty(stack)
    arranger(stack, worlds)(build)
    assert _seen(stack) == saved_view
    assert runs == [1]


def test_steps_chain_and_writes_before_a_step_are_refused(stack: Stack) -> None:
    worlds: dict[tuple[Hashable, ...], _World] = {}
    table = stack.ref("DirectoryTable")
    dynamodb = boto3.client("dynamodb")

    def put(pk: str) -> str:
        dynamodb.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": "x"}})
        return pk

    arrange = arranger(stack, worlds)
    arrange(lambda: put("base"))
    assert arrange(lambda: put("on top"), key="on top") == "on top"

    _empty(stack)
    again = arranger(stack, worlds)
    again(lambda: put("base"))
    again(lambda: put("on top"), key="on top")
    keys = sorted(i["pk"]["S"] for i in dynamodb.scan(TableName=table, ConsistentRead=True)["Items"])
    assert keys == ["base", "on top"]

    put("between steps")
    with pytest.raises(RuntimeError, match="written before this step"):
        again(lambda: "late", key="late")

    _empty(stack)
    put("before the first step")
    with pytest.raises(RuntimeError, match="written before this step"):
        arranger(stack, worlds)(lambda: "world")


def test_a_build_that_writes_s3_is_refused(stack: Stack) -> None:
    bucket = next(iter(stack.resources_of_type("AWS::S3::Bucket").values())).ref

    def build() -> None:
        boto3.client("s3").put_object(Bucket=bucket, Key="photo.jpg", Body=b"x")

    with pytest.raises(RuntimeError, match="S3"):
        arranger(stack, {})(build)
