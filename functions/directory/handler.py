"""Directory API: the door. Each sub-package's routes are a Router included here; rules live in services."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.models import Model
from directory.app import app, logger, metrics, tracer

# Each sub-package's routes, imported by the first request for one of its paths (courtyard.route_families):
# a cold start loads the family it answers, not all twelve. Prefixes are route templates matched segment by
# segment, the longest winning; tests/unit/directory/test_route_families.py checks that every route the
# template wires reaches the family that serves it.
app.include_families(
    {
        "directory.care.routes": ("/care-list", "/care-visits", "/residents/{resident_id}/care"),
        "directory.duty.routes": ("/duty", "/sites/{site_id}/duty-roster"),
        "directory.exports.routes": ("/me/exports",),
        "directory.imports.routes": ("/imports",),
        "directory.invites.routes": ("/invites",),
        "directory.people.routes": ("/me", "/residents", "/units/{unit_id}/residents"),
        "directory.phones.routes": ("/me/phone",),
        "directory.places.routes": ("/sites", "/units"),
        "directory.proxies.routes": ("/me/proxies", "/proxies", "/units/{unit_id}/proxies"),
        "directory.residency.routes": (
            "/me/units",
            "/residents/{resident_id}/residences",
            "/units/{unit_id}/residents/{resident_id}/end",
        ),
        "directory.staff.routes": ("/staff",),
        "directory.tenants.routes": ("/tenants",),
    }
)


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
