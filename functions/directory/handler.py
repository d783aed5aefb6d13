"""Directory API: the door. Each sub-package's routes are a Router included here; rules live in services."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.models import Model
from directory.app import app, logger, metrics, tracer
from directory.care import routes as care
from directory.duty import routes as duty
from directory.exports import routes as exports
from directory.imports import routes as imports
from directory.invites import routes as invites
from directory.people import routes as people
from directory.phones import routes as phones
from directory.places import routes as places
from directory.proxies import routes as proxies
from directory.residency import routes as residency
from directory.staff import routes as staff
from directory.tenants import routes as tenants

for routes in (
    care,
    duty,
    exports,
    imports,
    invites,
    people,
    phones,
    places,
    proxies,
    residency,
    staff,
    tenants,
):
    app.include_router(routes.router)


class HealthOut(Model):
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
