"""Visitors' consumer of the directory's people events (its own queue): ``ResidentMovedOut`` revokes the
live passes the resident hosts for the unit they left (services/moveout.py); ``ResidentErased`` revokes
every live pass they host and removes the personal fields of all of them (services/erasure.py);
``PersonalDataExportRequested`` writes the passes they issued and their scans as the visitors' part of
their export (services/export.py). Other events are ignored."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.batch import SqsRecord, process_sqs_batch
from courtyard.tracing import Tracer
from schemas.events import PersonalDataExportRequested, ResidentErased, ResidentMovedOut, parse_event
from visitors.wiring import erasure, export, moveout, wiring

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def handle(record: SqsRecord) -> None:
    _, event = parse_event(record.body)
    if isinstance(event, ResidentMovedOut):
        revoked = moveout().revoke_for(event)
        metrics.add_metric(name="PassesRevokedOnMoveOut", unit=MetricUnit.Count, value=len(revoked))
    elif isinstance(event, ResidentErased):
        scrubbed = erasure().forget(event)
        metrics.add_metric(name="PassesScrubbedOnErasure", unit=MetricUnit.Count, value=scrubbed)
    elif isinstance(event, PersonalDataExportRequested):
        written = export().write(event, wiring.clock.now())
        logger.info("wrote visitors' export part", tenant_id=event.tenant_id, passes=written)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], _context: LambdaContext) -> dict[str, Any]:
    return process_sqs_batch(event, handle)
