"""Every minute: silent devices go offline, event alarms not seen again clear (see
``sensors.services.heartbeat``); and the outbox's sweep sends the acknowledgments' events a request left
pending (``courtyard.outbox``: older than two minutes)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.drain import out_of_time
from courtyard.tracing import Tracer
from sensors import wiring

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:  # noqa: ARG001
    run = wiring.heartbeat().run(out_of_time(context))
    metrics.add_metric(name="DevicesOffline", unit=MetricUnit.Count, value=run.raised)
    logger.info("heartbeat run", extra=asdict(run))
    swept = wiring.outbox().sweep()
    metrics.add_metric(name="OutboxFlushed", unit=MetricUnit.Count, value=swept.flushed)
    for pk in swept.failed:
        logger.error("pending effects not flushed", pending=pk)
    return {**asdict(run), "outbox_flushed": swept.flushed}
