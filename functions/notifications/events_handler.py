"""Domain events (tickets, payments, visitors, sensors) from the notifications' event queue: see
``notifications.services.intake``; the directory's ``ResidentErased`` deletes what notifications holds about
the person (``notifications.services.erasure``), its ``PersonalDataExportRequested`` has their part of an
export written (``notifications.services.export``); identity's ``ResidentWeChatLinked`` keeps the person's
WeChat for the WeChat channel (``notifications.services.wechat_links``). A malformed or unknown event fails
alone and reaches the DLQ after 3 receives."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.batch import SqsRecord, process_sqs_batch
from courtyard.tracing import Tracer
from notifications import wiring
from schemas.events import PersonalDataExportRequested, ResidentErased, ResidentWeChatLinked, parse_event

logger = Logger()
tracer = Tracer()
metrics = Metrics()
# Report every failure as an item failure (even a whole batch): SQS then retries exactly those records.
RAISE_ON_ENTIRE_BATCH_FAILURE = False


def handle(record: SqsRecord) -> None:
    _, event = parse_event(record.body)
    if isinstance(event, ResidentErased):
        deleted = wiring.erasure().forget(event)
        logger.info("erased person's notifications", tenant_id=event.tenant_id, items=deleted)
        return
    if isinstance(event, ResidentWeChatLinked):
        kept = wiring.wechat_linking().on_linked(event)
        logger.info("kept resident's WeChat", tenant_id=event.tenant_id, kept=kept)
        return
    if isinstance(event, PersonalDataExportRequested):
        written = wiring.export().write(event, wiring.wiring.clock.now())
        logger.info("wrote notifications' export part", tenant_id=event.tenant_id, messages=written)
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
def lambda_handler(event: dict[str, Any], _context: LambdaContext) -> dict[str, Any]:
    return process_sqs_batch(event, handle, raise_on_entire_batch_failure=RAISE_ON_ENTIRE_BATCH_FAILURE)
