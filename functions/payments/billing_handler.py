"""The billing queue's consumer: one chunk of a billing run per message (see ``payments.services.billing``).

A chunk repeated after a timeout or a partial failure bills nothing twice; a malformed message fails alone
(partial batch response) and reaches the dead-letter queue after three receives.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.batch import SqsRecord, process_sqs_batch
from courtyard.tracing import Tracer
from payments import wiring
from payments.services.billing import Chunk

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def handle(record: SqsRecord) -> None:
    chunk = Chunk.from_message(json.loads(record.body))
    result = wiring.billing_worker().bill_chunk(chunk)
    logger.info(
        "billing chunk",
        tenant_id=chunk.tenant_id,
        run_id=chunk.run_id,
        chunk=chunk.index,
        bills_created=result.created,
        bills_existing=result.existing,
    )
    metrics.add_metric(name="BillsIssued", unit=MetricUnit.Count, value=result.created)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], _context: LambdaContext) -> dict[str, Any]:
    return process_sqs_batch(event, handle)
