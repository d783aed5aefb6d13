"""The resolver factory every API function uses: validation, CORS, the error mapping and tenant context.

One place maps exceptions to HTTP: domain errors to their status with the DESIGN.md error body, validation
failures to 422, an unknown route to 404, anything unexpected to 500 with the request id and no traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from courtyard.errors import DomainError, Invalid, error_body
from courtyard.tenancy import TenantContext

CORS_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key"]
_TENANT_KEY = "tenant"


class CourtyardResolver(APIGatewayRestResolver):
    """A REST resolver that also knows who is calling."""

    def tenant(self) -> TenantContext:
        """The caller's context; a route that needs one on a request without claims answers 401."""
        ctx = self.context.get(_TENANT_KEY)
        if isinstance(ctx, TenantContext):
            return ctx
        # Built lazily so public routes (no authorizer) never need claims.
        ctx = TenantContext.from_claims(self.current_event.request_context.authorizer.claims)
        self.append_context(**{_TENANT_KEY: ctx})  # type: ignore[no-untyped-call]
        return ctx

    def header(self, name: str) -> str | None:
        value = self.current_event.headers.get(name)
        if value is None:
            lowered = name.lower()
            value = next((v for k, v in self.current_event.headers.items() if k.lower() == lowered), None)
        return value

    def idempotency_key(self) -> str | None:
        """The client's ``Idempotency-Key`` header, 8 to 255 printable characters."""
        key = self.header("Idempotency-Key")
        if key is None:
            return None
        key = key.strip()
        if not 8 <= len(key) <= 255 or not key.isprintable():
            raise Invalid("Idempotency-Key must be 8 to 255 printable characters")
        return key

    def request_id(self) -> str:
        return self.current_event.request_context.request_id or (
            self.lambda_context.aws_request_id if getattr(self, "lambda_context", None) else "unknown"
        )


def build_resolver(service_name: str, logger: Logger | None = None) -> CourtyardResolver:
    log = logger or Logger(service=service_name)
    app = CourtyardResolver(
        enable_validation=True,
        cors=CORSConfig(allow_origin="*", allow_headers=CORS_HEADERS, max_age=600),
    )
    app.use(middlewares=[_tenant_middleware(log)])
    _register_error_handlers(app, log)
    return app


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers
    )


def _tenant_middleware(
    logger: Logger,
) -> Callable[[CourtyardResolver, NextMiddleware], Response[Any]]:
    def middleware(app: CourtyardResolver, next_middleware: NextMiddleware) -> Response[Any]:
        keys = {"correlation_id": app.current_event.request_context.request_id}
        claims = app.current_event.request_context.authorizer.claims
        if claims:
            ctx = app.tenant()
            keys.update(tenant_id=ctx.tenant_id, user_id=ctx.user_id)
        logger.append_keys(**keys)
        try:
            return next_middleware(app)
        finally:
            logger.remove_keys(list(keys))

    return middleware


def _register_error_handlers(app: CourtyardResolver, logger: Logger) -> None:
    @app.exception_handler(DomainError)  # type: ignore[untyped-decorator]
    def domain_error(error: DomainError) -> Response[Any]:
        if error.status >= 500:
            logger.exception("domain error with server status")
        return json_response(error.status, error.body())

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def validation_error(error: RequestValidationError) -> Response[Any]:
        details = [_validation_detail(e) for e in error.errors()]
        if any(d["type"] == "json_invalid" for d in details):
            return json_response(400, error_body("invalid_json", "request body is not valid JSON", details))
        return json_response(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            error_body("validation_failed", "request failed validation", details),
        )

    @app.not_found
    def route_not_found(_: NotFoundError) -> Response[Any]:
        return json_response(404, error_body("route_not_found", "no such route"))

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def unexpected(_: Exception) -> Response[Any]:
        # The traceback goes to the log only; the caller gets an id to quote to support.
        logger.exception("unhandled error")
        request_id = app.request_id()
        body = error_body("internal", "internal error; quote the request id to support")
        body["error"]["request_id"] = request_id
        return json_response(500, body, headers={"X-Request-Id": request_id})


def _validation_detail(error: dict[str, Any]) -> dict[str, Any]:
    # Field location, error type and pydantic's message; never the rejected input (it may be personal data).
    return {
        "loc": [str(part) for part in error.get("loc", ())],
        "type": str(error.get("type", "invalid")),
        "msg": str(error.get("msg", "invalid value")),
    }
