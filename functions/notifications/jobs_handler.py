"""The notifications' scheduled job (``rate(1 minute)``): see ``notifications.services.jobs``;
also the outbox sweep and the emergency ladders' next steps (``notifications.services.emergency_ladder``).

The sweep sends the fan-out commands of notices whose request failed after its commit and was never
retried (``courtyard.outbox``), once they are two minutes old.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.drain import out_of_time
from courtyard.tracing import Tracer
from notifications import wiring

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    logger.debug("scheduled run", scheduled_at=event.get("time"), request_id=context.aws_request_id)
    swept = wiring.outbox_sweeper().sweep()
    metrics.add_metric(name="OutboxFlushed", unit=MetricUnit.Count, value=swept.flushed)
    for pk in swept.failed:
        logger.error("pending effects not flushed", pending=pk)
    report = wiring.due_jobs().run(out_of_time(context))
    climbed = wiring.ladders().run_due()
    metrics.add_metric(name="LadderStepsClimbed", unit=MetricUnit.Count, value=climbed)
    metrics.add_metric(name="ScheduledNoticesDue", unit=MetricUnit.Count, value=report.notices)
    metrics.add_metric(name="HeldMessagesReleased", unit=MetricUnit.Count, value=report.released)
    logger.info("notifications job", notices=report.notices, released=report.released, ladder=climbed)
    return {"notices": report.notices, "released": report.released, "ladder_steps": climbed}
