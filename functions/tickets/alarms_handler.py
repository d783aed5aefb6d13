"""``AlarmRaised`` from the sensors, through the tickets' alarm queue: one ticket per alarm.

Each SQS message body is the EventBridge event; a malformed or unknown one fails alone (partial batch
response) and reaches the dead-letter queue after three receives.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.batch import SqsRecord, process_sqs_batch
from courtyard.tracing import Tracer
from tickets.services.alarms import Outcome, parse
from tickets.wiring import alarm_intake

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def handle(record: SqsRecord) -> None:
    alarm = parse(record.body)
    logger.append_keys(tenant_id=alarm.tenant_id, alarm_id=alarm.alarm_id, event_id=alarm.event_id)
    try:
        outcome, ticket_id = alarm_intake().handle(alarm)
        logger.info("alarm handled", outcome=outcome.value, ticket_id=ticket_id)
        if outcome is Outcome.OPENED:
            metrics.add_metric(name="AlarmTicketsOpened", unit=MetricUnit.Count, value=1)
    finally:
        logger.remove_keys(["tenant_id", "alarm_id", "event_id"])


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], _context: LambdaContext) -> dict[str, Any]:
    return process_sqs_batch(event, handle)
