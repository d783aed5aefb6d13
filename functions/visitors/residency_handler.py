"""Visitors' consumer of the directory's people events (its own queue): ``ResidentMovedOut`` revokes the
live passes the resident hosts for the unit they left (services/moveout.py); ``ResidentErased`` revokes
every live pass they host and removes the personal fields of all of them (services/erasure.py). Other
events are ignored."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.tracing import Tracer
from schemas.events import ResidentErased, ResidentMovedOut, parse_event
from visitors.wiring import erasure, moveout

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


def handle(record: SQSRecord) -> None:
    _, event = parse_event(record.body)
    if isinstance(event, ResidentMovedOut):
        revoked = moveout().revoke_for(event)
        metrics.add_metric(name="PassesRevokedOnMoveOut", unit=MetricUnit.Count, value=len(revoked))
    elif isinstance(event, ResidentErased):
        scrubbed = erasure().forget(event)
        metrics.add_metric(name="PassesScrubbedOnErasure", unit=MetricUnit.Count, value=scrubbed)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
    )
