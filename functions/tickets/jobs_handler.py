"""The tickets' scheduled job (``rate(1 minute)``): see ``tickets.services.jobs``; it also sweeps the outbox.

The sweep sends the events of tickets whose request failed after its commit and was never retried
(``courtyard.outbox``): pending effects older than two minutes go out on the next run.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.outbox import SweepReport
from courtyard.tracing import Tracer
from tickets.services.jobs import RunReport
from tickets.wiring import jobs, sweep_outbox

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class JobFailed(Exception):
    """Some due tickets could not be handled; the others were. The next run tries them again."""


def sweep() -> SweepReport:
    """Flush the pending effects nobody retried; log (and fail the run for) the ones that failed again."""
    report = sweep_outbox().sweep()
    metrics.add_metric(name="OutboxFlushed", unit=MetricUnit.Count, value=report.flushed)
    for pk in report.failed:
        logger.error("pending effects not flushed", pending=pk)
    return report


# Stop taking tickets this long before the Lambda's timeout; the rest stay due for the next minute.
_RESERVE_MS = 2_000


def run(context: LambdaContext | None = None) -> RunReport:
    def out_of_time() -> bool:
        return context is not None and context.get_remaining_time_in_millis() < _RESERVE_MS

    swept = sweep()
    report = jobs().run(out_of_time=out_of_time)
    metrics.add_metric(name="TicketsDue", unit=MetricUnit.Count, value=report.due)
    metrics.add_metric(name="TicketsChanged", unit=MetricUnit.Count, value=report.changed)
    if report.failed:
        for tenant_id, ticket_id, error in report.failed:
            logger.error("due ticket not handled", tenant_id=tenant_id, ticket_id=ticket_id, error=error)
        raise JobFailed(f"{len(report.failed)} due ticket(s) not handled")
    if swept.failed:
        raise JobFailed(f"{len(swept.failed)} pending effect(s) not flushed")
    logger.info("tickets job", due=report.due, changed=report.changed, skipped=report.skipped)
    return report


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    logger.debug("scheduled run", scheduled_at=event.get("time"))
    report = run(context)
    return {"due": report.due, "changed": report.changed, "skipped": report.skipped}
