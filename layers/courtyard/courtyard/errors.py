"""The domain error vocabulary and its single mapping to HTTP.

Services raise these; the resolver (courtyard.api) turns them into the error body of DESIGN.md:
``{"error": {"code": ..., "message": ..., "details": [...]}}``.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every error a service may raise on purpose."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details)


class Invalid(DomainError):
    """The request is malformed in a way validation could not express (bad cursor, bad header)."""

    status = 400
    code = "invalid"


class InvalidJson(Invalid):
    """The body is not JSON the API can read (the same code the validation layer gives malformed JSON)."""

    code = "invalid_json"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    """Missing, or belongs to another tenant: callers must not be able to tell the two apart."""

    status = 404
    code = "not_found"

    def __init__(self, resource: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(f"{resource} not found", details)
        self.resource = resource


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Unprocessable(DomainError):
    """Well-formed but breaks a domain rule (the same status as schema validation failures)."""

    status = 422
    code = "unprocessable"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"


class Unavailable(DomainError):
    """A dependency is briefly unavailable (throttled, timed out): the client should retry after a pause.

    The resolver answers 503 with ``Retry-After``; transient botocore errors are mapped to it there too.
    """

    status = 503
    code = "unavailable"


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def idempotency_key_reused() -> Unprocessable:
    """The refusal of an Idempotency-Key sent again with a different request (422, ``key_reused``)."""
    message = "this Idempotency-Key was used for a different request"
    return Unprocessable(
        message, [{"loc": ["header", "Idempotency-Key"], "type": "key_reused", "msg": message}]
    )
