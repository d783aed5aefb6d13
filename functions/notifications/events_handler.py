"""Domain events (tickets, payments, visitors, sensors) from the notifications' event queue: see
``notifications.services.intake``; the directory's ``ResidentErased`` deletes what notifications holds about
the person (``notifications.services.erasure``). A malformed or unknown event fails alone and reaches the
DLQ after 3 receives."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.tracing import Tracer
from notifications import wiring
from schemas.events import ResidentErased, parse_event

logger = Logger()
tracer = Tracer()
metrics = Metrics()
# Report every failure as an item failure (even a whole batch): SQS then retries exactly those records.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def handle(record: SQSRecord) -> None:
    _, event = parse_event(record.body)
    if isinstance(event, ResidentErased):
        deleted = wiring.erasure().forget(event)
        logger.info("erased person's notifications", tenant_id=event.tenant_id, items=deleted)
        return
    report = wiring.intake().handle(record.body)
    # The emergency ladder reads the same events: an SOS, a critical alarm or an escalation starts one,
    # an acceptance or acknowledgment stops it (idempotent on its own items).
    steps = wiring.ladders().on_event(parse_event(record.body)[1])
    metrics.add_metric(name="LadderStepsClimbed", unit=MetricUnit.Count, value=steps)
    logger.info(
        "event turned into messages",
        detail_type=report.detail_type,
        tenant_id=report.tenant_id,
        event_id=report.event_id,
        jobs=report.jobs,
    )
    metrics.add_metric(name="EventMessages", unit=MetricUnit.Count, value=report.jobs)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
    )
