"""The import worker: runs validation and commit of bulk imports, one job per SQS message."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.batch import SqsRecord, process_sqs_batch
from courtyard.tracing import Tracer
from directory.wiring import imports

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def handle(record: SqsRecord) -> None:
    job = json.loads(record.body)
    logger.append_keys(tenant_id=job["tenant_id"], import_id=job["import_id"])
    try:
        imports().run(str(job["action"]), str(job["tenant_id"]), str(job["import_id"]))
    finally:
        logger.remove_keys(["tenant_id", "import_id"])


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], _context: LambdaContext) -> dict[str, Any]:
    return process_sqs_batch(event, handle)
