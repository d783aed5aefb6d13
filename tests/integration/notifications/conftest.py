"""Notifications on in-process moto: every notifications function's environment, a fixed clock, the SES
identity and SNS platform applications an operator creates once, people with real (encrypted) contacts,
and ``pump()`` which runs the fan-out, event and delivery queues through their real handlers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from courtyard.clock import FixedClock
from courtyard.crypto import FieldCipher
from courtyard.directory import Keys
from courtyard.tenancy import Role
from infra.local.outbox import Outbox, model_data_document, outbox_from_model_data
from infra.local.provision import Stack
from tests.factories import lambda_context
from tests.integration.api import Caller, Reply, no_personal_numbers_in_logs, requester
from tests.integration.community import (
    Community,
    add_resident,
    add_staff,
    published,
    residents,
    seed,
    staff,
)

__all__ = [
    "Caller",
    "Community",
    "Reply",
    "no_personal_numbers_in_logs",
    "published",
    "residents",
    "seed",
    "staff",
]

FUNCTIONS = (
    "NotificationsFunction",
    "NotificationsEventsFunction",
    "NotificationsFanoutFunction",
    "NotificationsSenderFunction",
    "NotificationsPrioritySenderFunction",
    "NotificationsJobsFunction",
)
# 2026-03-10 10:00 in Shanghai (02:00 UTC): daytime, outside any evening quiet hours.
MORNING = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
SENDER = "noreply@courtyard.example.com"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MORNING)


@pytest.fixture
def env(
    function_env: Callable[[str], dict[str, str]], clock: FixedClock, stack: Stack
) -> Iterator[dict[str, str]]:
    """The union of the notifications functions' environments (one process plays all of them)."""
    merged: dict[str, str] = {}
    for function_id in FUNCTIONS:
        merged.update(function_env(function_id))
    # What an operator does once per account: verify the sender, create the push platform applications.
    boto3.client("ses").verify_email_identity(EmailAddress=SENDER)
    sns = boto3.client("sns")
    for platform, variable in (("GCM", "PUSH_FCM_APPLICATION_ARN"), ("APNS", "PUSH_APNS_APPLICATION_ARN")):
        name = merged[variable].rsplit("/", 1)[-1]
        sns.create_platform_application(Name=name, Platform=platform, Attributes={})
    from courtyard.wiring import use_clock

    use_clock(clock)
    yield merged
    use_clock(None)


def _route(path: str) -> tuple[str, dict[str, str] | None]:
    for pattern, resource, name in (
        (r"^/notices/([^/]+)/cancel$", "/notices/{notice_id}/cancel", "notice_id"),
        (r"^/notices/([^/]+)$", "/notices/{notice_id}", "notice_id"),
        (r"^/inbox/([^/]+)/read$", "/inbox/{message_id}/read", "message_id"),
        (r"^/me/push-endpoints/([^/]+)$", "/me/push-endpoints/{endpoint_id}", "endpoint_id"),
        (r"^/links/([^/]+)$", "/links/{code}", "code"),
    ):
        match = re.match(pattern, path)
        if match and match.group(1) != "unread-count":
            return resource, {name: match.group(1)}
    return path, None


@pytest.fixture
def call(env: dict[str, str]) -> Callable[..., Reply]:
    """``call("POST", "/notices", as_=caller, body={...})``: one request through the real API handler."""
    from notifications import handler

    return requester(handler, _route)


def _record(message: Any, queue_arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {k: str(v) for k, v in message.get("Attributes", {}).items()},
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }


