"""Directory API: the door. Route modules register on the shared resolver; rules live in their services."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

# Route modules register their routes on `app` when imported.
from directory.app import app, logger, metrics, tracer
from directory.imports import routes as _imports  # noqa: F401
from directory.invites import routes as _invites  # noqa: F401
from directory.people import routes as _people  # noqa: F401
from directory.places import routes as _places  # noqa: F401
from directory.staff import routes as _staff  # noqa: F401
from directory.tenants import routes as _tenants  # noqa: F401


class HealthOut(BaseModel):
    status: str
    service: str


@app.get("/health", summary="Liveness probe; no authentication")
def health() -> HealthOut:
    return HealthOut(status="ok", service="directory")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
# Responses carry one-time passwords and personal data: X-Ray must not record them.
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
