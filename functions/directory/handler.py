"""Directory API: the door. Routes only; rules live in service.py."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from courtyard.api import build_resolver
from courtyard.audit import AuditWriter
from courtyard.clock import SystemClock
from courtyard.crypto import FieldCipher
from directory.models import HealthOut, MeOut
from directory.repository import DirectoryRepository
from directory.service import DirectoryService
from directory.settings import settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = build_resolver(service_name="directory", logger=logger)


@lru_cache(maxsize=1)
def service() -> DirectoryService:
    config = settings()
    return DirectoryService(
        repo=DirectoryRepository(config.directory_table, FieldCipher(config.pii_key_id)),
        audit=AuditWriter(config.audit_table, config.audit_retention_days, SystemClock()),
    )


@app.get("/health", summary="Liveness probe; no authentication")
def health() -> HealthOut:
    return HealthOut(status="ok", service="directory")


@app.get("/me", summary="The signed-in user's identity, tenant and profile")
def get_me() -> MeOut:
    return MeOut.from_domain(service().me(app.tenant()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
