"""An SQS consumer's partial batch response, without Powertools' batch utility.

``aws_lambda_powertools.utilities.batch`` imports its parser package and builds 24 pydantic models (SQS,
Kinesis, DynamoDB Streams, Kafka...) at import: about a third of an SQS consumer's cold import for a loop of a
dozen lines. This is that loop with the same answer: each record is handled alone, a record that raises is
reported in ``{"batchItemFailures": [{"itemIdentifier": <messageId>}]}`` and the others are not (SQS deletes
them); when every record failed and the consumer asks for it, ``EntireBatchFailed`` is raised instead, so
Lambda fails the invocation and SQS delivers the whole batch again (Powertools' default).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SqsRecord:
    """The fields of one SQS record the consumers read."""

    message_id: str
    body: str
    receipt_handle: str
    event_source_arn: str
    receive_count: int  # ApproximateReceiveCount: 1 on the first delivery

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> SqsRecord:
        attributes = raw.get("attributes") or {}
        return cls(
            message_id=str(raw["messageId"]),
            body=str(raw.get("body", "")),
            receipt_handle=str(raw.get("receiptHandle", "")),
            event_source_arn=str(raw.get("eventSourceARN", "")),
            receive_count=int(attributes.get("ApproximateReceiveCount") or 1),
        )


class EntireBatchFailed(Exception):
    """Every record of the batch failed: the invocation fails and SQS delivers them all again."""

    def __init__(self, errors: list[BaseException]) -> None:
        super().__init__(f"All {len(errors)} records failed processing.")
        self.errors = errors


def process_sqs_batch(
    event: Mapping[str, Any],
    handle: Callable[[SqsRecord], object],
    *,
    raise_on_entire_batch_failure: bool = True,
) -> dict[str, list[dict[str, str]]]:
    """Run ``handle`` on each record of an SQS event; answer the records that raised."""
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        raise ValueError("an SQS event has a non-empty list of Records")
    failures: list[dict[str, str]] = []
    errors: list[BaseException] = []
    for raw in records:
        message_id = str(raw.get("messageId", ""))
        try:
            handle(SqsRecord.of(raw))
        except Exception as error:  # one record's failure must not fail its neighbours
            logger.warning("record %s failed: %r", message_id, error, exc_info=True)
            failures.append({"itemIdentifier": message_id})
            errors.append(error)
    if raise_on_entire_batch_failure and len(errors) == len(records):
        raise EntireBatchFailed(errors)
    return {"batchItemFailures": failures}
