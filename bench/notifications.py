"""A 10,000-recipient notice on in-process moto: the time to expand the audience from the directory and
enqueue one delivery job per recipient, and the AWS calls it takes (SQS SendMessageBatch of 10)."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from courtyard import aws
from courtyard.aws_calls import count_aws_calls
from courtyard.directory import Keys
from courtyard.table import serialize
from infra.local.provision import provision
from infra.local.template import load_template
from tests.factories import FakeLambdaContext, api_event

ROOT = Path(__file__).resolve().parents[1]
TENANT = "BENCHTENANT"
SITE = "BENCHSITE"
BUILDING = "BLDG-1"


@dataclass(frozen=True)
class FanoutResult:
    recipients: int
    enqueue_s: float
    aws_calls: int
    send_message_batch_calls: int
    calls: dict[str, int] = field(default_factory=dict)

    @property
    def recipients_per_s(self) -> float:
        return self.recipients / self.enqueue_s


def run(recipients: int = 10_000, per_unit: int = 4) -> FanoutResult:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    os.environ.setdefault("AWS_LAMBDA_FUNCTION_NAME", "bench")
    template = load_template(ROOT / "template.yaml")
    with mock_aws():
        aws.reset_clients()
        stack = provision(template)
        for function_id in ("NotificationsFunction", "NotificationsFanoutFunction"):
            os.environ.update(stack.function_environment(template.function(function_id)))
        _seed(stack.ref("DirectoryTable"), recipients, per_unit)
        from notifications import fanout_handler, handler

        from courtyard.wiring import reset_all

        reset_all()
        claims = {
            "sub": "bench-manager",
            "custom:tenant_id": TENANT,
            "cognito:groups": "manager",
            "mfa": "totp",
        }
        notice = {
            "content": {"zh-CN": {"title": "停水通知", "body": "明天 9:00-12:00 停水检修。"}},
            "audience": {"site_id": SITE, "building_ids": [BUILDING]},
            "channels": ["inbox", "push", "sms"],
        }
        created = handler.lambda_handler(
            api_event("POST", "/notices", claims=claims, body=notice), FakeLambdaContext()
        )
        assert created["statusCode"] == 201, created["body"]
        sqs = boto3.client("sqs")
        command = sqs.receive_message(QueueUrl=stack.ref("NotificationsFanoutQueue"))["Messages"][0]
        record = _record(command, stack.attr("NotificationsFanoutQueue", "Arn"))
        with _constant_time_sqs_counters(), count_aws_calls() as calls:
            started = time.perf_counter()
            result = fanout_handler.lambda_handler({"Records": [record]}, FakeLambdaContext())
            elapsed = time.perf_counter() - started
        assert result == {"batchItemFailures": []}, result
        notice_id = json.loads(command["Body"])["notice_id"]
        stats = handler.lambda_handler(
            api_event(
                "GET",
                f"/notices/{notice_id}",
                claims=claims,
                resource="/notices/{notice_id}",
                path_parameters={"notice_id": notice_id},
            ),
            FakeLambdaContext(),
        )
        reached = json.loads(stats["body"])["statistics"]["recipients"]
        by_operation = Counter({f"{s}.{o}": n for (s, o), n in calls.by_operation().items()})
    aws.reset_clients()
    return FanoutResult(
        recipients=reached,
        enqueue_s=round(elapsed, 3),
        aws_calls=calls.total,
        send_message_batch_calls=by_operation["sqs.SendMessageBatch"],
        calls=dict(sorted(by_operation.items())),
    )


def table(result: FanoutResult) -> list[str]:
    calls = ", ".join(f"{k}={v}" for k, v in result.calls.items())
    heading = f"{'recipients':>10} {'enqueue s':>10} {'recipients/s':>13} {'AWS calls':>10} {'batches':>8}"
    row = (
        f"{result.recipients:>10} {result.enqueue_s:>10.2f} {result.recipients_per_s:>13.0f} "
        f"{result.aws_calls:>10} {result.send_message_batch_calls:>8}"
    )
    return [
        "Notice fan-out on in-process moto (audience from the directory, SendMessageBatch of 10 jobs)",
        f"  {heading}",
        f"  {row}",
        f"  calls: {calls}",
    ]


@contextlib.contextmanager
def _constant_time_sqs_counters() -> Iterator[None]:
    """moto recomputes a queue's message counters on every SendMessage by walking every message (O(n) per
    message, O(n^2) per fan-out: minutes for 10,000 jobs); real SQS does not. The counters are not part of
    what is measured, so they answer 0 while the fan-out runs."""
    from moto.sqs.models import Queue

    names = (
        "approximate_number_of_messages",
        "approximate_number_of_messages_delayed",
        "approximate_number_of_messages_not_visible",
    )
    originals = {name: getattr(Queue, name) for name in names}
    try:
        for name in names:
            setattr(Queue, name, property(lambda _queue: 0))
        yield
    finally:
        for name, original in originals.items():
            setattr(Queue, name, original)


def _record(message: Any, queue_arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }


def _seed(table_name: str, recipients: int, per_unit: int) -> None:
    """A tenant, a site and one building whose units hold ``recipients`` residents (directory items as the
    directory feature writes them, through ``courtyard.directory.Keys``)."""
    tenant = {"tenant_id": TENANT, "name": "Bench", "status": "active", "timezone": "Asia/Shanghai"}
    items: list[dict[str, Any]] = [
        {**Keys.tenant(TENANT), **tenant, "locale": "zh-CN", "currency": "CNY"},
        {**Keys.site(TENANT, SITE), "site_id": SITE, "name": "Bench Garden"},
    ]
    units = (recipients + per_unit - 1) // per_unit
    for u in range(units):
        unit_id, room = f"U{u:06d}", f"{u:06d}"
        place = {"unit_id": unit_id, "site_id": SITE, "room_key": room}
        items.append(
            {
                **Keys.unit(TENANT, unit_id),
                **place,
                "building_id": BUILDING,
                "kind": "residential",
                "gsi1pk": Keys.site_units_index(TENANT, SITE),
                "gsi1sk": room,
            }
        )
        for r in range(min(per_unit, recipients - u * per_unit)):
            resident_id = f"R{u:06d}{r}"
            items.append(
                {
                    **Keys.resident_unit(TENANT, resident_id, unit_id),
                    **place,
                    "tenant_id": TENANT,
                    "resident_id": resident_id,
                    "relation": "owner",
                    "primary": r == 0,
                    "gsi1pk": Keys.site_residents_index(TENANT, SITE),
                    "gsi1sk": f"{room}#{resident_id}",
                }
            )
    client: Any = boto3.client("dynamodb")
    for start in range(0, len(items), 25):
        requests: list[Any] = [
            {"PutRequest": {"Item": serialize(item)}} for item in items[start : start + 25]
        ]
        while requests:
            response = client.batch_write_item(RequestItems={table_name: requests})
            requests = response.get("UnprocessedItems", {}).get(table_name, [])


if __name__ == "__main__":
    print("\n".join(table(run())))
