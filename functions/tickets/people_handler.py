"""Tickets' consumer of the directory's people events (its own queue): ``ResidentErased`` anonymises the
tickets the person reported (services/erasure.py); ``PersonalDataExportRequested`` writes the tickets' part
of their export (services/export.py). Other events are ignored; a malformed one fails alone
and reaches the dead-letter queue after three receives."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.batch import SqsRecord, process_sqs_batch
from courtyard.tracing import Tracer
from schemas.events import PersonalDataExportRequested, ResidentErased, parse_event
from tickets.wiring import erasure, export, wiring

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def handle(record: SqsRecord) -> None:
    _, event = parse_event(record.body)
    if isinstance(event, ResidentErased):
        scrubbed = erasure().forget(event)
        logger.info("erased reporter's tickets", tenant_id=event.tenant_id, tickets=scrubbed)
        metrics.add_metric(name="TicketsScrubbedOnErasure", unit=MetricUnit.Count, value=scrubbed)
    elif isinstance(event, PersonalDataExportRequested):
        written = export().write(event, wiring.clock.now())
        logger.info("wrote tickets' export part", tenant_id=event.tenant_id, tickets=written)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], _context: LambdaContext) -> dict[str, Any]:
    return process_sqs_batch(event, handle)
