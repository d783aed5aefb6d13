"""Delivery jobs from a delivery queue (two functions run this handler: the bulk lane's sender and the
priority lane's, each on its own queue, see ``notifications.routing``): inbox, push, SMS and email for one
recipient each (see ``notifications.services.delivery``). A job with a channel still failing is retried with
exponential backoff (its visibility is pushed out, on the queue it came from); after
``delivery_max_attempts`` receives the failure is recorded on the delivery record and SQS moves the job to
its lane's dead-letter queue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.batch import SqsRecord, process_sqs_batch
from courtyard.tracing import Tracer
from notifications import wiring
from notifications.domain import DeliveryJob
from notifications.services.delivery import GiveUp, RetryLater

logger = Logger()
tracer = Tracer()
metrics = Metrics()
# Report every failure as an item failure (even a whole batch): SQS then retries exactly those records.
RAISE_ON_ENTIRE_BATCH_FAILURE = False


def handle(record: SqsRecord) -> None:
    job = DeliveryJob.model_validate_json(record.body)
    attempt = record.receive_count
    last = attempt >= wiring.config().delivery_max_attempts
    try:
        outcome = wiring.sender().deliver(job, last_attempt=last)
    except GiveUp as failed:
        logger.error(
            "delivery failed for good; the job goes to the dead-letter queue",
            tenant_id=job.tenant_id,
            message_id=job.message_id,
            attempt=attempt,
            reasons={c.value: r for c, r in failed.reasons.items()},
        )
        # Visible again at once: SQS moves it to the DLQ on its next receive (past maxReceiveCount).
        wiring.queue_of(record.event_source_arn).retry_later(record.receipt_handle, 0)
        raise
    except RetryLater as retry:
        logger.warning(
            "delivery will be retried",
            tenant_id=job.tenant_id,
            message_id=job.message_id,
            attempt=attempt,
            reasons={c.value: r for c, r in retry.reasons.items()},
        )
        backoff = wiring.config().retry_base_seconds * 2 ** (attempt - 1)
        wiring.queue_of(record.event_source_arn).retry_later(record.receipt_handle, backoff)
        raise
    logger.info(
        "delivered",
        tenant_id=job.tenant_id,
        message_id=job.message_id,
        source=job.source,
        # Which message it was (a notice has no template): what the month's texts are bought for.
        template=job.content.template or "notice",
        statuses=outcome.statuses,
        held_until=outcome.held_until,
        duplicate=outcome.duplicate,
        final_attempt=last,
    )
    for channel, status in outcome.statuses.items():
        if status in ("sent", "failed"):
            metrics.add_metric(
                name=f"{channel.capitalize()}{status.capitalize()}", unit=MetricUnit.Count, value=1
            )


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], _context: LambdaContext) -> dict[str, Any]:
    return process_sqs_batch(event, handle, raise_on_entire_batch_failure=RAISE_ON_ENTIRE_BATCH_FAILURE)
