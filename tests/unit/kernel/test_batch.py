"""The kernel's SQS batch loop answers what Powertools' batch processor answered: only the failed records."""

from __future__ import annotations

from typing import Any

import pytest

from courtyard.batch import EntireBatchFailed, SqsRecord, process_sqs_batch


def _event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m-{i}",
                "receiptHandle": f"rh-{i}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": str(i + 1)},
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
            }
            for i, body in enumerate(bodies)
        ]
    }


def _fail_on_bad(record: SqsRecord) -> None:
    if record.body == "bad":
        raise ValueError("poison")


def test_a_failed_record_is_reported_and_the_others_are_not() -> None:
    seen: list[str] = []

    def handle(record: SqsRecord) -> None:
        seen.append(record.message_id)
        _fail_on_bad(record)

    result = process_sqs_batch(_event("ok", "bad", "ok", "bad"), handle)

    assert result == {"batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-3"}]}
    assert seen == ["m-0", "m-1", "m-2", "m-3"]  # a failure does not stop its neighbours


def test_a_batch_that_all_succeeds_reports_nothing() -> None:
    assert process_sqs_batch(_event("ok", "ok"), _fail_on_bad) == {"batchItemFailures": []}


def test_an_entire_failed_batch_raises_unless_the_consumer_reports_items() -> None:
    with pytest.raises(EntireBatchFailed) as failed:
        process_sqs_batch(_event("bad", "bad"), _fail_on_bad)
    assert len(failed.value.errors) == 2

    answer = process_sqs_batch(_event("bad", "bad"), _fail_on_bad, raise_on_entire_batch_failure=False)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-0"}, {"itemIdentifier": "m-1"}]}


def test_the_record_carries_what_the_consumers_read() -> None:
    records: list[SqsRecord] = []
    process_sqs_batch(_event("a", "b"), records.append)
    assert records[1] == SqsRecord(
        message_id="m-1",
        body="b",
        receipt_handle="rh-1",
        event_source_arn="arn:aws:sqs:us-east-1:123456789012:q",
        receive_count=2,
    )


def test_an_event_without_records_is_refused() -> None:
    with pytest.raises(ValueError, match="Records"):
        process_sqs_batch({"Records": []}, _fail_on_bad)
