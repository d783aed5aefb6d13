"""``EmergencyAcknowledged`` from notifications (a staff member pressed 1 on the emergency ladder's call),
through the sensors' acknowledgment queue: the alarm is acknowledged as that staff member
(``sensors.services.emergency_acks``). A malformed or unknown message fails alone (partial batch response)
and reaches the dead-letter queue after three receives."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.batch import SqsRecord, process_sqs_batch
from courtyard.tracing import Tracer
from schemas.events import EmergencyAcknowledged, parse_event
from sensors import wiring

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def handle(record: SqsRecord) -> None:
    _, event = parse_event(record.body)
    if not isinstance(event, EmergencyAcknowledged):
        raise ValueError(f"not an emergency acknowledgment: {type(event).__name__}")
    outcome = wiring.emergency_acks().handle(event)
    logger.info(
        "emergency acknowledged",
        tenant_id=event.tenant_id,
        alarm_id=event.subject_id,
        channel=event.channel,
        outcome=outcome.value,
    )
    metrics.add_metric(
        name=f"EmergencyAck{outcome.value.title().replace('_', '')}", unit=MetricUnit.Count, value=1
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], _context: LambdaContext) -> dict[str, Any]:
    return process_sqs_batch(event, handle)
