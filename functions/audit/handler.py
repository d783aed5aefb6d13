"""The daily schedule's door: export yesterday's audit records to the Object Lock archive."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from audit.wiring import service
from courtyard.tracing import Tracer

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    logger.debug("scheduled run", scheduled_at=event.get("time"), request_id=context.aws_request_id)
    export = service().export_previous_day()
    logger.info("audit export started", day=export.day, prefix=export.prefix, export_arn=export.export_arn)
    return {"day": export.day, "prefix": export.prefix, "export_arn": export.export_arn}
