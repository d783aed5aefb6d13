"""``SmsReplyReceived`` from notifications, through the tickets' reply queue: a keyword reply closes or
reopens its ticket (``tickets.services.replies``); ``EmergencyAcknowledged`` (a staff member pressed 1 on
the ladder's call) accepts it as that staff member (``tickets.services.emergency_acks``). A malformed or
unknown message fails alone (partial batch response) and reaches the dead-letter queue after three
receives."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.batch import SqsRecord, process_sqs_batch
from courtyard.tracing import Tracer
from schemas.events import EmergencyAcknowledged, SmsReplyReceived, parse_event
from tickets.wiring import emergency_acks, reply_intake

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def handle(record: SqsRecord) -> None:
    _, event = parse_event(record.body)
    if isinstance(event, EmergencyAcknowledged):
        accepted = emergency_acks().handle(event)
        logger.info(
            "emergency acknowledged",
            tenant_id=event.tenant_id,
            ticket_id=event.subject_id,
            channel=event.channel,
            outcome=accepted.value,
        )
        metrics.add_metric(
            name=f"EmergencyAck{accepted.value.title().replace('_', '')}", unit=MetricUnit.Count, value=1
        )
        return
    if not isinstance(event, SmsReplyReceived):
        raise ValueError(f"not a reply: {type(event).__name__}")
    outcome = reply_intake().handle(event)
    logger.info(
        "sms reply handled",
        tenant_id=event.tenant_id,
        ticket_id=event.subject_id,
        action=event.action,
        outcome=outcome.value,
    )
    metrics.add_metric(name=f"SmsReply{outcome.value.capitalize()}", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], _context: LambdaContext) -> dict[str, Any]:
    return process_sqs_batch(event, handle)
