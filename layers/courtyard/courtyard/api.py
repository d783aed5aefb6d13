"""The resolver factory every API function uses: validation, CORS, the error mapping and tenant context.

One place maps exceptions to HTTP: domain errors to their status with the DESIGN.md error body, validation
failures to 422, an unknown route to 404, a transient AWS failure (throttling, timeout, 5xx; see
courtyard.faults) to 503 with Retry-After, anything else unexpected to 500 with the request id and no
traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from botocore.exceptions import ClientError

from courtyard.directory import DirectoryReader
from courtyard.dynamo import error_code
from courtyard.errors import DomainError, Forbidden, Unavailable, error_body
from courtyard.faults import RETRY_AFTER_SECONDS, transient_cause
from courtyard.idempotency import HEADER, checked_key
from courtyard.settings import FunctionSettings
from courtyard.tenancy import TENANT_CLAIM, Role, TenantContext

CORS_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "X-On-Behalf-Of"]
ON_BEHALF_OF_HEADER = "X-On-Behalf-Of"
_TENANT_KEY = "tenant"

TenantLookup = Callable[[], DirectoryReader | None]


@lru_cache(maxsize=1)
def directory_from_settings() -> DirectoryReader | None:
    """The default tenant lookup: the directory table every function gets from the template's Globals."""
    return DirectoryReader(FunctionSettings.from_environment().directory_table)


class CourtyardResolver(APIGatewayRestResolver):
    """A REST resolver that also knows who is calling, and refuses suspended tenants."""

    tenant_lookup: TenantLookup | None = None

    def tenant(self) -> TenantContext:
        """The caller's context; a route that needs one on a request without claims answers 401.

        A suspended (or unknown) tenant's users get 403 on every route; platform admins are exempt because
        they are the ones who suspend and reactivate. ``X-On-Behalf-Of`` switches to assisted mode.
        """
        ctx = self.context.get(_TENANT_KEY)
        if isinstance(ctx, TenantContext):
            return ctx
        # Built lazily so public routes (no authorizer) never need claims.
        ctx = TenantContext.from_claims(self.current_event.request_context.authorizer.claims)
        self._check_tenant(ctx)
        on_behalf_of = self.header(ON_BEHALF_OF_HEADER)
        if on_behalf_of:
            ctx = ctx.acting_for(on_behalf_of.strip())
        self.append_context(**{_TENANT_KEY: ctx})  # type: ignore[no-untyped-call]
        return ctx

    def _check_tenant(self, ctx: TenantContext) -> None:
        if self.tenant_lookup is None or ctx.has_role(Role.PLATFORM_ADMIN):
            return
        directory = self.tenant_lookup()
        if directory is None:
            return
        view = directory.tenant(ctx.tenant_id)
        if view is None:
            raise Forbidden("this account's property firm is not registered")
        if not view.active:
            raise TenantSuspended("this property firm's subscription is suspended")

    def header(self, name: str) -> str | None:
        value = self.current_event.headers.get(name)
        if value is None:
            lowered = name.lower()
            value = next((v for k, v in self.current_event.headers.items() if k.lower() == lowered), None)
        return value

    def idempotency_key(self) -> str | None:
        """The client's ``Idempotency-Key`` header, 8 to 255 printable characters."""
        return checked_key(self.header(HEADER))

    def request_id(self) -> str:
        return self.current_event.request_context.request_id or (
            self.lambda_context.aws_request_id if getattr(self, "lambda_context", None) else "unknown"
        )


class TenantSuspended(Forbidden):
    code = "tenant_suspended"


def build_resolver(
    service_name: str,
    logger: Logger | None = None,
    tenant_lookup: TenantLookup | None = directory_from_settings,
) -> CourtyardResolver:
    """The resolver for one API function; ``tenant_lookup=None`` skips the tenant-status check (probes)."""
    log = logger or Logger(service=service_name)
    app = CourtyardResolver(
        enable_validation=True,
        cors=CORSConfig(allow_origin="*", allow_headers=CORS_HEADERS, max_age=600),
    )
    app.tenant_lookup = tenant_lookup
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
        # A self-registered account has no tenant yet; routes that need one still answer 401 themselves.
        if claims and claims.get(TENANT_CLAIM):
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
        if isinstance(error, Unavailable):
            return _unavailable(app, error.message)
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

    @app.exception_handler(UnicodeDecodeError)  # type: ignore[untyped-decorator]
    def undecodable_body(_: UnicodeDecodeError) -> Response[Any]:
        # Bytes that are not UTF-8 cannot be JSON; the resolver meets them while decoding the body.
        return json_response(400, error_body("invalid_json", "request body is not UTF-8 JSON"))

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def unexpected(error: Exception) -> Response[Any]:
        request_id = app.request_id()
        transient = transient_cause(error)
        if transient is not None:
            # botocore already retried; the client should try again shortly (with the same Idempotency-Key).
            logger.warning("dependency unavailable", extra={"dependency_error": _describe(transient)})
            return _unavailable(app, "a dependency is briefly unavailable; retry shortly")
        # The traceback goes to the log only; the caller gets an id to quote to support.
        logger.exception("unhandled error")
        body = error_body("internal", "internal error; quote the request id to support")
        body["error"]["request_id"] = request_id
        return json_response(500, body, headers={"X-Request-Id": request_id})


def _unavailable(app: CourtyardResolver, message: str) -> Response[Any]:
    request_id = app.request_id()
    body = Unavailable(message).body()
    body["error"]["request_id"] = request_id
    return json_response(
        HTTPStatus.SERVICE_UNAVAILABLE,
        body,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS), "X-Request-Id": request_id},
    )


def _describe(error: BaseException) -> str:
    # The error class and AWS code only: botocore messages can echo request values.
    if isinstance(error, ClientError):
        return f"{type(error).__name__}:{error_code(error)}"
    return type(error).__name__


def _validation_detail(error: dict[str, Any]) -> dict[str, Any]:
    # Field location, error type and pydantic's message; never the rejected input (it may be personal data).
    return {
        "loc": [str(part) for part in error.get("loc", ())],
        "type": str(error.get("type", "invalid")),
        "msg": str(error.get("msg", "invalid value")),
    }
