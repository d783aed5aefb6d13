"""Inbound SMS from the provider's topic, through the replies queue: keyword replies act, anything else
reaches the service desk (``notifications.services.replies``). A malformed record fails alone and reaches
the dead-letter queue after three receives; a duplicate acts once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.batch import SqsRecord, process_sqs_batch
from courtyard.tracing import Tracer
from notifications import wiring
from notifications.adapters.inbound_sms import parse_inbound

logger = Logger()
tracer = Tracer()
metrics = Metrics()
RAISE_ON_ENTIRE_BATCH_FAILURE = False


def handle(record: SqsRecord) -> None:
    sms = parse_inbound(record.body)
    outcome = wiring.replies().handle(sms)
    # Never the number or the text: the provider's id says which message it was.
    logger.info("sms reply", inbound_id=sms.inbound_id, outcome=outcome.value)
    metrics.add_metric(
        name=f"SmsReply{outcome.value.title().replace('_', '')}", unit=MetricUnit.Count, value=1
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], _context: LambdaContext) -> dict[str, Any]:
    return process_sqs_batch(event, handle, raise_on_entire_batch_failure=RAISE_ON_ENTIRE_BATCH_FAILURE)
