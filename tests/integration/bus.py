"""An event's whole trip on moto: put on the EventBridge bus, routed by the template's rule to a feature's
queue, drained, and handed to the queue's Lambda handler as SQS records (as the event source mapping
does)."""

from __future__ import annotations

from typing import Any

import boto3
from pydantic import BaseModel

from infra.local.provision import Stack
from tests.factories import lambda_context


def through_queue(stack: Stack, source: str, event: BaseModel, queue: str, handler: Any) -> dict[str, Any]:
    """``event`` (its class name is the detail type) from ``source`` through the bus to ``queue`` and
    ``handler.lambda_handler``; the handler's answer plus how many records it was given (``delivered``)."""
    sent = boto3.client("events").put_events(
        Entries=[
            {
                "EventBusName": stack.ref("EventBus"),
                "Source": source,
                "DetailType": type(event).__name__,
                "Detail": event.model_dump_json(),
            }
        ]
    )
    assert sent["FailedEntryCount"] == 0
    return drain(stack, queue, handler)


def drain(stack: Stack, queue: str, handler: Any) -> dict[str, Any]:
    """What ``queue`` holds (up to 10 messages), handed to ``handler.lambda_handler`` as SQS records and
    deleted; the handler's answer plus how many records it was given (``delivered``). An empty queue calls
    no handler (as the event source mapping would not)."""
    sqs = boto3.client("sqs")
    url = stack.ref(queue)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    records = [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": stack.attr(queue, "Arn"),
            "awsRegion": "us-east-1",
        }
        for m in messages
    ]
    for m in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    if not records:
        return {"batchItemFailures": [], "delivered": 0}
    result: dict[str, Any] = handler.lambda_handler({"Records": records}, lambda_context())
    return {**result, "delivered": len(records)}