@dataclass
class Pump:
    """Runs the queues through their handlers, as Lambda's SQS event sources would."""

    stack: Stack

    def batch(self, queue: str, handler: Any, max_messages: int = 10) -> dict[str, Any] | None:
        """One receive and one invocation; None when the queue had nothing visible."""
        sqs = boto3.client("sqs")
        messages = sqs.receive_message(
            QueueUrl=self.stack.ref(queue), MaxNumberOfMessages=max_messages, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return None
        arn = self.stack.attr(queue, "Arn")
        result: dict[str, Any] = handler.lambda_handler(
            {"Records": [_record(m, arn) for m in messages]}, lambda_context()
        )
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=self.stack.ref(queue), ReceiptHandle=message["ReceiptHandle"])
        return result

    def __call__(self, rounds: int = 50) -> int:
        """Drain the event, fan-out and both delivery queues (failures stay for a retry); the batches run."""
        from notifications import events_handler, fanout_handler, sender_handler

        runs = 0
        for _ in range(rounds):
            progressed = False
            for queue, handler in (
                ("NotificationsEventQueue", events_handler),
                ("NotificationsFanoutQueue", fanout_handler),
                ("NotificationsPriorityQueue", sender_handler),
                ("NotificationsDeliveryQueue", sender_handler),
            ):
                if self.batch(queue, handler) is not None:
                    progressed = True
                    runs += 1
            if not progressed:
                return runs
        return runs


@pytest.fixture
def pump(env: dict[str, str], stack: Stack) -> Pump:
    return Pump(stack)


def outbox() -> Outbox:
    return outbox_from_model_data(model_data_document())


def _update(stack: Stack, key: dict[str, str], **attributes: Any) -> None:
    table = boto3.resource("dynamodb").Table(stack.ref("DirectoryTable"))
    names = {f"#{k}": k for k in attributes}
    values = {f":{k}": v for k, v in attributes.items()}
    table.update_item(
        Key=key,
        UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in attributes),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


@dataclass
class People:
    """Residents and staff with real contacts: an encrypted phone and an email each."""

    stack: Stack

    def resident(
        self,
        community: Community,
        name: str,
        *units: str,
        phone: str | None = None,
        email: str | None = None,
        login: bool = True,
    ) -> Caller:
        caller = add_resident(self.stack, community, name, *units, login=login)
        key = Keys.resident(community.tenant_id, community.residents[name])
        self._contact(community.tenant_id, key, phone, email)
        return caller

    def staff(
        self,
        community: Community,
        name: str,
        *roles: Role,
        phone: str | None = None,
        email: str | None = None,
        **options: Any,
    ) -> Caller:
        caller = add_staff(self.stack, community, name, *roles, **options)
        key = Keys.staff(community.tenant_id, community.staff_ids[name])
        self._contact(community.tenant_id, key, phone, email)
        return caller

    def _contact(self, tenant_id: str, key: dict[str, str], phone: str | None, email: str | None) -> None:
        # The shared seed stores a plain stand-in phone; a real record holds a FieldCipher token or nothing.
        table = boto3.resource("dynamodb").Table(self.stack.ref("DirectoryTable"))
        table.update_item(Key=key, UpdateExpression="REMOVE phone_enc")
        attributes: dict[str, Any] = {}
        if phone:
            attributes["phone_enc"] = FieldCipher(self.stack.ref("PiiKey")).encrypt(tenant_id, phone)
        if email:
            attributes["email"] = email
        if attributes:
            _update(self.stack, key, **attributes)


@pytest.fixture
def people(stack: Stack) -> People:
    return People(stack)


def deliveries(stack: Stack, tenant_id: str, message_id: str) -> dict[str, dict[str, Any]]:
    """The delivery records of one message, by channel."""
    from notifications import keys

    table = boto3.resource("dynamodb").Table(stack.ref("NotificationsTable"))
    items = table.query(
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": keys.message_partition(tenant_id, message_id)},
    )["Items"]
    return {str(i["channel"]): i for i in items if str(i["sk"]).startswith("CH#")}


def envelope(source: str, detail_type: str, detail: dict[str, Any]) -> str:
    return json.dumps(
        {
            "version": "0",
            "id": "e-" + str(detail.get("event_id", "")),
            "detail-type": detail_type,
            "source": source,
            "account": "123456789012",
            "time": "2026-03-10T02:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": detail,
        }
    )
