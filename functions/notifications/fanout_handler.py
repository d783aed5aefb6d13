"""Fan-out commands (``{"tenant_id", "notice_id"}``) from the fan-out queue: see
``notifications.services.fanout``."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.batch import SqsRecord, process_sqs_batch
from courtyard.tracing import Tracer
from notifications import wiring

logger = Logger()
tracer = Tracer()
metrics = Metrics()
# Report every failure as an item failure (even a whole batch): SQS then retries exactly those records.
RAISE_ON_ENTIRE_BATCH_FAILURE = False


def handle(record: SqsRecord) -> None:
    command = json.loads(record.body)
    report = wiring.fanout().run(str(command["tenant_id"]), str(command["notice_id"]))
    logger.info(
        "notice fanned out",
        tenant_id=command["tenant_id"],
        notice_id=report.notice_id,
        recipients=report.recipients,
        batches=report.batches,
        skipped=report.skipped,
    )
    metrics.add_metric(name="NoticeRecipients", unit=MetricUnit.Count, value=report.recipients)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], _context: LambdaContext) -> dict[str, Any]:
    return process_sqs_batch(event, handle, raise_on_entire_batch_failure=RAISE_ON_ENTIRE_BATCH_FAILURE)
