"""The resolver factory every API function uses: validation, CORS, the error mapping and tenant context.

One place maps exceptions to HTTP: domain errors to their status with the DESIGN.md error body, validation
failures to 422, an unknown route to 404, a transient AWS failure (throttling, timeout, 5xx; see
courtyard.faults) to 503 with Retry-After, anything else unexpected to 500 with the request id and no
traceback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from courtyard.assisted import ASSIST_REASON_HEADER, ON_BEHALF_OF_HEADER, accepts_assistance, assist_reason
from courtyard.audit import AuditWriter
from courtyard.directory import DirectoryReader
from courtyard.directory_cache import shared_reader
from courtyard.dynamo import error_code
from courtyard.errors import (
    DomainError,
    Forbidden,
    Invalid,
    InvalidJson,
    NotFound,
    Unauthorized,
    Unavailable,
    error_body,
)
from courtyard.faults import RETRY_AFTER_SECONDS, transient_cause
from courtyard.idempotency import HEADER, checked_key
from courtyard.mfa import require_mfa
from courtyard.route_families import RouteFamilies
from courtyard.settings import FunctionSettings, mfa_enforced
from courtyard.tenancy import TENANT_CLAIM, Role, TenantContext, verified_claims
from courtyard.wiring import clock_override

if TYPE_CHECKING:  # the OpenAPI models are loaded only by what writes the document
    from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

CORS_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", ON_BEHALF_OF_HEADER, ASSIST_REASON_HEADER]
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
AuditLookup = Callable[[], AuditWriter | None]


class _ProcessDirectory:
    """The default tenant lookup: the process's one reader of the directory table every function gets from
    the template's Globals (courtyard.directory_cache.shared_reader). ``cache_clear()`` forgets it with its
    cached tenants and standings, as a new Lambda process starts without them (tests)."""

    def __init__(self) -> None:
        self._reader: DirectoryReader | None = None

    def __call__(self) -> DirectoryReader | None:
        if self._reader is None:  # the environment is read once per process
            self._reader = shared_reader(FunctionSettings.from_environment().directory_table)
        return self._reader

    def cache_clear(self) -> None:
        self._reader = None
        shared_reader.cache_clear()


directory_from_settings = _ProcessDirectory()


def audit_from_settings() -> AuditWriter:
    """The audit writer of assisted requests: built per assisted request (rare), from the Globals' table."""
    settings = FunctionSettings.from_environment()
    return AuditWriter(settings.audit_table, settings.audit_retention_days, _KernelClock())


class _KernelClock:
    """The wall clock, or the tests' clock when they drive one (courtyard.wiring.use_clock)."""

    def now(self) -> datetime:
        clock = clock_override()
        return clock.now() if clock is not None else datetime.now(UTC)


