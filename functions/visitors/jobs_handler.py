"""The visitors' scheduled job (``rate(5 minutes)``): the outbox sweep.

A pass whose request failed after its commit, and whose client never retried, still has its ``PassIssued``
pending (``courtyard.outbox``); this run publishes it once it is two minutes old, so the host's share link
and notification are at most about seven minutes late.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.outbox import SweepReport
from courtyard.tracing import Tracer
from visitors.wiring import sweep_outbox

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class SweepFailed(Exception):
    """Some pending effects could not be sent; the others were. The next run tries them again."""


def run() -> SweepReport:
    report = sweep_outbox().sweep()
    metrics.add_metric(name="OutboxFlushed", unit=MetricUnit.Count, value=report.flushed)
    if report.failed:
        for pk in report.failed:
            logger.error("pending effects not flushed", pending=pk)
        raise SweepFailed(f"{len(report.failed)} pending effect(s) not flushed")
    logger.info("visitors job", flushed=report.flushed)
    return report


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    logger.debug("scheduled run", scheduled_at=event.get("time"), request_id=context.aws_request_id)
    return {"flushed": run().flushed}
