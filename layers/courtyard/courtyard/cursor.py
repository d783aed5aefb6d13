"""Opaque list cursors: a DynamoDB ``LastEvaluatedKey`` bound to its tenant and sealed against tampering.

Format: urlsafe base64 (no padding) of ``payload || tag``, where payload is compact JSON of the key and tag
is HMAC-SHA256 over the tenant id, an optional scope (which list the cursor belongs to) and the payload.
A cursor from another tenant or list, or one altered in any character, is refused as
``Invalid("invalid cursor")`` (HTTP 400). The key is signed, not encrypted: the client can read it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from courtyard.errors import Invalid
from courtyard.secure_parameters import read_secure_parameter

_TAG_BYTES = 32
_MAX_CURSOR_CHARS = 4096
_MIN_SECRET_BYTES = 16
_VERSION = "c1"

# Values are tagged so each comes back with the type it had: the DynamoDB resource API yields Decimal for
# numbers, the client API yields {"S": ...}/{"N": ...} attribute values, and both must round-trip exactly.
_STR, _INT, _DECIMAL, _ATTRIBUTE = "s", "i", "d", "a"


class CursorCodec:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < _MIN_SECRET_BYTES:
            raise ValueError(f"cursor secret must be at least {_MIN_SECRET_BYTES} bytes")
        self._secret = secret

    def encode(self, tenant_id: str, last_key: dict[str, Any] | None, *, scope: str = "") -> str | None:
        """The cursor for the page after ``last_key``; None when there is no next page."""
        if last_key is None:
            return None
        payload = json.dumps(
            {name: _tag(name, value) for name, value in sorted(last_key.items())},
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        return _b64encode(payload + self._tag(tenant_id, scope, payload))

    def decode(self, tenant_id: str, cursor: str | None, *, scope: str = "") -> dict[str, Any] | None:
        """The ``ExclusiveStartKey`` sealed in ``cursor``; None for no cursor (absent or empty)."""
        if not cursor:
            return None
        raw = _b64decode(cursor)
        if len(raw) <= _TAG_BYTES:
            raise _invalid()
        payload, tag = raw[:-_TAG_BYTES], raw[-_TAG_BYTES:]
        if not hmac.compare_digest(tag, self._tag(tenant_id, scope, payload)):
            raise _invalid()
        try:
            document = json.loads(payload)
        except ValueError:
            raise _invalid() from None
        if not isinstance(document, dict) or not document:
            raise _invalid()
        return {name: _untag(value) for name, value in document.items()}

    def _tag(self, tenant_id: str, scope: str, payload: bytes) -> bytes:
        # A JSON array frames tenant and scope unambiguously ("ab"+"c" never equals "a"+"bc").
        header = json.dumps([_VERSION, tenant_id, scope], separators=(",", ":")).encode()
        return hmac.new(self._secret, header + b"\n" + payload, hashlib.sha256).digest()


@lru_cache(maxsize=8)
def load_cursor_secret(parameter_name: str) -> bytes:
    """The HMAC key from its SecureString parameter (courtyard.secure_parameters), read once per process."""
    return read_secure_parameter(parameter_name).encode()


def _invalid() -> Invalid:
    return Invalid("invalid cursor")


def _tag(name: str, value: Any) -> list[Any]:
    if isinstance(value, bool):
        raise TypeError(f"cursor key {name!r}: booleans are not key values")
    if isinstance(value, str):
        return [_STR, value]
    if isinstance(value, int):
        return [_INT, value]
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError(f"cursor key {name!r}: {value} is not a DynamoDB number")
        return [_DECIMAL, str(value)]
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return [_ATTRIBUTE, value]
    raise TypeError(f"cursor key {name!r}: unsupported value type {type(value).__name__}")


def _untag(tagged: Any) -> Any:
    # The tag has been verified, so malformed content can only come from a bug or a leaked secret;
    # it is still refused as a bad cursor rather than passed on to DynamoDB.
    if not (isinstance(tagged, list) and len(tagged) == 2 and isinstance(tagged[0], str)):
        raise _invalid()
    kind, value = tagged
    if kind == _STR and isinstance(value, str):
        return value
    if kind == _INT and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == _DECIMAL and isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            raise _invalid() from None
    if kind == _ATTRIBUTE and isinstance(value, dict):
        return value
    raise _invalid()


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if len(text) > _MAX_CURSOR_CHARS or not text.isascii():
        raise _invalid()
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise _invalid() from None
    # base64 ignores the unused low bits of the last character, so several strings decode to the same
    # bytes; only the canonical spelling is accepted, so that no altered cursor is ever honoured.
    if _b64encode(raw) != text:
        raise _invalid()
    return raw
