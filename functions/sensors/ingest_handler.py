"""The IoT topic rules' Lambda action: one device message (or a list of them) per invocation.

The rules (``iot.topics``) select the payload plus ``tenant_id``/``site_id``/``device_id`` from the topic
and ``received_at``. Nothing a device sends can make this handler fail: every message gets an outcome. A
rejected one is counted as a metric (``Telemetry<Outcome>``) and logged with ids only, never payload values;
an accepted or out-of-order one writes nothing (issue 18: the ingest runs for every upload of every
device, and its per-invocation EMF line of ``TelemetryProcessed`` was most of the month's log bytes, read by
no alarm or dashboard; the readings themselves are the record). A failure is always logged. A list is
accepted so that a batching front (an IoT rule to SQS or Kinesis, for very chatty fleets) can reuse it.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.tracing import Tracer
from sensors.services.ingest import Outcome
from sensors.wiring import ingest

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def _count(outcome: str) -> None:
    name = "Telemetry" + "".join(part.title() for part in outcome.split("_"))
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def handle(message: Any) -> Outcome:
    if not isinstance(message, dict):
        _count(Outcome.MALFORMED.value)
        return Outcome.MALFORMED
    outcome = ingest().handle(message)
    if outcome.rejected:
        _count(outcome.value)
        ids = {k: str(message.get(k))[:64] for k in ("tenant_id", "site_id", "device_id")}
        logger.warning("telemetry rejected", extra={"outcome": outcome.value, **ids})
    return outcome


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:  # noqa: ARG001
    messages = event if isinstance(event, list) else [event]
    outcomes: dict[str, int] = {}
    try:
        for message in messages:
            try:
                outcome = handle(message).value
            except Exception:
                # A store or bus failure: log it and let Lambda retry the invocation (the ingest is idempotent
                # for a repeated message: not newer than the latest, it moves nothing).
                logger.exception("telemetry processing failed")
                raise
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    finally:
        # Flushed only when a rejection was counted: Powertools' log_metrics would write (or warn about) an
        # empty metric set on every accepted upload.
        if metrics.metric_set:
            metrics.flush_metrics()
    return {"outcomes": outcomes}
