"""One Idempotency-Key rule for every create route a client may retry.

A route declares the header (``IdempotencyKey``, so the OpenAPI document and the generated clients know it),
checks its shape (``checked_key``: 8 to 255 printable characters, else 400), and its service stores a claim
of the caller's key beside the object it creates, in the same write, holding ``KeyUse.request_digest``.
A later request with the same key is then answered from the claim: the same request gets the same object
back (200, nothing written), another request is 422 ``key_reused`` (``same_request``). A key is the caller's
own: two users' equal keys never meet, because the key digest includes the user.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header
from pydantic import BaseModel

from courtyard.errors import Invalid, idempotency_key_reused

HEADER = "Idempotency-Key"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="8 to 255 printable characters, the caller's own: a retry with the same key and body "
        "answers 200 with the object the first attempt created; the same key with another body is 422 "
        "`key_reused`.",
    ),
]


def checked_key(value: str | None) -> str | None:
    """The client's key, trimmed; a key of the wrong shape is 400 (it could never be matched again)."""
    if value is None:
        return None
    key = value.strip()
    if not 8 <= len(key) <= 255 or not key.isprintable():
        raise Invalid(f"{HEADER} must be 8 to 255 printable characters")
    return key


@dataclass(frozen=True, slots=True)
class KeyUse:
    """A caller's key on one create, and a digest of the request it came with (neither kept in clear)."""

    key_digest: str
    request_digest: str

    @classmethod
    def of(
        cls,
        user_id: str,
        key: str | None,
        request: BaseModel,
        keyed: Callable[[str], str] | None = None,
    ) -> KeyUse | None:
        """``None`` without a key. ``keyed`` digests a request that carries personal data under a secret
        (a blind index), so the stored digest cannot be used to test a guessed phone number."""
        if key is None:
            return None
        body = hashlib.sha256(request.model_dump_json().encode()).hexdigest()
        return cls(
            key_digest=hashlib.sha256(f"{user_id}\n{key}".encode()).hexdigest()[:40],
            request_digest=keyed(body) if keyed is not None else body,
        )


def same_request(use: KeyUse, claimed_request_digest: str | None) -> None:
    """Refuse a key sent again with another request (422 ``key_reused``).

    A claim written before claims held their request (``None``) is taken as the same request: it is at
    most a day old, and refusing it would turn a true retry into an error.
    """
    if claimed_request_digest is not None and claimed_request_digest != use.request_digest:
        raise idempotency_key_reused()