class CourtyardResolver(APIGatewayRestResolver):
    """A REST resolver that also knows who is calling, and refuses suspended tenants."""

    tenant_lookup: TenantLookup | None = None
    assist_audit: AuditLookup | None = None
    route_families: RouteFamilies | None = None

    def include_families(self, families: Mapping[str, Sequence[str]]) -> None:
        """Route modules imported by the first request for their paths (courtyard.route_families): each
        module's dotted name -> the path prefixes it serves."""
        self.route_families = RouteFamilies(families)

    def get_openapi_schema(self, **options: Any) -> OpenAPI:
        """The document of every route, the lazily included families' too, listed first and in the order
        given as the eager ``include_router`` calls listed them (the document stays byte for byte the same
        whichever families a warm process has included so far)."""
        families = self.route_families
        if families is None:
            return super().get_openapi_schema(**options)
        families.include_all(self)
        static, dynamic = self._static_routes, self._dynamic_routes
        # Powertools lists the document in registration order; only the listing is reordered, not routing.
        self._static_routes, self._dynamic_routes = families.first(static), families.first(dynamic)
        try:
            return super().get_openapi_schema(**options)
        finally:
            self._static_routes, self._dynamic_routes = static, dynamic

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        """Route ``event``; a body declared as anything but JSON or a form is read as JSON.

        A browser's ``fetch`` with a string body and no header declares ``text/plain;charset=UTF-8``, and
        some clients send no type at all. Every body this API takes is JSON, so reading it as JSON is what
        the caller meant (a 415 would only make them add a header); a body that is not JSON still answers
        400 ``invalid_json``. Without this the validation middleware refuses the type with an exception the
        error mapping cannot tell from a bug (500). The route family serving the path is included first.
        """
        if self.route_families is not None:
            self.route_families.include_for(self, event.get("path"))
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
        claims = verified_claims(self.current_event.raw_event)
        ctx = TenantContext.from_claims(claims)
        if mfa_enforced():
            require_mfa(ctx.roles, claims)
        self._check_tenant(ctx)
        ctx = self._standing(ctx)
        on_behalf_of = self.header(ON_BEHALF_OF_HEADER)
        if on_behalf_of:
            ctx = self._assisted(ctx, on_behalf_of.strip())
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

    def _assisted(self, ctx: TenantContext, resident_id: str) -> TenantContext:
        """Assisted mode, bounded (courtyard.assisted): a declared route, an assisting role, a resident of
        the caller's firm and a reason; the request is audited with both identities and the reason."""
        route = self.context.get("_route")
        if route is None or not accepts_assistance(route.openapi_path, route.method):
            raise Invalid(f"{ON_BEHALF_OF_HEADER} is not accepted on this route")
        acting = ctx.acting_for(resident_id)  # the assisting roles, and an id that cannot reach into a key
        acting = replace(acting, assist_reason=assist_reason(self.header(ASSIST_REASON_HEADER)))
        directory = self.tenant_lookup() if self.tenant_lookup is not None else None
        if directory is not None:
            resident = directory.resident(ctx.tenant_id, resident_id)
            if resident is None or resident.erased:
                raise NotFound("resident")
        audit = self.assist_audit() if self.assist_audit is not None else None
        if audit is not None:
            audit.record(
                acting,
                "assisted_request",
                "route",
                f"{route.method.upper()} {route.openapi_path}",
                {"path": self.current_event.path},
            )
        return acting

    def _standing(self, ctx: TenantContext) -> TenantContext:
        """``ctx`` with the roles the directory still grants: a leaver's or a demoted manager's token is
        refused or narrowed within a minute (DirectoryReader.STANDING_TTL_SECONDS), not when it expires."""
        if self.tenant_lookup is None or ctx.has_role(Role.PLATFORM_ADMIN) or not ctx.is_staff:
            return ctx
        directory = self.tenant_lookup()
        standing = directory.standing(ctx.tenant_id, ctx.user_id) if directory is not None else None
        if standing is None:
            return ctx
        if not standing.active:
            raise AccountDeactivated("this staff account was deactivated; ask your manager")
        roles = frozenset(role for role in ctx.roles if role.value in standing.roles)
        if not roles:
            raise Forbidden("this account no longer holds the roles its sign-in carries; sign in again")
        if roles == ctx.roles:
            return ctx
        return replace(ctx, roles=roles)

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


class AccountDeactivated(Unauthorized):
    code = "account_deactivated"


def build_resolver(
    service_name: str,
    logger: Logger | None = None,
    tenant_lookup: TenantLookup | None = directory_from_settings,
    assist_audit: AuditLookup | None = audit_from_settings,
) -> CourtyardResolver:
    """The resolver for one API function; ``tenant_lookup=None`` skips the tenant-status check (probes),
    ``assist_audit=None`` the audit record of assisted requests."""
    log = logger or Logger(service=service_name)
    app = CourtyardResolver(
        enable_validation=True,
        json_body_deserializer=parse_json_body,
        cors=CORSConfig(allow_origin="*", allow_headers=CORS_HEADERS, max_age=600),
    )
    app.tenant_lookup = tenant_lookup
    app.assist_audit = assist_audit
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
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError as error:
        # An integer of more than 4,300 digits: Python refuses to convert it (a ValueError, not a JSON error).
        raise InvalidJson("request body holds a number too long to read") from error


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
