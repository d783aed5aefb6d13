"""DynamoDB helpers shared by repositories: tenant-prefixed keys, conditional-failure translation, pages.

Every partition key starts with ``T#{tenant_id}#`` (DESIGN.md); building keys only through ``tenant_key``
keeps one tenant's items out of another's key space.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from botocore.exceptions import ClientError

from courtyard.errors import Conflict

SEPARATOR = "#"
TENANT_MARK = "T"

T = TypeVar("T")


def tenant_prefix(tenant_id: str) -> str:
    """``T#{tenant_id}#``: the start of every key the tenant owns (useful with ``begins_with``)."""
    if not tenant_id:
        raise ValueError("tenant_id is required to build a key")
    if SEPARATOR in tenant_id:
        # "a#b" would share a key space with tenant "a": refuse rather than risk a cross-tenant key.
        raise ValueError(f"tenant_id must not contain {SEPARATOR!r}")
    return f"{TENANT_MARK}{SEPARATOR}{tenant_id}{SEPARATOR}"


def tenant_key(tenant_id: str, *parts: object) -> str:
    """``T#{tenant_id}#part1#part2``; parts are str-converted and must not contain ``#``.

    An empty last part leaves a trailing separator, which is handy as a ``begins_with`` prefix
    (``tenant_key(t, "TICKET", "")`` -> ``T#t#TICKET#``).
    """
    prefix = tenant_prefix(tenant_id)
    texts = [str(part) for part in parts]
    for text in texts:
        if SEPARATOR in text:
            # A part holding the separator could make two different part lists produce the same key.
            raise ValueError(f"key part {text!r} must not contain {SEPARATOR!r}")
    return prefix + SEPARATOR.join(texts)


def strip_tenant(key: str, tenant_id: str) -> str:
    """The part of ``key`` after ``T#{tenant_id}#``; ValueError if the key is not the tenant's."""
    prefix = tenant_prefix(tenant_id)
    if not key.startswith(prefix):
        raise ValueError("key does not belong to the tenant")
    return key[len(prefix) :]


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


_REASONS_IN_MESSAGE = re.compile(r"\[([A-Za-z, ]*)\]\s*$")


def cancellation_reasons(err: ClientError) -> list[str]:
    """Per-item codes of a cancelled transaction, in request order (``"None"`` for items that passed).

    Lets a repository tell which condition failed (e.g. item 0 = "phone already registered").
    """
    if error_code(err) != "TransactionCanceledException":
        return []
    reasons = err.response.get("CancellationReasons")
    if isinstance(reasons, list):
        return [str(r.get("Code", "None")) if isinstance(r, dict) else "None" for r in reasons]
    # Some clients and emulators only put the reasons in the message: "... [ConditionalCheckFailed, None]".
    match = _REASONS_IN_MESSAGE.search(str(err.response.get("Error", {}).get("Message", "")))
    return [code.strip() for code in match.group(1).split(",")] if match else []


def is_conditional_failure(err: ClientError) -> bool:
    code = error_code(err)
    if code == "ConditionalCheckFailedException":
        return True
    return code == "TransactionCanceledException" and "ConditionalCheckFailed" in cancellation_reasons(err)


@contextmanager
def translate_conditional_failures(message: str) -> Iterator[None]:
    """Turn a failed condition (single write or transaction) into ``Conflict(message)``.

    Any other error, including a transaction cancelled for another reason (``TransactionConflict``,
    throttling), propagates unchanged.
    """
    try:
        yield
    except ClientError as err:
        if is_conditional_failure(err):
            raise Conflict(message) from err
        raise


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: the items and the opaque cursor for the next page (None on the last page)."""

    items: list[T] = field(default_factory=list)
    next_cursor: str | None = None
