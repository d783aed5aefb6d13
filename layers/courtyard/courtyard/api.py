"""The resolver factory every API function uses: validation, CORS, the error mapping and tenant context.

One place maps exceptions to HTTP: domain errors to their status with the DESIGN.md error body, validation
failures to 422, an unknown route to 404, a transient AWS failure (throttling, timeout, 5xx; see
courtyard.faults) to 503 with Retry-After, anything else unexpected to 500 with the request id and no
traceback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from courtyard.directory import DirectoryReader
from courtyard.dynamo import error_code
from courtyard.errors import DomainError, Forbidden, InvalidJson, Unavailable, error_body
from courtyard.faults import RETRY_AFTER_SECONDS, transient_cause
from courtyard.idempotency import HEADER, checked_key
from courtyard.settings import FunctionSettings
from courtyard.tenancy import TENANT_CLAIM, Role, TenantContext, verified_claims

CORS_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "X-On-Behalf-Of"]
ON_BEHALF_OF_HEADER = "X-On-Behalf-Of"
_TENANT_KEY = "tenant"
# Deeper than any request the API defines (its deepest bodies nest four or five levels), and far below the
# depth where parsing or validating recurses past Python's limit (a RecursionError would be a 500).
MAX_JSON_DEPTH = 32
# Bodies the resolver parses by their declared type; every other declared type (text/plain, none, a typo)
# is read as JSON, see CourtyardResolver.resolve.
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# A string (to its closing quote, or to the end when unterminated: every match moves on, so the scan stays
# linear on any input) or a bracket.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)

TenantLookup = Callable[[], DirectoryReader | None]


@lru_cache(maxsize=1)
def directory_from_settings() -> DirectoryReader | None:
    """The default tenant lookup: the directory table every function gets from the template's Globals."""
    return DirectoryReader(FunctionSettings.from_environment().directory_table)


class CourtyardResolver(APIGatewayRestResolver):
    """A REST resolver that also knows who is calling, and refuses suspended tenants."""

    tenant_lookup: TenantLookup | None = None

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        """Route ``event``; a body declared as anything but JSON or a form is read as JSON.

        A browser's ``fetch`` with a string body and no header declares ``text/plain;charset=UTF-8``, and
        some clients send no type at all. Every body this API takes is JSON, so reading it as JSON is what
        the caller meant (a 415 would only make them add a header); a body that is not JSON still answers
        400 ``invalid_json``. Without this the validation middleware refuses the type with an exception the
        error mapping cannot tell from a bug (500).
        """
        return super().resolve(_declared_json(event) if event.get("body") else event, context)

    def tenant(self) -> TenantContext:
        """The caller's context; a route that needs one on a request without claims answers 401.

        A suspended (or unknown) tenant's users get 403 on every route; platform admins are exempt because
        they are the ones who suspend and reactivate. ``X-On-Behalf-Of`` switches to assisted mode.
        """
        ctx = self.context.get(_TENANT_KEY)
        if isinstance(ctx, TenantContext):
            return ctx
        # Built lazily so public routes (no authorizer) never need claims.
        ctx = TenantContext.from_claims(verified_claims(self.current_event.raw_event))
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


class CourtyardRouter(Router):
    """A route module's share of a feature's API (Powertools' split routes), composed by the feature's
    ``handler.py`` with ``app.include_router(...)``; its routes ask the including resolver who is calling."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]

    def _resolver(self) -> CourtyardResolver:
        # Set by include_router; before that there is no request to answer for.
        if not isinstance(self.api_resolver, CourtyardResolver):
            raise RuntimeError("this router is not included in a Courtyard resolver")
        return self.api_resolver

    def tenant(self) -> TenantContext:
        return self._resolver().tenant()

    def claims(self) -> dict[str, Any]:
        """The verified token's claims as they are (a route for accounts that have no tenant yet)."""
        return verified_claims(self._resolver().current_event.raw_event)

    def header(self, name: str) -> str | None:
        return self._resolver().header(name)

    def idempotency_key(self) -> str | None:
        return self._resolver().idempotency_key()

    def request_id(self) -> str:
        return self._resolver().request_id()


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
        json_body_deserializer=parse_json_body,
        cors=CORSConfig(allow_origin="*", allow_headers=CORS_HEADERS, max_age=600),
    )
    app.tenant_lookup = tenant_lookup
    app.use(middlewares=[_tenant_middleware(log)])
    _register_error_handlers(app, log)
    return app


def parse_json_body(text: str) -> Any:
    """``json.loads`` for request bodies, refusing nesting deeper than MAX_JSON_DEPTH before parsing it.

    The depth is counted on the raw text (strings removed, so brackets inside them do not count) without
    recursion, so a body nested thousands deep answers 400 instead of exhausting the stack while parsing or
    validating.
    """
    depth = deepest = 0
    for token in _JSON_TOKEN.finditer(text):
        bracket = token.group()
        if bracket.startswith('"'):
            continue
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            raise InvalidJson(
                f"request body is nested too deep (more than {MAX_JSON_DEPTH} levels of objects and arrays)"
            )
    return json.loads(text)


def _declared_json(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """``event`` with its body declared as JSON unless it is declared as JSON or a form (a copy: the
    caller's event is left as it came)."""
    headers: Mapping[str, Any] = event.get("headers") or {}
    declared = next((str(v) for k, v in headers.items() if k.lower() == "content-type"), "")
    media_type = declared.split(";", 1)[0].strip().lower()
    if declared.startswith("application/json") or media_type in _FORM_TYPES:
        return event
    declared_json = dict(event)
    # API Gateway hands over both header maps; the resolver reads one or the other.
    for field, value in (("headers", "application/json"), ("multiValueHeaders", ["application/json"])):
        current = event.get(field)
        if isinstance(current, Mapping):
            declared_json[field] = {
                **{k: v for k, v in current.items() if k.lower() != "content-type"},
                "Content-Type": value,
            }
    return declared_json


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers
    )


def _tenant_middleware(
    logger: Logger,
) -> Callable[[CourtyardResolver, NextMiddleware], Response[Any]]:
    def middleware(app: CourtyardResolver, next_middleware: NextMiddleware) -> Response[Any]:
        keys = {"correlation_id": app.current_event.request_context.request_id}
        claims = verified_claims(app.current_event.raw_event)
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
