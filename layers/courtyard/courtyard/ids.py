"""Identifiers: every entity id is a ULID (26 Crockford base32 characters, sortable by creation time)."""

from __future__ import annotations

from ulid import ULID


def new_id() -> str:
    """A fresh ULID as its canonical 26-character upper-case string."""
    return str(ULID())


def is_ulid(value: object) -> bool:
    """True when ``value`` is a canonical ULID string (26 characters, upper-case Crockford base32).

    Lower-case input is refused on purpose: ids are compared and used in keys as strings, so accepting
    a second spelling of the same id would let two keys name one entity.
    """
    if not isinstance(value, str) or len(value) != 26:
        return False
    try:
        return str(ULID.from_str(value)) == value
    except ValueError:
        return False
